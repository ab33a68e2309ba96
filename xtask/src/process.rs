//! Running the tools the tasks drive: `cargo` and others, from the workspace root.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (the parent of this crate's folder).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Runs `cmd` in the workspace root; an error names the command and how it ended.
pub(crate) fn run(cmd: &mut Command) -> Result<(), String> {
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

/// The `cargo` that runs this task (`$CARGO`), or the one on the `PATH`.
pub(crate) fn cargo_command() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs `cargo args…` in the workspace root.
pub(crate) fn cargo<I, S>(args: I) -> Result<(), String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run(cargo_command().args(args))
}

/// `command`, then `cargo_args`, then `--` and `binary_args` when there are any: the arguments
/// of a cargo command whose own arguments and its binaries' were given to a task.
pub(crate) fn command_line<'a>(
    command: &[&'a str],
    cargo_args: &'a [String],
    binary_args: &'a [String],
) -> Vec<&'a str> {
    let separator = if binary_args.is_empty() {
        None
    } else {
        Some("--")
    };
    command
        .iter()
        .copied()
        .chain(cargo_args.iter().map(String::as_str))
        .chain(separator)
        .chain(binary_args.iter().map(String::as_str))
        .collect()
}
