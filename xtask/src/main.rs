//! Developer tasks: `cargo xtask <task>`.
//!
//! - `test`: the whole test suite (what the README and CI run): prepares the interop peers that
//!   can be prepared locally (npm packages under `tests/interop`), then `cargo test --workspace`.
//! - `ci`: what `.ci/run` checks: `fmt --check`, clippy with `-D warnings`, the wasm build of
//!   `kukuruku-sign`, then `test`.
//! - `wasm`: builds `kukuruku-sign` for `wasm32-unknown-unknown` (skipped, with a message, where
//!   the target cannot be installed).
//! - `bench`: the criterion benchmarks (`cargo bench --workspace`), extra args passed through.
//! - `vectors`: regenerates the signature vectors with real `python3`, `node` and `php`.
//! - `demo`: `cargo run -p kukuruku-cli -- demo`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    let result = match task.as_str() {
        "test" => test(&rest),
        "ci" => ci(),
        "wasm" => wasm(),
        "bench" => cargo(&[&["bench", "--workspace"][..], &as_strs(&rest)].concat()),
        "vectors" => run(Command::new("bash")
            .arg(root().join("crates/kukuruku-sign/tests/vectors/generate.sh"))),
        "demo" => cargo(&[&["run", "-p", "kukuruku-cli", "--", "demo"][..], &as_strs(&rest)].concat()),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n\
                 tasks:\n  \
                 test     the whole test suite (cargo test --workspace, with interop peers)\n  \
                 ci       fmt, clippy -D warnings, wasm build, then test\n  \
                 wasm     build kukuruku-sign for wasm32-unknown-unknown\n  \
                 bench    criterion benchmarks (extra args go to cargo bench)\n  \
                 vectors  regenerate signature vectors with python3, node and php\n  \
                 demo     cargo run -p kukuruku-cli -- demo"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {task}: {message}");
            ExitCode::FAILURE
        }
    }
}

fn as_strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

fn cargo(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(Command::new(cargo).args(args))
}

fn test(extra: &[String]) -> Result<(), String> {
    prepare_interop();
    cargo(&[&["test", "--workspace"][..], &as_strs(extra)].concat())
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

fn ci() -> Result<(), String> {
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    wasm()?;
    test(&[])
}

fn wasm() -> Result<(), String> {
    const TARGET: &str = "wasm32-unknown-unknown";
    let installed = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        eprintln!("SKIPPED: the {TARGET} target cannot be installed here; kukuruku-sign's wasm build was not checked");
        return Ok(());
    }
    cargo(&["build", "-p", "kukuruku-sign", "--target", TARGET])
}
