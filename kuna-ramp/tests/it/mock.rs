//! `kuna-ramp` over a `tower::service_fn` mock: the exact requests, validation before sending,
//! the adaptable login shape, and how odd answers are reported.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use kuna_ramp::{
    Credentials, CustomerQuery, CustomerUpdate, Error, KunaClient, Login, NewCustomer, Problem,
    ValidationError,
};

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: http::HeaderMap,
    body: serde_json::Value,
}

type Answer = Arc<dyn Fn(&Seen) -> (StatusCode, String) + Send + Sync>;

/// A mock Kuna: records every request, answers with `answer`.
#[derive(Clone)]
struct Mock {
    seen: Arc<Mutex<Vec<Seen>>>,
    answer: Answer,
}

impl Mock {
    fn new(answer: impl Fn(&Seen) -> (StatusCode, String) + Send + Sync + 'static) -> Self {
        Self {
            seen: Arc::default(),
            answer: Arc::new(answer),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn service(&self) -> impl MockService {
        let mock = self.clone();
        tower::service_fn(move |req: Request<Full<Bytes>>| {
            let mock = mock.clone();
            async move {
                let (parts, body) = req.into_parts();
                let body = body.collect().await.unwrap().to_bytes();
                let seen = Seen {
                    method: parts.method.to_string(),
                    path: parts.uri.path().to_owned(),
                    headers: parts.headers,
                    body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
                };
                let (status, text) = (mock.answer)(&seen);
                mock.seen.lock().unwrap().push(seen);
                Ok::<_, Infallible>(
                    Response::builder()
                        .status(status)
                        .body(Full::new(Bytes::from(text)))
                        .unwrap(),
                )
            }
        })
    }

    fn client(&self, credentials: Credentials) -> KunaClient<impl MockService> {
        KunaClient::builder("https://kuna.example/api", credentials)
            .institution_id("inst-1")
            .body_limit(4096)
            .build_with(self.service())
            .unwrap()
    }
}

trait MockService:
    tower::Service<
        Request<Full<Bytes>>,
        Response = Response<Full<Bytes>>,
        Error = Infallible,
        Future: Send,
    > + Clone
    + Send
    + Sync
    + 'static
{
}
impl<T> MockService for T where
    T: tower::Service<
            Request<Full<Bytes>>,
            Response = Response<Full<Bytes>>,
            Error = Infallible,
            Future: Send,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

fn customer_json(id: &str) -> String {
    format!(r#"{{"data":{{"id":"{id}","email":"v@example.com","comment":null}}}}"#)
}

fn jwt_with_exp(exp: u64) -> String {
    let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"m","exp":{exp}}}"#));
    format!("eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln")
}

fn valid() -> kuna_ramp::NewCustomerBuilder {
    NewCustomer::builder()
        .email("v@example.com")
        .first_name("Viktor")
        .last_name("Tatov")
        .country("UA")
        .verification_document_id("1237654")
        .residence_address("my street ap.12")
        .external_id("ext-1")
}

#[tokio::test]
async fn requests_are_json_posts_under_the_base_path_with_the_api_key() {
    let mock = Mock::new(|s| match s.path.as_str() {
        "/api/v2/ramp/token" => (StatusCode::OK, r#"{"data":{"token":"tok"}}"#.into()),
        "/api/v2/ramp/invalidate" => (StatusCode::OK, "{}".into()),
        _ => (StatusCode::OK, customer_json("c-1")),
    });
    let client = mock.client(Credentials::api_key("key-123"));
    client
        .create_customer(&valid().build().unwrap())
        .await
        .unwrap();
    client.customer("c-1").await.unwrap();
    client
        .update_customer(&CustomerUpdate::new("c-1").comment("vip"))
        .await
        .unwrap();
    client.ramp_token("c-1", "Mozilla/5.0").await.unwrap();
    client.invalidate("c-1").await.unwrap();

    let seen = mock.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/v2/customer/create",
            "/api/v2/customer/details",
            "/api/v2/customer/update",
            "/api/v2/ramp/token",
            "/api/v2/ramp/invalidate"
        ]
    );
    for s in &seen {
        assert_eq!(s.method, "POST");
        assert_eq!(s.headers["api-key"], "key-123");
        assert_eq!(s.headers["content-type"], "application/json");
        assert!(s.headers.get("authorization").is_none());
    }
    assert_eq!(seen[1].body, serde_json::json!({"id": "c-1"}));
    assert_eq!(
        seen[3].body,
        serde_json::json!({"customerId": "c-1", "userAgent": "Mozilla/5.0"})
    );
    assert_eq!(seen[4].body, serde_json::json!({"customerId": "c-1"}));
}

