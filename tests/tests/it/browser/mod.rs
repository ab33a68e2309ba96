//! The sandbox's pages in a real browser: headless Debian Chromium through chromedriver
//! (`driver.rs`), a merchant of its own (`shop.rs`). The pay page (Pay → the merchant's success
//! URL, Decline → its fail URL), the KukurukuID login page (choose a user → back at the merchant,
//! logged in), the dashboard (the paid order's callback delivered; a failing merchant's tries
//! appearing while the page is open, without a reload; the re-send button; a refused move with
//! its reason), and markup sent in an order number, a merchant's answer and a customer name
//! staying text (no script runs). A screenshot of each page goes to
//! `target/browser-screenshots/`.
//!
//! Without `chromium` and `chromedriver` on `PATH` the test prints a SKIP line and passes; with
//! `KUKURUKU_REQUIRE_BROWSER=1` (CI) it fails instead.

mod driver;
mod shop;

use std::path::{Path, PathBuf};
use std::time::Duration;

use http::Method;
use kukuruku_e2e::{Http, MERCHANT_ID, PAYEE, key, payin_body};
use kukuruku_oidc::KukurukuId;
use kukuruku_sandbox::{CallbackPolicy, KukuPayUser, Merchant, OrderStatus, Sandbox};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use driver::{Browser, WAIT, find_programs};
use shop::MARKUP;

/// Retries slow enough to watch: 4 tries, 300 ms doubling.
fn watchable_callbacks() -> CallbackPolicy {
    CallbackPolicy::default()
        .timeout(Duration::from_secs(2))
        .max_attempts(4)
        .initial_backoff(Duration::from_millis(300))
}

fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    let dir = target.join("browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The sandbox, and the shop's URL (its KukurukuID client is the sandbox's confidential one).
async fn start() -> (Sandbox, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shop_url = format!("http://{}", listener.local_addr().unwrap());
    let sandbox = Sandbox::builder()
        .merchant(Merchant::new(MERCHANT_ID, key()))
        .user(KukuPayUser::new(PAYEE, "Pat Payee", "RUB"))
        .user(KukuPayUser::new(
            "mark@example.com",
            "<script>alert(2)</script>",
            "USD",
        ))
        .callback_policy(watchable_callbacks())
        .start()
        .await
        .unwrap();
    let oidc = KukurukuId::builder(sandbox.idp_client_id(), format!("{shop_url}/auth/callback"))
        .client_secret(sandbox.idp_client_secret())
        .issuer(sandbox.issuer())
        .api_base_url(sandbox.api_url())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    shop::serve(listener, shop_url.clone(), oidc);
    (sandbox, shop_url)
}

/// A payin with its callback to `callback` on the shop; its uuid and pay page URL.
async fn payin(sandbox: &Sandbox, shop: &str, number: &str, callback: &str) -> (String, String) {
    let body = payin_body(
        number,
        &format!("{shop}{callback}"),
        &[
            ("redirect_success_url", json!(format!("{shop}/success"))),
            ("redirect_fail_url", json!(format!("{shop}/fail"))),
            ("customer", json!({"client_id": PAYEE})),
        ],
    );
    let url = format!("{}/api/v1/orders/payins", sandbox.api_url());
    let answer = Http::default().post_signed(&url, &body).await;
    assert!(answer.status.is_success(), "{}", answer.text());
    let value = answer.json();
    let uuid = value["token"].as_str().unwrap().to_owned();
    (uuid, value["url"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_pay_login_and_dashboard() {
    let required = std::env::var("KUKURUKU_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let (chromium, chromedriver) = match find_programs() {
        Ok(found) => found,
        Err(why) if required => {
            panic!("KUKURUKU_REQUIRE_BROWSER=1 and the browser is missing: {why}")
        }
        Err(why) => {
            println!(
                "SKIP browser test: {why}; set KUKURUKU_REQUIRE_BROWSER=1 to make this a failure"
            );
            return;
        }
    };
    let browser = Browser::launch(&chromium, &chromedriver).await.unwrap();
    let shots = screenshots();
    let (sandbox, shop) = start().await;
    browser.set_width(1400).await;

    let paid = pay_page(&browser, &sandbox, &shop, &shots).await;
    login_page(&browser, &shop, &shots).await;
    dashboard(&browser, &sandbox, &paid, &shots).await;
    live_tries_and_markup(&browser, &sandbox, &shop, &shots).await;
    resend_and_refusal(&browser, &sandbox, &paid, &shots).await;
    people(&browser, &sandbox, &shots).await;
    browser.quit().await;
}

/// Pay → the success URL; Decline → the fail URL. The paid order's uuid.
async fn pay_page(browser: &Browser, sandbox: &Sandbox, shop: &str, shots: &Path) -> String {
    let (paid, url) = payin(sandbox, shop, "browser-paid", "/cb").await;
    browser.goto(&url).await;
    browser.wait_for_text("500.00 RUB").await;
    browser.screenshot(&shots.join("pay-page.png")).await;
    browser.click("#pay").await;
    let landed = browser
        .poll(WAIT, || async {
            Some(browser.url().await).filter(|u| u.starts_with(&format!("{shop}/success")))
        })
        .await;
    assert!(
        landed.is_some(),
        "not at the success URL: {}",
        browser.url().await
    );
    browser.wait_for_text("payment succeeded").await;
    browser
        .screenshot(&shots.join("merchant-success.png"))
        .await;
    assert_eq!(sandbox.order(&paid).unwrap().status, OrderStatus::Paid);

    let (declined, url) = payin(sandbox, shop, "browser-declined", "/cb").await;
    browser.goto(&url).await;
    browser.click("#decline").await;
    browser.wait_for_text("declined").await;
    assert!(browser.url().await.starts_with(&format!("{shop}/fail")));
    browser.screenshot(&shots.join("merchant-fail.png")).await;
    assert_eq!(
        sandbox.order(&declined).unwrap().status,
        OrderStatus::Cancelled
    );
    paid
}

/// The shop's login → the sandbox's login page → choose the user → back, logged in.
async fn login_page(browser: &Browser, shop: &str, shots: &Path) {
    browser.goto(&format!("{shop}/login")).await;
    browser.wait_for_text("Choose a sandbox user").await;
    browser.screenshot(&shots.join("login-page.png")).await;
    browser
        .click(&format!("input[value='{PAYEE}'] + button"))
        .await;
    browser
        .wait_for_text(&format!("Logged in as {PAYEE}"))
        .await;
    assert!(
        browser
            .url()
            .await
            .starts_with(&format!("{shop}/auth/callback?"))
    );
    browser
        .screenshot(&shots.join("merchant-logged-in.png"))
        .await;
}

/// The list at both widths; the paid order's page shows its callback delivered.
async fn dashboard(browser: &Browser, sandbox: &Sandbox, paid: &str, shots: &Path) {
    sandbox.settled_callbacks(WAIT).await;
    browser.goto(&sandbox.dashboard_url()).await;
    let text = browser.wait_for_text("browser-paid").await;
    assert!(
        text.contains("500.00 RUB") && text.contains("browser-declined"),
        "{text}"
    );
    wait_live(browser).await;
    browser.screenshot(&shots.join("dashboard-1400.png")).await;
    browser.set_width(360).await;
    let width = browser
        .run("return document.documentElement.clientWidth;", json!([]))
        .await;
    assert_eq!(width, json!(360));
    let overflow = browser
        .run(
            "return document.documentElement.scrollWidth > document.documentElement.clientWidth;",
            json!([]),
        )
        .await;
    assert_eq!(
        overflow,
        json!(false),
        "the list fits 360 px without sideways scrolling"
    );
    browser.screenshot(&shots.join("dashboard-360.png")).await;
    browser.set_width(1400).await;

    browser.click(&format!("a[href$='/orders/{paid}']")).await;
    browser.wait_for_text("delivered").await;
    let text = browser.wait_for_text("HTTP 200").await;
    assert!(text.contains("signature"), "{text}");
    browser.screenshot(&shots.join("order-paid.png")).await;
}

/// Waits until the page's live script is connected to `GET /sandbox/events`.
async fn wait_live(browser: &Browser) {
    let script = "return document.getElementById('live-state').textContent;";
    let live = browser
        .poll(WAIT, || async {
            (browser.run(script, json!([])).await == json!("live")).then_some(())
        })
        .await;
    assert!(live.is_some(), "the page never connected to the live feed");
}

async fn count(browser: &Browser, css: &str) -> u64 {
    let script = "return document.querySelectorAll(arguments[0]).length;";
    browser
        .run(script, json!([css]))
        .await
        .as_u64()
        .unwrap_or(0)
}

/// Whether a script injected by markup ran on this page.
async fn pwned(browser: &Browser) -> Value {
    browser
        .run(
            "return window.__pwned === undefined ? null : window.__pwned;",
            json!([]),
        )
        .await
}

/// A failing merchant's tries appear on the open page, without a reload; markup stays text.
async fn live_tries_and_markup(browser: &Browser, sandbox: &Sandbox, shop: &str, shots: &Path) {
    let (uuid, _) = payin(sandbox, shop, MARKUP, "/cb-fail").await;
    let page = format!("{}/dashboard/orders/{uuid}", sandbox.control_url());
    browser.goto(&page).await;
    browser.wait_for_text("None yet").await;
    wait_live(browser).await;
    browser
        .run("window.__not_reloaded = 42; return null;", json!([]))
        .await;
    sandbox.set_status(&uuid, OrderStatus::Paid).unwrap();
    let tries = browser
        .poll(WAIT, || async {
            Some(count(browser, ".attempts tbody tr").await).filter(|n| *n >= 2)
        })
        .await;
    assert!(
        tries.is_some(),
        "tries did not appear live: {}",
        browser.text().await
    );
    let marker = browser
        .run("return window.__not_reloaded;", json!([]))
        .await;
    assert_eq!(marker, json!(42), "the page was reloaded");
    let text = browser.wait_for_text("HTTP 500").await;
    assert!(text.contains(MARKUP), "the markup is shown as text: {text}");
    assert_eq!(
        pwned(browser).await,
        Value::Null,
        "a script from the merchant ran"
    );
    browser
        .screenshot(&shots.join("order-failing-live.png"))
        .await;

    browser.goto(&sandbox.dashboard_url()).await;
    let text = browser.wait_for_text("browser-paid").await;
    assert!(text.contains(MARKUP), "{text}");
    assert_eq!(
        pwned(browser).await,
        Value::Null,
        "a script from an order number ran"
    );

    // The list, too, shows a new order without a reload, and the feed tells of it.
    wait_live(browser).await;
    browser
        .run("window.__not_reloaded = 43; return null;", json!([]))
        .await;
    payin(sandbox, shop, "browser-live", "/cb").await;
    let text = browser.wait_for_text("browser-live").await;
    assert!(text.contains("order_created"), "{text}");
    let marker = browser
        .run("return window.__not_reloaded;", json!([]))
        .await;
    assert_eq!(marker, json!(43), "the list was reloaded");
}

/// The re-send button delivers again; a move PROTOCOL 1.4 refuses shows its reason.
async fn resend_and_refusal(browser: &Browser, sandbox: &Sandbox, paid: &str, shots: &Path) {
    let page = format!("{}/dashboard/orders/{paid}", sandbox.control_url());
    browser.goto(&page).await;
    browser.wait_for_text("delivered").await;
    assert_eq!(
        count(browser, ".delivery[data-outcome='delivered']").await,
        1
    );
    browser.click("#resend").await;
    let delivered = browser
        .poll(WAIT, || async {
            Some(count(browser, ".delivery[data-outcome='delivered']").await).filter(|n| *n == 2)
        })
        .await;
    assert!(
        delivered.is_some(),
        "no second delivery: {}",
        browser.text().await
    );
    browser.screenshot(&shots.join("order-resent.png")).await;

    // The button is disabled with its reason; a stale page would still send it: the sandbox
    // refuses, and the page says why.
    let reason = browser.text().await;
    assert!(
        reason.contains("paid → cancelled: that status is final"),
        "{reason}"
    );
    browser
        .run(
            "document.getElementById('move-cancelled').disabled = false; return null;",
            json!([]),
        )
        .await;
    browser.click("#move-cancelled").await;
    let text = browser.wait_for_text("Refused").await;
    assert!(text.contains("from paid to cancelled"), "{text}");
    assert_eq!(sandbox.order(paid).unwrap().status, OrderStatus::Paid);
    browser
        .screenshot(&shots.join("order-refused-move.png"))
        .await;
}

/// KukurukuID users and logins, Kuna customers; a customer's markup name stays text.
async fn people(browser: &Browser, sandbox: &Sandbox, shots: &Path) {
    let customer = json!({
        "email": "kuna@example.com", "firstName": MARKUP, "lastName": "Doe", "country": "UA",
        "verificationDocumentId": "d", "residenceAddress": "a",
    });
    let created = Http::default()
        .send(
            Method::POST,
            &format!("{}/v2/customer/create", sandbox.kuna_url()),
            &[
                ("content-type", "application/json"),
                ("api-key", sandbox.kuna_api_key()),
            ],
            customer.to_string(),
        )
        .await;
    assert!(created.status.is_success(), "{}", created.text());
    browser
        .goto(&format!("{}/dashboard/people", sandbox.control_url()))
        .await;
    let text = browser.wait_for_text("Kuna customers").await;
    assert!(text.contains(&format!("{MARKUP} Doe")), "{text}");
    assert!(
        text.contains(PAYEE) && text.contains("kukuruku-demo"),
        "the login is listed: {text}"
    );
    assert_eq!(
        pwned(browser).await,
        Value::Null,
        "a script from a customer name ran"
    );
    browser.screenshot(&shots.join("people.png")).await;
}
