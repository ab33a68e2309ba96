//! `kukuruku sandbox`: serve the sandbox until Ctrl-C or SIGTERM, then say which callbacks
//! were still pending.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use kukuruku_sandbox::{
    DeliveryAttempt, KukuPayUser, Merchant, Sandbox, SandboxEvent, SandboxEvents, ShutdownReport,
};

use crate::error_chain::chain;
use crate::secret::SecretArgs;

/// Parses `EMAIL,NAME,CURRENCY`.
pub(crate) fn parse_user(text: &str) -> Result<KukuPayUser, String> {
    let mut parts = text.splitn(3, ',');
    let (Some(email), Some(name), Some(currency)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(
            "expected EMAIL,NAME,CURRENCY, e.g. payee@example.com,Pat Payee,RUB".to_owned(),
        );
    };
    let user = KukuPayUser::new(email.trim(), name.trim(), currency.trim());
    user.validate().map_err(|err| chain(&err))?;
    Ok(user)
}

/// Runs the sandbox: prints one JSON line with its URLs on stdout when ready, then logs to stderr.
pub(crate) async fn run(
    listen: SocketAddr,
    merchant_id: String,
    callback_url: Option<String>,
    users: Vec<KukuPayUser>,
    secret: &SecretArgs,
) -> ExitCode {
    let key = match secret.load() {
        Ok(key) => key,
        Err(message) => {
            eprintln!("kukuruku sandbox: {message}");
            return ExitCode::from(2);
        }
    };
    let users = if users.is_empty() {
        vec![KukuPayUser::new("user@example.com", "Sandbox User", "RUB")]
    } else {
        users
    };
    let mut merchant = Merchant::new(merchant_id.clone(), key);
    if let Some(url) = callback_url {
        merchant = merchant.callback_url(url);
    }
    let mut builder = Sandbox::builder().listen(listen).merchant(merchant);
    for user in &users {
        builder = builder.user(user.clone());
    }
    let sandbox = match builder.start().await {
        Ok(sandbox) => sandbox,
        Err(err) => {
            eprintln!("kukuruku sandbox: {}", chain(&err));
            return ExitCode::from(2);
        }
    };
    let stop = stop_signals();
    let ready = serde_json::json!({
        "api": sandbox.api_url(),
        "merchant_id": merchant_id,
        "pay_page": format!("{}/pay/{{uuid}}", sandbox.base_url()),
        "control": sandbox.control_url(),
        "dashboard": sandbox.dashboard_url(),
        "users": users.iter().map(KukuPayUser::email).collect::<Vec<_>>(),
        "play": format!("{}/play", sandbox.control_url()),
        "issuer": sandbox.issuer(),
        "idp_client_id": sandbox.idp_client_id(),
        "idp_client_secret": sandbox.idp_client_secret(),
        "idp_public_client_id": sandbox.idp_public_client_id(),
        "kuna": sandbox.kuna_url(),
        // A documented test credential of this local sandbox, printed so a client can use it.
        "kuna_api_key": sandbox.kuna_api_key(),
        "kuna_widget": sandbox.kuna_widget_url(),
        "kuna_institution_id": sandbox.kuna_institution_id(),
    });
    {
        let mut stdout = std::io::stdout().lock();
        if writeln!(stdout, "{ready}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return ExitCode::from(1);
        }
    }
    tracing::info!(api = sandbox.api_url(), dashboard = %sandbox.dashboard_url(), "sandbox ready; Ctrl-C to stop");
    let (stop_printing, printing_stop) = tokio::sync::oneshot::channel();
    let attempts = tokio::spawn(print_attempts(sandbox.events(), printing_stop));
    stop.await;
    tracing::info!("stopping");
    let report = sandbox.shutdown().await;
    let _ = stop_printing.send(());
    let _ = attempts.await;
    report_pending(&report);
    ExitCode::SUCCESS
}

/// One stderr line per callback try, as it happens: which delivery and order, the status it
/// announces, where it went (without query or user info: it may carry a token), what came back
/// and how long it took.
/// Ends on `stop`, after the events already published.
async fn print_attempts(mut events: SandboxEvents, mut stop: tokio::sync::oneshot::Receiver<()>) {
    let mut stopping = false;
    loop {
        let next = if stopping {
            // What was published before the stop: each is ready at once.
            match tokio::time::timeout(Duration::ZERO, events.next()).await {
                Ok(next) => next,
                Err(_) => return,
            }
        } else {
            tokio::select! {
                next = events.next() => next,
                _ = &mut stop => {
                    stopping = true;
                    continue;
                }
            }
        };
        match next {
            Ok(Some(SandboxEvent::DeliveryAttempt {
                delivery_id,
                order_uuid,
                status,
                url,
                attempt,
            })) => eprintln!(
                "kukuruku sandbox: callback #{delivery_id} try {}: order {order_uuid} ({status}) to {url}: {}",
                attempt.number,
                describe_attempt(&attempt)
            ),
            Ok(Some(_)) => {}
            Ok(None) => return,
            Err(missed) => {
                eprintln!(
                    "kukuruku sandbox: {missed} callback events not shown (the log fell behind)"
                );
            }
        }
    }
}

/// `HTTP 200 in 12 ms`, or `connection refused ... in 1 ms`.
fn describe_attempt(attempt: &DeliveryAttempt) -> String {
    let answer = match (&attempt.http_status, &attempt.error) {
        (Some(status), _) => format!("HTTP {status}"),
        (None, Some(error)) => format!("no answer: {error}"),
        (None, None) => "no answer".to_owned(),
    };
    format!("{answer} in {} ms", attempt.duration_ms)
}

/// One stderr line per callback the stop left undelivered (its URL without query or user
/// info: it may carry a token), after a line that counts them.
fn report_pending(report: &ShutdownReport) {
    if report.is_clean() {
        return;
    }
    let count = report.pending.len();
    let plural = if count == 1 { "y" } else { "ies" };
    eprintln!(
        "kukuruku sandbox: stopped with {count} callback deliver{plural} still pending (the merchant never acknowledged them):"
    );
    for delivery in &report.pending {
        eprintln!(
            "kukuruku sandbox: pending callback #{id}: order {order} ({status}) to {url}, {tries} tr{tries_plural} made",
            id = delivery.id,
            order = delivery.order_uuid,
            status = delivery.status,
            url = delivery.url_for_logs(),
            tries = delivery.attempts.len(),
            tries_plural = if delivery.attempts.len() == 1 {
                "y"
            } else {
                "ies"
            },
        );
    }
}

/// Registers for Ctrl-C and SIGTERM now (before the ready line, so a stop sent as soon as it
/// is read is caught), and returns what waits for either.
fn stop_signals() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = {
        use tokio::signal::unix::{SignalKind, signal};
        signal(SignalKind::terminate()).ok()
    };
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = ctrl_c.await;
    }
}
