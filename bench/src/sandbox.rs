//! The sandbox as `kukuruku sandbox` runs it (tokio's multi-thread runtime, merchant `1`, user
//! `user@example.com`), except that it keeps up to `max_orders` orders: the CLI has no flag for
//! it and keeps 10 000, too few to measure memory at 100 000.

use std::io::Write as _;

use kukuruku_sandbox::{KukuPayUser, Merchant, Sandbox, SecretKey};

/// Serves the sandbox until killed; prints `{"api":…,"control":…}` when ready.
pub(crate) fn serve(max_orders: usize) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let key = SecretKey::new(crate::secret()).map_err(|e| e.to_string())?;
        let sandbox = Sandbox::builder()
            .merchant(Merchant::new("1", key))
            .user(KukuPayUser::new("user@example.com", "Sandbox User", "RUB"))
            .max_orders(max_orders)
            .max_connections(1024)
            .start()
            .await
            .map_err(|e| e.to_string())?;
        let ready = serde_json::json!({"api": sandbox.api_url(), "control": sandbox.control_url()});
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{ready}")
            .and_then(|()| stdout.flush())
            .map_err(|e| e.to_string())?;
        drop(stdout);
        std::future::pending::<()>().await;
        Ok(())
    })
}
