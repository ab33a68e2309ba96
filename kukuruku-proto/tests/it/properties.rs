//! Properties: decimal text round trips, parsers that never panic on untrusted input, and serde
//! round trips of every answer, including unknown statuses and extra fields.

use bytes::Bytes;
use http::StatusCode;
use kukuruku_proto::{
    Amount, ApiConfig, ApiError, AutoLoginQuery, Callback, Currency, Endpoint, Issuer, MerchantId,
    MerchantIdFormat, Order, OrderId, OrderNumber, OrderStatus, OrderStatusRequest, OrderType,
    PayinCreated, PayinRequest, PayoutCreated, Profile, ProfileRequest, parse_callback,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn amount() -> impl Strategy<Value = Amount> {
    prop_oneof![
        (0..=Amount::MAX.minor_units()),
        (0u64..1000),
        (Amount::MAX.minor_units() - 1000..=Amount::MAX.minor_units()),
    ]
    .prop_map(|n| Amount::new(n).unwrap())
}

/// Text that looks a bit like JSON, so that parsers get past the first byte.
fn json_ish() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        r#"\{("(uuid|token|order_id|id|status|amount|currency|type|merchant_id|order_number|created_at|err|error|message|success|name|email|x)":("[a-z0-9 ]{0,6}"|-?[0-9]{1,22}(\.[0-9]{1,3})?|null|true|false|\{\}|\[\]),?){0,8}\}"#,
        r#"[\[\]\{\}":,0-9a-z\\ .-]{0,40}"#,
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        ".{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            prop::collection::btree_map("[a-z]{1,4}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Extra fields: never a documented name, sometimes another id alias.
fn extra() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(
        prop_oneof![
            "x_[a-z]{1,6}",
            Just("token".to_owned()),
            Just("id".to_owned())
        ],
        json_value(),
        0..4,
    )
    .prop_map(|m| m.into_iter().collect())
}

fn status() -> impl Strategy<Value = OrderStatus> {
    prop_oneof![
        prop::sample::select(OrderStatus::KNOWN.to_vec()),
        "[a-z_]{0,10}".prop_map(|s| OrderStatus::parse(&s)),
        any::<String>().prop_map(|s| OrderStatus::parse(&s)),
    ]
}

fn currency() -> impl Strategy<Value = Currency> {
    prop_oneof![
        Just(Currency::Rub),
        Just(Currency::Usd),
        Just(Currency::Usdt),
        ".{0,6}".prop_map(|s| Currency::from_code(&s)),
    ]
}

fn text_id() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9-]{1,40}"
}

