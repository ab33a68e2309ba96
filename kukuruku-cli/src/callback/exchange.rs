//! One HTTP exchange with the endpoint under test, as Kukuruku makes it: no redirect followed,
//! the whole answer within the timeout, at most [`ANSWER_LIMIT`] bytes of it kept.
//!
//! The transport is the SDK's own ([`HttpsTransport`]: hyper-util's client, rustls for
//! `https://`), the exchange [`round_trip`]'s (one timeout over connecting, sending and reading
//! the answer). What went wrong is sorted into the few cases a merchant can act on
//! ([`ExchangeError`]).

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, LOCATION, USER_AGENT};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use http_body_util::Full;
use kukuruku_proto::JSON_CONTENT_TYPE;
use kukuruku_tower::round_trip::{RoundTripError, round_trip};
use kukuruku_tower::transport::HttpsTransport;
use tokio::net::TcpStream;
use url::{Host, Url};

use crate::error_chain::chain;

/// How much of an answer is kept (a callback's answer is a few bytes).
pub(crate) const ANSWER_LIMIT: usize = 64 * 1024;

/// How long a server is given to speak first, when an exchange broke for no clear reason.
const BANNER_WAIT: Duration = Duration::from_millis(300);

/// The name of the signature header (PROTOCOL 1.1).
const SIGNATURE: &str = "signature";

/// The bench's User-Agent.
const AGENT: &str = concat!(
    "kukuruku-cli/",
    env!("CARGO_PKG_VERSION"),
    " (callback bench)"
);

/// Why a URL cannot be tested.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TargetError {
    /// Not a URL at all.
    #[error("{text:?} is not a URL ({reason}): write e.g. http://127.0.0.1:8000/callback")]
    NotAUrl { text: String, reason: String },
    /// A scheme other than http or https.
    #[error(
        "the URL's scheme is {scheme:?}: only http:// and https:// callback URLs can be tested"
    )]
    Scheme { scheme: String },
    /// No host.
    #[error("the URL has no host: write e.g. http://127.0.0.1:8000/callback")]
    NoHost,
}

/// The endpoint under test.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    url: Url,
}

impl Target {
    /// Parses and checks the URL: http or https, with a host.
    pub(crate) fn parse(text: &str) -> Result<Self, TargetError> {
        let url = Url::parse(text.trim()).map_err(|err| TargetError::NotAUrl {
            text: text.to_owned(),
            reason: err.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(TargetError::Scheme {
                scheme: url.scheme().to_owned(),
            });
        }
        if url.host().is_none() {
            return Err(TargetError::NoHost);
        }
        Ok(Self { url })
    }

    /// `true` for `https://`.
    pub(crate) fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }

    /// `true` when the host is a loopback address or `localhost`.
    pub(crate) fn is_loopback(&self) -> bool {
        kukuruku_proto::is_loopback(&self.url)
    }

    /// Connects over TCP, to tell "nothing is there" from an endpoint that answers badly.
    pub(crate) async fn reachable(&self, timeout: Duration) -> Result<(), ExchangeError> {
        self.connect(timeout).await.map(drop)
    }

    async fn connect(&self, timeout: Duration) -> Result<TcpStream, ExchangeError> {
        let port = self.url.port_or_known_default().unwrap_or(80);
        let connect = async {
            match self.url.host() {
                Some(Host::Domain(domain)) => TcpStream::connect((domain, port)).await,
                Some(Host::Ipv4(ip)) => TcpStream::connect(SocketAddr::new(ip.into(), port)).await,
                Some(Host::Ipv6(ip)) => TcpStream::connect(SocketAddr::new(ip.into(), port)).await,
                None => Err(io::Error::new(io::ErrorKind::InvalidInput, "no host")),
            }
        };
        match tokio::time::timeout(timeout, connect).await {
            Ok(Ok(stream)) => Ok(stream),
            Ok(Err(err)) => Err(ExchangeError::Connect {
                detail: err.to_string(),
            }),
            Err(_) => Err(ExchangeError::Connect {
                detail: format!("no connection within {}", human(timeout)),
            }),
        }
    }

