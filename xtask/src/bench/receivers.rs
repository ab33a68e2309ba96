//! The callback receivers under load: req/s, p50/p99, RSS and the server's CPU time per
//! request, then verify against no verify (median of interleaved runs).

use std::process::Command;

use super::Settings;
use super::markdown::{Section, thousands};
use super::spawn::{Server, bench_program, json, num};

/// One measured load run against one server.
pub(crate) struct Run {
    /// The load generator's JSON line.
    pub(crate) load: serde_json::Value,
    /// Server CPU seconds per request, in µs.
    pub(crate) cpu_us: f64,
}

/// The servers of the table: label and how to start each.
fn servers(settings: &Settings) -> Vec<(&'static str, Option<Command>)> {
    let bench = |kind: &str| {
        let mut command = bench_program(&settings.root);
        command.args(["serve", kind]);
        Some(command)
    };
    let node = settings.peers.node_modules.as_ref().map(|modules| {
        let mut command = Command::new("node");
        command
            .arg(settings.root.join("tests/interop/receiver_node.js"))
            .arg("0")
            .env("NODE_PATH", modules)
            .env("KUKURUKU_SECRET_KEY", super::SECRET);
        command
    });
    let postgres = std::env::var_os("KUKURUKU_TEST_POSTGRES_URL").is_some();
    vec![
        (
            "axum + VerifySignatureLayer + Verified<Callback>",
            bench("axum-verify"),
        ),
        (
            "the same axum app without verification",
            bench("axum-plain"),
        ),
        ("plain hyper + VerifySignatureLayer", bench("hyper-verify")),
        ("providers' Node recipe (Express + js-sha512)", node),
        (
            "kukuruku-ledger callback_route, SQLite",
            bench("ledger-sqlite"),
        ),
        (
            "kukuruku-ledger callback_route, PostgreSQL",
            if postgres {
                bench("ledger-postgres")
            } else {
                None
            },
        ),
    ]
}

/// Runs the load generator against `server` for `seconds`; the server's CPU per request.
pub(crate) fn load(
    settings: &Settings,
    server: &Server,
    size: usize,
    seconds: f64,
) -> Result<Run, String> {
    let before = server.proc().cpu_seconds()?;
    let load = json(bench_program(&settings.root).args([
        "load",
        "--url",
        &server.url(),
        "--connections",
        "64",
        "--seconds",
        &seconds.to_string(),
        "--size",
        &size.to_string(),
        "--distinct",
        &settings.distinct.to_string(),
    ]))?;
    let cpu = server.proc().cpu_seconds()? - before;
    let cpu_us = cpu * 1e6 / num(&load, "requests");
    Ok(Run { load, cpu_us })
}

/// The receivers' table.
pub(crate) fn table(settings: &Settings) -> Result<(Section, Vec<String>), String> {
    let mut section = Section::new(
        "Callback receivers, 64 keep-alive connections, one server thread",
        &format!(
            "{} (kukuruku-bench load --connections 64 --seconds {} --size 271|65536, after {} s of warm-up, against each server started fresh)",
            settings.command, settings.seconds, settings.warmup
        ),
        &[
            "server",
            "body",
            "req/s",
            "p50",
            "p99",
            "non-2xx",
            "server CPU / request",
            "RSS after",
            "peak RSS",
        ],
    );
    let mut headline = Vec::new();
    for (label, command) in servers(settings) {
        let Some(command) = command else {
            section.row(&[
                label,
                "—",
                "not measured (peer or database not available)",
                "",
                "",
                "",
                "",
                "",
                "",
            ]);
            continue;
        };
        for (size_label, size) in [("271 B", 271usize), ("64 KiB", 65_536)] {
            let mut again = Command::new(command.get_program());
            again.args(command.get_args());
            for (key, value) in command.get_envs() {
                if let Some(value) = value {
                    again.env(key, value);
                }
            }
            let server = Server::start(again)?;
            load(settings, &server, size, settings.warmup)?;
            let run = load(settings, &server, size, settings.seconds)?;
            let (rss, hwm) = server.proc().memory_kib()?;
            let rps = num(&run.load, "rps");
            headline.push(format!("{label} at {size_label}: {} req/s", thousands(rps)));
            section.row(&[
                label.to_owned(),
                size_label.to_owned(),
                thousands(rps),
                millis(num(&run.load, "p50_us")),
                millis(num(&run.load, "p99_us")),
                format!("{}", num(&run.load, "errors")),
                format!("{:.1} µs", run.cpu_us),
                mib(rss),
                mib(hwm),
            ]);
        }
    }
    section.notes.push(format!(
        "Each server runs on one tokio thread (current-thread runtime; Node is single-threaded). \
         The load generator (Rust, hyper client, one thread) shares the machine's cores with it. \
         CPU per request is the server's utime + stime from `/proc/<pid>/stat` over the measured \
         run divided by the answers counted. The callbacks are {} distinct orders sent in turn \
         (the ledger records each once, then sees duplicates). The plain axum app parses the body \
         with `parse_callback`, as the extractor does, so the difference is the verification.",
        settings.distinct
    ));
    Ok((section, headline))
}

/// Verify against no verify: the median of interleaved runs of server CPU per request.
pub(crate) fn verify_cost(settings: &Settings) -> Result<(Section, Vec<String>), String> {
    let mut section = Section::new(
        "Server CPU per request: verify against no verify",
        &format!(
            "{} ({} interleaved runs of kukuruku-bench load --seconds {} against each of serve axum-verify and serve axum-plain, both running)",
            settings.command, settings.rounds, settings.seconds
        ),
        &[
            "body",
            "axum + verify (median)",
            "axum, no verify (median)",
            "verify's cost",
            "each run, verify",
            "each run, no verify",
        ],
    );
    let start = |kind: &str| {
        let mut command = bench_program(&settings.root);
        command.args(["serve", kind]);
        Server::start(command)
    };
    let (verify, plain) = (start("axum-verify")?, start("axum-plain")?);
    let mut headline = Vec::new();
    for (size_label, size) in [("271 B", 271usize), ("64 KiB", 65_536)] {
        load(settings, &verify, size, settings.warmup)?;
        load(settings, &plain, size, settings.warmup)?;
        let (mut with, mut without) = (Vec::new(), Vec::new());
        for round in 0..settings.rounds {
            if round % 2 == 0 {
                with.push(load(settings, &verify, size, settings.seconds)?.cpu_us);
                without.push(load(settings, &plain, size, settings.seconds)?.cpu_us);
            } else {
                without.push(load(settings, &plain, size, settings.seconds)?.cpu_us);
                with.push(load(settings, &verify, size, settings.seconds)?.cpu_us);
            }
        }
        let (v, p) = (median(&mut with), median(&mut without));
        let cost = format!("{:+.1} %", (v / p - 1.0) * 100.0);
        headline.push(format!(
            "verify's cost at {size_label}: {v:.1} µs vs {p:.1} µs, {cost}"
        ));
        let list = |runs: &[f64]| {
            runs.iter()
                .map(|x| format!("{x:.1}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        section.row(&[
            size_label.to_owned(),
            format!("{v:.1} µs"),
            format!("{p:.1} µs"),
            cost,
            list(&with),
            list(&without),
        ]);
    }
    Ok((section, headline))
}

/// The median of `values` (sorted in place).
pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => f64::midpoint(values[n / 2 - 1], values[n / 2]),
    }
}

fn millis(us: f64) -> String {
    format!("{:.2} ms", us / 1000.0)
}

#[allow(clippy::cast_precision_loss)]
pub(crate) fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
