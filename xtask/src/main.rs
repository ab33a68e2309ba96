//! Developer tasks: `cargo xtask <task>`.
//!
//! - `test`: the whole test suite (what the README and CI run): prepares the interop peers that
//!   can be prepared locally (npm packages under `tests/interop`), then `cargo test --workspace`.
//! - `ci`: what `.ci/run` checks: `fmt --check`, clippy with `-D warnings`, the wasm build of
//!   `kukuruku-sign`, then `test`.
//! - `wasm`: builds `kukuruku-sign` for `wasm32-unknown-unknown` (skipped, with a message, where
//!   the target cannot be installed).
//! - `bench`: the criterion benchmarks (`cargo bench --workspace`), extra args passed through.
//! - `bench-table [DIR]`: prints the medians criterion last measured (under `target/criterion`, or
//!   DIR) as a Markdown table per group, with each row's ratio to the group's first function.
//! - `bench-count`: instructions per signature and verification (callgrind: exact and repeatable
//!   on a shared machine, where criterion's times are noisy), ours beside raw `hmac` re-keyed and
//!   pre-keyed, as a Markdown table.
//! - `bench-ratio [ROUNDS]`: the tower layers' cost over raw HMAC in wall time, as a Markdown
//!   table: every case timed in turn, round after round, keeping each one's fastest batch, so
//!   that the ratio holds still on a shared machine (criterion's medians move by several percent
//!   between runs here).
//! - `fuzz [TARGET [SECONDS]]`: without a target, builds every fuzz target (plain `cargo build`,
//!   any toolchain); with one, runs it under cargo-fuzz for SECONDS (default 60).
//! - `vectors`: regenerates the signature vectors with real `python3`, `node` and `php`.
//! - `demo`: `cargo run -p kukuruku-cli -- demo`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    let result = match task.as_str() {
        "test" => test(&rest),
        "ci" => ci(),
        "wasm" => wasm(),
        "bench" => cargo(&[&["bench", "--workspace"][..], &as_strs(&rest)].concat()),
        "bench-count" => bench_count(),
        "bench-ratio" => bench_ratio(&rest),
        "fuzz" => fuzz(&rest),
        "bench-table" => bench_table(rest.first().map(String::as_str)),
        "vectors" => {
            run(Command::new("bash").arg(root().join("kukuruku-sign/tests/vectors/generate.sh")))
        }
        "demo" => cargo(
            &[
                &["run", "-p", "kukuruku-cli", "--", "demo"][..],
                &as_strs(&rest),
            ]
            .concat(),
        ),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n\
                 tasks:\n  \
                 test     the whole test suite (cargo test --workspace, with interop peers)\n  \
                 ci       fmt, clippy -D warnings, wasm build, then test\n  \
                 wasm     build kukuruku-sign for wasm32-unknown-unknown\n  \
                 bench    criterion benchmarks (extra args go to cargo bench)\n  \
                 bench-table [DIR]  Markdown table of the last criterion medians\n  \
                 bench-count  instructions per sign/verify under callgrind (kukuruku-sign)\n  \
                 bench-ratio [ROUNDS]  the tower layers' cost over raw HMAC, interleaved timing\n  \
                 fuzz [TARGET [SECONDS]]  build the fuzz targets, or run one with cargo-fuzz\n  \
                 vectors  regenerate signature vectors with python3, node and php\n  \
                 demo     cargo run -p kukuruku-cli -- demo"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {task}: {message}");
            ExitCode::FAILURE
        }
    }
}

