//! `msrv`: the declared `rust-version` of each library crate beside the highest `rust-version`
//! among its dependencies, from `cargo metadata`.
//!
//! Two columns per crate: what a user compiles (normal and build dependencies, transitively) and
//! what its tests compile too (its dev-dependencies and theirs). The check fails only on the
//! first: a dev-dependency above the declared version is reported, not failed on.
//!
//! The graph is `cargo metadata`'s `resolve` with all features, on every target. Its features
//! are unified across the workspace, dev-dependencies included, so an optional dependency that
//! only a dev-dependency turns on counts for users too (`const-hex` → `proptest` here): the check
//! errs on the strict side.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use serde_json::Value;

use crate::process::{cargo_command, root};

/// A `rust-version`: `1.89` and `1.89.0` are equal, `1.9` is below `1.10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct RustVersion([u32; 3]);

impl RustVersion {
    fn parse(text: &str) -> Option<Self> {
        let mut parts = [0; 3];
        let mut fields = text.trim().split('.');
        for (i, field) in fields.by_ref().take(3).enumerate() {
            parts[i] = field.parse().ok()?;
        }
        fields.next().is_none().then_some(Self(parts))
    }
}

impl fmt::Display for RustVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [major, minor, patch] = self.0;
        write!(f, "{major}.{minor}")?;
        if patch != 0 {
            write!(f, ".{patch}")?;
        }
        Ok(())
    }
}

/// The highest `rust-version` in a set of packages, and the package (`name version`) that
/// declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Need {
    version: RustVersion,
    by: String,
}

/// One library crate's row of the table.
#[derive(Debug)]
struct Row {
    name: String,
    declared: Option<RustVersion>,
    /// Normal and build dependencies, transitively: what a user of the crate compiles.
    users: Option<Need>,
    /// The above plus the dev-dependencies and theirs: what `cargo test -p` compiles.
    tests: Option<Need>,
}

impl Row {
    /// The failure, when a user's build needs more than the crate declares.
    fn failure(&self) -> Option<String> {
        let users = self.users.as_ref()?;
        match self.declared {
            Some(declared) if users.version <= declared => None,
            Some(declared) => Some(format!(
                "{}: its dependencies need Rust {} ({}), above its declared rust-version {declared}",
                self.name, users.version, users.by
            )),
            None => Some(format!(
                "{}: declares no rust-version, but its dependencies need Rust {} ({})",
                self.name, users.version, users.by
            )),
        }
    }

    /// The note, when its tests need more than the crate declares.
    fn tests_note(&self) -> Option<String> {
        let tests = self.tests.as_ref()?;
        let declared = self.declared?;
        (tests.version > declared).then(|| {
            format!(
                "note: {}'s tests need Rust {} ({}), above its declared rust-version {declared}",
                self.name, tests.version, tests.by
            )
        })
    }
}

