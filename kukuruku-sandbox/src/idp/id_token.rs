//! ID tokens: their claims as issued (with the misbehaviour switches applied), and the claims of
//! one this provider issued, read back unverified (logout's `id_token_hint`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::error::IdpError;
use super::signing_key;
use super::state::{IdpState, TokenGrant, lock};

/// The ID token, with the misbehaviour switches applied.
pub(super) fn id_token(
    state: &IdpState,
    grant: &TokenGrant,
    scopes: &[&str],
    iat: u64,
) -> Result<String, IdpError> {
    let misbehave = state.misbehave();
    let user = &grant.user;
    let ttl = state.config().id_token_ttl.as_secs();
    let (iat, exp) = if misbehave.expired_id_token {
        (iat.saturating_sub(7200), iat.saturating_sub(3600))
    } else {
        (iat, iat + ttl)
    };
    let audience = if misbehave.wrong_aud {
        "another-client".to_owned()
    } else {
        grant.client_id.clone()
    };
    let mut claims = json!({
        "iss": if misbehave.wrong_iss_in_token { "https://mix-up.example/realms/public" } else { state.issuer() },
        "sub": user.sub,
        "aud": audience,
        "azp": audience,
        "typ": "ID",
        "iat": iat,
        "exp": exp,
        "auth_time": grant.auth_time,
        "sid": grant.session_id,
        "email": user.email,
        "email_verified": true,
    });
    if let Some(extra) = &misbehave.extra_audience {
        claims["aud"] = json!([audience, extra]);
        if let Value::Object(map) = &mut claims {
            map.remove("azp");
        }
    }
    if let Some(nonce) = &grant.nonce {
        claims["nonce"] = json!(if misbehave.wrong_nonce {
            "not-your-nonce"
        } else {
            nonce.as_str()
        });
    }
    if scopes.contains(&"profile") {
        claims["name"] = json!(user.name);
        claims["preferred_username"] = json!(user.email);
    }
    if let Some(phone) = &user.phone {
        claims["phone_number"] = json!(phone);
        claims["phone_number_verified"] = json!(true);
    }
    if misbehave.alg_none {
        return Ok(signing_key::unsigned(&claims));
    }
    if misbehave.unknown_kid {
        return Ok(state.spare_key("rotated-away")?.sign(&claims));
    }
    if misbehave.sign_with_other_key {
        let kid = lock(&state.inner.keys).current.kid.clone();
        return Ok(state.spare_key(&kid)?.sign(&claims));
    }
    Ok(lock(&state.inner.keys).current.sign(&claims))
}

/// The payload of a JWT this provider issued, unverified (logout's `id_token_hint`).
pub(super) fn unverified_payload(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}
