//! VerifyResponse: answers must carry a valid signature.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use kukuruku_tower::verify_response::ResponseSignatureError;
use kukuruku_tower::{BoxError, VerifiedSignature, VerifyResponseLayer};
use tower::{Layer, ServiceExt};

use crate::support::*;

fn answer(
    status: u16,
    body: &'static str,
    signatures: Vec<String>,
) -> impl tower::Service<http::Request<()>, Response = http::Response<Full<Bytes>>, Error = Infallible>
+ Clone {
    tower::service_fn(move |_req: http::Request<()>| {
        let signatures = signatures.clone();
        async move {
            let mut response = http::Response::new(Full::new(Bytes::from_static(body.as_bytes())));
            *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
            for signature in signatures {
                response
                    .headers_mut()
                    .append("signature", signature.parse().unwrap());
            }
            Ok(response)
        }
    })
}

async fn check(
    layer: VerifyResponseLayer,
    status: u16,
    body: &'static str,
    signatures: Vec<String>,
) -> Result<http::Response<Full<Bytes>>, BoxError> {
    layer
        .layer(answer(status, body, signatures))
        .oneshot(http::Request::new(()))
        .await
}

fn kind(err: &BoxError) -> &ResponseSignatureError {
    err.downcast_ref::<ResponseSignatureError>()
        .unwrap_or_else(|| panic!("not a signature error: {err}"))
}

#[tokio::test]
async fn a_signed_answer_passes_with_the_matched_key() {
    let response = check(
        VerifyResponseLayer::new(verifier()),
        200,
        CALLBACK,
        vec![sign(CALLBACK.as_bytes())],
    )
    .await
    .unwrap();
    assert!(response.extensions().get::<VerifiedSignature>().is_some());
    assert_eq!(body_text(response.into_body()).await, CALLBACK);
}

#[tokio::test]
async fn missing_wrong_doubled_and_malformed_are_refused() {
    let layer = VerifyResponseLayer::new(verifier());
    let err = check(layer.clone(), 200, CALLBACK, vec![])
        .await
        .unwrap_err();
    assert!(matches!(kind(&err), ResponseSignatureError::Missing));

    let err = check(layer.clone(), 200, CALLBACK, vec![sign(b"other")])
        .await
        .unwrap_err();
    assert!(matches!(kind(&err), ResponseSignatureError::Invalid(e) if e.is_mismatch()));

    let good = sign(CALLBACK.as_bytes());
    let err = check(
        layer.clone(),
        200,
        CALLBACK,
        vec![good.clone(), good.clone()],
    )
    .await
    .unwrap_err();
    assert!(matches!(kind(&err), ResponseSignatureError::Ambiguous));

    let err = check(layer, 200, CALLBACK, vec![good[..100].to_owned()])
        .await
        .unwrap_err();
    assert!(matches!(kind(&err), ResponseSignatureError::Invalid(e) if e.is_malformed()));
}

#[tokio::test]
async fn optional_accepts_absent_but_not_wrong() {
    let layer = VerifyResponseLayer::new(verifier()).optional();
    let response = check(layer.clone(), 200, CALLBACK, vec![]).await.unwrap();
    assert!(response.extensions().get::<VerifiedSignature>().is_none());
    assert!(check(layer, 200, CALLBACK, vec![sign(b"x")]).await.is_err());
}

#[tokio::test]
async fn error_answers_pass_unchecked() {
    let layer = VerifyResponseLayer::new(verifier());
    let response = check(
        layer,
        404,
        r#"{"success":false,"err":"Order not found"}"#,
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_large_answer_is_cut_at_the_limit() {
    let layer = VerifyResponseLayer::new(verifier()).limit(16);
    let err = check(layer, 200, CALLBACK, vec![sign(CALLBACK.as_bytes())])
        .await
        .unwrap_err();
    assert!(matches!(
        kind(&err),
        ResponseSignatureError::TooLarge { limit: 16 }
    ));
}
