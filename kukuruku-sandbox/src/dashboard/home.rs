//! `GET /` for browsers: where everything is, as links (other clients keep the JSON answer).

use std::fmt::Write as _;

use http::HeaderMap;
use http::header::ACCEPT;

use crate::html_escape::html_escape;

/// Whether the client prefers HTML: `text/html` named in `Accept` with a higher weight than
/// `application/json` (absent counts 0). `*/*` alone (curl) is not a preference for HTML.
pub(crate) fn prefers_html(headers: &HeaderMap) -> bool {
    let mut html = 0.0_f32;
    let mut json = 0.0_f32;
    for value in headers.get_all(ACCEPT) {
        let Ok(text) = value.to_str() else { continue };
        for range in text.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let weight = parts
                .find_map(|p| p.strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            match media.as_str() {
                "text/html" => html = html.max(weight),
                "application/json" => json = json.max(weight),
                _ => {}
            }
        }
    }
    html > 0.0 && html > json
}

/// The links of `GET /` as a page.
pub(crate) fn index_html(base: &str, issuer: &str) -> String {
    let links = [
        (
            "Dashboard: orders, callbacks, live",
            format!("{base}/sandbox"),
        ),
        (
            "KukurukuID users and Kuna customers",
            format!("{base}/sandbox/dashboard/people"),
        ),
        ("Orders (JSON)", format!("{base}/sandbox/orders")),
        ("Callback log (JSON)", format!("{base}/sandbox/callbacks")),
        (
            "KukurukuID discovery",
            format!("{issuer}/.well-known/openid-configuration"),
        ),
        ("Kuna widget", format!("{base}/kuna/widget")),
    ];
    let mut items = String::new();
    for (label, url) in &links {
        let _ = write!(
            items,
            "<li><a href=\"{0}\">{1}</a> <code>{0}</code></li>",
            html_escape(url),
            html_escape(label)
        );
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Kukuruku sandbox</title><style>body{{font-family:system-ui,sans-serif;\
         max-width:48rem;margin:2rem auto;padding:0 1rem}}code{{word-break:break-all;color:#555}}\
         </style></head><body><h1>Kukuruku sandbox</h1><ul>{items}</ul>\
         <p>API clients: ask with <code>Accept: application/json</code> for these URLs as JSON.</p>\
         </body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn accept(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn only_a_real_preference_for_html_counts() {
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(prefers_html(&accept(browser)));
        assert!(prefers_html(&accept("text/html")));
        assert!(!prefers_html(&accept("*/*")));
        assert!(!prefers_html(&accept("application/json")));
        assert!(!prefers_html(&accept("application/json, text/html;q=0.5")));
        assert!(!prefers_html(&accept("text/html;q=0")));
        assert!(!prefers_html(&HeaderMap::new()));
    }
}