prop_compose! {
    fn order()(
        id in text_id(),
        order_number in proptest::option::of("[a-z0-9-]{1,20}"),
        status in status(),
        amount in proptest::option::of(amount()),
        currency in proptest::option::of(currency()),
        order_type in proptest::option::of(prop_oneof![
            Just(OrderType::Payin),
            Just(OrderType::Payout),
            ".{0,8}".prop_map(|s| OrderType::parse(&s)),
        ]),
        merchant_id in proptest::option::of(text_id()),
        created_at in proptest::option::of(".{0,25}"),
        updated_at in proptest::option::of(".{0,25}"),
        extra in extra(),
    ) -> Order {
        let mut order = Order::new(OrderId::new(id).unwrap(), status);
        order.order_number = order_number.map(|n| OrderNumber::new(n).unwrap());
        order.amount = amount;
        order.currency = currency;
        order.order_type = order_type;
        order.merchant_id = merchant_id.map(|m| MerchantId::new(m).unwrap());
        order.created_at = created_at;
        order.updated_at = updated_at;
        order.extra = extra;
        order
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decimal_round_trip(amount in amount(), exponent in 0u8..=18) {
        let text = amount.to_decimal_with_exponent(exponent);
        if exponent > 0 {
            let (_, decimals) = text.split_once('.').unwrap();
            prop_assert_eq!(decimals.len(), usize::from(exponent));
        } else {
            prop_assert!(!text.contains('.'));
        }
        prop_assert_eq!(Amount::from_decimal_with_exponent(&text, exponent), Ok(amount));
    }

    #[test]
    fn decimal_round_trip_for_every_currency(amount in amount(), currency in prop_oneof![
        Just(Currency::Rub), Just(Currency::Usd), Just(Currency::Usdt),
        (0u8..=18).prop_map(|e| Currency::custom("XYZ", e).unwrap()),
    ]) {
        let text = amount.to_decimal(&currency).unwrap();
        prop_assert_eq!(Amount::from_decimal(&text, &currency), Ok(amount));
    }

    #[test]
    fn decimal_parse_matches_exact_arithmetic(
        whole in "[0-9]{1,20}",
        fraction in proptest::option::of("[0-9]{0,4}"),
        exponent in 0u8..=4,
    ) {
        let text = match &fraction {
            Some(f) => format!("{whole}.{f}"),
            None => whole.clone(),
        };
        let parsed = Amount::from_decimal_with_exponent(&text, exponent);
        let f = fraction.clone().unwrap_or_default();
        if fraction.as_deref() == Some("") {
            prop_assert!(parsed.is_err());
        } else if f.len() > usize::from(exponent) {
            prop_assert!(parsed.is_err());
        } else {
            let scaled = format!("{whole}{f}{}", "0".repeat(usize::from(exponent) - f.len()));
            let expected = scaled.parse::<u128>().unwrap();
            match parsed {
                Ok(amount) => prop_assert_eq!(u128::from(amount.minor_units()), expected),
                Err(_) => prop_assert!(expected > u128::from(Amount::MAX.minor_units())),
            }
        }
    }

    #[test]
    fn decimal_parse_never_panics(text in any::<String>(), exponent in any::<u8>()) {
        if let Ok(amount) = Amount::from_decimal_with_exponent(&text, exponent) {
            prop_assert!(amount <= Amount::MAX);
        }
        let _ = Amount::from_decimal(&text, &Currency::Rub);
        let _ = Amount::from_decimal(&text, &Currency::from_code(&text));
    }

    #[test]
    fn decimal_parse_never_panics_on_number_like_text(text in "[-+0-9.eE ,]{0,30}") {
        let _ = Amount::from_decimal(&text, &Currency::Usd);
    }

    #[test]
    fn response_parsers_never_panic(text in json_ish()) {
        let _ = serde_json::from_str::<Order>(&text);
        let _ = serde_json::from_str::<Callback>(&text);
        let _ = parse_callback(text.as_bytes());
        let _ = serde_json::from_str::<Profile>(&text);
        let _ = serde_json::from_str::<PayinCreated>(&text);
        let _ = serde_json::from_str::<PayoutCreated>(&text);
        let error = ApiError::new(StatusCode::BAD_REQUEST, text.clone());
        let _ = error.to_string();
        prop_assert_eq!(error.body().as_ref(), text.as_bytes());
    }

    #[test]
    fn endpoint_parsers_never_panic(body in prop_oneof![
        json_ish().prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..64),
    ], status in 100u16..600) {
        let response = || {
            let mut response = http::Response::new(Bytes::from(body.clone()));
            *response.status_mut() = StatusCode::from_u16(status).unwrap();
            response
        };
        let config = ApiConfig::new(MerchantId::new("1").unwrap());
        let call = OrderStatusRequest::new(OrderId::new("u").unwrap());
        if let Err(error) = call.parse_response(&config, response()) {
            prop_assert_eq!(error.body().as_ref(), &body[..]);
            prop_assert_eq!(error.status().as_u16(), status);
            let _ = error.to_string();
        }
        let payin = PayinRequest::builder()
            .amount(Amount::new(1).unwrap())
            .currency(Currency::Rub)
            .order_number("n")
            .client_id("a@b.co")
            .build()
            .unwrap();
        let _ = payin.parse_response(&config, response());
        let _ = ProfileRequest::new("t").unwrap().parse_response(&config, response());
    }

    #[test]
    fn auto_login_parse_never_panics(query in prop_oneof![
        any::<String>(),
        r"\??((custom[1-4]|auth_url|order_id|sub_id[1-5]|aff_click_id|auto_login|x)=[a-z0-9%:/.+&=]{0,12}&?){0,8}",
    ]) {
        if let Ok(parsed) = AutoLoginQuery::parse(&query) {
            prop_assert!(!parsed.issuer().is_empty());
            prop_assert!(!parsed.order_id().as_str().is_empty());
            let _ = Issuer::parse(parsed.issuer());
        }
        let _ = Issuer::parse(&query);
    }

    #[test]
    fn auto_login_round_trip(
        issuer in "https://[a-z]{1,10}\\.[a-z]{2,3}(/realms/[a-z]{1,8})?",
        order_id in text_id(),
        sub_id5 in proptest::option::of(".{1,12}"),
        extra_value in ".{1,12}",
    ) {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("auto_login", "true");
        query.append_pair("custom4", &issuer);
        query.append_pair("order_id", &order_id);
        query.append_pair("custom2", &order_id);
        if let Some(sub) = &sub_id5 {
            query.append_pair("sub_id5", sub);
        }
        query.append_pair("utm", &extra_value);
        let parsed = AutoLoginQuery::parse(&query.finish()).unwrap();
        prop_assert_eq!(parsed.issuer(), issuer.as_str());
        prop_assert_eq!(parsed.order_id().as_str(), order_id.as_str());
        prop_assert_eq!(parsed.user_uuid(), sub_id5.as_deref());
        prop_assert_eq!(parsed.other().get("utm"), Some(&extra_value));
        let normalised = Issuer::parse(&issuer).unwrap();
        prop_assert!(normalised.as_str().contains("/realms/"));
        prop_assert_eq!(Issuer::parse(&format!("{normalised}/")).unwrap(), normalised);
    }

    #[test]
    fn order_serde_round_trip(order in order()) {
        let json = serde_json::to_vec(&order).unwrap();
        let again: Order = serde_json::from_slice(&json).unwrap();
        prop_assert_eq!(&again, &order);
        // Written with `uuid` first, whatever name it came from.
        let uuid_first = json.starts_with(br#"{"uuid":"#);
        prop_assert!(uuid_first);
    }

    #[test]
    fn order_aliases_and_extras(order in order(), alias in prop::sample::select(vec!["token", "order_id", "id"])) {
        // Rename `uuid` to an alias (dropping other ids that would take precedence).
        let Value::Object(mut map) = serde_json::to_value(&order).unwrap() else {
            unreachable!("an order serialises to an object")
        };
        for name in ["token", "order_id", "id"] {
            map.remove(name);
        }
        let id = map.remove("uuid").unwrap();
        map.insert(alias.to_owned(), id);
        let parsed: Order = serde_json::from_value(Value::Object(map)).unwrap();
        prop_assert_eq!(&parsed.id, &order.id);
        prop_assert_eq!(&parsed.status, &order.status);
        let mut expected = order.extra.clone();
        expected.remove("token");
        expected.remove("id");
        prop_assert_eq!(parsed.extra, expected);
    }

    #[test]
    fn profile_serde_round_trip(
        name in proptest::option::of(".{0,12}"),
        email in proptest::option::of(".{0,12}"),
        currency in proptest::option::of(currency()),
        extra in prop::collection::btree_map("x_[a-z]{1,6}", json_value(), 0..4),
    ) {
        let mut profile = Profile::default();
        profile.name = name;
        profile.email = email;
        profile.currency = currency;
        profile.extra = extra.into_iter().collect();
        let json = serde_json::to_string(&profile).unwrap();
        prop_assert_eq!(serde_json::from_str::<Profile>(&json).unwrap(), profile);
    }

    #[test]
    fn created_answers_round_trip(
        token in text_id(),
        url in ".{0,20}",
        extra in prop::collection::btree_map("x_[a-z]{1,6}", json_value(), 0..4),
    ) {
        let mut payin = PayinCreated::new(OrderId::new(token.clone()).unwrap(), url);
        payin.extra = extra.clone().into_iter().collect();
        let json = serde_json::to_string(&payin).unwrap();
        prop_assert_eq!(serde_json::from_str::<PayinCreated>(&json).unwrap(), payin);

        let mut payout = PayoutCreated::new(OrderId::new(token).unwrap());
        payout.extra = extra.into_iter().collect();
        let json = serde_json::to_string(&payout).unwrap();
        prop_assert_eq!(serde_json::from_str::<PayoutCreated>(&json).unwrap(), payout);
    }

    #[test]
    fn payin_body_carries_every_field(
        amount in amount().prop_filter("orders need > 0", |a| !a.is_zero()),
        order_number in "[a-zA-Z0-9 \"/\\\\-]{1,30}",
        numeric in any::<bool>(),
    ) {
        prop_assume!(OrderNumber::new(&order_number).is_ok());
        let payin = PayinRequest::builder()
            .amount(amount)
            .currency(Currency::Rub)
            .order_number(order_number.clone())
            .client_id("user@example.com")
            .build()
            .unwrap();
        let mut config = ApiConfig::new(MerchantId::new("17").unwrap());
        if numeric {
            config = config.with_merchant_id_format(MerchantIdFormat::Number).unwrap();
        }
        let request = payin.to_request(&config).unwrap();
        let body: Value = serde_json::from_slice(request.body()).unwrap();
        prop_assert_eq!(&body["amount"], &Value::from(amount.minor_units()));
        prop_assert_eq!(&body["order_number"], &Value::from(order_number.trim()));
        let expected_id = if numeric { Value::from(17) } else { Value::from("17") };
        prop_assert_eq!(&body["merchant_id"], &expected_id);
        let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
        prop_assert_eq!(keys.len(), 5);
    }
}
