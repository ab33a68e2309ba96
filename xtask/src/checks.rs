//! The checks: the test suite with its interop peers, the wasm build, the docs, and `ci`, which
//! runs them all as `.ci/run` does. Every cargo build here is `--locked`: the `cargo xtask` that
//! runs them has brought `Cargo.lock` up to date already (or, itself `--locked` as in `.ci/run`,
//! refused a stale one).

use std::process::Command;

use crate::pg;
use crate::process::{cargo, cargo_command, command_line, root, run};

/// The cargo command of `cargo xtask test`, before the task's arguments: the ledger's
/// PostgreSQL backend is built and tested too (its tests skip without a server).
pub(crate) const TEST: [&str; 5] = [
    "test",
    "--workspace",
    "--locked",
    "--features",
    "kukuruku-ledger/postgres",
];

/// `cargo test --workspace --locked --features kukuruku-ledger/postgres {cargo_args} --
/// {test_args}`, after preparing the interop peers, beside a throwaway PostgreSQL cluster when
/// the server's binaries are installed and `KUKURUKU_TEST_POSTGRES_URL` is not set already.
pub(crate) fn test(cargo_args: &[String], test_args: &[String]) -> Result<(), String> {
    prepare_interop();
    let line = command_line(&TEST, cargo_args, test_args);
    let mut command = cargo_command();
    command.args(line);
    let _cluster = match (std::env::var_os(pg::URL_VAR), pg::bin_dir()) {
        (None, Some(bin)) => {
            let cluster = pg::Cluster::start(&bin)?;
            println!(
                "xtask test: PostgreSQL from {} at {}",
                bin.display(),
                cluster.url()
            );
            command.env(pg::URL_VAR, cluster.url());
            Some(cluster)
        }
        _ => None,
    };
    run(&mut command)
}

/// Installs the npm packages of `tests/interop` when npm is there; the tests that need them
/// skip with a message when they are absent, unless `KUKURUKU_REQUIRE_INTEROP=1` (as in CI).
fn prepare_interop() {
    let dir = root().join("tests/interop");
    if !dir.join("package.json").exists() || dir.join("node_modules").exists() {
        return;
    }
    let npm_ok = Command::new("npm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !npm_ok {
        eprintln!("xtask: npm not found: interop tests that need Node packages will skip");
        return;
    }
    let lock = dir.join("package-lock.json").exists();
    let mut npm = Command::new("npm");
    npm.arg(if lock { "ci" } else { "install" })
        .args(["--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir);
    match npm.status() {
        Ok(s) if s.success() => {}
        other => eprintln!("xtask: npm install in tests/interop failed ({other:?})"),
    }
}

/// fmt, deny, msrv, clippy, wasm, doc, then the tests.
pub(crate) fn ci() -> Result<(), String> {
    cargo(["fmt", "--all", "--", "--check"])?;
    crate::deny::check()?;
    crate::msrv::check()?;
    cargo([
        "clippy",
        "--workspace",
        "--all-targets",
        "--features",
        "kukuruku-ledger/postgres",
        "--locked",
        "--",
        "-D",
        "warnings",
    ])?;
    wasm()?;
    doc()?;
    test(&[], &[])
}

/// Builds `kukuruku-sign` for wasm32, or says plainly that it was skipped.
pub(crate) fn wasm() -> Result<(), String> {
    const TARGET: &str = "wasm32-unknown-unknown";
    let installed = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        eprintln!(
            "SKIPPED: the {TARGET} target cannot be installed here; kukuruku-sign's wasm build was not checked"
        );
        return Ok(());
    }
    cargo([
        "build",
        "-p",
        "kukuruku-sign",
        "--target",
        TARGET,
        "--locked",
    ])
}

/// `cargo doc --workspace --no-deps` (the ledger's PostgreSQL backend included), every
/// rustdoc warning an error.
pub(crate) fn doc() -> Result<(), String> {
    run(cargo_command().env("RUSTDOCFLAGS", "-D warnings").args([
        "doc",
        "--workspace",
        "--no-deps",
        "--features",
        "kukuruku-ledger/postgres",
        "--locked",
    ]))
}
