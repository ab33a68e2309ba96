//! The sandbox: RSS as orders accumulate (KiB per order), payins/s at 64 concurrent, and the
//! rate at which it delivers callbacks to a receiver that answers at once.

// Order counts far below 2^52.
#![allow(clippy::cast_precision_loss)]

use super::Settings;
use super::markdown::{Section, thousands};
use super::payin_rates::{api_url, sandbox};
use super::receivers::mib;
use super::spawn::{Server, bench_program, json, num};

/// The sandbox's memory and per-order cost tables, and its delivery table.
pub(crate) fn tables(settings: &Settings) -> Result<(Vec<Section>, Vec<String>), String> {
    let server = sandbox(settings)?;
    let api = api_url(&server)?;
    let (base_rss, _) = server.proc().memory_kib()?;
    let mut memory = Section::new(
        "Sandbox memory and per-order cost",
        &format!(
            "{} (kukuruku-bench sandbox --max-orders 1000000, filled by kukuruku-bench payins --driver client --concurrency 64)",
            settings.command
        ),
        &[
            "orders stored",
            "RSS",
            "KiB per order (over the empty sandbox)",
            "KiB per order (this step)",
            "payins/s, 64 at a time (this step)",
            "sandbox CPU / payin (this step)",
        ],
    );
    memory.row(&["0", &mib(base_rss), "", "", "", ""]);
    let (mut stored, mut last_rss) = (0u64, base_rss);
    let mut headline = Vec::new();
    for &target in &settings.orders {
        let step = target - stored;
        let before = server.proc().cpu_seconds()?;
        let out = json(bench_program(&settings.root).args([
            "payins",
            "--api",
            &api,
            "--driver",
            "client",
            "--count",
            &step.to_string(),
            "--concurrency",
            "64",
            "--prefix",
            &format!("fill-{target}"),
        ]))?;
        let spent = server.proc().cpu_seconds()? - before;
        let (rss, _) = server.proc().memory_kib()?;
        let (total, this) = (
            (rss as f64 - base_rss as f64) / target as f64,
            (rss as f64 - last_rss as f64) / step as f64,
        );
        let cpu = spent * 1e6 / step as f64;
        headline.push(format!(
            "sandbox RSS at {} orders: {} ({total:.2} KiB per order)",
            thousands(target as f64),
            mib(rss)
        ));
        memory.row(&[
            thousands(target as f64),
            mib(rss),
            format!("{total:.2}"),
            format!("{this:.2}"),
            thousands(num(&out, "per_second")),
            format!("{cpu:.1} µs"),
        ]);
        (stored, last_rss) = (target, rss);
    }
    memory.notes.push(
        "RSS is VmRSS from `/proc/<pid>/status` after each step; an allocator keeps freed memory, \
         so the per-step figure is the one that shows growth per order."
            .to_owned(),
    );
    let delivery = delivery(settings, &api, &server, &mut headline)?;
    Ok((vec![memory, delivery], headline))
}

fn delivery(
    settings: &Settings,
    api: &str,
    sandbox: &Server,
    headline: &mut Vec<String>,
) -> Result<Section, String> {
    let mut command = bench_program(&settings.root);
    command.args(["serve", "sink"]);
    let sink = Server::start(command)?;
    let (before, _) = sandbox.proc().memory_kib()?;
    let out = json(bench_program(&settings.root).args([
        "deliver",
        "--api",
        api,
        "--control",
        &format!("{api}/sandbox"),
        "--sink",
        &sink.url(),
        "--orders",
        &settings.deliveries.to_string(),
        "--concurrency",
        "64",
    ]))?;
    let (after, _) = sandbox.proc().memory_kib()?;
    let mut section = Section::new(
        "Sandbox callback delivery",
        &format!(
            "{} (kukuruku-bench deliver --orders {} --concurrency 64, to kukuruku-bench serve sink)",
            settings.command, settings.deliveries
        ),
        &[
            "orders paid",
            "payins created/s (64 at a time)",
            "moves to paid/s (control API, 64 at a time)",
            "callbacks delivered",
            "delivered/s",
            "sandbox RSS before → after",
        ],
    );
    headline.push(format!(
        "sandbox delivers {} callbacks/s",
        thousands(num(&out, "delivered_per_second"))
    ));
    section.row(&[
        thousands(num(&out, "orders")),
        thousands(num(&out, "create_per_second")),
        thousands(num(&out, "moves_per_second")),
        thousands(num(&out, "delivered")),
        thousands(num(&out, "delivered_per_second")),
        format!("{} → {}", mib(before), mib(after)),
    ]);
    section.notes.push(
        "Delivery rate: callbacks the receiver counted over the time from the first move to \
         `paid` to the last callback received (the moves run meanwhile). The receiver answers \
         `{\"success\":true}` at once on one thread."
            .to_owned(),
    );
    Ok(section)
}
