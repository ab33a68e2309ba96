//! Small helpers shared by every area (payments, KukurukuID, Kuna): randomness, ids, base64url,
//! constant-time secret comparison, time stamps, HTML escaping, JSON answers.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue};
use kukuruku_proto::JSON_CONTENT_TYPE;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// `N` bytes from the operating system's random source; `None` without one (callers that need
/// secrets fail then rather than use something guessable).
pub(crate) fn random_bytes<const N: usize>() -> Option<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).ok()?;
    Some(bytes)
}

/// `N` random bytes; without OS randomness, bytes derived from the time and a counter: unique
/// within the process, not secret (ids, and the defaults of a local sandbox's test secrets).
pub(crate) fn unique_bytes<const N: usize>() -> [u8; N] {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    if let Some(bytes) = random_bytes() {
        return bytes;
    }
    let seed = format!(
        "{}-{}",
        unix_millis(SystemTime::now()),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut bytes = [0u8; N];
    let mut block: [u8; 32] = Sha256::digest(seed.as_bytes()).into();
    for chunk in bytes.chunks_mut(32) {
        chunk.copy_from_slice(&block[..chunk.len()]);
        block = Sha256::digest(block).into();
    }
    bytes
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

/// A random (version 4) UUID in its hyphenated lower-case form.
pub(crate) fn new_uuid() -> String {
    let mut bytes = unique_bytes::<16>();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Unpadded base64url (JWT segments, tokens).
pub(crate) fn base64url(data: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Decodes unpadded base64url; `None` when it is not.
pub(crate) fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// Whether two secrets are equal, in time that depends on neither: both are hashed first (so
/// their lengths do not leak either), then compared with `subtle`.
pub(crate) fn secrets_equal(expected: &[u8], given: &[u8]) -> bool {
    Sha256::digest(expected)
        .ct_eq(&Sha256::digest(given))
        .into()
}

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn unix_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// Milliseconds since the Unix epoch (0 before it).
pub(crate) fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |elapsed| {
        u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
    })
}

/// The current time as RFC 3339 in UTC with milliseconds, e.g. `2025-01-31T12:00:00.123Z`.
pub(crate) fn now_rfc3339() -> String {
    rfc3339_at(SystemTime::now())
}

/// `time` as RFC 3339 in UTC with milliseconds (ISO 8601, as Kuna writes `createdAt`).
pub(crate) fn rfc3339_at(time: SystemTime) -> String {
    let millis = unix_millis(time);
    rfc3339(millis / 1000, u32::try_from(millis % 1000).unwrap_or(0))
}

fn rfc3339(secs: u64, millis: u32) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A JSON answer with the given status and body bytes.
pub(crate) fn json_response(status: StatusCode, body: impl Into<Bytes>) -> Response {
    let mut response = (status, body.into()).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    response
}

/// A JSON answer in Kukuruku's error shape (PROTOCOL D6, `crate::error_body`):
/// `{"success":false,"err":"..."}`.
pub(crate) fn json_error(status: StatusCode, message: &str) -> Response {
    json_response(status, crate::error_body::error_body(message))
}

/// An HTML answer.
pub(crate) fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_v4_and_distinct() {
        let a = new_uuid();
        let b = new_uuid();
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
        assert_ne!(a, b);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn secrets_compare_by_content_only() {
        assert!(secrets_equal(b"kuna_sandbox_1", b"kuna_sandbox_1"));
        assert!(!secrets_equal(b"kuna_sandbox_1", b"kuna_sandbox_2"));
        assert!(!secrets_equal(b"kuna_sandbox_1", b"kuna_sandbox_1 "));
        assert!(!secrets_equal(b"", b"x"));
    }

    #[test]
    fn bytes_hex_and_base64url() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert_ne!(unique_bytes::<32>(), unique_bytes::<32>());
        assert_eq!(random_bytes::<40>().map(|bytes| bytes.len()), Some(40));
        // RFC 4648's URL-safe alphabet, no padding.
        assert_eq!(base64url([0xfb, 0xff]), "-_8");
        assert_eq!(base64url_decode("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(base64url_decode("+/8="), None);
    }

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(rfc3339(1_735_689_599, 999), "2024-12-31T23:59:59.999Z");
        let at = UNIX_EPOCH + std::time::Duration::from_millis(1_730_448_079_952);
        assert_eq!(rfc3339_at(at), "2024-11-01T08:01:19.952Z");
        assert_eq!(unix_secs(at), 1_730_448_079);
        assert_eq!(unix_millis(UNIX_EPOCH), 0);
    }

    #[tokio::test]
    async fn error_bodies_have_the_d6_field_order() {
        use http_body_util::BodyExt;
        let response = json_error(StatusCode::UNAUTHORIZED, "Invalid signature");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], br#"{"success":false,"err":"Invalid signature"}"#);
    }

    #[test]
    fn html_escape_escapes_markup() {
        assert_eq!(
            html_escape(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }
}
