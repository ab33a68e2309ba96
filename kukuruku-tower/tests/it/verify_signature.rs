//! VerifySignature: what the callback receiver accepts and refuses.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use kukuruku_sign::{Signer, Verifier};
use kukuruku_tower::verify_signature::Rejection;
use kukuruku_tower::{BoxError, VerifiedSignature, VerifySignatureLayer};
use tower::{Layer, ServiceExt};

use crate::support::*;

const D2: &str = r#"{"success":false,"err":"Invalid signature"}"#;

fn callback<B>(body: B, signatures: &[&str]) -> http::Request<B> {
    let mut builder = http::Request::post("http://127.0.0.1/kukuruku/callback")
        .header("content-type", "application/json");
    for signature in signatures {
        builder = builder.header("signature", *signature);
    }
    builder.body(body).unwrap()
}

/// Sends `req` through the layer; returns (status, body, requests the handler saw).
async fn run<B>(layer: VerifySignatureLayer, req: http::Request<B>) -> (u16, String, Vec<Seen>)
where
    B: http_body::Body + Send + 'static,
    B::Error: Into<BoxError>,
{
    let (seen, inner) = recording();
    let response = layer.layer(inner).oneshot(req).await.unwrap();
    let status = response.status().as_u16();
    if status != 200 {
        assert_eq!(response.headers()["content-type"], "application/json");
    }
    let body = body_text(response.into_body()).await;
    let seen = seen.lock().unwrap().clone();
    (status, body, seen)
}

fn layer() -> VerifySignatureLayer {
    VerifySignatureLayer::new(verifier())
}

