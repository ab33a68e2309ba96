//! URLs as the sandbox logs them: a callback URL may carry a token in its query or credentials
//! in its user info, so logs get the scheme, host, port and path only.

use url::Url;

/// `url` without user info, query and fragment, for logs: `http://u:p@h:1/cb?token=t#f` is
/// `http://h:1/cb`. Text that is not a URL is not shown at all.
pub(crate) fn loggable_url(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return "(not a URL)".to_owned();
    };
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    parsed.set_query(None);
    parsed.set_fragment(None);
    parsed.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_credentials_are_left_out() {
        assert_eq!(
            loggable_url("http://user:pw@127.0.0.1:8080/cb/x?token=abc&b=1#frag"),
            "http://127.0.0.1:8080/cb/x"
        );
        assert_eq!(
            loggable_url("https://shop.example/cb"),
            "https://shop.example/cb"
        );
        assert_eq!(loggable_url("not a url?token=abc"), "(not a URL)");
    }
}
