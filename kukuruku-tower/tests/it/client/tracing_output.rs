//! What the call spans record, and what they never do.

use super::*;
use std::io::Write;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn spans_name_the_call_but_never_the_secret_or_a_signature() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // With a single subscriber registered, tracing caches a callsite's interest from the
    // subscriber of whichever thread hits it first: another test's thread would cache
    // "never" for good. A global no-op subscriber makes two, so every callsite stays
    // "sometimes" and each call asks the current thread's subscriber.
    let _ = tracing::subscriber::set_global_default(tracing::subscriber::NoSubscriber::default());
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let (sent, service) = mock(|n, _| async move {
        if n == 0 {
            reply(200, PAYIN_CREATED)
        } else {
            reply(200, ORDER)
        }
    });
    let client = client(service);
    client.create_payin(&payin()).await.unwrap();
    let _ = client.order(&order_id()).await.unwrap_err();
    let output = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();

    assert!(output.contains("kukuruku.call"), "{output}");
    assert!(output.contains("method=POST"), "{output}");
    assert!(output.contains("path=/api/v1/orders/payins"), "{output}");
    assert!(
        output.contains("order_number=\"order-123\"") || output.contains("order_number=order-123"),
        "{output}"
    );
    assert!(output.contains("status=200"), "{output}");
    assert!(output.contains("latency_ms="), "{output}");
    assert!(output.contains(ORDER_ID), "{output}");
    assert!(!output.contains(KEY), "the secret leaked: {output}");
    for request in sent.lock().unwrap().iter() {
        let signature = request.headers["signature"].to_str().unwrap();
        assert!(!output.contains(signature), "a signature leaked: {output}");
    }
    assert!(!output.contains(&sign(ORDER.as_bytes())));
    let debug = format!("{client:?}");
    assert!(!debug.contains(KEY), "{debug}");
}