fn as_strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn run(cmd: &mut Command) -> Result<(), String> {
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

fn cargo(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(Command::new(cargo).args(args))
}

fn test(extra: &[String]) -> Result<(), String> {
    prepare_interop();
    cargo(&[&["test", "--workspace"][..], &as_strs(extra)].concat())
}

/// Installs the npm packages of `tests/interop` when npm is there; the tests that need them
/// skip with a message when they are absent, unless `KUKURUKU_REQUIRE_INTEROP=1` (as in CI).
fn prepare_interop() {
    let dir = root().join("tests/interop");
    if !dir.join("package.json").exists() || dir.join("node_modules").exists() {
        return;
    }
    let npm_ok = Command::new("npm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !npm_ok {
        eprintln!("xtask: npm not found: interop tests that need Node packages will skip");
        return;
    }
    let lock = dir.join("package-lock.json").exists();
    let mut npm = Command::new("npm");
    npm.arg(if lock { "ci" } else { "install" })
        .args(["--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir);
    match npm.status() {
        Ok(s) if s.success() => {}
        other => eprintln!("xtask: npm install in tests/interop failed ({other:?})"),
    }
}

fn ci() -> Result<(), String> {
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    wasm()?;
    test(&[])
}

fn wasm() -> Result<(), String> {
    const TARGET: &str = "wasm32-unknown-unknown";
    let installed = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        eprintln!(
            "SKIPPED: the {TARGET} target cannot be installed here; kukuruku-sign's wasm build was not checked"
        );
        return Ok(());
    }
    cargo(&["build", "-p", "kukuruku-sign", "--target", TARGET])
}

/// One criterion measurement: group, function, parameter, median in nanoseconds.
struct Measured {
    group: String,
    function: String,
    parameter: String,
    median_ns: f64,
}

fn bench_table(dir: Option<&str>) -> Result<(), String> {
    let base = dir.map_or_else(|| root().join("target/criterion"), PathBuf::from);
    let mut found = Vec::new();
    collect_estimates(&base, &mut found)?;
    if found.is_empty() {
        return Err(format!("no criterion results under {}", base.display()));
    }
    found.sort_by(|a, b| (&a.group, &a.parameter).cmp(&(&b.group, &b.parameter)));
    let mut groups: Vec<&str> = found.iter().map(|m| m.group.as_str()).collect();
    groups.dedup();
    for group in groups {
        let rows: Vec<&Measured> = found.iter().filter(|m| m.group == group).collect();
        let mut functions: Vec<&str> = Vec::new();
        for m in &rows {
            if !functions.contains(&m.function.as_str()) {
                functions.push(&m.function);
            }
        }
        let mut params: Vec<&str> = Vec::new();
        for m in &rows {
            if !params.contains(&m.parameter.as_str()) {
                params.push(&m.parameter);
            }
        }
        params.sort_by_key(|p| size_of_param(p));
        println!("\n### {group}\n");
        println!("| input | {} |", functions.join(" | "));
        println!("|---|{}", "---|".repeat(functions.len()));
        for p in params {
            let first = rows
                .iter()
                .find(|m| m.parameter == p && m.function == functions[0])
                .map(|m| m.median_ns);
            let cells: Vec<String> = functions
                .iter()
                .map(|f| {
                    rows.iter()
                        .find(|m| m.parameter == p && m.function == *f)
                        .map_or_else(String::new, |m| match first {
                            Some(base) if *f != functions[0] => {
                                format!("{} ({:.2}x)", human(m.median_ns), m.median_ns / base)
                            }
                            _ => human(m.median_ns),
                        })
                })
                .collect();
            println!("| {p} | {} |", cells.join(" | "));
        }
    }
    Ok(())
}

fn size_of_param(p: &str) -> u64 {
    let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
    let n: u64 = digits.parse().unwrap_or(u64::MAX);
    let unit = &p[digits.len()..];
    n * match unit {
        "KiB" => 1024,
        "MiB" => 1024 * 1024,
        _ => 1,
    }
}

fn human(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn collect_estimates(dir: &Path, out: &mut Vec<Measured>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let bench = path.join("new/benchmark.json");
        let estimates = path.join("new/estimates.json");
        if bench.exists() && estimates.exists() {
            let read = |p: &Path| -> Result<serde_json::Value, String> {
                let text =
                    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
            };
            let b = read(&bench)?;
            let e = read(&estimates)?;
            let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
            out.push(Measured {
                group: text(&b["group_id"]),
                function: text(&b["function_id"]),
                parameter: text(&b["value_str"]),
                median_ns: e["median"]["point_estimate"].as_f64().unwrap_or(f64::NAN),
            });
        } else if path.file_name().is_some_and(|n| n != "report") {
            collect_estimates(&path, out)?;
        }
    }
    Ok(())
}

/// Instructions of `sign_instructions CASE SIZE N` under callgrind, minus the same run with 0
/// iterations (set-up), divided by N.
fn bench_count() -> Result<(), String> {
    const SIZES: [(&str, usize); 5] = [
        ("64 B", 64),
        ("274 B", 274),
        ("1 KiB", 1024),
        ("16 KiB", 16 * 1024),
        ("1 MiB", 1024 * 1024),
    ];
    cargo(&[
        "build",
        "--profile",
        "bench",
        "-p",
        "kukuruku-sign",
        "--example",
        "sign_instructions",
    ])?;
    let exe = root().join("target/release/examples/sign_instructions");
    let count = |case: &str, size: usize, n: usize| {
        callgrind(&exe, &[case, &size.to_string(), &n.to_string()])
    };
    for op in ["sign", "verify"] {
        println!("\n### {op} (instructions per call)\n");
        println!(
            "| body | kukuruku-sign | hmac pre-keyed | hmac re-keyed | re-keyed / ours | ours / pre-keyed |"
        );
        println!("|---|---|---|---|---|---|");
        for (name, size) in SIZES {
            let n = if size >= 1 << 20 { 4 } else { 200 };
            let mut per = Vec::new();
            for who in ["ours", "prekeyed", "rekeyed"] {
                let case = format!("{who}-{op}");
                let base = count(&case, size, 0)?;
                let total = count(&case, size, n)?;
                #[allow(clippy::cast_precision_loss)]
                per.push((total - base) / n as f64);
            }
            println!(
                "| {name} | {:.0} | {:.0} | {:.0} | {:.2}x | {:.3}x |",
                per[0],
                per[1],
                per[2],
                per[2] / per[0],
                per[0] / per[1]
            );
        }
    }
    layer_count()
}

/// The tower layers' cost over raw HMAC of the same bytes, in instructions:
/// (layer + inner − inner alone) / raw HMAC.
fn layer_count() -> Result<(), String> {
    cargo(&[
        "build",
        "--profile",
        "bench",
        "-p",
        "kukuruku-tower",
        "--example",
        "layer_instructions",
    ])?;
    let exe = root().join("target/release/examples/layer_instructions");
    println!("\n### kukuruku-tower layers (instructions per request)\n");
    println!(
        "| body | inner alone, signed | inner alone, unsigned | raw HMAC | VerifySignature + inner | SignRequest + inner | verify cost / HMAC | sign cost / HMAC |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    // Each layer against the inner service alone fed the request the layer is given.
    for (name, size) in [("274 B", 274usize), ("64 KiB", 64 * 1024)] {
        let n = 200;
        let mut per = Vec::new();
        for case in ["inner", "inner-unsigned", "hmac", "verify", "sign"] {
            // Only the example's `measured` function is counted: building the requests and
            // dropping the answers are left out, as criterion's `iter_batched` leaves them out.
            let total = callgrind_only(
                &exe,
                "*layer_instructions::measured*",
                &[case, &size.to_string(), &n.to_string()],
            )?;
            per.push(total / f64::from(n));
        }
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.3}x | {:.3}x |",
            per[0],
            per[1],
            per[2],
            per[3],
            per[4],
            (per[3] - per[0]) / per[2],
            (per[4] - per[1]) / per[2]
        );
    }
    Ok(())
}

/// The tower layers' cost over raw HMAC in wall time (`examples/layer_ratio.rs`).
fn bench_ratio(args: &[String]) -> Result<(), String> {
    cargo(
        &[
            &[
                "run",
                "--quiet",
                "--profile",
                "bench",
                "-p",
                "kukuruku-tower",
                "--example",
                "layer_ratio",
                "--",
            ][..],
            &as_strs(args),
        ]
        .concat(),
    )
}

fn callgrind(exe: &Path, args: &[&str]) -> Result<f64, String> {
    callgrind_only(exe, "", args)
}

/// Instructions of `exe args`, or with `function` (a callgrind pattern) only those spent inside
/// that function and its callees.
fn callgrind_only(exe: &Path, function: &str, args: &[&str]) -> Result<f64, String> {
    let mut command = Command::new("valgrind");
    command.args(["--tool=callgrind", "--callgrind-out-file=/dev/null"]);
    if !function.is_empty() {
        command.arg(format!("--toggle-collect={function}"));
    }
    let out = command
        .arg(exe)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run valgrind (apt-get install valgrind): {e}"))?;
    let text = String::from_utf8_lossy(&out.stderr);
    text.lines()
        .find_map(|l| l.split("Collected :").nth(1))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .ok_or_else(|| format!("no instruction count in valgrind's output: {text}"))
}

fn fuzz(args: &[String]) -> Result<(), String> {
    let manifest = root().join("fuzz/Cargo.toml");
    let manifest = manifest.to_string_lossy();
    let Some(target) = args.first() else {
        let target_dir = root().join("target/fuzz-plain");
        return cargo(&[
            "build",
            "--manifest-path",
            &manifest,
            "--target-dir",
            &target_dir.to_string_lossy(),
        ]);
    };
    let seconds = args.get(1).map_or("60", String::as_str);
    let cargo_bin = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(Command::new(cargo_bin)
        // cargo-fuzz passes sanitizer flags that a stable compiler accepts only with this.
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", "run", target, "--fuzz-dir"])
        .arg(root().join("fuzz"))
        .arg("--target-dir")
        .arg(root().join("target/fuzz"))
        .args(["--", &format!("-max_total_time={seconds}")]))
}
