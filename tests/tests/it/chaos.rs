//! The fault-injection proof (issue 13): orders driven through mixed paths by the sandbox, their
//! callbacks delivered through a chaos proxy (`proxy`) to two receivers sharing one ledger, a
//! receiver restarted mid-run, a reconciler beside them; then every pass condition checked
//! against the ledger's file (`verify`).
//!
//! Seeded and repeatable: the plan (orders, paths, each delivery's fault) is a function of the
//! seed (`plan`), printed; `KUKURUKU_CHAOS_SEED` replays one, `KUKURUKU_CHAOS_ORDERS` sets the
//! size (1 000 by default), `KUKURUKU_CHAOS_BACKEND` the backend (`sqlite`). The long run is
//! `cargo xtask chaos --orders 10000 --backend sqlite`.

mod plan;
mod proxy;
mod verify;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use kukuruku_e2e::{Http, MERCHANT_ID, PAYEE, client, key};
use kukuruku_ledger::{LedgerClient, Reconciler, Server, SqliteStore, Store};
use kukuruku_proto::{Amount, Currency, PayinRequest, PayoutRequest};
use kukuruku_sandbox::merchant::{ExampleMerchant, Failure};
use kukuruku_sandbox::{CallbackPolicy, KukuPayUser, Merchant, Sandbox};
use kukuruku_sign::Verifier;
use tokio::task::JoinHandle;

use plan::{OrderPlan, Path as OrderPath};
use proxy::Proxy;

/// The seed when `KUKURUKU_CHAOS_SEED` is not set.
const DEFAULT_SEED: u64 = 0x5eed_0013;
/// How long the proxy holds a hung delivery: past the sandbox's timeout per try.
const HANG: Duration = Duration::from_millis(2_500);

/// Which ledger backend the receivers share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seed() -> u64 {
    match std::env::var("KUKURUKU_CHAOS_SEED") {
        Ok(text) => text
            .strip_prefix("0x")
            .map_or_else(
                || text.parse().ok(),
                |hex| u64::from_str_radix(hex, 16).ok(),
            )
            .unwrap_or_else(|| panic!("KUKURUKU_CHAOS_SEED={text:?} is not a number")),
        Err(_) => DEFAULT_SEED,
    }
}

fn backend() -> Backend {
    match std::env::var("KUKURUKU_CHAOS_BACKEND").as_deref() {
        Err(_) | Ok("sqlite") => Backend::Sqlite,
        Ok("postgres") => Backend::Postgres,
        Ok(other) => panic!("KUKURUKU_CHAOS_BACKEND={other:?}: sqlite or postgres"),
    }
}

/// A receiver: the example merchant (ledger route + worker) served on loopback.
struct Receiver {
    merchant: ExampleMerchant,
    server: JoinHandle<()>,
}

/// The one place the backend is chosen: the run's ledger. SQLite: one store (one writer
/// thread, group commit) shared by the receivers and the application, as in one process.
/// (PostgreSQL: behind the ledger's `postgres` feature once it lands in this tree; each
/// receiver then opens its own pool.)
fn open_ledger(backend: Backend, dir: &Path) -> SqliteStore {
    match backend {
        Backend::Sqlite => SqliteStore::open(dir.join("ledger.sqlite3")).unwrap(),
        Backend::Postgres => panic!(
            "the PostgreSQL backend of kukuruku-ledger is not in this tree yet: run the chaos test with KUKURUKU_CHAOS_BACKEND=sqlite"
        ),
    }
}

/// A receiver on `ledger`: the example merchant (ledger route + worker) served on loopback.
async fn receiver(ledger: &SqliteStore) -> Receiver {
    let (merchant, listener) =
        ExampleMerchant::bind_with(Verifier::new(&key()), Failure::None, Some(ledger.clone()))
            .await
            .unwrap();
    let app = merchant.router();
    let server = tokio::spawn(async move {
        let _ = Server::new().serve(listener, app).await;
    });
    Receiver { merchant, server }
}

