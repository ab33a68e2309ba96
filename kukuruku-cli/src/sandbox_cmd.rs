//! `kukuruku sandbox`: serve the sandbox until Ctrl-C or SIGTERM, then say which callbacks
//! were still pending.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use kukuruku_sandbox::{KukuPayUser, Merchant, Sandbox, ShutdownReport};

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
    let ready = serde_json::json!({
        "api": sandbox.api_url(),
        "merchant_id": merchant_id,
        "pay_page": format!("{}/pay/{{uuid}}", sandbox.base_url()),
        "control": sandbox.control_url(),
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
    tracing::info!(api = sandbox.api_url(), "sandbox ready; Ctrl-C to stop");
    wait_for_stop().await;
    tracing::info!("stopping");
    let report = sandbox.shutdown().await;
    report_pending(&report);
    ExitCode::SUCCESS
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

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