    /// What the server sends on a plain connection before it is sent anything (within
    /// [`BANNER_WAIT`]): a service that speaks first (SSH, SMTP, MySQL) is no HTTP server.
    async fn banner(&self) -> Option<String> {
        if self.is_https() {
            return None;
        }
        let stream = self.connect(BANNER_WAIT).await.ok()?;
        let read = async {
            let mut buf = [0u8; 256];
            loop {
                stream.readable().await.ok()?;
                match stream.try_read(&mut buf) {
                    Ok(0) => return None,
                    Ok(n) => return buf.get(..n).map(printable),
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => return None,
                }
            }
        };
        tokio::time::timeout(BANNER_WAIT, read).await.ok().flatten()
    }
}

/// The URL, with a password it may carry shown as `***`.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.url.password().is_some() {
            let mut shown = self.url.clone();
            let _ = shown.set_password(Some("***"));
            f.write_str(shown.as_str())
        } else {
            f.write_str(self.url.as_str())
        }
    }
}

/// What to send.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub(crate) method: Method,
    /// The body, sent as `application/json`; `None`: no body, no content type.
    pub(crate) body: Option<Bytes>,
    /// One `signature` header per value (none, one, or two that disagree).
    pub(crate) signatures: Vec<String>,
}

impl Outgoing {
    /// A POST of `body` with one `signature` header.
    pub(crate) fn signed(body: Bytes, signature: String) -> Self {
        Self {
            method: Method::POST,
            body: Some(body),
            signatures: vec![signature],
        }
    }

    /// The request's headers, as sent (the transport adds `Host` and `Content-Length`).
    pub(crate) fn headers(&self) -> Result<HeaderMap, ExchangeError> {
        let mut headers = HeaderMap::new();
        headers.insert(USER_AGENT, HeaderValue::from_static(AGENT));
        if self.body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
        }
        for signature in &self.signatures {
            let value = HeaderValue::from_str(signature).map_err(|_| ExchangeError::Request {
                detail: "a signature header value is not valid in HTTP".to_owned(),
            })?;
            headers.append(SIGNATURE, value);
        }
        Ok(headers)
    }
}

/// An answer: its status, headers and (up to [`ANSWER_LIMIT`] bytes of) body.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// The body was larger than [`ANSWER_LIMIT`] and was not kept.
    pub(crate) too_large: bool,
}

impl Answer {
    /// The `Location` of a redirect, as sent.
    pub(crate) fn location(&self) -> Option<String> {
        self.headers
            .get(LOCATION)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
    }
}

/// Why an exchange produced no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ExchangeError {
    /// No connection: nothing was sent.
    #[error("could not connect: {detail}")]
    Connect { detail: String },
    /// No complete answer within the timeout.
    #[error("no answer within {}", human(*.timeout))]
    Timeout { timeout: Duration },
    /// Something answered, but not in HTTP.
    #[error(
        "the answer is not HTTP ({detail}): is another service listening there, or does it expect https://?"
    )]
    NotHttp { detail: String },
    /// The connection was reset or closed before a complete answer.
    #[error("the connection was closed before a complete answer ({detail})")]
    Closed { detail: String },
    /// The request could not be built (an invalid header value).
    #[error("the request could not be built: {detail}")]
    Request { detail: String },
}

/// One exchange: how long it took and what came of it.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    pub(crate) elapsed: Duration,
    pub(crate) result: Result<Answer, ExchangeError>,
}

/// The HTTP client of the bench: one connection pool, one timeout.
#[derive(Clone)]
pub(crate) struct Http {
    transport: HttpsTransport,
    timeout: Duration,
}

impl Http {
    /// A client whose every exchange must be complete within `timeout`.
    pub(crate) fn new(timeout: Duration) -> Result<Self, String> {
        let transport = HttpsTransport::with_connect_timeout(timeout)
            .map_err(|err| format!("cannot set up the HTTP client: {}", chain(&err)))?;
        Ok(Self { transport, timeout })
    }

    /// The timeout of each exchange.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `outgoing` to `target` and reads the answer.
    pub(crate) async fn send(&self, target: &Target, outgoing: &Outgoing) -> Exchange {
        let start = Instant::now();
        let mut result = self.exchange(target, outgoing).await;
        let elapsed = start.elapsed();
        if let Err(ExchangeError::Closed { .. }) = &result {
            // hyper reports bytes that came before the request as a cancelled or unexpected
            // message, depending on timing: ask the server directly whether it speaks first.
            if let Some(banner) = target.banner().await {
                result = Err(ExchangeError::NotHttp {
                    detail: format!("it speaks first: {}", kukuruku_proto::Excerpt(&banner)),
                });
            }
        }
        Exchange { elapsed, result }
    }

