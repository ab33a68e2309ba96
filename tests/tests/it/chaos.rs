//! The fault-injection proof (issue 13): orders driven through mixed paths by the sandbox, their
//! callbacks delivered through a chaos proxy (`proxy`) to the merchant's receivers sharing one
//! ledger (`backend`: two on one SQLite file; four, each with its own pool, on one PostgreSQL
//! schema), a receiver restarted mid-run, reconcilers and event workers beside them; then every
//! pass condition checked against the ledger (`verify`).
//!
//! Seeded and repeatable: the plan (orders, paths, each delivery's fault) is a function of the
//! seed (`plan`), printed; `KUKURUKU_CHAOS_SEED` replays one, `KUKURUKU_CHAOS_ORDERS` sets the
//! size (1 000 by default), `KUKURUKU_CHAOS_BACKEND` (`sqlite` or `postgres`) runs one backend
//! only (both by default; PostgreSQL when `KUKURUKU_TEST_POSTGRES_URL` is set, skipped with a
//! line otherwise, a failure under `KUKURUKU_REQUIRE_POSTGRES=1`). The long run is
//! `cargo xtask chaos --orders 10000 --backend sqlite|postgres`.

mod backend;
mod plan;
mod postgres;
mod proxy;
mod verify;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use kukuruku_e2e::{Http, MERCHANT_ID, PAYEE, client, key};
use kukuruku_ledger::{LedgerClient, Reconciler, Store};
use kukuruku_proto::{Amount, Currency, PayinRequest, PayoutRequest};
use kukuruku_sandbox::{CallbackPolicy, KukuPayUser, Merchant, Sandbox};

use backend::{Backend, Ledger, Receiver};
use plan::{OrderPlan, Path as OrderPath};
use proxy::Proxy;

/// The seed when `KUKURUKU_CHAOS_SEED` is not set.
const DEFAULT_SEED: u64 = 0x5eed_0013;
/// How long the proxy holds a hung delivery: past the sandbox's timeout per try.
const HANG: Duration = Duration::from_millis(2_500);

/// One run at a time: the two backends' runs would share the machine's two cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

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

/// Whether `KUKURUKU_CHAOS_BACKEND` selects `backend` (unset: every backend).
fn selected(backend: Backend) -> bool {
    match std::env::var("KUKURUKU_CHAOS_BACKEND").as_deref() {
        Err(_) => true,
        Ok("sqlite") => backend == Backend::Sqlite,
        Ok("postgres") => backend == Backend::Postgres,
        Ok(other) => panic!("KUKURUKU_CHAOS_BACKEND={other:?}: sqlite or postgres"),
    }
}

#[test]
fn chaos_on_sqlite_every_paid_order_credited_once_none_lost() {
    run_on(Backend::Sqlite);
}

#[test]
fn chaos_on_postgres_with_4_receivers_every_paid_order_credited_once_none_lost() {
    run_on(Backend::Postgres);
}

fn run_on(backend: Backend) {
    if !selected(backend) {
        println!("chaos: {backend:?} not run: KUKURUKU_CHAOS_BACKEND selects the other backend");
        return;
    }
    if backend == Backend::Postgres && !postgres::available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(backend));
}

/// The sandbox's callback policy for a run of `orders`: short tries, fast retries, and a log
/// that keeps every delivery (at most three callbacks an order; the default keeps 1 000).
fn policy(orders: usize) -> CallbackPolicy {
    CallbackPolicy::default()
        .log_capacity(orders * 3 + 1000)
        .timeout(Duration::from_secs(2))
        .max_attempts(5)
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(80))
}

/// One run on `backend`: the sandbox, the receivers behind the proxy, the orders driven, then
/// the last reconciliation, the workers drained and every pass condition checked.
async fn run(backend: Backend) {
    let (seed, count) = (seed(), env_or("KUKURUKU_CHAOS_ORDERS", 1000usize));
    println!("chaos: seed {seed:#x} (KUKURUKU_CHAOS_SEED to replay), {count} orders, {backend:?}");
    let started = Instant::now();
    let sandbox = Arc::new(
        Sandbox::builder()
            .merchant(Merchant::new(MERCHANT_ID, key()))
            .user(KukuPayUser::new(PAYEE, "Pat Payee", "RUB"))
            .callback_policy(policy(count))
            .start()
            .await
            .unwrap(),
    );
    let ledger = Ledger::open(backend).await;
    let mut receivers = Vec::new();
    for index in 0..backend.receivers() {
        receivers.push(ledger.receiver(index, &sandbox).await);
    }
    let urls = receivers.iter().map(Receiver::callback_url).collect();
    let (proxy, proxy_url) = Proxy::start(seed, urls, HANG).await;
    // The application creates the orders on a handle of its own.
    let app_store = ledger.app_store().await;

    let plans = plan::orders(seed, count);
    let limit = Arc::new(tokio::sync::Semaphore::new(32));
    let mut tasks = Vec::new();
    for (i, order) in plans.into_iter().enumerate() {
        if i == count / 2 {
            // A receiver restarted mid-run: its server, worker and reconciler stop
            // (deliveries to it fail, the events it holds come back when their lease ends),
            // a new one opens the same ledger.
            receivers.remove(0).stop();
            let new = ledger.receiver(0, &sandbox).await;
            proxy.set_receiver(0, new.callback_url());
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
    let recovered_late = finish(&app_store, &sandbox, &ledger, &receivers).await;
    let loaded = ledger.load().await;
    let acknowledged = proxy.acknowledged.lock().unwrap().clone();
    let report = verify::check(&sandbox.orders(), &log, &loaded, &acknowledged);
    print_counts(&report, &proxy.counts, recovered_late, started.elapsed());
    ledger.print_writer();
    receivers.into_iter().for_each(Receiver::stop);
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
async fn finish(
    store: &Arc<dyn Store>,
    sandbox: &Sandbox,
    ledger: &Ledger,
    receivers: &[Receiver],
) -> usize {
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
            receiver.drain().await;
        }
        let pending = ledger.load().await.pending();
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
