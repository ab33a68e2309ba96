//! Bad input, as a table that documents what is refused: every body and query this crate reads,
//! given truncated JSON, nesting 1 000 levels deep, keys twice, bytes that are not UTF-8,
//! amounts above `u64`, a repeated query parameter. Each row gets the typed error it names, and
//! nothing panics or overflows the stack.

use bytes::Bytes;
use http::StatusCode;
use kukuruku_proto::{
    Amount, ApiConfig, ApiError, AutoLoginError, AutoLoginQuery, CallbackError, Currency, Endpoint,
    JsonError, MerchantId, OrderId, OrderStatusRequest, PayinRequest, PayoutRequest,
    ProfileRequest, ResponseError, parse_callback, read_json,
};

/// What reads the input.
#[derive(Debug, Clone, Copy)]
enum Reader {
    /// `parse_callback` (the merchant's callback handler).
    Callback,
    /// The order status call's answer (order `u`, merchant `1`), status 200.
    Status,
    /// The payin call's answer, status 200.
    Payin,
    /// The payout call's answer, status 200.
    Payout,
    /// The profile call's answer, status 200.
    Profile,
    /// An error answer with status 400 (`ApiError::new`).
    ErrorBody,
    /// `read_json::<serde_json::Value>`, for any other body.
    AnyJson,
    /// `AutoLoginQuery::parse` (the Play button's link).
    AutoLogin,
    /// `Amount::from_decimal` in roubles.
    AmountText,
}