    async fn exchange(
        &self,
        target: &Target,
        outgoing: &Outgoing,
    ) -> Result<Answer, ExchangeError> {
        let mut request = Request::builder()
            .method(outgoing.method.clone())
            .uri(target.url.as_str())
            .body(Full::new(outgoing.body.clone().unwrap_or_default()))
            .map_err(|err| ExchangeError::Request {
                detail: err.to_string(),
            })?;
        *request.headers_mut() = outgoing.headers()?;
        match round_trip(self.transport.clone(), request, self.timeout, ANSWER_LIMIT).await {
            Ok(response) => {
                let (parts, body) = response.into_parts();
                Ok(Answer {
                    status: parts.status,
                    headers: parts.headers,
                    body,
                    too_large: false,
                })
            }
            Err(RoundTripError::TooLarge { status, .. }) => Ok(Answer {
                status,
                headers: HeaderMap::new(),
                body: Bytes::new(),
                too_large: true,
            }),
            Err(RoundTripError::Timeout { timeout }) => Err(ExchangeError::Timeout { timeout }),
            Err(RoundTripError::Transport { source, connect }) => Err(classify(&*source, connect)),
            Err(other) => Err(ExchangeError::Closed {
                detail: other.to_string(),
            }),
        }
    }
}

/// Sorts a transport failure into the cases of [`ExchangeError`].
fn classify(error: &(dyn StdError + 'static), connect: bool) -> ExchangeError {
    let detail = chain(error);
    if connect {
        return ExchangeError::Connect { detail };
    }
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(hyper) = error.downcast_ref::<hyper::Error>() {
            // A parse error: the answer is not HTTP. hyper has no predicate for its other
            // case, bytes that came before the request was sent (a service that speaks
            // first: SSH, SMTP), so its message is matched.
            if hyper.is_parse()
                || hyper.is_parse_status()
                || hyper.to_string().contains("unexpected message")
            {
                return ExchangeError::NotHttp { detail };
            }
        }
        current = error.source();
    }
    ExchangeError::Closed { detail }
}

/// `5 s`, `500 ms`.
pub(crate) fn human(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis.is_multiple_of(1000) {
        format!("{} s", millis / 1000)
    } else {
        format!("{millis} ms")
    }
}

/// Untrusted bytes made safe to print on one line: invalid UTF-8 replaced, control characters
/// (newlines too) escaped.
pub(crate) fn printable(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .fold(String::new(), |mut out, c| {
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert!(
            Target::parse("http://127.0.0.1:8000/cb")
                .unwrap()
                .is_loopback()
        );
        assert!(Target::parse("https://shop.example/cb").unwrap().is_https());
        assert!(
            !Target::parse("http://shop.example/cb")
                .unwrap()
                .is_loopback()
        );
        assert!(matches!(
            Target::parse("ftp://x/"),
            Err(TargetError::Scheme { .. })
        ));
        assert!(matches!(
            Target::parse("127.0.0.1:8000"),
            Err(TargetError::Scheme { .. } | TargetError::NotAUrl { .. })
        ));
        assert!(matches!(
            Target::parse("not a url"),
            Err(TargetError::NotAUrl { .. })
        ));
        let with_password = Target::parse("https://user:hunter2@shop.example/cb").unwrap();
        assert_eq!(
            with_password.to_string(),
            "https://user:***@shop.example/cb"
        );
    }

    #[test]
    fn two_disagreeing_signatures_are_two_headers() {
        let outgoing = Outgoing {
            method: Method::POST,
            body: Some(Bytes::from_static(b"{}")),
            signatures: vec!["a".into(), "b".into()],
        };
        let headers = outgoing.headers().unwrap();
        let values: Vec<_> = headers.get_all(SIGNATURE).iter().collect();
        assert_eq!(values, ["a", "b"]);
        assert_eq!(headers[CONTENT_TYPE], "application/json");
        let bad = Outgoing {
            signatures: vec!["a\nb".into()],
            ..outgoing
        };
        assert!(matches!(bad.headers(), Err(ExchangeError::Request { .. })));
    }

    #[test]
    fn printing_untrusted_text() {
        assert_eq!(printable(b"ok\n\x1b[31m\xff"), "ok\\n\\u{1b}[31m\u{fffd}");
        assert_eq!(human(Duration::from_secs(5)), "5 s");
        assert_eq!(human(Duration::from_millis(1500)), "1500 ms");
    }
}
