//! The providers' recipes' packages, installed under `target/bench-peers/`: npm (`express`,
//! `js-sha512`, `axios`, pinned by bench/peers/package-lock.json) and a Python venv with
//! `requests` (pinned by bench/peers/requirements.txt). A peer that cannot be installed is
//! left out of the tables, with a note.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::run;

/// What was installed.
#[derive(Debug, Default)]
pub(crate) struct Peers {
    /// `node_modules` for `NODE_PATH`.
    pub(crate) node_modules: Option<PathBuf>,
    /// The venv's `python`.
    pub(crate) python: Option<PathBuf>,
    /// What could not be installed.
    pub(crate) notes: Vec<String>,
}

/// Installs both; never fails, says what is missing.
pub(crate) fn install(root: &Path) -> Peers {
    let mut peers = Peers::default();
    let node = root.join("target/bench-peers/node");
    let npm = std::fs::create_dir_all(&node)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            for file in ["package.json", "package-lock.json"] {
                std::fs::copy(root.join("bench/peers").join(file), node.join(file))
                    .map_err(|e| format!("{file}: {e}"))?;
            }
            run(Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--prefix"])
                .arg(&node))
        });
    match npm {
        Ok(()) => peers.node_modules = Some(node.join("node_modules")),
        Err(e) => peers
            .notes
            .push(format!("Node recipes not measured: npm ci failed ({e}).")),
    }
    let venv = root.join("target/bench-peers/venv");
    let python = venv.join("bin/python");
    let pip = (if python.exists() {
        Ok(())
    } else {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
    })
    .and_then(|()| {
        run(Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "-r"])
            .arg(root.join("bench/peers/requirements.txt")))
    });
    match pip {
        Ok(()) => peers.python = Some(python),
        Err(e) => peers
            .notes
            .push(format!("Python recipe not measured: {e}.")),
    }
    peers
}
