//! A peer client we did not write: the providers' own Python recipe (seed 002), with the
//! standard library only, creates a payin against the sandbox; a tampered copy gets 401.
//!
//! Without python3 the test prints SKIP and passes, unless `KUKURUKU_REQUIRE_INTEROP=1` (CI).

use std::path::PathBuf;
use std::process::Command;

use kukuruku_e2e::{SECRET, WAIT, client, recorded, shop, start_sandbox};
use kukuruku_proto::{OrderId, OrderStatus};
use kukuruku_sandbox::merchant::Failure;
use serde_json::Value;

fn python() -> Option<&'static str> {
    let found = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if found {
        return Some("python3");
    }
    assert!(
        std::env::var("KUKURUKU_REQUIRE_INTEROP").as_deref() != Ok("1"),
        "python3 is not installed, and KUKURUKU_REQUIRE_INTEROP=1 requires the interop tests"
    );
    println!(
        "SKIP: python3 is not installed (set KUKURUKU_REQUIRE_INTEROP=1 to make this a failure)"
    );
    None
}

async fn run_recipe(
    python: &'static str,
    base_url: &str,
    order_number: &str,
    callback_url: &str,
    mode: &str,
) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop/python_payin.py");
    let args = [
        script.display().to_string(),
        base_url.to_owned(),
        order_number.to_owned(),
        callback_url.to_owned(),
        mode.to_owned(),
    ];
    let output = tokio::time::timeout(
        WAIT * 2,
        tokio::task::spawn_blocking(move || {
            Command::new(python)
                .args(args)
                .env("KUKURUKU_SECRET_KEY", SECRET)
                .output()
        }),
    )
    .await
    .expect("python3 took too long")
    .expect("the blocking task failed")
    .expect("python3 did not run");
    assert!(
        output.status.success(),
        "the recipe failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the recipe prints one JSON line")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_recipe_creates_a_payin_and_a_tampered_copy_is_refused() {
    let Some(python) = python() else {
        return;
    };
    let sandbox = start_sandbox().await;
    let shop = shop(Failure::None).await;

    let ok = run_recipe(
        python,
        sandbox.api_url(),
        "py-order-1",
        &shop.callback_url(),
        "ok",
    )
    .await;
    assert_eq!(ok["status"], 200, "{ok}");
    let answer: Value = serde_json::from_str(ok["body"].as_str().unwrap()).unwrap();
    assert_eq!(answer["success"], true);
    let token = answer["token"].as_str().unwrap();
    assert_eq!(answer["url"], sandbox.pay_page_url(token));
    // The order exists for the SDK too, and pays through to a verified callback.
    let id = OrderId::new(token).unwrap();
    assert_eq!(
        client(&sandbox).order(&id).await.unwrap().status,
        OrderStatus::Created
    );
    sandbox
        .set_status(token, kukuruku_sandbox::OrderStatus::Paid)
        .unwrap();
    assert!(recorded(&shop, token, OrderStatus::Paid).await);

    let tampered = run_recipe(
        python,
        sandbox.api_url(),
        "py-order-2",
        &shop.callback_url(),
        "tampered",
    )
    .await;
    assert_eq!(tampered["status"], 401, "{tampered}");
    assert_eq!(
        tampered["body"],
        r#"{"success":false,"err":"Invalid signature"}"#
    );

    // The seed's own example sends with requests.post(json=data), which re-serialises with
    // spaces: those bytes are not the ones signed, and a raw-bytes verifier refuses them.
    let spaced = run_recipe(
        python,
        sandbox.api_url(),
        "py-order-3",
        &shop.callback_url(),
        "requests",
    )
    .await;
    assert!(
        spaced["sent"]
            .as_str()
            .unwrap()
            .contains("\"amount\": 50000"),
        "{spaced}"
    );
    assert_eq!(spaced["status"], 401, "{spaced}");
    assert_eq!(
        sandbox.orders().len(),
        1,
        "only the properly signed payin exists"
    );
}
