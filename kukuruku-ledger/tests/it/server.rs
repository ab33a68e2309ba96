//! The server setup: a header-read timeout and a connection cap, over a real socket.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use kukuruku_ledger::{Server, Store, callback_route};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{KEY, ManualClock, callback, sign_with, sqlite, verifier};

async fn start(
    server: Server,
) -> (
    std::net::SocketAddr,
    tokio::task::JoinHandle<()>,
    tempfile::TempDir,
) {
    let (store, dir) = sqlite(&ManualClock::new());
    let store: Arc<dyn Store> = Arc::new(store);
    let app = Router::new().route("/kukuruku/callback", callback_route(store, verifier()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        server.serve(listener, app).await.unwrap();
    });
    (address, task, dir)
}

fn request() -> Vec<u8> {
    let body = callback("k-1", Some("o-1"), "paid");
    let mut request = format!(
        "POST /kukuruku/callback HTTP/1.1\r\nhost: shop\r\ncontent-type: application/json\r\nsignature: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        sign_with(KEY, &body),
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    request
}

async fn answer(stream: &mut TcpStream) -> String {
    let mut text = Vec::new();
    stream.read_to_end(&mut text).await.unwrap();
    String::from_utf8(text).unwrap()
}

#[tokio::test]
async fn a_request_is_served_and_a_silent_client_is_cut_off() {
    let (address, task, _dir) =
        start(Server::new().header_read_timeout(Duration::from_millis(200))).await;
    let mut served = TcpStream::connect(address).await.unwrap();
    served.write_all(&request()).await.unwrap();
    let text = answer(&mut served).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.ends_with(r#"{"success":true}"#), "{text}");

    // Headers never finished: the server closes the connection (after 200 ms).
    let mut silent = TcpStream::connect(address).await.unwrap();
    silent
        .write_all(b"POST /kukuruku/callback HTTP/1.1\r\nhost: sh")
        .await
        .unwrap();
    let text = answer(&mut silent).await;
    assert!(!text.contains("200"), "{text}");
    task.abort();
}

#[tokio::test]
async fn connections_over_the_cap_wait_for_one_to_close() {
    let (address, task, _dir) = start(
        Server::new()
            .header_read_timeout(Duration::from_secs(60))
            .max_connections(1),
    )
    .await;
    let holder = TcpStream::connect(address).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await; // let the server accept it
    let mut waiting = TcpStream::connect(address).await.unwrap(); // in the kernel's backlog
    waiting.write_all(&request()).await.unwrap();
    let mut first = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(300), waiting.read(&mut first)).await;
    assert!(early.is_err(), "served while the only slot was taken");
    drop(holder); // the slot frees up
    let mut text = vec![];
    waiting.read_to_end(&mut text).await.unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("HTTP/1.1 200"), "{text}");
    task.abort();
}
