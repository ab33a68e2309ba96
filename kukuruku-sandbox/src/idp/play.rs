//! The redirect of the "Play" button (PROTOCOL 3): where the browser lands on the merchant after
//! Kukuruku created and paid the order. (`POST /sandbox/play` itself, which creates and pays the
//! order, belongs to the payments side of the sandbox.)

use url::Url;

use super::state::IdpError;

/// The tracking fields of a Play redirect besides the user's UUID.
///
/// Plain data (not `#[non_exhaustive]`): build it with a struct literal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlayTracking {
    /// `sub_id1`..`sub_id4` (`sub_id5` is the user's UUID).
    pub sub_ids: [Option<String>; 4],
    /// `aff_click_id`.
    pub aff_click_id: Option<String>,
    /// `custom1`, the test flag (`true`/`false`).
    pub test: bool,
}

/// The merchant URL with the auto-login parameters of PROTOCOL 3 appended (its own query is
/// kept): `auto_login=true`, `joker_login=true`, `custom4` = the issuer, `order_id` and
/// `custom2` = the order UUID, `sub_id1`..`sub_id4` when given, `sub_id5` = the user's UUID,
/// `aff_click_id` when given, `custom1` = the test flag, `custom3=true`.
pub fn play_redirect_url(
    merchant_url: &str,
    issuer: &str,
    order_id: &str,
    user_uuid: &str,
    tracking: &PlayTracking,
) -> Result<String, IdpError> {
    let mut url = Url::parse(merchant_url)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
        .ok_or_else(|| IdpError::InvalidMerchantUrl(merchant_url.to_owned()))?;
    url.set_fragment(None);
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("auto_login", "true")
            .append_pair("joker_login", "true")
            .append_pair("custom4", issuer)
            .append_pair("order_id", order_id)
            .append_pair("custom2", order_id);
        for (index, sub_id) in tracking.sub_ids.iter().enumerate() {
            if let Some(value) = sub_id {
                query.append_pair(&format!("sub_id{}", index + 1), value);
            }
        }
        query.append_pair("sub_id5", user_uuid);
        if let Some(click) = &tracking.aff_click_id {
            query.append_pair("aff_click_id", click);
        }
        query
            .append_pair("custom1", if tracking.test { "true" } else { "false" })
            .append_pair("custom3", "true");
    }
    Ok(url.into())
}
