//! `kukuruku demo`: the whole integration, in-process, on loopback.
//!
//! A sandbox (the Kukuruku side: payments, KukurukuID, Kuna) and an example merchant (the
//! sandbox's [`ExampleMerchant`](kukuruku_sandbox::merchant::ExampleMerchant): axum +
//! kukuruku-ledger's callback route, recording each update in a SQLite ledger before
//! acknowledging it, and a worker crediting each paid payin once; plus a KukurukuID login with `kukuruku-oidc`, [`merchant`]) start on
//! 127.0.0.1; the SDK client then walks a payin through the pay page to its callback and its
//! signed status, makes a payout ([`payments`]), logs a user in with KukurukuID ([`identity`]),
//! plays the Play auto-login ([`play`]), and opens and ends a Kuna widget session with
//! `kuna-ramp` ([`kuna`]), and shows a callback lost for good recovered by the ledger's
//! reconciler ([`reconcile`]). A small browser (`crate::browser`) follows the redirects and submits
//! the forms. Each step prints what was sent, what came back and how long it took
//! ([`transcript`]); any failure ends the walk with exit code 1.

use std::process::ExitCode;
use std::time::{Duration, Instant};

mod format;
mod identity;
mod kuna;
mod merchant;
mod payments;
mod play;
mod reconcile;
mod setup;
mod transcript;

use transcript::{Transcript, step};

const MERCHANT_ID: &str = "demo-merchant";
const BUYER: &str = "buyer@example.com";
const BUYER_NAME: &str = "Bea Buyer";
const PAYEE: &str = "payee@example.com";
/// How long any one step may take before the demo calls it hung. Generous: starting the sandbox
/// generates RSA keys, which takes seconds on a loaded machine, and this guards against hangs,
/// not slowness (the transcript prints each step's time).
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// The browser's User-Agent, which Kuna's widget token is bound to.
const USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) kukuruku-demo";

/// Runs the demo; exit code 0 when every step passed.
pub(crate) async fn run() -> ExitCode {
    let started = Instant::now();
    let outcome = walk().await;
    let code = conclude(outcome, started.elapsed());
    println!("{BROWSER_HINT}");
    ExitCode::from(code)
}

/// How to click through the same flow in a browser: the last thing the demo prints.
const BROWSER_HINT: &str = "\nthe same flow in a browser: run the sandbox and open its dashboard\n  \
KUKURUKU_SECRET_KEY=test-secret kukuruku sandbox --listen 127.0.0.1:8080\n  \
then open http://127.0.0.1:8080/sandbox (the \"dashboard\" URL of its ready line): orders, \
callbacks and their tries, live; create orders with the SDK or POST /sandbox/play";

/// Prints the last line and gives the exit status: 0 when every step passed, 1 otherwise.
fn conclude(outcome: Result<u32, ()>, elapsed: Duration) -> u8 {
    let elapsed = elapsed.as_secs_f64() * 1000.0;
    if let Ok(steps) = outcome {
        println!("\nall {steps} steps passed in {elapsed:.0} ms");
        0
    } else {
        println!("\nthe demo FAILED after {elapsed:.0} ms (see the step above)");
        1
    }
}

async fn walk() -> Result<u32, ()> {
    let mut t = Transcript { steps: 0 };
    println!("kukuruku demo: the whole integration against a local sandbox, on 127.0.0.1\n");
    let mut demo = step(&mut t, "start the sandbox and the merchant", setup::start()).await?;
    payments::payments(&mut t, &demo).await?;
    identity::login(&mut t, &mut demo).await?;
    play::play(&mut t, &mut demo).await?;
    kuna::kuna(&mut t, &demo).await?;
    reconcile::reconcile(&mut t, &demo).await?;
    demo.sandbox.shutdown().await;
    Ok(t.steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn two_steps(fail_first: bool) -> Result<u32, ()> {
        let mut t = Transcript { steps: 0 };
        step(&mut t, "first", async {
            if fail_first {
                Err("broken on purpose".to_owned())
            } else {
                Ok(((), vec![]))
            }
        })
        .await?;
        step(&mut t, "second", async { Ok(((), vec![])) }).await?;
        Ok(t.steps)
    }

    #[tokio::test]
    async fn a_failing_step_stops_the_walk_and_exits_non_zero() {
        let failed = two_steps(true).await;
        assert_eq!(failed, Err(()));
        assert_eq!(conclude(failed, Duration::ZERO), 1);

        let passed = two_steps(false).await;
        assert_eq!(passed, Ok(2));
        assert_eq!(conclude(passed, Duration::ZERO), 0);
    }
}
