//! How the transcript shows what went over the wire: request bodies, amounts, and URLs with
//! their secret parameters hidden.

use kukuruku_proto::{Amount, ApiConfig, Endpoint};

/// The JSON body a request carries, for the transcript (the client serialises its own copy).
pub(super) fn body_text<E: Endpoint>(endpoint: &E, config: &ApiConfig) -> String {
    endpoint
        .body(config)
        .ok()
        .flatten()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// An amount of minor units of RUB, as `500.00 RUB`.
pub(super) fn rub(minor: u64) -> String {
    Amount::new(minor).map_or_else(
        |_| format!("{minor} minor units of RUB"),
        |amount| format!("{} RUB", amount.to_decimal_with_exponent(2)),
    )
}

/// A URL with the values of `secret` query parameters replaced by `***`.
pub(super) fn redact(url: &str, secret: &[&str]) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return "***".to_owned();
    };
    let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    if pairs.is_empty() {
        return url.to_owned();
    }
    parsed
        .query_pairs_mut()
        .clear()
        .extend_pairs(pairs.iter().map(|(name, value)| {
            let shown = if secret.contains(&name.as_str()) {
                "***"
            } else {
                value.as_str()
            };
            (name.as_str(), shown)
        }));
    parsed.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_parameters_are_hidden_and_the_rest_kept() {
        assert_eq!(
            redact("http://h/cb?code=abc&state=xyz&iss=i", &["code", "state"]),
            "http://h/cb?code=***&state=***&iss=i"
        );
        assert_eq!(redact("http://h/plain", &["code"]), "http://h/plain");
        assert_eq!(redact("not a url", &["code"]), "***");
    }

    #[test]
    fn amounts_show_in_roubles() {
        assert_eq!(rub(50_000), "500.00 RUB");
        assert_eq!(rub(25_000), "250.00 RUB");
    }
}
