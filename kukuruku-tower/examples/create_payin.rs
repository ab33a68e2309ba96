//! Creates a payin and reads its status back.
//!
//! ```sh
//! KUKURUKU_BASE_URL=http://127.0.0.1:8443 KUKURUKU_MERCHANT_ID=1 KUKURUKU_SECRET_KEY=... \
//!     cargo run -p kukuruku-tower --example create_payin
//! ```
//!
//! `KUKURUKU_BASE_URL` defaults to `https://api.kukuruku.win`; plain `http://` is accepted for
//! loopback addresses only (a local sandbox).

use std::env;

use kukuruku_proto::{Amount, BASE_URL_ENV, Currency, PayinRequest};
use kukuruku_tower::{Client, SecretKey};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    let merchant_id = env::var("KUKURUKU_MERCHANT_ID").unwrap_or_else(|_| "1".to_owned());
    let key = SecretKey::new(env::var("KUKURUKU_SECRET_KEY").map_err(|_| {
        "set KUKURUKU_SECRET_KEY to the merchant's secret key (the \"Api secret\" of the dashboard)"
    })?)?;
    let mut builder = Client::builder(merchant_id, key);
    if let Ok(url) = env::var(BASE_URL_ENV) {
        builder = builder.base_url(url);
    }
    let client = builder.build()?;

    let order_number = format!(
        "example-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis()
    );
    let payin = PayinRequest::builder()
        .amount(Amount::from_decimal("500", &Currency::Rub)?)
        .currency(Currency::Rub)
        .order_number(&order_number)
        .callback_url(
            env::var("KUKURUKU_CALLBACK_URL")
                .unwrap_or_else(|_| "https://your-site.com/kukuruku/callback".to_owned()),
        )
        .client_id(
            env::var("KUKURUKU_CLIENT_EMAIL").unwrap_or_else(|_| "user@example.com".to_owned()),
        )
        .build()?;

    let created = client.create_payin(&payin).await?;
    println!("order {order_number}: send the user to {}", created.url);

    let order = client.order(&created.token).await?;
    println!("status of {}: {}", order.id.as_str(), order.status);
    Ok(())
}
