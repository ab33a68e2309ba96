//! The widget token's JWT payload, read without verifying (`RampToken::expires_at`): any text,
//! never a panic; the widget URL built from any token decodes back to it.
#![no_main]

use kuna_ramp::RampToken;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let token = RampToken::new(text);
    let _ = token.expires_at();
    if let Ok(url) = token.widget_url("institution") {
        let parsed = url::Url::parse(url.expose_secret()).ok();
        let back = parsed.and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "refreshToken")
                .map(|(_, v)| v.into_owned())
        });
        assert_eq!(back.as_deref(), Some(text));
    }
});