/// The sandbox's callback policy for the run: short tries, fast retries.
fn policy() -> CallbackPolicy {
    CallbackPolicy::default()
        .timeout(Duration::from_secs(2))
        .max_attempts(5)
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(80))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_every_paid_order_credited_once_none_lost() {
    let (seed, count, backend) = (
        seed(),
        env_or("KUKURUKU_CHAOS_ORDERS", 1000usize),
        backend(),
    );
    println!("chaos: seed {seed:#x} (KUKURUKU_CHAOS_SEED to replay), {count} orders, {backend:?}");
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let app = open_ledger(backend, dir.path());
    let mut receivers = vec![receiver(&app).await, receiver(&app).await];
    let urls = receivers
        .iter()
        .map(|r| r.merchant.callback_url())
        .collect();
    let (proxy, proxy_url) = Proxy::start(seed, urls, HANG).await;
    let sandbox = Arc::new(
        Sandbox::builder()
            .merchant(Merchant::new(MERCHANT_ID, key()))
            .user(KukuPayUser::new(PAYEE, "Pat Payee", "RUB"))
            .callback_policy(policy())
            .start()
            .await
            .unwrap(),
    );
    // The application creates the orders and reconciles, on the same ledger.
    let app_store: Arc<dyn Store> = Arc::new(app.clone());
    let reconciler = Reconciler::new(Arc::clone(&app_store), client(&sandbox))
        .min_age(Duration::from_millis(300))
        .interval(Duration::from_millis(100))
        .backoff(Duration::from_millis(200), Duration::from_secs(2))
        .batch(200);
    let background = tokio::spawn(reconciler.run());

    let plans = plan::orders(seed, count);
    let limit = Arc::new(tokio::sync::Semaphore::new(32));
    let mut tasks = Vec::new();
    for (i, order) in plans.into_iter().enumerate() {
        if i == count / 2 {
            // A receiver restarted mid-run: its server stops (deliveries to it fail), a new
            // one opens the same ledger.
            let old = receivers.remove(0);
            old.server.abort();
            drop(old);
            let new = receiver(&app).await;
            proxy.set_receiver(0, new.merchant.callback_url());
            receivers.insert(0, new);
        }
        let permit = Arc::clone(&limit).acquire_owned().await.unwrap();
        let (sandbox, store, url) = (
            Arc::clone(&sandbox),
            Arc::clone(&app_store),
            proxy_url.clone(),
        );
        tasks.push(tokio::spawn(async move {
            drive(&sandbox, store, &url, &order).await;
            drop(permit);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let log = sandbox.settled_callbacks(Duration::from_secs(600)).await;
    print_tries(&log);
    while proxy.counts.pending_replays.load(Ordering::SeqCst) > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    background.abort();
    let recovered_late = finish(&app_store, &sandbox, &receivers).await;
    let ledger = verify::Ledger::load(&app).await;
    let acknowledged = proxy.acknowledged.lock().unwrap().clone();
    let report = verify::check(&sandbox.orders(), &log, &ledger, &acknowledged);
    print_counts(&report, &proxy.counts, recovered_late, started.elapsed());
    assert!(
        report.failures.is_empty(),
        "{:#?}",
        &report.failures[..report.failures.len().min(20)]
    );
    assert_eq!(report.lost, 0);
    assert_eq!(report.orders, count);
}

/// Creates one order through the ledger and drives it along its path.
async fn drive(sandbox: &Sandbox, store: Arc<dyn Store>, proxy_url: &str, order: &OrderPlan) {
    let payments = LedgerClient::new(client(sandbox), store);
    let amount = Amount::new(order.amount).unwrap();
    let (id, pay_page) = if order.payin {
        let payin = PayinRequest::builder()
            .amount(amount)
            .currency(Currency::Rub)
            .callback_url(proxy_url)
            .order_number(order.number.clone())
            .redirect_success_url("https://shop.example/ok")
            .redirect_fail_url("https://shop.example/fail")
            .client_id("buyer@example.com")
            .build()
            .unwrap();
        let created = payments.create_payin(&payin).await.unwrap();
        (created.token, Some(created.url))
    } else {
        let payout = PayoutRequest::builder()
            .amount(amount)
            .currency(Currency::Rub)
            .order_number(order.number.clone())
            .callback_url(proxy_url)
            .user_email(PAYEE)
            .build()
            .unwrap();
        (payments.create_payout(&payout).await.unwrap().uuid, None)
    };
    // A payout to a KukuPay user is paid by the sandbox as it is created: no moves to drive.
    let moves = if order.payin { order.path.moves() } else { &[] };
    for (step, status) in moves.iter().enumerate() {
        tokio::time::sleep(Duration::from_millis(order.pauses[step.min(1)])).await;
        match (&pay_page, order.path) {
            (Some(url), OrderPath::Declined) => {
                let answer = Http::default().post_form(url, "action=decline").await;
                assert!(answer.status.is_redirection(), "decline: {}", answer.status);
            }
            _ => {
                sandbox.set_status(id.as_str(), status.clone()).unwrap();
            }
        }
    }
}

/// The end of the run: the reconciler's last passes (no minimum age) until nothing moves, then
/// the workers drain every event. Returns what the last passes moved forward.
async fn finish(store: &Arc<dyn Store>, sandbox: &Sandbox, receivers: &[Receiver]) -> usize {
    let last = Reconciler::new(Arc::clone(store), client(sandbox))
        .min_age(Duration::ZERO)
        .backoff(Duration::ZERO, Duration::ZERO)
        .batch(10_000);
    let mut moved = 0;
    for _ in 0..5 {
        let pass = last.run_once().await.unwrap();
        moved += pass.advanced;
        assert_eq!(pass.failed, 0, "status calls failed: {pass:?}");
        if pass.advanced == 0 {
            break;
        }
    }
    // Events a stopped receiver had claimed come back when their lease ends (5 s).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for receiver in receivers {
            receiver.merchant.drain().await.unwrap();
        }
        let pending = verify::Ledger::load(receivers[0].merchant.store())
            .await
            .pending();
        if pending == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    moved
}

/// The sandbox's tries by what answered them.
fn print_tries(log: &[kukuruku_sandbox::CallbackDelivery]) {
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for attempt in log.iter().flat_map(|delivery| &delivery.attempts) {
        let kind = match (attempt.http_status, &attempt.error) {
            (Some(status), _) => format!("HTTP {status}"),
            (None, Some(error)) => error.clone(),
            (None, None) => "no answer".to_owned(),
        };
        *kinds.entry(kind).or_default() += 1;
    }
    println!("chaos: the sandbox's tries by answer: {kinds:?}");
}

fn print_counts(report: &verify::Report, counts: &proxy::Counts, late: usize, took: Duration) {
    let n = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    println!(
        "chaos: {} orders in {:.1} s\n  deliveries {} (tries {}, retries {}, given up by the sandbox {})\n  \
         proxy: {} requests, forwarded {}, 500 before {}, 500 after commit {}, hung {}, reset {}, \
         duplicated {}, dropped for good {}, stale replays {}, receiver down {}\n  \
         ledger: duplicates absorbed {}, stale ignored {}, recovered by reconciliation {} ({} in the final pass), \
         credits {}, lost {}",
        report.orders,
        took.as_secs_f64(),
        report.deliveries,
        report.attempts,
        report.retries,
        report.given_up,
        n(&counts.deliveries),
        n(&counts.forwarded),
        n(&counts.fail_before),
        n(&counts.fail_after),
        n(&counts.hangs),
        n(&counts.resets),
        n(&counts.duplicates),
        n(&counts.dropped),
        n(&counts.replays),
        n(&counts.receiver_down),
        report.duplicates_absorbed,
        report.stale_ignored,
        report.recovered,
        late,
        report.credits,
        report.lost,
    );
}
