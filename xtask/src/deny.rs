//! `deny`: cargo-deny against `deny.toml`, installed on first use; the advisories only where a
//! RustSec database is already on the machine (it lives on GitHub, which CI cannot reach).

use std::path::PathBuf;

use crate::process::{cargo, cargo_command, run};

/// The checks that need nothing but crates.io.
const OFFLINE_CHECKS: [&str; 3] = ["bans", "licenses", "sources"];

/// Installs cargo-deny if needed, checks bans, licenses and sources, then the advisories against
/// a local database without fetching it, or says they were skipped.
pub(crate) fn check() -> Result<(), String> {
    install()?;
    cargo(
        ["deny", "--locked", "check"]
            .into_iter()
            .chain(OFFLINE_CHECKS),
    )?;
    if let Some(db) = advisory_db() {
        println!(
            "xtask deny: advisories from the local database in {} (not fetched)",
            db.display()
        );
        cargo(["deny", "--locked", "--offline", "check", "advisories"])
    } else {
        println!(
            "SKIPPED: advisories: no RustSec database under {} (it lives on GitHub, which this \
             machine cannot reach; `cargo deny fetch db` where it can)",
            advisory_dbs().display()
        );
        Ok(())
    }
}

/// `cargo install cargo-deny --locked`, quietly, when `cargo deny --version` fails.
fn install() -> Result<(), String> {
    let installed = cargo_command()
        .args(["deny", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if installed {
        return Ok(());
    }
    println!("xtask deny: installing cargo-deny from crates.io (once; it takes a few minutes)");
    run(cargo_command().args(["install", "cargo-deny", "--locked", "--quiet"]))
}

/// cargo-deny's default database folder, `$CARGO_HOME/advisory-dbs`.
fn advisory_dbs() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("advisory-dbs")
}

/// The local advisory database, if one was fetched before: a git clone in
/// `$CARGO_HOME/advisory-dbs` holding RustSec's `crates/`.
fn advisory_db() -> Option<PathBuf> {
    std::fs::read_dir(advisory_dbs())
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|dir| dir.join("crates").is_dir() && dir.join(".git").exists())
}
