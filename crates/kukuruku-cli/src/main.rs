//! The `kukuruku` command.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Kukuruku SDK command line: a local sandbox, the end-to-end demo, and signature tools.
#[derive(Parser)]
#[command(name = "kukuruku", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Walk the whole integration against a local sandbox (not built yet).
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo => {
            eprintln!(
                "kukuruku demo: not built yet. It needs kukuruku-tower (issue #3) and \
                 kukuruku-sandbox (issue #4); today the workspace ships kukuruku-sign and \
                 kukuruku-proto. Run `cargo xtask test` to exercise them."
            );
            ExitCode::from(2)
        }
    }
}
