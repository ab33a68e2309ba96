//! `cargo xtask chaos`: the fault-injection proof of `kukuruku-ledger`, long.
//!
//! The same test as CI's (`tests/tests/it/chaos.rs`), with more orders: it runs
//! `cargo test -p kukuruku-e2e --test it chaos -- --nocapture` with `KUKURUKU_CHAOS_ORDERS`,
//! `KUKURUKU_CHAOS_BACKEND` and, when given, `KUKURUKU_CHAOS_SEED` set, and prints the run's
//! counts.

use clap::ValueEnum;

use crate::process::{cargo_command, run};

/// The ledger backend the receivers share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Backend {
    /// One SQLite file (the default backend).
    Sqlite,
    /// One PostgreSQL database at `KUKURUKU_TEST_POSTGRES_URL` (`cargo xtask pg` starts one).
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Runs the chaos test with `orders` orders on `backend`, replaying `seed` when given.
pub(crate) fn chaos(orders: usize, backend: Backend, seed: Option<&str>) -> Result<(), String> {
    if backend == Backend::Postgres && std::env::var_os("KUKURUKU_TEST_POSTGRES_URL").is_none() {
        return Err(
            "the postgres backend needs KUKURUKU_TEST_POSTGRES_URL (a throwaway cluster: `cargo xtask pg`)"
                .to_owned(),
        );
    }
    let mut cmd = cargo_command();
    cmd.args([
        "test",
        "-p",
        "kukuruku-e2e",
        "--test",
        "it",
        "chaos",
        "--",
        "--nocapture",
    ])
    .env("KUKURUKU_CHAOS_ORDERS", orders.to_string())
    .env("KUKURUKU_CHAOS_BACKEND", backend.name());
    if let Some(seed) = seed {
        cmd.env("KUKURUKU_CHAOS_SEED", seed);
    }
    run(&mut cmd)
}
