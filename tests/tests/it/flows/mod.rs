//! End to end through the sandbox with the SDK client: payin → pay → callback → status,
//! decline, cancel/expire via the control API ([`payins`]), payouts ([`payouts`]), retried
//! callbacks ([`callbacks`]), and the sandbox's own server ([`server`]).

use kukuruku_e2e::client;
use kukuruku_proto::{Amount, Currency, PayinCreated, PayinRequest};
use kukuruku_sandbox::Sandbox;
use kukuruku_sandbox::merchant::ExampleMerchant;

mod callbacks;
mod payins;
mod payouts;
mod server;

fn payin(order_number: &str, shop: &ExampleMerchant, amount: u64) -> PayinRequest {
    PayinRequest::builder()
        .amount(Amount::new(amount).unwrap())
        .currency(Currency::Rub)
        .callback_url(shop.callback_url())
        .order_number(order_number)
        .redirect_success_url(format!("{}/success?order={order_number}", shop.url()))
        .redirect_fail_url(format!("{}/fail", shop.url()))
        .client_id("buyer@example.com")
        .build()
        .unwrap()
}

async fn create(sandbox: &Sandbox, shop: &ExampleMerchant, order_number: &str) -> PayinCreated {
    client(sandbox)
        .create_payin(&payin(order_number, shop, 50_000))
        .await
        .unwrap()
}
