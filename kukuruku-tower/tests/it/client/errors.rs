//! Every error a call can end with, and how its report reads.

use super::*;

/// A call whose request cannot be built.
struct Broken;

impl Endpoint for Broken {
    type Output = ();
    const METHOD: http::Method = http::Method::POST;
    fn path(&self) -> String {
        "/api/v1/orders/payins".into()
    }
    fn body(&self, _: &ApiConfig) -> Result<Option<Bytes>, RequestError> {
        Err(RequestError::Missing { field: "amount" })
    }
    fn parse_response(&self, _: &ApiConfig, _: http::Response<Bytes>) -> Result<(), ResponseError> {
        Ok(())
    }
}

#[tokio::test]
async fn api_errors_keep_status_message_and_raw_body() {
    const BODY: &str = r#"{"success":false,"err":"user_email is not a KukuPay user"}"#;
    let (sent, service) = mock(|_, _| async { reply(400, BODY) });
    let err = client(service).create_payout(&payout()).await.unwrap_err();
    assert_eq!(sent.lock().unwrap().len(), 1);
    let api = err.api_error().unwrap();
    assert_eq!(api.status(), 400);
    assert_eq!(api.message(), Some("user_email is not a KukuPay user"));
    assert_eq!(err.status(), Some(http::StatusCode::BAD_REQUEST));
    assert_eq!(err.body().unwrap(), BODY.as_bytes());
    assert!(err.to_string().contains("user_email is not a KukuPay user"));
}

#[tokio::test]
async fn an_unreadable_success_is_an_unexpected_response() {
    let (_, service) = mock(|_, _| async { reply(200, "<html>maintenance</html>") });
    let err = client(service).create_payin(&payin()).await.unwrap_err();
    match &err {
        Error::UnexpectedResponse { status, body, .. } => {
            assert_eq!(*status, 200);
            assert_eq!(body, "<html>maintenance</html>".as_bytes());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_answer_over_the_limit_is_not_read_whole() {
    let (_, service) = mock(|_, _| async {
        Ok(http::Response::new(Full::new(Bytes::from(vec![
            b' ';
            4096
        ]))))
    });
    let client = Client::builder("1", key())
        .response_limit(1024)
        .build_with(service)
        .unwrap();
    let err = client.create_payin(&payin()).await.unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedResponse { message, .. } if message.contains("1024")),
        "{err:?}"
    );
}

#[tokio::test]
async fn invalid_requests_are_caught_before_sending() {
    let (sent, service) = mock(|_, _| async { reply(200, "{}") });
    let err = Client::builder("1", key())
        .base_url("http://api.kukuruku.win")
        .build_with(service.clone())
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidRequest(RequestError::InsecureUrl { .. })),
        "{err:?}"
    );
    assert!(err.is_not_sent());

    let err = Client::builder("not a number", key())
        .merchant_id_format(MerchantIdFormat::Number)
        .build_with(service.clone())
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");

    let err = client(service).call(&Broken).await.unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidRequest(RequestError::Missing { field: "amount" })
    ));
    // The cause is behind `source()`: the report says it.
    let report = report(&err);
    assert!(report.contains("amount is required"), "{report}");
    assert!(sent.lock().unwrap().is_empty(), "nothing may be sent");
}

#[tokio::test]
async fn unusable_settings_are_a_config_error() {
    let (_, service) = mock(|_, _| async { reply(200, "{}") });
    let err = Client::builder("1", key())
        .timeout(Duration::ZERO)
        .build_with(service)
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    let report = report(&err);
    assert!(report.contains("timeout"), "{report}");
    let err = Client::builder("1", key())
        .connect_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

/// What anyhow and eyre print for a badly signed answer: each sentence once, the advice once.
#[tokio::test]
async fn the_report_of_a_badly_signed_answer_says_each_sentence_once() {
    let (_, service) = mock(|_, _| async {
        let mut response = reply(200, ORDER)?;
        response
            .headers_mut()
            .insert("signature", sign(b"another body").parse().unwrap());
        Ok(response)
    });
    let mismatch = report(&client(service).order(&order_id()).await.unwrap_err());
    assert_eq!(
        mismatch,
        "Kukuruku's answer was not trusted: signature mismatch: the body was changed or the \
         secret is wrong; verify over the raw bytes you received (not re-serialised JSON) with \
         the merchant's secret_key"
    );

    let (_, service) = mock(|_, _| async { reply(200, ORDER) });
    let missing = report(&client(service).order(&order_id()).await.unwrap_err());
    assert_eq!(
        missing,
        "Kukuruku's answer was not trusted: the response has no `signature` header: it may not \
         come from Kukuruku (check the base URL and any proxy in between)"
    );

    for report in [mismatch, missing] {
        for sentence in report.split([':', ';', '(', ')']).map(str::trim) {
            if !sentence.is_empty() {
                assert_eq!(
                    report.matches(sentence).count(),
                    1,
                    "{sentence:?} in {report}"
                );
            }
        }
    }
}
