//! The sandbox's own server: loopback only, on the port asked for, stopped on drop.

use kukuruku_e2e::{Http, WAIT, start_sandbox};
use kukuruku_sandbox::{KukuPayUser, Merchant, Sandbox};

#[tokio::test]
async fn the_sandbox_refuses_non_loopback_and_stops_on_drop() {
    let err = Sandbox::builder()
        .listen("0.0.0.0:0".parse().unwrap())
        .merchant(Merchant::new("1", kukuruku_e2e::key()))
        .start()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("only listens on loopback"),
        "{err}"
    );
    let err = Sandbox::builder().start().await.unwrap_err();
    assert!(err.to_string().contains("at least one merchant"), "{err}");
    let err = Sandbox::builder()
        .merchant(Merchant::new("1", kukuruku_e2e::key()))
        .user(KukuPayUser::new("not-an-email", "X", "RUB"))
        .start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not-an-email"), "{err}");

    let sandbox = start_sandbox().await;
    let addr = sandbox.local_addr();
    assert!(addr.ip().is_loopback());
    assert_eq!(sandbox.api_url(), format!("http://{addr}"));
    drop(sandbox);
    // The port is released promptly.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still accepting after drop"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn the_port_is_configurable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let sandbox = Sandbox::builder()
        .port(port)
        .merchant(Merchant::new("1", kukuruku_e2e::key()))
        .start()
        .await
        .unwrap();
    assert_eq!(sandbox.local_addr().port(), port);
    assert_eq!(sandbox.api_url(), format!("http://127.0.0.1:{port}"));
    let index = Http::default().get(sandbox.base_url()).await.json();
    assert_eq!(index["api"], sandbox.api_url());
    assert_eq!(index["control"], sandbox.control_url());
    // A second sandbox on the same port is refused with a clear error.
    let err = Sandbox::builder()
        .port(port)
        .merchant(Merchant::new("1", kukuruku_e2e::key()))
        .start()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("could not listen on 127.0.0.1:{port}")),
        "{err}"
    );
}
