//! The suite's report: one line per check (and, for a failure or a warning, one more with the
//! cause and the fix), or one JSON document for CI (`--json`).

use std::io::{self, Write};
use std::time::Duration;

use serde::Serialize;

use super::check::{CheckResult, Outcome, Step, excerpt, got, millis};
use super::exchange::{Target, human};
use super::{FAILED, OK};

/// The report of one run of the suite.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    /// The URL tested (a password in it shown as `***`).
    url: String,
    timeout_ms: u64,
    /// This run's id: the order numbers are `kukuruku-check-<run>-<n>`.
    run: String,
    /// `true` when every required check passed (warnings allowed).
    passed: bool,
    exit_code: u8,
    summary: Summary,
    checks: Vec<CheckJson>,
}

/// How many required checks passed, passed with a warning, failed.
#[derive(Debug, Serialize)]
struct Summary {
    pass: usize,
    warn: usize,
    fail: usize,
}

#[derive(Debug, Serialize)]
struct CheckJson {
    id: &'static str,
    title: &'static str,
    required: bool,
    outcome: Outcome,
    message: Option<String>,
    steps: Vec<StepJson>,
}

#[derive(Debug, Serialize)]
struct StepJson {
    sent: String,
    method: String,
    body_bytes: usize,
    signature_headers: usize,
    elapsed_ms: f64,
    /// The HTTP status, when an answer came.
    status: Option<u16>,
    /// The start of the answer's body (at most 64 characters, control characters escaped).
    answer: Option<String>,
    /// Why there was no answer.
    error: Option<String>,
    /// The step on one line, for the text report.
    #[serde(skip)]
    line: String,
}

impl StepJson {
    fn new(step: &Step) -> Self {
        let (status, answer, error) = match &step.exchange.result {
            Ok(answer) => (
                Some(answer.status.as_u16()),
                Some(excerpt(&answer.body)),
                None,
            ),
            Err(err) => (None, None, Some(err.to_string())),
        };
        Self {
            sent: step.sent.clone(),
            method: step.method.to_string(),
            body_bytes: step.body_bytes,
            signature_headers: step.signature_headers,
            elapsed_ms: (step.exchange.elapsed.as_secs_f64() * 10_000.0).round() / 10.0,
            status,
            answer,
            error,
            line: format!(
                "{} → {} {} {}",
                step.sent,
                got(&step.exchange),
                if step.exchange.result.is_ok() {
                    "in"
                } else {
                    "after"
                },
                millis(step.exchange.elapsed)
            ),
        }
    }
}

impl Report {
    pub(crate) fn new(
        target: &Target,
        timeout: Duration,
        run: &str,
        results: Vec<CheckResult>,
    ) -> Self {
        let required = results.iter().filter(|result| result.required);
        let count = |outcome| required.clone().filter(|r| r.outcome == outcome).count();
        let summary = Summary {
            pass: count(Outcome::Pass),
            warn: count(Outcome::Warn),
            fail: count(Outcome::Fail),
        };
        let passed = summary.fail == 0;
        let checks = results
            .into_iter()
            .map(|result| CheckJson {
                id: result.id,
                title: result.title,
                required: result.required,
                outcome: result.outcome,
                message: result.message,
                steps: result.steps.iter().map(StepJson::new).collect(),
            })
            .collect();
        Self {
            url: target.to_string(),
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            run: run.to_owned(),
            passed,
            exit_code: if passed { OK } else { FAILED },
            summary,
            checks,
        }
    }

    /// 0 when every required check passed, 1 otherwise.
    pub(crate) fn exit_code(&self) -> u8 {
        self.exit_code
    }

    /// Prints the report on stdout: text, or JSON.
    pub(crate) fn print(&self, json: bool) -> io::Result<()> {
        let mut out = io::stdout().lock();
        if json {
            serde_json::to_writer_pretty(&mut out, self).map_err(io::Error::other)?;
            writeln!(out)?;
        } else {
            self.write_text(&mut out)?;
        }
        out.flush()
    }

    fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(
            out,
            "kukuruku callback check {} (timeout {}; order numbers kukuruku-check-{}-NN)",
            self.url,
            human(Duration::from_millis(self.timeout_ms)),
            self.run
        )?;
        let width = self.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
        for check in &self.checks {
            let label = match check.outcome {
                Outcome::Pass => "PASS",
                Outcome::Warn => "WARN",
                Outcome::Fail => "FAIL",
                Outcome::Info => "INFO",
            };
            let what = if check.steps.is_empty() {
                check.message.clone().unwrap_or_default()
            } else {
                check
                    .steps
                    .iter()
                    .map(|step| step.line.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            writeln!(out, "{label} {:<width$}  {what}", check.id)?;
            let note = match check.outcome {
                Outcome::Fail => Some("why"),
                Outcome::Warn => Some("warning"),
                Outcome::Info if !check.steps.is_empty() => Some("note"),
                Outcome::Info | Outcome::Pass => None,
            };
            if let (Some(note), Some(message)) = (note, &check.message) {
                writeln!(out, "     {:<width$}  {note}: {message}", "")?;
            }
        }
        let Summary { pass, warn, fail } = self.summary;
        let total = pass + warn + fail;
        if self.passed {
            writeln!(
                out,
                "all {total} required checks passed ({warn} with a warning): exit 0"
            )
        } else {
            writeln!(
                out,
                "{fail} of {total} required checks failed ({} passed, {warn} of them with a warning): exit 1",
                pass + warn
            )
        }
    }
}
