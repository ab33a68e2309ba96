//! `bench-count` and `bench-ratio`: the costs that hold still on a shared machine, as Markdown
//! tables: instructions under callgrind, and the tower layers' wall-time ratio over raw HMAC.

use std::path::Path;
use std::process::Command;

use crate::process::{cargo, root};

/// Instructions of `sign_instructions CASE SIZE N` under callgrind, minus the same run with 0
/// iterations (set-up), divided by N; then the tower layers' (see [`layer_count`]).
pub(crate) fn print() -> Result<(), String> {
    const SIZES: [(&str, usize); 5] = [
        ("64 B", 64),
        ("274 B", 274),
        ("1 KiB", 1024),
        ("16 KiB", 16 * 1024),
        ("1 MiB", 1024 * 1024),
    ];
    let exe = build_example("kukuruku-sign", "sign_instructions")?;
    let count = |case: &str, size: usize, n: usize| {
        callgrind(&exe, None, &[case, &size.to_string(), &n.to_string()])
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
    let exe = build_example("kukuruku-tower", "layer_instructions")?;
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
            let total = callgrind(
                &exe,
                Some("*layer_instructions::measured*"),
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

/// The tower layers' cost over raw HMAC in wall time (`examples/layer_ratio.rs`), over
/// `rounds` rounds (the example's default without).
pub(crate) fn ratio(rounds: Option<u32>) -> Result<(), String> {
    let rounds = rounds.map(|n| n.to_string());
    cargo(
        [
            "run",
            "--quiet",
            "--profile",
            "bench",
            "-p",
            "kukuruku-tower",
            "--example",
            "layer_ratio",
            "--",
        ]
        .into_iter()
        .chain(rounds.as_deref()),
    )
}

/// Builds `example` of `package` with the bench profile; returns the executable's path.
fn build_example(package: &str, example: &str) -> Result<std::path::PathBuf, String> {
    cargo([
        "build",
        "--profile",
        "bench",
        "-p",
        package,
        "--example",
        example,
    ])?;
    Ok(root().join("target/release/examples").join(example))
}

/// Instructions of `exe args`, or with `function` (a callgrind pattern) only those spent inside
/// that function and its callees.
fn callgrind(exe: &Path, function: Option<&str>, args: &[&str]) -> Result<f64, String> {
    let mut command = Command::new("valgrind");
    command.args(["--tool=callgrind", "--callgrind-out-file=/dev/null"]);
    if let Some(function) = function {
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
