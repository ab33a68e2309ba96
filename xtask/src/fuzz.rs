//! The fuzz targets of `fuzz/` (a cargo-fuzz project outside the workspace).

use crate::process::{cargo_command, root, run};

/// Without a target, builds every fuzz target with a plain `cargo build` (any toolchain); with
/// one, runs it under cargo-fuzz for `seconds`.
pub(crate) fn fuzz(target: Option<&str>, seconds: u64) -> Result<(), String> {
    let Some(target) = target else {
        return run(cargo_command()
            .arg("build")
            .arg("--manifest-path")
            .arg(root().join("fuzz/Cargo.toml"))
            .arg("--target-dir")
            .arg(root().join("target/fuzz-plain")));
    };
    run(cargo_command()
        // cargo-fuzz passes sanitizer flags that a stable compiler accepts only with this.
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", "run", target, "--fuzz-dir"])
        .arg(root().join("fuzz"))
        .arg("--target-dir")
        .arg(root().join("target/fuzz"))
        .args(["--", &format!("-max_total_time={seconds}")]))
}

/// Runs every fuzz target for `seconds` each (`fuzz/run.sh`), installing cargo-fuzz first when
/// it is missing; fails on any finding.
pub(crate) fn fuzz_every(seconds: u64) -> Result<(), String> {
    let installed = cargo_command()
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !installed {
        run(cargo_command().args(["install", "cargo-fuzz", "--locked", "--quiet"]))?;
    }
    run(std::process::Command::new("bash")
        .arg(root().join("fuzz/run.sh"))
        .arg(seconds.to_string()))
}
