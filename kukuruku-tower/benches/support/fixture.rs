//! What the layer measurements share: `benches/layers.rs` (criterion),
//! `examples/layer_ratio.rs` (`cargo xtask bench-ratio`) and `examples/layer_instructions.rs`
//! (`cargo xtask bench-count`) include this file, so the three measure the same thing.
//!
//! The cases over one in-memory inner service: the inner service alone, raw pre-keyed HMAC of
//! the body, a signed request through `VerifySignature`, an unsigned request through
//! `SignRequest`. A layer's cost is measured against the inner service alone fed the request
//! the layer is given: the signed one for the verify layer, the unsigned one for the sign layer.
//! So what a layer adds to the request (the verify layer's extension, the sign layer's header)
//! counts as its cost, from allocating it to freeing it.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::hint::black_box;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::Full;
use kukuruku_sign::{SecretKey, Signer, Verifier};
use kukuruku_tower::{SignRequest, SignRequestLayer, VerifySignature, VerifySignatureLayer};
use tower::{Layer, Service};

/// The in-memory inner service: looks at the request, drops it, answers 200 at once.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Inner;

impl Service<http::Request<Full<Bytes>>> for Inner {
    type Response = http::Response<()>;
    type Error = Infallible;
    type Future = Ready<Result<http::Response<()>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Full<Bytes>>) -> Self::Future {
        black_box(&req);
        ready(Ok(http::Response::new(())))
    }
}

/// The body and the two requests made of it.
pub(crate) struct Requests {
    /// A callback-shaped JSON body of the size asked for.
    pub(crate) body: Bytes,
    signature: String,
}

impl Requests {
    /// The request the inner service receives: what `VerifySignature` is given.
    pub(crate) fn signed(&self) -> http::Request<Full<Bytes>> {
        http::Request::post("/kukuruku/callback")
            .header("content-type", "application/json")
            .header("signature", self.signature.as_str())
            .body(Full::new(self.body.clone()))
            .unwrap()
    }

    /// The same request before it is signed: what `SignRequest` is given.
    pub(crate) fn unsigned(&self) -> http::Request<Full<Bytes>> {
        http::Request::post("/kukuruku/callback")
            .header("content-type", "application/json")
            .body(Full::new(self.body.clone()))
            .unwrap()
    }
}

/// One body size: its requests, the signer, and the services of the four cases.
pub(crate) struct Fixture {
    /// The body and its requests.
    pub(crate) requests: Requests,
    /// The pre-keyed signer: "raw HMAC".
    pub(crate) signer: Signer,
    /// The inner service alone.
    pub(crate) alone: Inner,
    /// `VerifySignature` over the inner service (limit: 64 KiB, the default).
    pub(crate) verify: VerifySignature<Inner>,
    /// `SignRequest` over the inner service.
    pub(crate) sign: SignRequest<Inner>,
}

/// The fixture for a body of `len` bytes (72 at least).
pub(crate) fn fixture(len: usize) -> Fixture {
    let mut text =
        String::from(r#"{"uuid":"5d0f2a4e-0000-4000-8000-000000000001","status":"paid","pad":""#);
    while text.len() < len - 2 {
        text.push('x');
    }
    text.push_str("\"}");
    assert_eq!(text.len(), len);
    let key = SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl").unwrap();
    let signer = Signer::new(&key);
    let body = Bytes::from(text);
    let signature = signer.sign(&body).to_hex().as_str().to_owned();
    Fixture {
        requests: Requests { body, signature },
        signer,
        alone: Inner,
        verify: VerifySignatureLayer::new(Verifier::new(&key)).layer(Inner),
        sign: SignRequestLayer::new(&key).layer(Inner),
    }
}
