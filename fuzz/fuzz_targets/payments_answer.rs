//! The payments API's answers (payin, payout, order status, profile) at any HTTP status, read
//! with `Endpoint::parse_response` and, for the order status, `parse_verified_response`.
//!
//! Properties:
//! - a non-2xx answer is always `ResponseError::Api`, with the status and the raw body kept;
//! - every error keeps the raw body, byte for byte;
//! - a 2xx answer whose body says `"success": false` is never a success;
//! - a success re-serialises to a body that parses to an equal value (round trip);
//! - an order-status body signed with our key verifies and parses exactly as the unsigned
//!   read does; the same answer with one body byte changed is refused as a signature error.
#![no_main]

use bytes::Bytes;
use http::{Response, StatusCode};
use kukuruku_proto::kukuruku_sign::{SecretKey, Signer, Verifier};
use kukuruku_proto::{
    Amount, ApiConfig, Currency, Endpoint, MerchantId, OrderId, OrderStatusRequest, PayinRequest,
    PayoutRequest, ProfileRequest, ResponseError, parse_verified_response,
};
use libfuzzer_sys::fuzz_target;

#[path = "../support/json.rs"]
mod json;
use json::same;
use serde::Serialize;
use std::fmt::Debug;

const KEY: &str = "rmQXpjQyAtzS65oVhRLwY9s669UyDKJl";

fn answer(status: StatusCode, body: &Bytes) -> Response<Bytes> {
    let mut response = Response::new(body.clone());
    *response.status_mut() = status;
    response
}

fn says_failure(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .is_some_and(|v| v.get("success") == Some(&serde_json::Value::Bool(false)))
}

/// The calls whose answers are read: fixed, valid requests (the order status asks for `u-1`, the
/// id of the seeds; an answer naming another order is a `Mismatch`, which must keep the body too).
struct Calls {
    config: ApiConfig,
    payin: PayinRequest,
    payout: PayoutRequest,
    profile: ProfileRequest,
    status: OrderStatusRequest,
}

fn calls() -> Calls {
    Calls {
        config: ApiConfig::new(MerchantId::new("1").expect("merchant id")),
        payin: PayinRequest::builder()
            .amount(Amount::new(50_000).expect("amount"))
            .currency(Currency::Rub)
            .order_number("order-1")
            .client_id("user@example.com")
            .build()
            .expect("payin"),
        payout: PayoutRequest::builder()
            .amount(Amount::new(500).expect("amount"))
            .currency(Currency::Rub)
            .order_number("payout-1")
            .user_email("user@example.com")
            .build()
            .expect("payout"),
        profile: ProfileRequest::new("access-token").expect("profile"),
        status: OrderStatusRequest::new(OrderId::new("u-1").expect("order id")),
    }
}

fn check<E>(
    call: &E,
    config: &ApiConfig,
    status: StatusCode,
    body: &Bytes,
) -> Result<E::Output, ResponseError>
where
    E: Endpoint,
    E::Output: Serialize + PartialEq + Debug,
{
    let result = call.parse_response(config, answer(status, body));
    match &result {
        Ok(value) => {
            assert!(status.is_success(), "a {status} answer was read as a success");
            assert!(!says_failure(body), "a success:false body was read as a success");
            let bytes = serde_json::to_vec(value).expect("a parsed answer serialises");
            let again = call
                .parse_response(config, answer(StatusCode::OK, &Bytes::from(bytes)))
                .unwrap_or_else(|e| panic!("{value:?} re-serialised does not parse: {e}"));
            assert!(
                same(&serde_json::to_value(&again).unwrap(), &serde_json::to_value(value).unwrap()),
                "round trip changed the answer: {again:?} != {value:?}"
            );
        }
        Err(error) => {
            assert_eq!(error.body(), body, "the error lost the raw body");
            if !status.is_success() {
                let api = error.api_error().expect("a non-2xx answer is an API error");
                assert_eq!(api.status(), status);
            }
            let _ = error.to_string();
        }
    }
    result
}

// Input: one byte choosing the call, the status as three ASCII digits, then the body
// (`2200{"uuid":"u-1","status":"paid"}`: order status, 200). Easy to write seeds for.
fuzz_target!(|data: &[u8]| {
    let [which, a, b, c, body @ ..] = data else {
        return;
    };
    let which = which.wrapping_sub(b'0');
    let code = [a, b, c].iter().fold(0u16, |n, d| n * 10 + u16::from(d.wrapping_sub(b'0') % 10));
    let Ok(status) = StatusCode::from_u16(code.clamp(100, 999)) else {
        return;
    };
    let body = Bytes::copy_from_slice(body);
    let calls = calls();
    let config = &calls.config;
    match which % 4 {
        0 => drop(check(&calls.payin, config, status, &body)),
        1 => drop(check(&calls.payout, config, status, &body)),
        2 => drop(check(&calls.profile, config, status, &body)),
        _ => {
            let plain = check(&calls.status, config, status, &body);
            let key = SecretKey::new(KEY).expect("key");
            let verifier = Verifier::new(&key);
            let signature = Signer::new(&key).sign(&body).to_hex();
            let signed = Response::builder()
                .status(status)
                .header("signature", signature.as_str())
                .body(body.clone())
                .expect("response");
            let verified = parse_verified_response(&calls.status, config, &verifier, signed);
            assert_eq!(verified, plain, "a body signed by us reads differently once verified");
            if status.is_success() && !body.is_empty() {
                let mut changed = body.to_vec();
                let at = usize::from(*a) % changed.len();
                changed[at] ^= 0x01;
                let tampered = Response::builder()
                    .status(status)
                    .header("signature", signature.as_str())
                    .body(Bytes::from(changed))
                    .expect("response");
                assert!(
                    matches!(
                        parse_verified_response(&calls.status, config, &verifier, tampered),
                        Err(ResponseError::Signature { .. })
                    ),
                    "a changed body passed the signature check"
                );
            }
        }
    }
});
