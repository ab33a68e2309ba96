//! Why a signature does not match: re-sign the body as the usual culprits would have sent it
//! and say which one matches.

use kukuruku_sign::{Signature, Verifier};
use serde_json::Value;

use crate::json_style::{self, Style};

/// What a trailing newline looks like in a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Newline {
    Keep,
    Add,
    Strip,
}

/// One way the signer may have produced other bytes for the same data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Candidate {
    /// `None`: the body's own bytes; `Some`: the data re-serialised in this style.
    style: Option<Style>,
    swap_merchant_id: bool,
    newline: Newline,
}

/// The outcome of a diagnosis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Diagnosis {
    /// This variant of the body matches the signature; the text says how it differs.
    Matched(String),
    /// None of the usual causes explains the mismatch.
    Unexplained {
        /// Whether the body was JSON (so the JSON causes could be checked).
        json: bool,
    },
}

const ALL_CHECKED: &str = "spaces after ',' and ':' (Python's default json.dumps), sorted keys, \
    '\\/' escaping (PHP's default json_encode) and its absence, \\uXXXX escaping of non-ASCII \
    text, a trailing newline added or missing, merchant_id as a string vs a number";

impl Diagnosis {
    /// The text for stderr.
    pub(crate) fn explain(&self) -> String {
        match self {
            Self::Matched(what) => format!(
                "diagnosis: the signature matches this body {what}.\n\
                 The signer signed other bytes than the ones you verified. Serialise the body once, \
                 then sign and send exactly those bytes; verify over the raw bytes received."
            ),
            Self::Unexplained { json: true } => format!(
                "diagnosis: none of the usual causes explains it (checked: {ALL_CHECKED}).\n\
                 Most likely the secret is not the one that signed, or the body was changed."
            ),
            Self::Unexplained { json: false } => {
                "diagnosis: the body is not JSON, so only a trailing newline added or missing was \
                 checked, and it does not explain it.\n\
                 Most likely the secret is not the one that signed, or the body was changed."
                    .to_owned()
            }
        }
    }
}

/// Looks for the variant of `body` that `signature` was computed over.
pub(crate) fn diagnose(verifier: &Verifier, body: &[u8], signature: &Signature) -> Diagnosis {
    let ends_with_newline = body.ends_with(b"\n");
    let core = trim_newline(body);
    let parsed = json_style::parse(core);
    let baseline = parsed
        .as_ref()
        .and_then(|json| styles().find(|style| json_style::write(json, *style) == core));

    let mut candidates = Vec::new();
    for newline in [Newline::Keep, Newline::Add, Newline::Strip] {
        candidates.push(Candidate {
            style: None,
            swap_merchant_id: false,
            newline,
        });
    }
    if parsed.is_some() {
        for style in styles() {
            for swap_merchant_id in [false, true] {
                for newline in [Newline::Keep, Newline::Add, Newline::Strip] {
                    candidates.push(Candidate {
                        style: Some(style),
                        swap_merchant_id,
                        newline,
                    });
                }
            }
        }
    }
    // Fewest changes first: the simplest explanation wins.
    candidates.sort_by_key(|c| changes(*c, baseline));

    for candidate in candidates {
        let Some(bytes) = render(candidate, parsed.as_ref(), core, ends_with_newline) else {
            continue;
        };
        if bytes == body {
            continue;
        }
        if verifier.verify_signature(&bytes, signature).is_ok() {
            return Diagnosis::Matched(describe(
                candidate,
                baseline,
                parsed.as_ref(),
                ends_with_newline,
            ));
        }
    }
    Diagnosis::Unexplained {
        json: parsed.is_some(),
    }
}

fn trim_newline(body: &[u8]) -> &[u8] {
    body.strip_suffix(b"\r\n")
        .or_else(|| body.strip_suffix(b"\n"))
        .unwrap_or(body)
}

fn styles() -> impl Iterator<Item = Style> {
    (0u8..16).map(|bits| Style {
        spaced: bits & 1 != 0,
        sort_keys: bits & 2 != 0,
        escape_slash: bits & 4 != 0,
        ascii_only: bits & 8 != 0,
    })
}

fn render(
    candidate: Candidate,
    parsed: Option<&Value>,
    core: &[u8],
    ends_with_newline: bool,
) -> Option<Vec<u8>> {
    let mut bytes = match candidate.style {
        None => core.to_vec(),
        Some(style) => {
            let json = parsed?;
            if candidate.swap_merchant_id {
                json_style::write(&json_style::with_merchant_id_swapped(json)?, style)
            } else {
                json_style::write(json, style)
            }
        }
    };
    let newline = match candidate.newline {
        Newline::Keep => ends_with_newline,
        Newline::Add => {
            if ends_with_newline {
                return None;
            }
            true
        }
        Newline::Strip => {
            if !ends_with_newline {
                return None;
            }
            false
        }
    };
    if newline {
        bytes.push(b'\n');
    }
    Some(bytes)
}

fn changes(candidate: Candidate, baseline: Option<Style>) -> u32 {
    let mut count =
        u32::from(candidate.swap_merchant_id) + u32::from(candidate.newline != Newline::Keep);
    if let Some(style) = candidate.style {
        let base = baseline.unwrap_or_default();
        count += u32::from(style.spaced != base.spaced)
            + u32::from(style.sort_keys != base.sort_keys)
            + u32::from(style.escape_slash != base.escape_slash)
            + u32::from(style.ascii_only != base.ascii_only);
        if baseline.is_none() {
            // Re-serialising a body of unknown layout is itself a change.
            count += 1;
        }
    }
    count
}

