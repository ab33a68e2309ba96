//! `bench-table`: the medians criterion last measured, as Markdown tables.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::process::root;

/// One criterion measurement: group, function, parameter, median in nanoseconds.
struct Measured {
    group: String,
    function: String,
    parameter: String,
    median_ns: f64,
}

/// Prints a table per group of the results under `dir` (default `target/criterion`), each
/// row's ratio to the group's first function beside it.
pub(crate) fn print(dir: Option<PathBuf>) -> Result<(), String> {
    let base = dir.unwrap_or_else(|| root().join("target/criterion"));
    print!("{}", tables(&base)?);
    Ok(())
}

/// The tables of the results under `base`, as [`print()`] shows them.
pub(crate) fn tables(base: &Path) -> Result<String, String> {
    let mut found = Vec::new();
    collect_estimates(base, &mut found)?;
    if found.is_empty() {
        return Err(format!("no criterion results under {}", base.display()));
    }
    found.sort_by(|a, b| (&a.group, &a.parameter).cmp(&(&b.group, &b.parameter)));
    let mut groups: Vec<&str> = found.iter().map(|m| m.group.as_str()).collect();
    groups.dedup();
    let mut out = String::new();
    for group in groups {
        let rows: Vec<&Measured> = found.iter().filter(|m| m.group == group).collect();
        write_group(&mut out, group, &rows);
    }
    Ok(out)
}

fn write_group(out: &mut String, group: &str, rows: &[&Measured]) {
    let mut functions: Vec<&str> = Vec::new();
    for m in rows {
        if !functions.contains(&m.function.as_str()) {
            functions.push(&m.function);
        }
    }
    let mut params: Vec<&str> = Vec::new();
    for m in rows {
        if !params.contains(&m.parameter.as_str()) {
            params.push(&m.parameter);
        }
    }
    params.sort_by_key(|p| size_of_param(p));
    let _ = writeln!(out, "\n### {group}\n");
    let _ = writeln!(out, "| input | {} |", functions.join(" | "));
    let _ = writeln!(out, "|---|{}", "---|".repeat(functions.len()));
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
        let _ = writeln!(out, "| {p} | {} |", cells.join(" | "));
    }
}

/// The size a parameter such as `274B`, `16KiB` names, for ordering the rows.
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