/// What the reader must answer: the typed error, and a part of what it says.
#[derive(Debug)]
enum Refused {
    /// Malformed (or `JsonError::Invalid`, an `AmountError`), saying this.
    Malformed(&'static str),
    /// A key twice, naming it.
    DuplicateKey(&'static str),
    /// An error answer whose message was not read (`ApiError`, no message).
    UnreadErrorBody,
    /// `AutoLoginError::Duplicate`, naming the parameter.
    DuplicateParam(&'static str),
}

const DEEP: usize = 1_000;

fn deep_arrays() -> Vec<u8> {
    format!(
        r#"{{"uuid":"u","status":"paid","x":{}{}}}"#,
        "[".repeat(DEEP),
        "]".repeat(DEEP)
    )
    .into_bytes()
}

fn deep_objects() -> Vec<u8> {
    format!(
        r#"{{"uuid":"u","status":"paid","x":{}1{}}}"#,
        r#"{"a":"#.repeat(DEEP),
        "}".repeat(DEEP)
    )
    .into_bytes()
}

/// The table: what is read, by which reader, and how it must be refused.
#[rustfmt::skip]
fn rows() -> Vec<(&'static str, Reader, Vec<u8>, Refused)> {
    use Reader::*;
    use Refused::*;
    const PLAY: &str = "custom4=https%3A%2F%2Fauth.kukuruku.win%2Frealms%2Fpublic";
    let b = |text: &str| text.as_bytes().to_vec();
    vec![
        // Truncated JSON.
        ("truncated callback", Callback, b(r#"{"uuid":"u","status":"pa"#), Malformed("EOF")),
        ("truncated status answer", Status, b(r#"{"uuid":"u","status":"#), Malformed("EOF")),
        ("truncated payin answer", Payin, b(r#"{"success":true,"token":"t","url":"#), Malformed("EOF")),
        ("truncated payout answer", Payout, b(r#"{"success":true,"uuid":"#), Malformed("EOF")),
        ("truncated profile", Profile, b(r#"{"name":"A"#), Malformed("EOF")),
        ("truncated error body", ErrorBody, b(r#"{"err":"no"#), UnreadErrorBody),
        ("empty callback", Callback, b(""), Malformed("EOF")),
        // Nesting 1 000 levels deep: serde_json's limit (128) answers, through the key check.
        ("deep arrays in a callback", Callback, deep_arrays(), Malformed("recursion limit")),
        ("deep objects in a callback", Callback, deep_objects(), Malformed("recursion limit")),
        ("deep arrays in a status answer", Status, deep_arrays(), Malformed("recursion limit")),
        ("deep objects in a payout answer", Payout, deep_objects(), Malformed("recursion limit")),
        ("deep objects in a profile", Profile, deep_objects(), Malformed("recursion limit")),
        ("deep objects in an error body", ErrorBody, deep_objects(), UnreadErrorBody),
        ("deep arrays, any JSON", AnyJson, b(&"[".repeat(DEEP)), Malformed("recursion limit")),
        // Keys twice.
        ("amount twice in a callback", Callback,
            b(r#"{"uuid":"u","status":"paid","amount":1,"amount":500000}"#), DuplicateKey("amount")),
        ("status twice in a callback", Callback,
            b(r#"{"uuid":"u","status":"failed","status":"paid"}"#), DuplicateKey("status")),
        ("a key twice in an extra field", Callback,
            b(r#"{"uuid":"u","status":"paid","fee":{"v":1,"v":2}}"#), DuplicateKey("v")),
        ("a key twice, once escaped", Callback,
            b(r#"{"uuid":"u","status":"paid","amount":1,"\u0061mount":2}"#), DuplicateKey("amount")),
        ("uuid twice in a status answer", Status,
            b(r#"{"uuid":"u","uuid":"v","status":"paid"}"#), DuplicateKey("uuid")),
        ("merchant_id twice in a status answer", Status,
            b(r#"{"uuid":"u","status":"paid","merchant_id":"1","merchant_id":"2"}"#), DuplicateKey("merchant_id")),
        ("success twice in a payin answer", Payin,
            b(r#"{"success":false,"success":true,"token":"t","url":"u"}"#), DuplicateKey("success")),
        ("token twice in a payin answer", Payin,
            b(r#"{"success":true,"token":"t","token":"x","url":"u"}"#), DuplicateKey("token")),
        ("an extra field twice in a payout answer", Payout,
            b(r#"{"success":true,"uuid":"p","fee":1,"fee":2}"#), DuplicateKey("fee")),
        ("email twice in a profile", Profile,
            b(r#"{"email":"a@b.co","email":"c@d.co"}"#), DuplicateKey("email")),
        ("err twice in an error body", ErrorBody,
            b(r#"{"success":false,"err":"a","err":"b"}"#), UnreadErrorBody),
        ("a key twice deep in any JSON", AnyJson, b(r#"[{"a":[{"b":1,"b":1}]}]"#), DuplicateKey("b")),
        // Bytes that are not UTF-8.
        ("non-UTF-8 callback", Callback, b"\xff\xfe{}".to_vec(), Malformed("expected value")),
        ("non-UTF-8 string in a callback", Callback,
            b"{\"uuid\":\"\xff\",\"status\":\"paid\"}".to_vec(), Malformed("invalid unicode")),
        ("non-UTF-8 key in a status answer", Status,
            b"{\"uuid\":\"u\",\"status\":\"paid\",\"\xc3\":1}".to_vec(), Malformed("invalid unicode")),
        ("non-UTF-8 profile", Profile, b"{\"name\":\"\xe2\x82\"}".to_vec(), Malformed("invalid unicode")),
        ("non-UTF-8 error body", ErrorBody, b"\xff\xfe".to_vec(), UnreadErrorBody),
        // Amounts above u64 (and above JavaScript's safe integers).
        ("amount above u64", Callback,
            b(r#"{"uuid":"u","status":"paid","amount":18446744073709551616}"#), Malformed("amount")),
        ("amount above u64, as text", Callback,
            b(r#"{"uuid":"u","status":"paid","amount":"18446744073709551616"}"#), Malformed("amount")),
        ("amount of u64::MAX", Status,
            b(r#"{"uuid":"u","status":"paid","amount":18446744073709551615}"#), Malformed("amount")),
        ("amount text above u64", AmountText, b("184467440737095516.16"), Malformed("")),
        // A repeated query parameter.
        ("merchant_id twice in a Play link", AutoLogin,
            b(&format!("{PLAY}&order_id=a&merchant_id=1&merchant_id=2")), DuplicateParam("merchant_id")),
        ("order_id twice in a Play link", AutoLogin,
            b(&format!("{PLAY}&order_id=a&order_id=b")), DuplicateParam("order_id")),
    ]
}

/// How a reader refused an input: the kind of error, the key or parameter it names (if any),
/// and its message.
#[derive(Debug)]
struct Refusal {
    kind: Kind,
    named: String,
    message: String,
}

#[derive(Debug, PartialEq)]
enum Kind {
    Malformed,
    DuplicateKey,
    UnreadErrorBody,
    DuplicateParam,
}

impl Refusal {
    fn new(kind: Kind, named: &str, error: &dyn std::fmt::Display) -> Self {
        Self {
            kind,
            named: named.to_owned(),
            message: error.to_string(),
        }
    }

    fn is(&self, expected: &Refused) -> bool {
        match expected {
            Refused::Malformed(part) => self.kind == Kind::Malformed && self.message.contains(part),
            Refused::DuplicateKey(key) => self.kind == Kind::DuplicateKey && self.named == *key,
            Refused::UnreadErrorBody => self.kind == Kind::UnreadErrorBody,
            Refused::DuplicateParam(param) => {
                self.kind == Kind::DuplicateParam && self.named == *param
            }
        }
    }
}

/// Reads `input` with `reader`: `Ok` is an accepted input, `Err` the refusal.
fn read(reader: Reader, input: &[u8]) -> Result<(), Refusal> {
    let config = ApiConfig::new(MerchantId::new("1").unwrap());
    let answer = |status: u16| {
        let mut response = http::Response::new(Bytes::copy_from_slice(input));
        *response.status_mut() = StatusCode::from_u16(status).unwrap();
        response
    };
    match reader {
        Reader::Callback => parse_callback(input)
            .map(drop)
            .map_err(|error| match &error {
                CallbackError::DuplicateKey { key } => {
                    Refusal::new(Kind::DuplicateKey, key, &error)
                }
                _ => Refusal::new(Kind::Malformed, "", &error),
            }),
        Reader::Status => {
            let call = OrderStatusRequest::new(OrderId::new("u").unwrap());
            call.parse_response(&config, answer(200))
                .map(drop)
                .map_err(response_error)
        }
        Reader::Payin => payin()
            .parse_response(&config, answer(200))
            .map(drop)
            .map_err(response_error),
        Reader::Payout => payout()
            .parse_response(&config, answer(200))
            .map(drop)
            .map_err(response_error),
        Reader::Profile => ProfileRequest::new("t")
            .unwrap()
            .parse_response(&config, answer(200))
            .map(drop)
            .map_err(response_error),
        Reader::ErrorBody => {
            let error = ApiError::new(StatusCode::BAD_REQUEST, Bytes::copy_from_slice(input));
            assert_eq!(error.body().as_ref(), input);
            match error.message() {
                None => Err(Refusal::new(Kind::UnreadErrorBody, "", &error)),
                Some(_) => Ok(()),
            }
        }
        Reader::AnyJson => read_json::<serde_json::Value>(input)
            .map(drop)
            .map_err(|error| match &error {
                JsonError::DuplicateKey { key } => Refusal::new(Kind::DuplicateKey, key, &error),
                _ => Refusal::new(Kind::Malformed, "", &error),
            }),
        Reader::AutoLogin => AutoLoginQuery::parse(std::str::from_utf8(input).unwrap())
            .map(drop)
            .map_err(|error| match &error {
                AutoLoginError::Duplicate { param } => {
                    Refusal::new(Kind::DuplicateParam, param, &error)
                }
                _ => Refusal::new(Kind::Malformed, "", &error),
            }),
        Reader::AmountText => {
            Amount::from_decimal(std::str::from_utf8(input).unwrap(), &Currency::Rub)
                .map(drop)
                .map_err(|error| Refusal::new(Kind::Malformed, "", &error))
        }
    }
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(response_error)`
fn response_error(error: ResponseError) -> Refusal {
    match &error {
        ResponseError::DuplicateKey { key, .. } => Refusal::new(Kind::DuplicateKey, key, &error),
        ResponseError::Malformed { .. } => Refusal::new(Kind::Malformed, "", &error),
        other => panic!("not a refusal of the body: {other:?}"),
    }
}

fn payin() -> PayinRequest {
    PayinRequest::builder()
        .amount(Amount::new(1).unwrap())
        .currency(Currency::Rub)
        .order_number("n")
        .client_id("a@b.co")
        .build()
        .unwrap()
}

fn payout() -> PayoutRequest {
    PayoutRequest::builder()
        .amount(Amount::new(1).unwrap())
        .currency(Currency::Rub)
        .order_number("n")
        .user_email("a@b.co")
        .build()
        .unwrap()
}

#[test]
fn every_row_is_refused_with_its_typed_error() {
    let mut failures = Vec::new();
    for (name, reader, input, expected) in rows() {
        let outcome = read(reader, &input);
        if !outcome.as_ref().is_err_and(|refusal| refusal.is(&expected)) {
            failures.push(format!(
                "{name} ({reader:?}): expected {expected:?}, got {outcome:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_same_inputs_without_the_fault_are_accepted() {
    let config = ApiConfig::new(MerchantId::new("1").unwrap());
    assert!(
        parse_callback(br#"{"uuid":"u","status":"paid","amount":500000,"fee":{"v":1}}"#).is_ok()
    );
    let call = OrderStatusRequest::new(OrderId::new("u").unwrap());
    let answer = http::Response::new(Bytes::from_static(
        br#"{"uuid":"u","status":"paid","merchant_id":"1"}"#,
    ));
    assert!(call.parse_response(&config, answer).is_ok());
    let answer = http::Response::new(Bytes::from_static(
        br#"{"success":true,"token":"t","url":"u"}"#,
    ));
    assert!(payin().parse_response(&config, answer).is_ok());
    let answer = http::Response::new(Bytes::from_static(
        br#"{"success":true,"uuid":"p","fee":1}"#,
    ));
    assert!(payout().parse_response(&config, answer).is_ok());
    let nested = format!("{}{}", "[".repeat(100), "]".repeat(100));
    assert!(read_json::<serde_json::Value>(nested.as_bytes()).is_ok());
    assert!(AutoLoginQuery::parse("custom4=https%3A%2F%2Fauth.kukuruku.win%2Frealms%2Fpublic&order_id=a&merchant_id=1&merchant_id=1").is_ok());
}
