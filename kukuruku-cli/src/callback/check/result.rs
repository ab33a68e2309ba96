//! What a check produced: its outcome, the requests it made and what came of them.

use serde::Serialize;

use crate::callback::exchange::{Exchange, Outgoing};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Outcome {
    /// Informational: printed, never failing the run.
    Info,
    /// Passed.
    Pass,
    /// Passed, with a warning.
    Warn,
    /// Failed.
    Fail,
}

/// An outcome and, for a warning, a failure or an informational line, what it means.
pub(crate) type Judgement = (Outcome, Option<String>);

/// One request of a check and what came of it.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    /// What was sent, in words.
    pub(crate) sent: String,
    /// The method sent.
    pub(crate) method: http::Method,
    /// The size of the body sent.
    pub(crate) body_bytes: usize,
    /// How many `signature` headers were sent.
    pub(crate) signature_headers: usize,
    pub(crate) exchange: Exchange,
}

impl Step {
    /// The step of sending `outgoing`, described as `sent`.
    pub(crate) fn new(sent: String, outgoing: &Outgoing, exchange: Exchange) -> Self {
        Self {
            sent,
            method: outgoing.method.clone(),
            body_bytes: outgoing.body.as_ref().map_or(0, bytes::Bytes::len),
            signature_headers: outgoing.signatures.len(),
            exchange,
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone)]
pub(crate) struct CheckResult {
    pub(crate) id: &'static str,
    /// What the check expects.
    pub(crate) title: &'static str,
    /// A required check fails the run when it fails; an informational one never does.
    pub(crate) required: bool,
    pub(crate) outcome: Outcome,
    pub(crate) steps: Vec<Step>,
    /// For a failure: the likely cause and the fix; for a warning: what is off; for an
    /// informational line: the finding.
    pub(crate) message: Option<String>,
}
