//! An in-memory KukurukuID for the oidc targets: a tower service answering discovery, JWKS and
#![allow(dead_code)] // each target uses a part
//! token requests from bytes the target sets, counting the calls to the token endpoint.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use kukuruku_oidc::KukurukuId;
use tower::service_fn;

pub const ISSUER: &str = "https://id.example/realms/public";
pub const REDIRECT_URI: &str = "https://shop.example/kukuruku/login";

/// The discovery document of a well-behaved provider (the sandbox's shape).
pub fn discovery(iss_parameter_supported: bool) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "issuer": ISSUER,
        "authorization_endpoint": format!("{ISSUER}/protocol/openid-connect/auth"),
        "token_endpoint": format!("{ISSUER}/protocol/openid-connect/token"),
        "userinfo_endpoint": format!("{ISSUER}/protocol/openid-connect/userinfo"),
        "end_session_endpoint": format!("{ISSUER}/protocol/openid-connect/logout"),
        "jwks_uri": format!("{ISSUER}/protocol/openid-connect/certs"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": iss_parameter_supported,
    }))
    .expect("json")
}

pub const JWKS: &[u8] = br#"{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"k1","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"}]}"#;

/// What the fake provider answers, and what it was asked.
#[derive(Default)]
pub struct Idp {
    pub discovery: Mutex<Bytes>,
    pub jwks: Mutex<Bytes>,
    pub token_calls: AtomicUsize,
}

impl Idp {
    fn answer(&self, request: &Request<Full<Bytes>>) -> Response<Full<Bytes>> {
        let path = request.uri().path();
        let (status, body) = if path.ends_with("/.well-known/openid-configuration") {
            (StatusCode::OK, self.discovery.lock().expect("lock").clone())
        } else if path.ends_with("/certs") {
            (StatusCode::OK, self.jwks.lock().expect("lock").clone())
        } else if path.ends_with("/token") {
            self.token_calls.fetch_add(1, Ordering::SeqCst);
            (
                StatusCode::BAD_REQUEST,
                Bytes::from_static(br#"{"error":"invalid_grant","error_description":"Code not valid"}"#),
            )
        } else {
            (StatusCode::NOT_FOUND, Bytes::new())
        };
        let mut response = Response::new(Full::new(body));
        *response.status_mut() = status;
        response
    }
}

/// A client of the fake provider.
pub fn client(idp: &Arc<Idp>) -> KukurukuId {
    let idp = Arc::clone(idp);
    let service = service_fn(move |request: Request<Full<Bytes>>| -> Ready<Result<_, Infallible>> {
        ready(Ok(idp.answer(&request)))
    });
    KukurukuId::builder("shop", REDIRECT_URI)
        .issuer(ISSUER)
        .transport(service)
        .build()
        .expect("client")
}

/// One tokio runtime for every input (the transport's timeout uses tokio's timer).
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime")
    })
}
