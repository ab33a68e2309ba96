//! Callbacks signed by the providers' own Node and PHP recipes pass the verify layer, because
//! it checks the raw bytes (PHP escapes `/` as `\/`: other bytes, same data).
//!
//! Without `node`, the npm package or `php`, each test prints a SKIP line and returns, unless
//! `KUKURUKU_REQUIRE_INTEROP=1` (CI) makes that a failure.

use std::path::PathBuf;
use std::process::Command;

use kukuruku_proto::{Callback, OrderStatus};
use kukuruku_tower::VerifySignatureLayer;
use tower::{Layer, ServiceExt};

use crate::support::*;

/// Data with a `/` (URLs) and non-ASCII text, where the recipes' bytes differ.
const DATA: &str = r#"{"uuid":"5d0f2a4e-0000-4000-8000-000000000001","order_number":"order/123","status":"paid","amount":50000,"currency":"RUB","type":"payin","merchant_id":"1","callback_url":"https://your-site.com/callback"}"#;

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

/// Runs a recipe; returns (body, signature), or the reason it cannot run.
fn run(program: &str, script: &str) -> Result<(String, String), String> {
    let output = Command::new(program)
        .arg(script)
        .arg(KEY)
        .arg(DATA)
        .current_dir(interop_dir())
        .output()
        .map_err(|err| format!("`{program}` cannot be started ({err})"))?;
    if !output.status.success() {
        return Err(format!(
            "`{program} {script}` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let stdout = String::from_utf8(output.stdout).map_err(|err| err.to_string())?;
    let mut lines = stdout.lines();
    match (lines.next(), lines.next()) {
        (Some(body), Some(signature)) => Ok((body.to_owned(), signature.to_owned())),
        _ => Err(format!("`{program} {script}` printed {stdout:?}")),
    }
}

async fn verify(body: String, signature: &str) -> (u16, Vec<Seen>) {
    let (seen, inner) = recording();
    let service = VerifySignatureLayer::new(verifier()).layer(inner);
    let req = http::Request::post("/callback")
        .header("signature", signature)
        .body(full(body))
        .unwrap();
    let response = service.oneshot(req).await.unwrap();
    (response.status().as_u16(), seen.lock().unwrap().clone())
}

#[tokio::test]
async fn node_js_sha512_recipe_is_accepted() {
    let missing = if interop_dir().join("node_modules/js-sha512").is_dir() {
        run("node", "sign_callback.js").err()
    } else {
        Some(
            "tests/interop/node_modules/js-sha512 is not installed (npm install in tests/interop)"
                .to_owned(),
        )
    };
    if !interop_available("Node (js-sha512)", missing) {
        return;
    }
    let (body, signature) = run("node", "sign_callback.js").unwrap();
    assert_eq!(
        signature,
        sign(body.as_bytes()),
        "Node and Rust disagree on the HMAC"
    );
    let (status, seen) = verify(body.clone(), &signature).await;
    assert_eq!(status, 200);
    assert_eq!(seen[0].body, body.as_bytes());
    let callback: Callback = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(callback.status, OrderStatus::Paid);
}

#[tokio::test]
async fn php_hash_hmac_recipe_is_accepted_with_escaped_slashes() {
    let missing = run("php", "sign_callback.php").err();
    if !interop_available("PHP", missing) {
        return;
    }
    let (body, signature) = run("php", "sign_callback.php").unwrap();
    assert!(
        body.contains(r"https:\/\/your-site.com"),
        "PHP escapes '/': {body}"
    );
    // Re-serialising would give other bytes, and so another signature...
    let reserialised =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&body).unwrap()).unwrap();
    assert_ne!(sign(reserialised.as_bytes()), signature);
    // ... but the layer checks the raw bytes, so PHP's callback is accepted.
    let (status, seen) = verify(body.clone(), &signature).await;
    assert_eq!(status, 200);
    assert_eq!(seen[0].body, body.as_bytes());
    let callback: Callback = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(callback.order_number.unwrap().as_str(), "order/123");
    // A tampered PHP callback is still refused.
    let (status, _) = verify(body.replace("50000", "50001"), &signature).await;
    assert_eq!(status, 401);
}
