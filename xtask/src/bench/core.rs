//! The linear cost table (criterion: sign, verify, whole request at 271 B, 4 KiB, 64 KiB), the
//! signing core's tables (criterion and instruction counts) and `openssl speed` beside them.

use std::process::Command;

use super::Settings;
use super::markdown::Section;
use super::spawn::output;
use crate::bench_table;
use crate::process::{cargo, root};

/// `cargo bench` with criterion's warm-up and measurement times of this run.
fn criterion(settings: &Settings, args: &[&str]) -> Result<String, String> {
    let (warm, measure) = settings.criterion;
    let mut line: Vec<String> = ["bench"]
        .iter()
        .chain(args)
        .map(|&a| a.to_owned())
        .collect();
    line.extend([
        "--".to_owned(),
        "--warm-up-time".to_owned(),
        warm.to_string(),
    ]);
    line.extend(["--measurement-time".to_owned(), measure.to_string()]);
    cargo(&line)?;
    Ok(format!("cargo {}", line.join(" ")))
}

/// Sign, verify and the whole request against body size.
pub(crate) fn linear(settings: &Settings) -> Result<Section, String> {
    let command = criterion(
        settings,
        &[
            "-p",
            "kukuruku-bench",
            "--profile",
            "release",
            "--bench",
            "linear",
        ],
    )?;
    let tables = bench_table::tables(&root().join("target/criterion/linear"))?;
    let mut section = Section::new(
        "Cost against body size (criterion medians)",
        &format!("{} (run by {})", command, settings.command),
        &[],
    );
    section.notes.push(tables);
    section.notes.push(
        "`whole request` is the axum receiver (`VerifySignatureLayer` + `Verified<Callback>`) \
         called in memory (`tower::ServiceExt::oneshot`), answer included; each ratio is to \
         `sign` of the same body. 64 KiB is 241.8 times 271 B: linear cost keeps each column's \
         64 KiB / 271 B ratio at or under that. The sandbox's per-order cost from 1 000 orders up \
         is in \"Sandbox memory and per-order cost\" (per step)."
            .to_owned(),
    );
    Ok(section)
}

/// The signing core: criterion (`kukuruku-sign`'s `sign` bench), instruction counts
/// (`bench-count`, full run only) and `openssl speed`.
pub(crate) fn signing_core(settings: &Settings) -> Result<Vec<Section>, String> {
    let mut sections = Vec::new();
    if settings.quick {
        let mut section = Section::new(
            "Signing core",
            "cargo xtask bench-table; cargo xtask bench-count",
            &[],
        );
        section
            .notes
            .push("Not run by `--quick` (they build with the bench profile, fat LTO).".to_owned());
        sections.push(section);
    } else {
        let command = criterion(settings, &["-p", "kukuruku-sign", "--bench", "sign"])?;
        let mut tables = String::new();
        for group in ["sign+hex", "verify"] {
            tables.push_str(&bench_table::tables(
                &root().join("target/criterion").join(group),
            )?);
        }
        let mut section = Section::new(
            "Signing core (criterion medians)",
            &format!("{command}; cargo xtask bench-table"),
            &[],
        );
        section.notes.push(tables);
        sections.push(section);
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let counts = output(Command::new(exe).arg("bench-count").current_dir(root()))?;
        let mut section = Section::new(
            "Signing core (instructions under callgrind)",
            "cargo xtask bench-count",
            &[],
        );
        section.notes.push(counts);
        sections.push(section);
    }
    sections.push(openssl(settings)?);
    Ok(sections)
}

/// `openssl speed -hmac sha512` (or `-evp sha512` where `-hmac` is refused) at 271 B and at
/// openssl's own sizes.
fn openssl(settings: &Settings) -> Result<Section, String> {
    let seconds = if settings.quick { "1" } else { "2" };
    let ask = |extra: &[&str]| -> Result<(String, String), String> {
        for mode in [["-hmac", "sha512"], ["-evp", "sha512"]] {
            let args: Vec<&str> = ["speed", "-seconds", seconds]
                .iter()
                .chain(extra)
                .chain(&mode)
                .copied()
                .collect();
            if let Ok(text) = output(Command::new("openssl").args(&args)) {
                return Ok((format!("openssl {}", args.join(" ")), text));
            }
        }
        Err("openssl speed failed with -hmac and -evp".to_owned())
    };
    let mut runs = vec![ask(&["-bytes", "271"])?];
    if !settings.quick {
        runs.push(ask(&[])?);
    }
    let commands: Vec<&str> = runs.iter().map(|(c, _)| c.as_str()).collect();
    let mut section = Section::new(
        "OpenSSL's HMAC-SHA512 on this machine",
        &commands.join("; "),
        &[
            "body",
            "openssl, 1000s of bytes/s",
            "openssl, time per HMAC",
        ],
    );
    for (_, text) in &runs {
        for (size, kbytes) in parse_speed(text) {
            #[allow(clippy::cast_precision_loss)]
            let ns = size as f64 / (kbytes * 1000.0) * 1e9;
            section.row(&[
                format!("{size} B"),
                format!("{kbytes:.0}k"),
                format!("{ns:.0} ns"),
            ]);
        }
    }
    Ok(section)
}

/// The sizes (`type 16 bytes 64 bytes …`) and figures (`hmac(sha512) 1234.56k …`) of `openssl
/// speed`'s last table.
pub(crate) fn parse_speed(text: &str) -> Vec<(u64, f64)> {
    let sizes: Vec<u64> = text
        .lines()
        .rfind(|l| l.starts_with("type"))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let figures: Vec<f64> = text
        .lines()
        .rfind(|l| l.contains("sha512") && !l.starts_with("type"))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|w| w.strip_suffix('k')?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    sizes.into_iter().zip(figures).collect()
}

#[cfg(test)]
mod tests {
    use super::parse_speed;

    #[test]
    fn reads_openssl_speed() {
        let text = "Doing hmac(sha512) ops for 1s on 271 size blocks\n\
                    The 'numbers' are in 1000s of bytes per second processed.\n\
                    type            271 bytes\nhmac(sha512)    348222.72k\n";
        assert_eq!(parse_speed(text), vec![(271, 348_222.72)]);
        let two = "type 16 bytes 64 bytes\nhmac(sha512) 100.50k 200.00k\n";
        assert_eq!(parse_speed(two), vec![(16, 100.5), (64, 200.0)]);
        assert!(parse_speed("nothing").is_empty());
    }
}
