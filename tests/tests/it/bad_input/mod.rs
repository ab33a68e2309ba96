//! Every bad input gets its 4xx and a message that names the problem: a bad or missing
//! signature ([`signatures`]), bad content ([`content`]).

use kukuruku_sandbox::Sandbox;

mod content;
mod malformed;
mod signatures;

fn payins(sandbox: &Sandbox) -> String {
    format!("{}/api/v1/orders/payins", sandbox.api_url())
}

fn payouts(sandbox: &Sandbox) -> String {
    format!("{}/api/v1/orders/payouts", sandbox.api_url())
}