#[test]
fn the_builder_refuses_each_bad_field() {
    let e = |field: &'static str, problem: Problem| ValidationError { field, problem };
    // The builder refuses before a client is even involved.
    let built: Vec<(Result<NewCustomer, ValidationError>, ValidationError)> = vec![
        (NewCustomer::builder().build(), e("email", Problem::Missing)),
        (valid().email("").build(), e("email", Problem::Empty)),
        (
            valid().email("not-an-email").build(),
            e("email", Problem::InvalidEmail),
        ),
        (
            valid().first_name(" ").build(),
            e("firstName", Problem::Empty),
        ),
        (
            valid().phone_number("0991234567").build(),
            e("phoneNumber", Problem::InvalidPhone),
        ),
        (
            valid().country("ua").build(),
            e("country", Problem::InvalidCountry),
        ),
        (
            valid().country("ZZ").build(),
            e("country", Problem::InvalidCountry),
        ),
        (
            valid().country("UKR").build(),
            e("country", Problem::InvalidCountry),
        ),
        (valid().comment("").build(), e("comment", Problem::Empty)),
        (valid().itn("").build(), e("itn", Problem::Empty)),
    ];
    for (result, expected) in built {
        assert_eq!(result.unwrap_err(), expected);
    }
}

#[tokio::test]
async fn every_validation_error_is_typed_and_nothing_is_sent() {
    let mock = Mock::new(|_| (StatusCode::OK, customer_json("x")));
    let client = mock.client(Credentials::api_key("k"));
    let e = |field: &'static str, problem: Problem| ValidationError { field, problem };

    assert_eq!(invalid(client.customer(" ").await), e("id", Problem::Empty));
    assert_eq!(
        invalid(client.update_customer(&CustomerUpdate::new("c")).await),
        e("id", Problem::NothingToUpdate)
    );
    assert_eq!(
        invalid(
            client
                .update_customer(&CustomerUpdate::new("c").email("x@"))
                .await
        ),
        e("email", Problem::InvalidEmail)
    );
    assert_eq!(
        invalid(
            client
                .update_customer(&CustomerUpdate::new("c").phone_number("+1 555"))
                .await
        ),
        e("phoneNumber", Problem::InvalidPhone)
    );
    assert_eq!(
        invalid(client.find_customers(&CustomerQuery::new().take(0)).await),
        e("take", Problem::ZeroTake)
    );
    assert_eq!(
        invalid(
            client
                .find_customers(&CustomerQuery::new().external_id(""))
                .await
        ),
        e("externalId", Problem::Empty)
    );
    assert_eq!(
        invalid(client.ramp_token("c", "").await),
        e("userAgent", Problem::Empty)
    );
    assert_eq!(
        invalid(client.ramp_token("", "UA").await),
        e("customerId", Problem::Empty)
    );
    assert_eq!(
        invalid(client.invalidate("").await),
        e("customerId", Problem::Empty)
    );
    let no_external = NewCustomer::builder()
        .email("v@example.com")
        .first_name("V")
        .last_name("T")
        .country("UA")
        .verification_document_id("1")
        .residence_address("x")
        .build()
        .unwrap();
    assert_eq!(
        invalid(client.open_widget(&no_external, "UA").await),
        e("externalId", Problem::Missing)
    );
    assert!(mock.seen().is_empty(), "nothing may be sent");
}

