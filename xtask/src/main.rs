//! Developer tasks: `cargo xtask <task>`. `cargo xtask --help` lists them; each task's help is
//! the doc comment of its variant of [`Task`] below, written once.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

mod bench;
mod bench_count;
mod bench_table;
mod chaos;
mod checks;
mod deny;
mod fuzz;
mod msrv;
mod pg;
mod process;

use process::cargo;

/// Developer tasks for kukuruku-rs.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// The whole test suite, with the interop peers (what the README and CI run).
    ///
    /// Prepares the interop peers that can be prepared locally (npm packages under
    /// `tests/interop`), then runs `cargo test --workspace`.
    Test {
        /// Passed to `cargo test` (e.g. `-p kukuruku-sign`).
        #[arg(allow_hyphen_values = true, value_name = "CARGO TEST ARGS")]
        args: Vec<String>,
        /// Passed to the test binaries, after `--` (e.g. `--nocapture`).
        #[arg(last = true, value_name = "TEST BINARY ARGS")]
        test_args: Vec<String>,
    },
    /// What `.ci/run` checks: fmt, deny, msrv, clippy, the wasm build, the docs, then `test`.
    ///
    /// `cargo fmt --check`, `deny`, `msrv`, clippy with `-D warnings` on every target, the wasm
    /// build of `kukuruku-sign`, `doc`, then `test`; every cargo build `--locked`.
    Ci,
    /// The supply-chain policy of `deny.toml`: licenses, duplicate versions, sources, advisories.
    ///
    /// Installs cargo-deny when `cargo deny --version` fails. `cargo deny check bans licenses
    /// sources` always; `advisories` against the local RustSec database, without fetching, when
    /// one is there (`cargo deny fetch db` where GitHub is reachable), else skipped with a message.
    Deny,
    /// The declared `rust-version` beside the highest one among each library crate's dependencies.
    ///
    /// From `cargo metadata`: a table of what a user of each library crate compiles (normal and
    /// build dependencies, transitively) and what its tests compile too (dev-dependencies).
    /// Fails when a user's build needs a newer Rust than the crate declares.
    Msrv,
    /// Builds `kukuruku-sign` for `wasm32-unknown-unknown`.
    ///
    /// Skipped, with a message, where the target cannot be installed.
    Wasm,
    /// The API docs of every crate, warnings denied.
    ///
    /// `cargo doc --workspace --no-deps` with `RUSTDOCFLAGS=-D warnings`: a broken intra-doc
    /// link or a bad code block fails.
    Doc,
    /// Measures everything and writes BENCHMARKS.md; with arguments, `cargo bench --workspace`.
    ///
    /// Without arguments: builds `kukuruku-bench` (release), installs the providers' recipes'
    /// packages under `target/bench-peers/` (npm, a Python venv), then in one run: the callback
    /// receivers under load (ours, the Node recipe, the ledger's), verify against no verify,
    /// payins/s (our client, a raw hyper loop, axios, Python requests), the sandbox's memory
    /// per order and callback delivery, cost against body size, the signing core's tables and
    /// `openssl speed`; writes BENCHMARKS.md. With arguments: they go to `cargo bench`.
    Bench {
        /// A smoke run of the report: short runs, 1 000 orders, no bench-profile builds.
        #[arg(long)]
        quick: bool,
        /// Passed to `cargo bench` (e.g. `-p kukuruku-sign`, `--bench sign`).
        #[arg(allow_hyphen_values = true, value_name = "CARGO BENCH ARGS")]
        args: Vec<String>,
        /// Passed to criterion, after `--` (e.g. `--save-baseline main`).
        #[arg(last = true, value_name = "CRITERION ARGS")]
        bench_args: Vec<String>,
    },
    /// The medians criterion last measured, as a Markdown table per group.
    ///
    /// Each row's ratio is to the group's first function.
    BenchTable {
        /// Where criterion's results are [default: target/criterion].
        dir: Option<PathBuf>,
    },
    /// Instructions per signature and verification under callgrind, as a Markdown table.
    ///
    /// Exact and repeatable on a shared machine, where criterion's times are noisy: ours beside
    /// raw `hmac` re-keyed and pre-keyed, then the tower layers' cost over raw HMAC.
    BenchCount,
    /// The tower layers' cost over raw HMAC in wall time, as a Markdown table.
    ///
    /// Every case is timed in turn, round after round, keeping each one's fastest batch, so
    /// that the ratio holds still on a shared machine (criterion's medians move by several
    /// percent between runs here).
    BenchRatio {
        /// How many rounds [default: the example's, 200].
        rounds: Option<u32>,
    },
    /// Builds every fuzz target, runs every one, or runs one under cargo-fuzz.
    ///
    /// Without arguments: a plain `cargo build` of `fuzz/` (any toolchain). With `--seconds N`:
    /// every target for N seconds each from its seeds (`fuzz/run.sh`; installs cargo-fuzz when
    /// missing), failing on any finding. With a target: runs it under cargo-fuzz for SECONDS.
    Fuzz {
        /// The fuzz target to run (a file name of `fuzz/fuzz_targets/` without `.rs`).
        target: Option<String>,
        /// How long to run it.
        #[arg(requires = "target", default_value_t = 60)]
        seconds: u64,
        /// Run every target for this many seconds each.
        #[arg(long = "seconds", value_name = "N", conflicts_with = "target")]
        every: Option<u64>,
    },
    /// Regenerates the signature vectors with real `python3`, `node` and `php`.
    Vectors,
    /// Runs the end-to-end demo: `cargo run -p kukuruku-cli -- demo`.
    Demo,
    /// The ledger's fault-injection proof, long: the e2e chaos test with more orders.
    ///
    /// Orders driven through mixed paths by the sandbox, callbacks through a chaos proxy (500
    /// before and after the receiver commits, hangs, resets, duplicates, stale replays, a
    /// receiver restart, callbacks dropped for good), a reconciler; fails unless every order
    /// ends as the sandbox says with one credit per paid payin. Prints the run's counts.
    Chaos {
        /// How many orders.
        #[arg(long, default_value_t = 10_000)]
        orders: usize,
        /// The ledger backend.
        #[arg(long, value_enum, default_value_t = chaos::Backend::Sqlite)]
        backend: chaos::Backend,
        /// The seed to replay (decimal or 0x…) [default: the test's fixed seed].
        #[arg(long)]
        seed: Option<String>,
    },
    /// Runs a command beside a throwaway PostgreSQL cluster: `cargo xtask pg -- COMMAND…`.
    ///
    /// `initdb` into a temporary folder (as the system user `kukuruku-pg` when run as root),
    /// a server on a free loopback port with `fsync` and `synchronous_commit` on, the command
    /// run with `KUKURUKU_TEST_POSTGRES_URL` set, then the server stopped and the folder
    /// deleted, whether the command passed or not.
    Pg {
        /// The command to run, after `--`.
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let name = matches.subcommand_name().unwrap_or("xtask").to_owned();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    let result = match cli.task {
        Task::Test { args, test_args } => checks::test(&args, &test_args),
        Task::Ci => checks::ci(),
        Task::Deny => deny::check(),
        Task::Msrv => msrv::check(),
        Task::Wasm => checks::wasm(),
        Task::Doc => checks::doc(),
        Task::Bench {
            quick,
            args,
            bench_args,
        } => {
            if args.is_empty() && bench_args.is_empty() {
                bench::report(quick)
            } else {
                cargo(process::command_line(
                    &["bench", "--workspace"],
                    &args,
                    &bench_args,
                ))
            }
        }
        Task::BenchTable { dir } => bench_table::print(dir),
        Task::BenchCount => bench_count::print(),
        Task::BenchRatio { rounds } => bench_count::ratio(rounds),
        Task::Fuzz {
            target,
            seconds,
            every,
        } => match every {
            Some(each) => fuzz::fuzz_every(each),
            None => fuzz::fuzz(target.as_deref(), seconds),
        },
        Task::Vectors => process::run(
            std::process::Command::new("bash")
                .arg(process::root().join("kukuruku-sign/tests/vectors/generate.sh")),
        ),
        Task::Demo => cargo(["run", "-p", "kukuruku-cli", "--", "demo"]),
        Task::Chaos {
            orders,
            backend,
            seed,
        } => chaos::chaos(orders, backend, seed.as_deref()),
        Task::Pg { command } => pg::wrap(&command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {name}: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory as _, Parser as _};

    use super::{Cli, Task};
    use crate::process::command_line;

    #[test]
    fn the_cli_is_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Task {
        Cli::try_parse_from(args)
            .unwrap_or_else(|err| panic!("{args:?}: {err}"))
            .task
    }

    /// What `cargo xtask test …` or `bench …` passes to `cargo`.
    fn cargo_args(args: &[&str]) -> Vec<String> {
        let line = match parse(args) {
            Task::Test { args, test_args } => {
                command_line(&["test", "--workspace"], &args, &test_args).join(" ")
            }
            Task::Bench {
                args, bench_args, ..
            } => command_line(&["bench", "--workspace"], &args, &bench_args).join(" "),
            other => panic!("{args:?}: {other:?}"),
        };
        line.split_whitespace().map(str::to_owned).collect()
    }

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|&arg| arg.to_owned()).collect()
    }

    #[test]
    fn extra_arguments_pass_through_to_cargo() {
        for given in [
            &["-p", "x", "--release", "--", "--nocapture"][..],
            &["--", "--nocapture", "-q"],
            &["some_name"],
            &["-p", "x", "some_name", "--", "--ignored"],
            &[],
        ] {
            for task in ["test", "bench"] {
                let command_line = [&["xtask", task][..], given].concat();
                let expected = [&[task, "--workspace"][..], given].concat();
                assert_eq!(cargo_args(&command_line), strings(&expected));
            }
        }
        let Task::Fuzz {
            target,
            seconds,
            every,
        } = parse(&["xtask", "fuzz", "amount_text", "5"])
        else {
            panic!("fuzz did not parse");
        };
        assert_eq!(
            (target.as_deref(), seconds, every),
            (Some("amount_text"), 5, None)
        );
        assert!(matches!(
            parse(&["xtask", "fuzz", "--seconds", "10"]),
            Task::Fuzz {
                target: None,
                every: Some(10),
                ..
            }
        ));
        assert!(Cli::try_parse_from(["xtask", "fuzz", "t", "--seconds", "3"]).is_err());
        assert!(matches!(
            parse(&["xtask", "fuzz"]),
            Task::Fuzz { target: None, .. }
        ));
        assert!(matches!(
            parse(&["xtask", "bench", "--quick"]),
            Task::Bench { quick: true, ref args, ref bench_args } if args.is_empty() && bench_args.is_empty()
        ));
        assert!(matches!(
            parse(&["xtask", "bench"]),
            Task::Bench { quick: false, ref args, .. } if args.is_empty()
        ));
        assert!(Cli::try_parse_from(["xtask", "no-such-task"]).is_err());
        assert!(Cli::try_parse_from(["xtask", "fuzz", "t", "soon"]).is_err());
    }
}