#[tokio::test]
async fn a_valid_callback_is_forwarded_unchanged_with_the_matched_key() {
    let signature = sign(CALLBACK.as_bytes());
    let (status, body, seen) = run(layer(), callback(full(CALLBACK), &[&signature])).await;
    assert_eq!((status, body.as_str()), (200, r#"{"success":true}"#));
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body, CALLBACK.as_bytes());
    let verified = seen[0].extensions.get::<VerifiedSignature>().unwrap();
    assert_eq!(verified.key_index(), 0);
}

#[tokio::test]
async fn key_rotation_reports_which_key_matched() {
    let rotating = Verifier::from_keys([key(), other_key()]).unwrap();
    let signature = Signer::new(&other_key()).sign(CALLBACK.as_bytes()).to_hex();
    let (status, _, seen) = run(
        VerifySignatureLayer::new(rotating),
        callback(full(CALLBACK), &[signature.as_str()]),
    )
    .await;
    assert_eq!(status, 200);
    let verified = seen[0].extensions.get::<VerifiedSignature>().unwrap();
    assert_eq!(verified.matched_key().index(), 1);
}

#[tokio::test]
async fn upper_case_and_padded_signatures_are_accepted() {
    let upper = sign(CALLBACK.as_bytes()).to_uppercase();
    let (status, _, _) = run(layer(), callback(full(CALLBACK), &[&upper])).await;
    assert_eq!(status, 200);
    let padded = format!("  {} ", sign(CALLBACK.as_bytes()));
    let (status, _, _) = run(layer(), callback(full(CALLBACK), &[&padded])).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bad_signatures_get_401_with_the_d2_body() {
    let good = sign(CALLBACK.as_bytes());
    let mut flipped = good.clone().into_bytes();
    flipped[10] = if flipped[10] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(flipped).unwrap();
    let truncated = &good[..127];
    let not_hex = format!("{}zz", &good[..126]);
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        ("tampered signature", vec![&flipped], CALLBACK),
        ("truncated signature", vec![truncated], CALLBACK),
        ("non-hex signature", vec![&not_hex], CALLBACK),
        ("missing signature", vec![], CALLBACK),
        ("empty signature", vec![""], CALLBACK),
        ("doubled signature", vec![&good, &good], CALLBACK),
        ("doubled, one wrong", vec![&good, &flipped], CALLBACK),
        (
            "tampered body",
            vec![&good],
            r#"{"uuid":"x","status":"paid","amount":99999}"#,
        ),
        (
            "signature of re-serialised JSON",
            vec![&good],
            "{\"uuid\": \"x\"}",
        ),
    ];
    for (name, signatures, body) in cases {
        let (status, text, seen) = run(layer(), callback(full(body), &signatures)).await;
        assert_eq!(status, 401, "{name}");
        assert_eq!(text, D2, "{name}");
        assert!(seen.is_empty(), "{name}: the handler must not run");
    }
}

#[tokio::test]
async fn a_body_with_a_content_length_over_the_limit_is_refused_before_reading() {
    // Every `Content-Length` counts, not only the first.
    for lengths in [&["65537"][..], &["2", "65537"]] {
        let polled = Arc::new(Mutex::new(false));
        let mut req = callback(watched(Arc::clone(&polled), b"{}"), &[&sign(b"{}")]);
        for length in lengths {
            req.headers_mut()
                .append("content-length", length.parse().unwrap());
        }
        let (status, text, seen) = run(layer(), req).await;
        assert_eq!(status, 413, "{lengths:?}");
        assert_eq!(text, r#"{"success":false,"err":"Body too large"}"#);
        assert!(seen.is_empty());
        assert!(!*polled.lock().unwrap(), "the body was read");
    }
}

#[tokio::test]
async fn a_known_size_over_a_custom_limit_is_refused() {
    let body = "x".repeat(101);
    let signature = sign(body.as_bytes());
    let (status, _, _) = run(layer().limit(100), callback(full(body), &[&signature])).await;
    assert_eq!(status, 413);
    let body = "x".repeat(100);
    let signature = sign(body.as_bytes());
    let (status, _, _) = run(layer().limit(100), callback(full(body), &[&signature])).await;
    assert_eq!(status, 200, "exactly the limit is fine");
}

#[tokio::test]
async fn a_streamed_body_is_cut_at_the_limit() {
    static CHUNK: [u8; 40] = [b'a'; 40];
    let body = chunks(&[&CHUNK, &CHUNK, &CHUNK]);
    let (status, _, seen) = run(layer().limit(100), callback(body, &[&sign(&[b'a'; 120])])).await;
    assert_eq!(status, 413);
    assert!(seen.is_empty());
}

#[tokio::test]
async fn a_body_that_fails_mid_stream_is_a_400() {
    let (status, text, seen) = run(
        layer(),
        callback(failing_after(b"{\"uuid\""), &[&sign(b"{}")]),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(text, r#"{"success":false,"err":"Could not read the body"}"#);
    assert!(seen.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_slow_body_is_a_408() {
    let started = tokio::time::Instant::now();
    let (status, text, seen) = run(
        layer().read_timeout(Duration::from_secs(3)),
        callback(stalling_after(b"{\"uuid\""), &[&sign(b"{}")]),
    )
    .await;
    assert_eq!(status, 408);
    assert_eq!(
        text,
        r#"{"success":false,"err":"Timed out reading the body"}"#
    );
    assert!(seen.is_empty());
    assert_eq!(started.elapsed().as_secs(), 3);
}

#[tokio::test]
async fn the_rejection_answer_is_customisable() {
    let layer = layer().on_rejection(|rejection: &Rejection| {
        let mut response =
            http::Response::new(Full::new(Bytes::from(format!("nope: {rejection}"))));
        *response.status_mut() = if rejection.is_signature() {
            http::StatusCode::FORBIDDEN
        } else {
            rejection.status()
        };
        response
    });
    let (seen, inner) = recording();
    let service = layer.layer(inner);
    let response = service
        .clone()
        .oneshot(callback(full(CALLBACK), &[&sign(b"other")]))
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let text = body_text(response.into_body()).await;
    assert!(text.starts_with("nope: signature mismatch"), "{text}");
    let response = service
        .oneshot(callback(full(CALLBACK), &["a", "b"]))
        .await
        .unwrap();
    let text = body_text(response.into_body()).await;
    assert!(text.contains("more than one `signature` header"), "{text}");
    assert!(seen.lock().unwrap().is_empty());
}

mod loopback {
    //! The layer in front of a real hyper server on 127.0.0.1.
    use super::*;
    use std::fmt::Write as _;

    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto;
    use hyper_util::service::TowerToHyperService;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn server(layer: VerifySignatureLayer) -> (std::net::SocketAddr, Arc<Mutex<Vec<Seen>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (seen, inner) = recording();
        let service = layer.layer(inner);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let service = TowerToHyperService::new(service.clone());
                tokio::spawn(async move {
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (addr, seen)
    }

    /// Writes raw HTTP/1.1 and returns the raw answer (up to the connection close).
    async fn raw(
        addr: std::net::SocketAddr,
        head: &str,
        body: &[u8],
        pause: Option<Duration>,
    ) -> String {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        if let Some(pause) = pause {
            tokio::time::sleep(pause).await;
        }
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
        String::from_utf8_lossy(&answer).into_owned()
    }

    fn head(len: Option<usize>, signatures: &[&str], extra: &str) -> String {
        let mut head = String::from(
            "POST /kukuruku/callback HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-type: application/json\r\n",
        );
        if let Some(len) = len {
            write!(head, "content-length: {len}\r\n").unwrap();
        }
        for signature in signatures {
            write!(head, "signature: {signature}\r\n").unwrap();
        }
        head.push_str(extra);
        head.push_str("\r\n");
        head
    }

    #[tokio::test]
    async fn signed_tampered_doubled_and_missing_over_the_wire() {
        let (addr, seen) = server(layer()).await;
        let good = sign(CALLBACK.as_bytes());
        let ok = raw(
            addr,
            &head(Some(CALLBACK.len()), &[&good], ""),
            CALLBACK.as_bytes(),
            None,
        )
        .await;
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        assert!(ok.ends_with(r#"{"success":true}"#), "{ok}");
        assert_eq!(seen.lock().unwrap()[0].body, CALLBACK.as_bytes());

        let mut tampered = CALLBACK.as_bytes().to_vec();
        tampered[20] ^= 1;
        for (answer, name) in [
            (
                raw(
                    addr,
                    &head(Some(tampered.len()), &[&good], ""),
                    &tampered,
                    None,
                )
                .await,
                "tampered",
            ),
            (
                raw(
                    addr,
                    &head(Some(CALLBACK.len()), &[&good, &good], ""),
                    CALLBACK.as_bytes(),
                    None,
                )
                .await,
                "doubled",
            ),
            (
                raw(
                    addr,
                    &head(Some(CALLBACK.len()), &[], ""),
                    CALLBACK.as_bytes(),
                    None,
                )
                .await,
                "missing",
            ),
            (
                raw(
                    addr,
                    &head(Some(CALLBACK.len()), &[&good[..64]], ""),
                    CALLBACK.as_bytes(),
                    None,
                )
                .await,
                "truncated",
            ),
        ] {
            assert!(answer.starts_with("HTTP/1.1 401"), "{name}: {answer}");
            assert!(answer.ends_with(D2), "{name}: {answer}");
        }
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn oversized_with_and_without_content_length_over_the_wire() {
        let (addr, seen) = server(layer().limit(1024)).await;
        let big = vec![b'x'; 4096];
        let answer = raw(addr, &head(Some(big.len()), &[&sign(&big)], ""), b"", None).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

        // Chunked: no Content-Length, the limit stops the read.
        let mut chunked = Vec::new();
        for _ in 0..4 {
            chunked.extend_from_slice(b"400\r\n");
            chunked.extend_from_slice(&[b'x'; 1024]);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        let answer = raw(
            addr,
            &head(None, &[&sign(&big)], "transfer-encoding: chunked\r\n"),
            &chunked,
            None,
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(seen.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_slow_sender_gets_408_over_the_wire() {
        let (addr, seen) = server(layer().read_timeout(Duration::from_millis(200))).await;
        let body = CALLBACK.as_bytes();
        // Announce the whole body, send half, then wait.
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(head(Some(body.len()), &[&sign(body)], "").as_bytes())
            .await
            .unwrap();
        stream.write_all(&body[..body.len() / 2]).await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
            .await
            .expect("the server hung instead of answering 408")
            .unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(seen.lock().unwrap().is_empty());
    }
}