/// The validation error of a call that must fail before anything is sent.
fn invalid<T: std::fmt::Debug>(result: Result<T, Error>) -> ValidationError {
    match result {
        Err(Error::Invalid(v)) => v,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn login_shape_is_adaptable_and_jwt_exp_drives_renewal() {
    let now = SystemTime::now();
    let exp = now.duration_since(UNIX_EPOCH).unwrap().as_secs() + 3600;
    let token = jwt_with_exp(exp);
    let answer_token = token.clone();
    let mock = Mock::new(move |s| match s.path.as_str() {
        "/api/v2/auth/login" => (
            StatusCode::OK,
            format!(r#"{{"data":{{"accessToken":"{answer_token}"}}}}"#),
        ),
        _ => (StatusCode::OK, customer_json("c")),
    });
    let login = Login::new("merchant-9", "ops", "s3cret")
        .login_field("login")
        .token_pointer("/data/accessToken");
    let clock = Arc::new(Mutex::new(now));
    let client_clock = Arc::clone(&clock);
    let client = KunaClient::builder("https://kuna.example/api/", Credentials::login(login))
        .time_source(move || *client_clock.lock().unwrap())
        .build_with(mock.service())
        .unwrap();

    client.customer("c").await.unwrap();
    client.customer("c").await.unwrap();
    *clock.lock().unwrap() = now + Duration::from_secs(3550); // inside the 60 s margin
    client.customer("c").await.unwrap();

    let seen = mock.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/v2/auth/login",
            "/api/v2/customer/details",
            "/api/v2/customer/details",
            "/api/v2/auth/login",
            "/api/v2/customer/details"
        ]
    );
    let login_req = &seen[0];
    assert_eq!(login_req.headers["merchant_id"], "merchant-9");
    assert_eq!(
        login_req.body,
        serde_json::json!({"login": "ops", "password": "s3cret"})
    );
    assert!(login_req.headers.get("api-key").is_none());
    assert_eq!(seen[1].headers["authorization"], format!("Bearer {token}"));
}

#[tokio::test]
async fn error_bodies_are_kept_with_status_and_parsed_when_json() {
    let mock = Mock::new(|s| match s.path.as_str() {
        "/api/v2/customer/details" => (StatusCode::BAD_GATEWAY, "<html>bad gateway</html>".into()),
        "/api/v2/customer/find" => (
            StatusCode::BAD_REQUEST,
            r#"{"message":["take must not be greater than 100"],"error":"Bad Request"}"#.into(),
        ),
        "/api/v2/customer/update" => (StatusCode::OK, r#"{"id":"no-envelope"}"#.into()),
        "/api/v2/ramp/token" => (StatusCode::OK, r#"{"data":{"tok":"eyJsecret"}}"#.into()),
        _ => (
            StatusCode::OK,
            format!(r#"{{"data":"{}"}}"#, "x".repeat(5000)),
        ),
    });
    let client = mock.client(Credentials::api_key("k"));

    let err = client.customer("c").await.unwrap_err();
    assert!(matches!(
        err,
        Error::Api {
            status: StatusCode::BAD_GATEWAY,
            message: None,
            ..
        }
    ));
    assert_eq!(err.body().unwrap(), "<html>bad gateway</html>");

    let err = client
        .find_customers(&CustomerQuery::new().take(500))
        .await
        .unwrap_err();
    assert_eq!(err.message(), Some("take must not be greater than 100"));
    assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));

    let err = client
        .update_customer(&CustomerUpdate::new("c").comment("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnexpectedBody { .. }), "{err:?}");
    assert_eq!(err.body().unwrap(), r#"{"id":"no-envelope"}"#);

    // An answer that may hold a credential is not kept in the error.
    let err = client.ramp_token("c", "UA").await.unwrap_err();
    assert!(matches!(err, Error::UnexpectedBody { .. }), "{err:?}");
    assert!(!format!("{err:?}").contains("eyJsecret"));

    let err = client
        .create_customer(&valid().build().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 4096 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_answer_with_a_key_twice_is_refused_naming_the_key() {
    let mock = Mock::new(|s| match s.path.as_str() {
        "/api/v2/customer/details" => (
            StatusCode::OK,
            r#"{"data":{"id":"c","email":"a@b.co","email":"evil@b.co"}}"#.into(),
        ),
        "/api/v2/customer/find" => (
            StatusCode::BAD_REQUEST,
            r#"{"message":"first","message":"second"}"#.into(),
        ),
        "/api/v2/ramp/token" => (
            StatusCode::OK,
            r#"{"data":{"token":"eyJfirst","token":"eyJsecond"}}"#.into(),
        ),
        _ => (StatusCode::OK, r#"{"data":{},"data":{}}"#.into()),
    });
    let client = mock.client(Credentials::api_key("k"));

    let err = client.customer("c").await.unwrap_err();
    match &err {
        Error::DuplicateKey { status, key, body } => {
            assert_eq!(*status, StatusCode::OK);
            assert_eq!(key, "email");
            assert!(body.starts_with(br#"{"data""#));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains(r#"the key "email" twice"#),
        "{err}"
    );

    // An error body with a key twice is kept, but its message is not read.
    let err = client
        .find_customers(&CustomerQuery::new())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
    assert_eq!(err.message(), None);

    // A credential answer with its token twice: refused, and neither token is kept.
    let err = client.ramp_token("c", "UA").await.unwrap_err();
    assert!(
        matches!(&err, Error::DuplicateKey { key, body, .. } if key == "token" && body.is_empty()),
        "{err:?}"
    );
    assert!(!format!("{err:?}").contains("eyJ"), "{err:?}");
}

#[tokio::test]
async fn open_widget_uses_the_exact_external_id_match() {
    // The search returns a loose match first: it must not be taken for the customer.
    let mock = Mock::new(|s| match s.path.as_str() {
        "/api/v2/customer/find" => (
            StatusCode::OK,
            r#"{"data":[{"id":"other","externalId":"ext-10"},{"id":"mine","externalId":"ext-1"}]}"#
                .into(),
        ),
        "/api/v2/ramp/token" => (StatusCode::OK, r#"{"data":{"token":"t0k"}}"#.into()),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "{}".into()),
    });
    let client = mock.client(Credentials::api_key("k"));
    let session = client
        .open_widget(&valid().build().unwrap(), "UA")
        .await
        .unwrap();
    assert_eq!(session.customer.id, "mine");
    assert!(!session.created);
    assert_eq!(
        session.url.expose_secret(),
        "https://core-onramp-widget.anuk.tech/?institutionId=inst-1&refreshToken=t0k"
    );
    assert_eq!(
        mock.seen()[0].body,
        serde_json::json!({"externalId": "ext-1", "take": 10})
    );
}

#[test]
fn base_url_is_required_and_https_outside_loopback() {
    let svc = tower::service_fn(|_: Request<Full<Bytes>>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
    });
    let build = |url: &str| KunaClient::builder(url, Credentials::api_key("k")).build_with(svc);
    for bad in [
        "",
        "kuna.example",
        "http://kuna.example/",
        "ftp://kuna.example/",
        "https://kuna.example/?a=1",
    ] {
        assert!(matches!(build(bad), Err(Error::Config(_))), "{bad}");
    }
    for ok in [
        "https://kuna.example",
        "http://127.0.0.1:8080/",
        "http://[::1]:1/",
        "http://localhost:9/kuna",
    ] {
        assert!(build(ok).is_ok(), "{ok}");
    }
    let no_key =
        KunaClient::builder("https://k.example/", Credentials::api_key("")).build_with(svc);
    assert!(matches!(no_key, Err(Error::Invalid(_))));
    let no_institution = KunaClient::builder("https://k.example/", Credentials::api_key("k"))
        .build_with(svc)
        .unwrap();
    let token = kuna_ramp::RampToken::new("t");
    assert!(matches!(
        no_institution.widget_url(&token),
        Err(Error::Config(_))
    ));
}
