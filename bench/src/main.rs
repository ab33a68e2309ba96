//! The programs `cargo xtask bench` runs, release-built: callback receivers, a load generator,
//! payin drivers and the sandbox. Each prints what it measured as one JSON line on stdout; a
//! server prints one ready line (`listening on URL` or the sandbox's JSON) and serves until
//! killed. The secret is `KUKURUKU_SECRET_KEY` (default `bench-secret`), merchant `1`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod callback;
mod deliver;
mod load;
mod payins;
mod receiver;
mod sandbox;

/// The secret every program shares unless `KUKURUKU_SECRET_KEY` says otherwise.
pub(crate) fn secret() -> String {
    std::env::var("KUKURUKU_SECRET_KEY").unwrap_or_else(|_| "bench-secret".to_owned())
}

/// The benchmark programs.
#[derive(Debug, Parser)]
#[command(name = "kukuruku-bench")]
struct Cli {
    #[command(subcommand)]
    program: Program,
}

#[derive(Debug, Subcommand)]
enum Program {
    /// A callback receiver on one tokio thread, on a free loopback port.
    Serve {
        /// Which receiver.
        #[arg(value_enum)]
        kind: receiver::Kind,
    },
    /// N keep-alive connections sending signed callbacks for a fixed time.
    Load(load::Options),
    /// Creates payins against a sandbox with our client or a raw hyper loop.
    Payins(payins::Options),
    /// The sandbox, release-built, with room for many orders.
    Sandbox {
        /// Orders kept before the oldest is forgotten.
        #[arg(long, default_value_t = 1_000_000)]
        max_orders: usize,
    },
    /// Payins paid through the sandbox's control API: how fast their callbacks arrive.
    Deliver(deliver::Options),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.program {
        Program::Serve { kind } => receiver::serve(kind),
        Program::Load(options) => load::main(&options),
        Program::Payins(options) => payins::main(&options),
        Program::Sandbox { max_orders } => sandbox::serve(max_orders),
        Program::Deliver(options) => deliver::main(&options),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kukuruku-bench: {err}");
            ExitCode::FAILURE
        }
    }
}
