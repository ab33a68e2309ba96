//! Steps 17–19: the Kuna widget with `kuna-ramp`: open, valid, invalidated.

use std::time::SystemTime;

use http::StatusCode;
use kukuruku_tower::transport::HttpsTransport;
use kuna_ramp::{Credentials, KunaClient, NewCustomer, WidgetSession};

use super::format::redact;
use super::setup::Demo;
use super::transcript::{Step, Transcript, step};
use super::{BUYER, STEP_TIMEOUT, USER_AGENT};
use crate::error_chain::chain;

/// Steps 17–19, in order.
pub(super) async fn kuna(t: &mut Transcript, demo: &Demo) -> Result<(), ()> {
    let (kuna, session) = step(t, "Kuna: open the widget", open_widget(demo)).await?;
    let shown = redact(session.url.expose_secret(), &["refreshToken"]);
    step(t, "Kuna: the widget accepts the token", async {
        let page = demo.browser.get(session.url.expose_secret()).await?;
        if page.status != StatusCode::OK || !page.text().contains(r#""valid":true"#) {
            return Err(format!("{} {}", page.status, page.text()));
        }
        Ok((
            (),
            vec![
                format!("→ GET {shown}"),
                format!("← {} {}", page.status, page.text()),
            ],
        ))
    })
    .await?;
    step(t, "Kuna: invalidate, the widget refuses", async {
        kuna.invalidate(&session.customer.id)
            .await
            .map_err(|err| chain(&err))?;
        let page = demo.browser.get(session.url.expose_secret()).await?;
        if page.status != StatusCode::UNAUTHORIZED || !page.text().contains(r#""valid":false"#) {
            return Err(format!("{} {}", page.status, page.text()));
        }
        Ok((
            (),
            vec![
                format!(
                    "→ POST {}/v2/ramp/invalidate {{\"customerId\":\"{}\"}} ← 200",
                    demo.sandbox.kuna_url(),
                    session.customer.id
                ),
                format!("→ GET {shown}"),
                format!("← {} {}", page.status, page.text()),
            ],
        ))
    })
    .await
}

/// The institution's client, a customer found or created, and a widget session for them.
async fn open_widget(demo: &Demo) -> Step<(KunaClient<HttpsTransport>, WidgetSession)> {
    let sandbox = &demo.sandbox;
    let kuna = KunaClient::builder(
        sandbox.kuna_url(),
        Credentials::api_key(sandbox.kuna_api_key()),
    )
    .widget_url(sandbox.kuna_widget_url())
    .institution_id(sandbox.kuna_institution_id())
    .timeout(STEP_TIMEOUT)
    .build()
    .map_err(|err| chain(&err))?;
    let customer = NewCustomer::builder()
        .email(BUYER)
        .first_name("Bea")
        .last_name("Buyer")
        .country("UA")
        .verification_document_id("1237654")
        .residence_address("1 Demo Street")
        .external_id("demo-user-1")
        .build()
        .map_err(|err| chain(&err))?;
    let session = kuna
        .open_widget(&customer, USER_AGENT)
        .await
        .map_err(|err| chain(&err))?;
    let created = &session.customer;
    let lines = vec![
        format!(
            "→ POST {}/v2/customer/find {{\"externalId\":\"demo-user-1\"}} (api-key header)",
            sandbox.kuna_url()
        ),
        format!(
            "→ POST {}/v2/customer/create ← customer {}, wallet {}, verification {}",
            sandbox.kuna_url(),
            created.id,
            created
                .wallet_status
                .as_ref()
                .map_or_else(String::new, ToString::to_string),
            created
                .verification_status
                .as_ref()
                .map_or_else(String::new, ToString::to_string),
        ),
        format!(
            "→ POST {}/v2/ramp/token {{customerId, userAgent}} ← a widget token (never printed), valid {:.1} h",
            sandbox.kuna_url(),
            session
                .token
                .expires_at()
                .and_then(|at| at.duration_since(SystemTime::now()).ok())
                .map_or(0.0, |left| left.as_secs_f64() / 3600.0)
        ),
        format!("  widget URL {:?}", session.url),
    ];
    Ok(((kuna, session), lines))
}
