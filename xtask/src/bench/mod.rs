//! `cargo xtask bench` without arguments: builds `kukuruku-bench` (release), installs the
//! providers' recipes' packages under `target/bench-peers/`, measures everything in one run
//! and writes BENCHMARKS.md at the root.

use std::path::PathBuf;
use std::process::Command;

mod core;
mod markdown;
mod payin_rates;
mod peers;
mod procfs;
mod receivers;
mod sandbox_memory;
mod spawn;

use crate::process::{cargo, root};
use markdown::Section;

/// The merchant secret every program of the run shares.
pub(crate) const SECRET: &str = "bench-secret";

/// How long and how much a run measures.
pub(crate) struct Settings {
    /// `--quick`: short runs, 1 000 orders, no 100 000, no bench-profile builds.
    pub(crate) quick: bool,
    /// The command shown in the report.
    pub(crate) command: String,
    /// The workspace root.
    pub(crate) root: PathBuf,
    /// Each measured load run, in seconds.
    pub(crate) seconds: f64,
    /// The warm-up before the first measured run against a server, in seconds.
    pub(crate) warmup: f64,
    /// Interleaved runs of verify against no verify.
    pub(crate) rounds: usize,
    /// Distinct callbacks the load generator sends in turn.
    pub(crate) distinct: u32,
    /// The sandbox's order counts at which RSS is read.
    pub(crate) orders: Vec<u64>,
    /// Orders paid to measure callback delivery.
    pub(crate) deliveries: u64,
    /// Criterion's warm-up and measurement times, in seconds.
    pub(crate) criterion: (f64, f64),
    /// The installed peers.
    pub(crate) peers: peers::Peers,
}

impl Settings {
    fn new(quick: bool) -> Self {
        Settings {
            quick,
            command: format!(
                "{}cargo xtask bench{}",
                // `cargo xtask pg -- cargo xtask bench` sets it: the report says so.
                if std::env::var_os("KUKURUKU_TEST_POSTGRES_URL").is_some() {
                    "cargo xtask pg -- "
                } else {
                    ""
                },
                if quick { " --quick" } else { "" }
            ),
            root: root(),
            seconds: if quick { 1.0 } else { 5.0 },
            warmup: if quick { 0.3 } else { 1.0 },
            rounds: 5,
            distinct: if quick { 10_000 } else { 50_000 },
            orders: if quick {
                vec![1_000]
            } else {
                vec![1_000, 10_000, 100_000]
            },
            deliveries: if quick { 1_000 } else { 10_000 },
            criterion: if quick { (0.5, 1.0) } else { (1.0, 3.0) },
            peers: peers::Peers::default(),
        }
    }

    /// Payins a driver creates at `concurrency`.
    pub(crate) fn payins(&self, who: &str, concurrency: u64) -> u64 {
        let full = match (who, concurrency) {
            ("client" | "raw", 1) => 10_000,
            ("client" | "raw", _) => 30_000,
            ("axios", 1) => 3_000,
            ("axios", _) => 5_000,
            _ => 2_000,
        };
        if self.quick { full / 10 } else { full }
    }
}

/// The full report (or `--quick`'s), written to BENCHMARKS.md.
pub(crate) fn report(quick: bool) -> Result<(), String> {
    let started = std::time::Instant::now();
    let mut settings = Settings::new(quick);
    cargo(["build", "--release", "-p", "kukuruku-bench"])?;
    settings.peers = peers::install(&settings.root);
    let mut sections = Vec::new();
    let mut headline = Vec::new();
    let (table, lines) = receivers::table(&settings)?;
    sections.push(table);
    headline.extend(lines);
    let (table, lines) = receivers::verify_cost(&settings)?;
    sections.push(table);
    headline.extend(lines);
    let (table, lines) = payin_rates::table(&settings)?;
    sections.push(table);
    headline.extend(lines);
    let (tables, lines) = sandbox_memory::tables(&settings)?;
    sections.extend(tables);
    headline.extend(lines);
    sections.push(core::linear(&settings)?);
    sections.extend(core::signing_core(&settings)?);
    let mut summary = Section::new("Headline figures of this run", &settings.command, &[]);
    summary.notes.push(
        headline
            .iter()
            .map(|l| format!("- {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    summary.notes.extend(settings.peers.notes.iter().cloned());
    summary.notes.push(format!(
        "The whole run took {:.0} s.",
        started.elapsed().as_secs_f64()
    ));
    sections.insert(0, summary);
    let run = format!(
        "{} UTC, `{}`",
        text(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M"])),
        settings.command
    );
    let intro = "Written by `cargo xtask bench` (`--quick` for a smoke run): every figure below was \
                 measured in the run named here, on the machine named here, so ratios and \
                 side-by-sides compare like with like. On a shared, noisy machine throughputs \
                 move between runs; the server's CPU time per request moves much less. The \
                 programs are in `bench/` (package `kukuruku-bench`), the providers' recipes in \
                 `bench/peers/` and `tests/interop/`.";
    let mut doc = markdown::document(&run, &machine(), intro, &sections);
    // The targets and the fixes made for them: kept by hand, measured when each fix was made.
    let targets = settings.root.join("bench/targets.md");
    let kept =
        std::fs::read_to_string(&targets).map_err(|e| format!("{}: {e}", targets.display()))?;
    doc.push('\n');
    doc.push_str(&kept);
    let path = settings.root.join("BENCHMARKS.md");
    std::fs::write(&path, doc).map_err(|e| format!("{}: {e}", path.display()))?;
    println!(
        "wrote {} in {:.0} s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// CPU model, cores, kernel, rustc.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    format!(
        "{model}, {cores} cores, Linux {}, {}",
        text(Command::new("uname").arg("-r")),
        text(Command::new("rustc").arg("--version")),
    )
}

fn text(command: &mut Command) -> String {
    command
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default()
}
