//! BENCHMARKS.md: sections, each a title, the command that measured it, a table and notes.

use std::fmt::Write as _;

/// One section of the report.
#[derive(Debug, Default)]
pub(crate) struct Section {
    /// Its heading.
    pub(crate) title: String,
    /// The command that produced it, shown as code.
    pub(crate) command: String,
    /// The table's header cells.
    pub(crate) header: Vec<String>,
    /// The table's rows.
    pub(crate) rows: Vec<Vec<String>>,
    /// Paragraphs after the table (Markdown, already formatted: a criterion table, a note).
    pub(crate) notes: Vec<String>,
}

impl Section {
    /// A section titled `title`, measured by `command`, with a table of `header`.
    pub(crate) fn new(title: &str, command: &str, header: &[&str]) -> Self {
        Section {
            title: title.to_owned(),
            command: command.to_owned(),
            header: header.iter().map(|&h| h.to_owned()).collect(),
            ..Section::default()
        }
    }

    /// Adds a row.
    pub(crate) fn row<S: ToString>(&mut self, cells: &[S]) {
        self.rows
            .push(cells.iter().map(ToString::to_string).collect());
    }

    /// The section as Markdown: a `|` in a cell is escaped.
    pub(crate) fn render(&self) -> String {
        let cell = |c: &String| c.replace('|', "\\|");
        let mut out = format!("## {}\n\n`{}`\n", self.title, self.command);
        if !self.header.is_empty() {
            let header: Vec<String> = self.header.iter().map(cell).collect();
            let _ = write!(
                out,
                "\n| {} |\n|{}\n",
                header.join(" | "),
                "---|".repeat(header.len())
            );
            for row in &self.rows {
                let cells: Vec<String> = row.iter().map(cell).collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
            }
        }
        for note in &self.notes {
            let _ = write!(out, "\n{}\n", note.trim_end());
        }
        out
    }
}

/// The whole document: title, run line, machine line, then each section.
pub(crate) fn document(run: &str, machine: &str, intro: &str, sections: &[Section]) -> String {
    let mut out = format!("# Benchmarks\n\n{intro}\n\n- run: {run}\n- machine: {machine}\n");
    for section in sections {
        out.push('\n');
        out.push_str(&section.render());
    }
    out
}

/// A rate or count with thousands separated by a thin space, as the issue writes them.
pub(crate) fn thousands(value: f64) -> String {
    if !value.is_finite() {
        return "—".to_owned();
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let digits = (value.round().max(0.0) as u64).to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Section, document, thousands};

    #[test]
    fn renders_a_section_with_its_command() {
        let mut s = Section::new("Receivers", "cargo xtask bench", &["server", "req/s"]);
        s.row(&["axum | verify", "33 000"]);
        s.notes.push("A note.\n".to_owned());
        assert_eq!(
            s.render(),
            "## Receivers\n\n`cargo xtask bench`\n\n| server | req/s |\n|---|---|\n\
             | axum \\| verify | 33 000 |\n\nA note.\n"
        );
        let doc = document("2026-11-29", "2 cores", "Intro.", &[s]);
        assert!(doc.starts_with(
            "# Benchmarks\n\nIntro.\n\n- run: 2026-11-29\n- machine: 2 cores\n\n## Receivers"
        ));
    }

    #[test]
    fn separates_thousands() {
        assert_eq!(thousands(0.4), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(33_000.2), "33 000");
        assert_eq!(thousands(1_234_567.0), "1 234 567");
        assert_eq!(thousands(f64::NAN), "—");
    }
}
