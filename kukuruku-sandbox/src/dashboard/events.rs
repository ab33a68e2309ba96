//! `GET /sandbox/events`: the live feed ([`SandboxEvent`](crate::SandboxEvent)s) as
//! server-sent events, one JSON `data:` line each, with a keep-alive comment every 15 s. A
//! listener that falls behind gets `{"kind":"lagged","missed":N}` and goes on; the stream ends
//! when the sandbox stops. Publishing never waits for a listener.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;

use super::Dashboard;

/// `GET /sandbox/events`.
pub(super) async fn stream(
    State(dashboard): State<Dashboard>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events = dashboard.payments.live.subscribe();
    let stream = futures_util::stream::unfold(
        (events, dashboard.shutdown),
        |(mut events, mut shutdown)| async move {
            if *shutdown.borrow() {
                return None;
            }
            let data = tokio::select! {
                next = events.next() => match next {
                    Ok(Some(event)) => serde_json::to_string(&event).ok()?,
                    Ok(None) => return None,
                    Err(missed) => format!("{{\"kind\":\"lagged\",\"missed\":{missed}}}"),
                },
                _ = shutdown.changed() => return None,
            };
            Some((Ok(Event::default().data(data)), (events, shutdown)))
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
