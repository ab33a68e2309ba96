//! The merchant the browser visits: the pages a payment returns to, a KukurukuID login with
//! `kukuruku-oidc` (`/login` → the sandbox's login page → `/auth/callback`, where it finishes
//! the login and says who is logged in), and two callback endpoints, one answering 200 and one
//! answering 500 with markup in its body.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use kukuruku_oidc::{KukurukuId, LoginAttempt};
use tokio::net::TcpListener;

/// What the failing callback endpoint answers: markup that must stay text on the dashboard.
pub(super) const MARKUP: &str = "<script>alert(1);window.__pwned=1</script>";

struct Shop {
    base: String,
    oidc: KukurukuId,
    attempt: Mutex<Option<LoginAttempt>>,
}

fn page(status: StatusCode, title: &str, text: &str) -> Response<Full<Bytes>> {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>Example shop</h1><p id=\"result\">{text}</p></body></html>"
    );
    let mut response = Response::new(Full::new(Bytes::from(html)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

impl Shop {
    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = request.uri().path().to_owned();
        match path.as_str() {
            "/success" => page(StatusCode::OK, "Paid", "Thank you: payment succeeded"),
            "/fail" => page(StatusCode::OK, "Not paid", "Payment failed or declined"),
            "/cb" => page(StatusCode::OK, "ok", "{\"success\":true}"),
            "/cb-fail" => {
                let mut response = Response::new(Full::new(Bytes::from_static(MARKUP.as_bytes())));
                *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                response
            }
            "/login" => self.login().await,
            "/auth/callback" => {
                let query = request.uri().query().unwrap_or("");
                self.finish(&format!("{}/auth/callback?{query}", self.base))
                    .await
            }
            _ => page(StatusCode::NOT_FOUND, "Not found", "no such page"),
        }
    }

    async fn login(&self) -> Response<Full<Bytes>> {
        match self.oidc.start_login(["profile", "email"]).await {
            Ok(attempt) => {
                let location = attempt.authorize_url().to_owned();
                *self.attempt.lock().unwrap() = Some(attempt);
                let mut response = page(StatusCode::FOUND, "Login", "redirecting");
                response
                    .headers_mut()
                    .insert("location", http::HeaderValue::from_str(&location).unwrap());
                response
            }
            Err(err) => page(
                StatusCode::BAD_GATEWAY,
                "Login",
                &format!("login failed: {err}"),
            ),
        }
    }

    async fn finish(&self, url: &str) -> Response<Full<Bytes>> {
        let Some(attempt) = self.attempt.lock().unwrap().take() else {
            return page(StatusCode::BAD_REQUEST, "Login", "no login in progress");
        };
        match self.oidc.finish_login(attempt, url).await {
            Ok(session) => {
                let email = session.claims().email.clone().unwrap_or_default();
                page(
                    StatusCode::OK,
                    "Logged in",
                    &format!("Logged in as {email}"),
                )
            }
            Err(err) => page(
                StatusCode::BAD_REQUEST,
                "Login",
                &format!("login refused: {err}"),
            ),
        }
    }
}

/// Serves the shop on `listener` (its URL is `base`), logging in with `oidc`.
pub(super) fn serve(listener: TcpListener, base: String, oidc: KukurukuId) {
    let shop = Arc::new(Shop {
        base,
        oidc,
        attempt: Mutex::new(None),
    });
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let shop = Arc::clone(&shop);
            let service = service_fn(move |request| {
                let shop = Arc::clone(&shop);
                async move { Ok::<_, Infallible>(shop.handle(request).await) }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
}