/// Runs `cargo metadata`, prints the table, and fails when a library crate's users would need a
/// newer Rust than the crate declares.
pub(crate) fn check() -> Result<(), String> {
    let output = cargo_command()
        .args([
            "metadata",
            "--format-version",
            "1",
            "--all-features",
            "--locked",
        ])
        .current_dir(root())
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let metadata: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cargo metadata printed no JSON: {e}"))?;
    let rows = rows(&metadata)?;
    print!("{}", table(&rows));
    let notes: Vec<String> = rows.iter().filter_map(Row::tests_note).collect();
    for note in &notes {
        println!("{note}");
    }
    let failures: Vec<String> = rows.iter().filter_map(Row::failure).collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// The table, one line per library crate, columns aligned.
fn table(rows: &[Row]) -> String {
    let show = |need: Option<&Need>| {
        need.map_or_else(|| "-".to_owned(), |n| format!("{} ({})", n.version, n.by))
    };
    let mut lines = vec![[
        "crate".to_owned(),
        "declared".to_owned(),
        "users compile (normal, build)".to_owned(),
        "tests compile (+ dev)".to_owned(),
    ]];
    for row in rows {
        lines.push([
            row.name.clone(),
            row.declared
                .map_or_else(|| "-".to_owned(), |v| v.to_string()),
            show(row.users.as_ref()),
            show(row.tests.as_ref()),
        ]);
    }
    let mut widths = [0; 4];
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for line in &lines {
        let cells: Vec<String> = line
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// A package of the metadata: its name, version and `rust-version`.
struct Package<'a> {
    name: &'a str,
    version: &'a str,
    rust_version: Option<RustVersion>,
    is_library: bool,
}

/// The dependency graph of `cargo metadata`'s `resolve`: for each package id, its dependencies'
/// ids with whether the edge is normal or build (`true`) or dev only (`false`).
type Graph<'a> = HashMap<&'a str, Vec<(&'a str, bool)>>;

/// A row for each library crate of the workspace, by name.
fn rows(metadata: &Value) -> Result<Vec<Row>, String> {
    let packages = packages(metadata)?;
    let graph = graph(metadata)?;
    let members: BTreeSet<&str> = metadata["workspace_members"]
        .as_array()
        .ok_or("cargo metadata: no workspace_members")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut rows = Vec::new();
    for &id in &members {
        let package = packages
            .get(id)
            .ok_or_else(|| format!("cargo metadata: no package {id}"))?;
        if !package.is_library {
            continue;
        }
        let direct = graph.get(id).map_or(&[][..], Vec::as_slice);
        let normal: Vec<&str> = direct.iter().filter(|e| e.1).map(|e| e.0).collect();
        let all: Vec<&str> = direct.iter().map(|e| e.0).collect();
        // Our own crates are gone through, not counted: each has its row.
        let users = &closure(&graph, &normal) - &members;
        let tests = &closure(&graph, &all) - &members;
        rows.push(Row {
            name: package.name.to_owned(),
            declared: package.rust_version,
            users: highest(&packages, &users),
            tests: highest(&packages, &tests),
        });
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

fn packages(metadata: &Value) -> Result<HashMap<&str, Package<'_>>, String> {
    let list = metadata["packages"]
        .as_array()
        .ok_or("cargo metadata: no packages")?;
    let mut packages = HashMap::new();
    for package in list {
        let text = |key: &str| package[key].as_str().unwrap_or_default();
        let rust_version = match package["rust_version"].as_str() {
            None => None,
            Some(v) => Some(RustVersion::parse(v).ok_or_else(|| {
                format!(
                    "{} {}: bad rust-version {v:?}",
                    text("name"),
                    text("version")
                )
            })?),
        };
        let is_library = package["targets"].as_array().is_some_and(|targets| {
            targets.iter().any(|t| {
                t["kind"].as_array().is_some_and(|kinds| {
                    kinds
                        .iter()
                        .any(|k| matches!(k.as_str(), Some("lib" | "rlib" | "proc-macro")))
                })
            })
        });
        packages.insert(
            text("id"),
            Package {
                name: text("name"),
                version: text("version"),
                rust_version,
                is_library,
            },
        );
    }
    Ok(packages)
}

fn graph(metadata: &Value) -> Result<Graph<'_>, String> {
    let nodes = metadata["resolve"]["nodes"]
        .as_array()
        .ok_or("cargo metadata: no resolve graph")?;
    let mut graph = Graph::new();
    for node in nodes {
        let id = node["id"].as_str().unwrap_or_default();
        let deps = node["deps"].as_array().map_or(&[][..], Vec::as_slice);
        let edges = deps
            .iter()
            .map(|dep| {
                let users_compile = dep["dep_kinds"].as_array().is_some_and(|kinds| {
                    kinds
                        .iter()
                        .any(|k| matches!(k["kind"].as_str(), None | Some("build")))
                });
                (dep["pkg"].as_str().unwrap_or_default(), users_compile)
            })
            .collect();
        graph.insert(id, edges);
    }
    Ok(graph)
}

/// `start` and everything they depend on through normal and build edges (a dependency's
/// dev-dependencies are never compiled for its dependents).
fn closure<'a>(graph: &Graph<'a>, start: &[&'a str]) -> BTreeSet<&'a str> {
    let mut seen: BTreeSet<&str> = start.iter().copied().collect();
    let mut todo: Vec<&str> = start.to_vec();
    while let Some(id) = todo.pop() {
        for &(dep, users_compile) in graph.get(id).map_or(&[][..], Vec::as_slice) {
            if users_compile && seen.insert(dep) {
                todo.push(dep);
            }
        }
    }
    seen
}

/// The highest `rust-version` among `ids`; on a tie, the first package by name.
fn highest(packages: &HashMap<&str, Package<'_>>, ids: &BTreeSet<&str>) -> Option<Need> {
    let mut found: Vec<(RustVersion, String)> = ids
        .iter()
        .filter_map(|id| packages.get(id))
        .filter_map(|p| Some((p.rust_version?, format!("{} {}", p.name, p.version))))
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    found
        .into_iter()
        .next()
        .map(|(version, by)| Need { version, by })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{Need, RustVersion, rows, table};

    fn version(text: &str) -> RustVersion {
        RustVersion::parse(text).unwrap()
    }

    #[test]
    fn versions_compare_by_number() {
        assert_eq!(version("1.89"), version("1.89.0"));
        assert!(version("1.9") < version("1.10"));
        assert!(version("1.86.1") > version("1.86"));
        assert_eq!(version("1.86.0").to_string(), "1.86");
        assert_eq!(version("1.86.1").to_string(), "1.86.1");
        for bad in ["", "1.x", "1.2.3.4", "v1.80"] {
            assert_eq!(RustVersion::parse(bad), None, "{bad:?}");
        }
    }

    fn package(name: &str, rust_version: Option<&str>, kind: &str) -> Value {
        json!({
            "id": format!("{name}-id"), "name": name, "version": "1.0.0",
            "rust_version": rust_version, "targets": [{ "kind": [kind] }],
        })
    }

    fn dep(name: &str, kind: Option<&str>) -> Value {
        json!({ "pkg": format!("{name}-id"), "dep_kinds": [{ "kind": kind, "target": null }] })
    }

    /// `lib` (declared `declared`) depends on `normal` (1.70), which depends on `deep` (1.82);
    /// `lib` builds with `build` (1.79) and tests with `dev` (1.90), which depends on `devdeep`
    /// (1.95). `normal` tests with `nested-dev` (2.0), which `lib`'s users never compile. `lib`
    /// also depends on `sibling`, a library of the workspace declaring 2.0, which counts for
    /// its own row only, and through it on `sibdep` (1.81). The binary `bin` depends on
    /// `binonly` (2.0) and gets no row.
    fn metadata(declared: &str) -> Value {
        json!({
            "packages": [
                package("lib", Some(declared), "lib"),
                package("bin", Some(declared), "bin"),
                package("normal", Some("1.70"), "lib"),
                package("deep", Some("1.82.0"), "lib"),
                package("build", Some("1.79"), "proc-macro"),
                package("dev", Some("1.90"), "lib"),
                package("devdeep", Some("1.95"), "lib"),
                package("nested-dev", Some("2.0"), "lib"),
                package("binonly", Some("2.0"), "lib"),
                package("none", None, "lib"),
                package("sibling", Some("2.0"), "lib"),
                package("sibdep", Some("1.81"), "lib"),
            ],
            "workspace_members": ["lib-id", "bin-id", "sibling-id"],
            "resolve": { "nodes": [
                { "id": "lib-id", "deps": [
                    dep("normal", None), dep("build", Some("build")), dep("dev", Some("dev")),
                    dep("none", None), dep("sibling", None),
                ]},
                { "id": "sibling-id", "deps": [dep("sibdep", None)] },
                { "id": "bin-id", "deps": [dep("binonly", None)] },
                { "id": "normal-id", "deps": [dep("deep", None), dep("nested-dev", Some("dev"))] },
                { "id": "dev-id", "deps": [dep("devdeep", None)] },
            ]},
        })
    }

    fn need(version_text: &str, by: &str) -> Need {
        Need {
            version: version(version_text),
            by: by.to_owned(),
        }
    }

    #[test]
    fn users_column_follows_normal_and_build_edges_and_only_it_fails() {
        let all = rows(&metadata("1.80")).unwrap();
        let names: Vec<&str> = all.iter().map(|row| row.name.as_str()).collect();
        assert_eq!(names, ["lib", "sibling"]);
        let row = &all[0];
        assert_eq!(row.users, Some(need("1.82", "deep 1.0.0")));
        assert_eq!(row.tests, Some(need("1.95", "devdeep 1.0.0")));
        let failure = row.failure().unwrap();
        assert!(
            failure.contains("need Rust 1.82 (deep 1.0.0), above its declared rust-version 1.80"),
            "{failure}"
        );

        let row = &rows(&metadata("1.82")).unwrap()[0];
        assert_eq!(row.failure(), None);
        let note = row.tests_note().unwrap();
        assert!(
            note.contains("tests need Rust 1.95 (devdeep 1.0.0)"),
            "{note}"
        );

        let row = &rows(&metadata("1.95")).unwrap()[0];
        assert_eq!((row.failure(), row.tests_note()), (None, None));

        let sibling = &all[1];
        assert_eq!(sibling.users, Some(need("1.81", "sibdep 1.0.0")));
        assert_eq!((sibling.failure(), sibling.tests_note()), (None, None));
    }

    #[test]
    fn the_table_shows_both_columns() {
        let shown = table(&rows(&metadata("1.85")).unwrap());
        let expected = "\
crate    declared  users compile (normal, build)  tests compile (+ dev)
lib      1.85      1.82 (deep 1.0.0)              1.95 (devdeep 1.0.0)
sibling  2.0       1.81 (sibdep 1.0.0)            1.81 (sibdep 1.0.0)
";
        assert_eq!(shown, expected);
    }
}