fn describe(
    candidate: Candidate,
    baseline: Option<Style>,
    parsed: Option<&Value>,
    ends_with_newline: bool,
) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(style) = candidate.style {
        let base = baseline;
        let differs = |f: fn(&Style) -> bool| base.is_none_or(|b| f(&b) != f(&style));
        if baseline.is_none() {
            parts.push("re-serialised from your body's data (your body has another layout, e.g. pretty-printed)".to_owned());
        }
        if differs(|s| s.spaced) {
            parts.push(if style.spaced {
                "with spaces after ',' and ':' (Python's default json.dumps separators; pass separators=(',', ':'))".to_owned()
            } else {
                "serialised compactly, without spaces after ',' and ':' (JSON.stringify, serde_json, Python with separators=(',', ':'))".to_owned()
            });
        }
        if differs(|s| s.sort_keys) && (style.sort_keys || baseline.is_some()) {
            parts.push(if style.sort_keys {
                "with keys sorted (sort_keys=True, ksort, or a sorted map)".to_owned()
            } else {
                "with keys in their original (insertion) order, not sorted".to_owned()
            });
        }
        if differs(|s| s.escape_slash) && (style.escape_slash || baseline.is_some()) {
            parts.push(if style.escape_slash {
                "with '/' escaped as '\\/' (PHP's default json_encode; use JSON_UNESCAPED_SLASHES)".to_owned()
            } else {
                "without '\\/' escaping: '/' written as is (JSON.stringify, Python, serde_json; your copy has PHP's '\\/')".to_owned()
            });
        }
        if differs(|s| s.ascii_only) && (style.ascii_only || baseline.is_some()) {
            parts.push(if style.ascii_only {
                "with non-ASCII text escaped as \\uXXXX (Python's ensure_ascii, PHP's default)"
                    .to_owned()
            } else {
                "with non-ASCII text as raw UTF-8, not \\uXXXX".to_owned()
            });
        }
        if candidate.swap_merchant_id {
            let was_string = matches!(
                parsed.and_then(|json| json.get("merchant_id")),
                Some(Value::String(_))
            );
            parts.push(if was_string {
                "with merchant_id as a number (e.g. 1) instead of a string (\"1\")".to_owned()
            } else {
                "with merchant_id as a string (e.g. \"1\") instead of a number (1)".to_owned()
            });
        }
    }
    match candidate.newline {
        Newline::Keep => {}
        Newline::Add => parts.push(
            "with a trailing newline added (echo, print(), a text editor, a heredoc)".to_owned(),
        ),
        Newline::Strip => parts.push(format!(
            "without the trailing newline your copy ends with{}",
            if ends_with_newline {
                " (added by an editor, echo or a heredoc?)"
            } else {
                ""
            }
        )),
    }
    if parts.is_empty() {
        "as it is".to_owned()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use kukuruku_sign::{SecretKey, Signer};

    use super::*;

    const BODY: &str = r#"{"merchant_id":"1","amount":500,"currency":"RUB","callback_url":"https://x.example/cb"}"#;

    fn check(signed: &str, verified: &str) -> Diagnosis {
        let key = SecretKey::new("secret").unwrap();
        let signature = Signer::new(&key).sign(signed.as_bytes());
        diagnose(&Verifier::new(&key), verified.as_bytes(), &signature)
    }

    fn matched(signed: &str, verified: &str, needle: &str) {
        match check(signed, verified) {
            Diagnosis::Matched(text) => assert!(text.contains(needle), "{text:?} lacks {needle:?}"),
            other @ Diagnosis::Unexplained { .. } => panic!("{other:?}"),
        }
    }

    #[test]
    fn finds_each_usual_cause() {
        matched(
            r#"{"merchant_id": "1", "amount": 500, "currency": "RUB", "callback_url": "https://x.example/cb"}"#,
            BODY,
            "Python's default json.dumps",
        );
        matched(
            BODY,
            r#"{"merchant_id": "1", "amount": 500, "currency": "RUB", "callback_url": "https://x.example/cb"}"#,
            "compactly",
        );
        matched(
            r#"{"amount":500,"callback_url":"https://x.example/cb","currency":"RUB","merchant_id":"1"}"#,
            BODY,
            "keys sorted",
        );
        matched(
            r#"{"merchant_id":"1","amount":500,"currency":"RUB","callback_url":"https:\/\/x.example\/cb"}"#,
            BODY,
            "PHP's default json_encode",
        );
        matched(
            BODY,
            r#"{"merchant_id":"1","amount":500,"currency":"RUB","callback_url":"https:\/\/x.example\/cb"}"#,
            "without '\\/' escaping",
        );
        matched(&format!("{BODY}\n"), BODY, "trailing newline added");
        matched(BODY, &format!("{BODY}\n"), "without the trailing newline");
        matched(
            r#"{"merchant_id":1,"amount":500,"currency":"RUB","callback_url":"https://x.example/cb"}"#,
            BODY,
            "merchant_id as a number",
        );
        matched(
            BODY,
            r#"{"merchant_id":1,"amount":500,"currency":"RUB","callback_url":"https://x.example/cb"}"#,
            "merchant_id as a string",
        );
    }

    #[test]
    fn says_so_when_nothing_explains_it() {
        assert_eq!(check("{}", BODY), Diagnosis::Unexplained { json: true });
        assert_eq!(check("x", "y"), Diagnosis::Unexplained { json: false });
    }
}
