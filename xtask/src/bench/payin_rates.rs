//! Payins per second against the release-built sandbox: our client, a raw hyper loop over the
//! client's own connection pool, the providers' axios and Python `requests` recipes; one at a
//! time and 64 at a time.

use std::process::Command;

use super::Settings;
use super::markdown::{Section, thousands};
use super::spawn::{Server, bench_program, json, num};

/// The sandbox's API URL from its ready line.
pub(crate) fn api_url(sandbox: &Server) -> Result<String, String> {
    let ready: serde_json::Value =
        serde_json::from_str(&sandbox.ready).map_err(|e| format!("sandbox ready line: {e}"))?;
    ready["api"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "sandbox ready line without api".to_owned())
}

/// Starts the release-built sandbox.
pub(crate) fn sandbox(settings: &Settings) -> Result<Server, String> {
    let mut command = bench_program(&settings.root);
    command.args(["sandbox", "--max-orders", "1000000"]);
    Server::start(command)
}

fn driver(
    settings: &Settings,
    who: &str,
    api: &str,
    count: u64,
    concurrency: u64,
    prefix: &str,
) -> Option<Command> {
    let count = count.to_string();
    let concurrency = concurrency.to_string();
    let peers = &settings.peers;
    match who {
        "client" | "raw" => {
            let mut command = bench_program(&settings.root);
            command.args(["payins", "--api", api, "--driver", who, "--count", &count]);
            command.args(["--concurrency", &concurrency, "--prefix", prefix]);
            Some(command)
        }
        "axios" => peers.node_modules.as_ref().map(|modules| {
            let mut command = Command::new("node");
            command.arg(settings.root.join("bench/peers/axios_payins.js"));
            command
                .args([api, &count, &concurrency, prefix])
                .env("NODE_PATH", modules);
            command.env("KUKURUKU_SECRET_KEY", super::SECRET);
            command
        }),
        _ => peers.python.as_ref().map(|python| {
            let mut command = Command::new(python);
            command.arg(settings.root.join("bench/peers/requests_payins.py"));
            command.args([api, &count, &concurrency, prefix]);
            command.env("KUKURUKU_SECRET_KEY", super::SECRET);
            command
        }),
    }
}

/// The payins table and its headline ratios.
pub(crate) fn table(settings: &Settings) -> Result<(Section, Vec<String>), String> {
    let server = sandbox(settings)?;
    let api = api_url(&server)?;
    let mut section = Section::new(
        "Payins per second against the release-built sandbox",
        &format!(
            "{} (kukuruku-bench sandbox; kukuruku-bench payins --driver client|raw, bench/peers/axios_payins.js, bench/peers/requests_payins.py)",
            settings.command
        ),
        &[
            "driver",
            "payins/s, one at a time",
            "payins/s, 64 at a time",
            "failed",
            "sandbox CPU / payin (64 at a time)",
        ],
    );
    let drivers = [
        ("client", "our payments Client (create_payin)"),
        ("raw", "raw hyper loop, pre-signed bodies, same pool"),
        ("axios", "providers' Node recipe (axios + js-sha512)"),
        (
            "requests",
            "providers' Python recipe (requests; 64: a thread pool)",
        ),
    ];
    let mut rates = Vec::new();
    for (n, (who, label)) in drivers.iter().enumerate() {
        let mut cells = vec![(*label).to_owned()];
        let (mut failed, mut cpu) = (0.0, String::new());
        let mut pair = [f64::NAN; 2];
        for (i, concurrency) in [1u64, 64].into_iter().enumerate() {
            let count = settings.payins(who, concurrency);
            let prefix = format!("{who}-{concurrency}-{n}-{}", std::process::id());
            let Some(mut command) = driver(settings, who, &api, count, concurrency, &prefix) else {
                cells.push("not measured (peer not installed)".to_owned());
                continue;
            };
            let before = server.proc().cpu_seconds()?;
            let out = json(&mut command)?;
            let spent = server.proc().cpu_seconds()? - before;
            pair[i] = num(&out, "per_second");
            failed += num(&out, "errors");
            cells.push(thousands(pair[i]));
            #[allow(clippy::cast_precision_loss)]
            if concurrency == 64 {
                cpu = format!("{:.1} µs", spent * 1e6 / count as f64);
            }
        }
        cells.push(format!("{failed}"));
        cells.push(cpu);
        section.rows.push(cells);
        rates.push(pair);
    }
    let mut headline = Vec::new();
    let best_recipe = |i: usize| rates[2][i].max(rates[3][i]);
    for (i, label) in ["one at a time", "64 at a time"].iter().enumerate() {
        headline.push(format!(
            "payins/s {label}: client {} vs raw hyper {} ({:.2}x of raw), {:.1}x the better recipe ({})",
            thousands(rates[0][i]),
            thousands(rates[1][i]),
            rates[0][i] / rates[1][i],
            rates[0][i] / best_recipe(i),
            thousands(best_recipe(i)),
        ));
    }
    section.notes.push(format!(
        "Ratios measured in this run: {}.",
        headline.join("; ")
    ));
    section.notes.push(
        "Every driver creates new orders (fresh order numbers) in the same sandbox process \
         (tokio multi-thread runtime, as `kukuruku sandbox`); each waits for the answer and reads it. \
         The Python recipe sends the signed bytes with `data=body` (its `json=data` re-serialises \
         with spaces and gets 401, see bench/peers/requests_payins.py); one at a time it makes a \
         new connection per call, as `requests.post` without a Session does."
            .to_owned(),
    );
    Ok((section, headline))
}
