//! When a call is sent again, and when never.

use super::*;

#[tokio::test]
async fn a_post_whose_connection_failed_is_retried_then_succeeds() {
    let (sent, service) = mock(|n, _| async move {
        if n == 0 {
            Err(ConnectError::new("connection refused").into())
        } else {
            reply(200, PAYIN_CREATED)
        }
    });
    client(service).create_payin(&payin()).await.unwrap();
    let sent = sent.lock().unwrap();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].body, sent[1].body, "the same bytes...");
    assert_eq!(sent[0].headers["signature"], sent[1].headers["signature"]);
}

#[tokio::test]
async fn connect_failures_are_retried_up_to_the_cap() {
    let (sent, service) =
        mock(|_, _| async { Err(ConnectError::new("connection refused").into()) });
    let err = client(service).create_payin(&payin()).await.unwrap_err();
    assert_eq!(sent.lock().unwrap().len(), 3, "1 try + 2 retries");
    assert!(
        matches!(err, Error::Transport { connect: true, .. }),
        "{err:?}"
    );
    assert!(err.is_not_sent());
    assert!(err.to_string().contains("nothing was sent"), "{err}");
}

#[tokio::test]
async fn a_post_that_failed_after_sending_is_never_repeated() {
    let (sent, service) = mock(|_, _| async { Err("connection reset by peer".into()) });
    let err = client(service).create_payin(&payin()).await.unwrap_err();
    assert_eq!(sent.lock().unwrap().len(), 1);
    assert!(
        matches!(err, Error::Transport { connect: false, .. }),
        "{err:?}"
    );
    assert!(!err.is_not_sent());
}

#[tokio::test(start_paused = true)]
async fn a_payin_that_timed_out_is_never_sent_twice() {
    let (sent, service) = mock(|_, _| async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        reply(200, PAYIN_CREATED)
    });
    let err = client(service).create_payin(&payin()).await.unwrap_err();
    assert_eq!(sent.lock().unwrap().len(), 1, "a second payin was sent");
    assert!(
        matches!(err, Error::Timeout(d) if d == Duration::from_secs(5)),
        "{err:?}"
    );
    assert!(err.is_timeout());
    assert!(
        err.to_string().contains("check the order's status"),
        "{err}"
    );
}

#[tokio::test]
async fn a_post_answered_503_is_not_repeated() {
    let (sent, service) = mock(|_, _| async { reply(503, "") });
    let err = client(service).create_payin(&payin()).await.unwrap_err();
    assert_eq!(sent.lock().unwrap().len(), 1);
    assert_eq!(err.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
}

#[tokio::test(start_paused = true)]
async fn a_get_is_retried_after_a_timeout_and_a_503() {
    let (sent, service) = mock(|n, _| async move {
        match n {
            0 => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                reply(200, ORDER)
            }
            1 => reply(503, ""),
            _ => signed(200, ORDER),
        }
    });
    let order = client(service).order(&order_id()).await.unwrap();
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!(sent.lock().unwrap().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn retries_are_capped_and_back_off_exponentially_with_jitter() {
    let times = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&times);
    let (sent, service) = mock(move |_, _| {
        let log = Arc::clone(&log);
        async move {
            log.lock().unwrap().push(tokio::time::Instant::now());
            Err::<http::Response<Full<Bytes>>, BoxError>("reset".into())
        }
    });
    let client = Client::builder("1", key())
        .retry(
            RetryPolicy::default()
                .max_retries(3)
                .backoff(Duration::from_millis(100), Duration::from_secs(10)),
        )
        .build_with(service)
        .unwrap();
    let err = client.order(&order_id()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }));
    assert_eq!(sent.lock().unwrap().len(), 4);
    let times = times.lock().unwrap();
    let waits: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    // Base 100, 200, 400 ms, each plus up to 100% jitter.
    for (wait, base) in waits.iter().zip([100u64, 200, 400]) {
        let base = Duration::from_millis(base);
        assert!(*wait >= base && *wait <= base * 2, "{waits:?}");
    }
}

#[tokio::test]
async fn no_retries_when_disabled() {
    let (sent, service) = mock(|_, _| async { Err(ConnectError::new("refused").into()) });
    let client = Client::builder("1", key())
        .retry(RetryPolicy::none())
        .build_with(service)
        .unwrap();
    assert!(client.order(&order_id()).await.is_err());
    assert_eq!(sent.lock().unwrap().len(), 1);
}
