//! The load generator: N keep-alive HTTP/1.1 connections (hyper's client connection), each
//! sending signed callbacks one after the other for a fixed time; counts the answers, the
//! non-2xx ones apart, and the latency of each (p50, p99).

// Statistics over counts far below 2^52, percentile indices within the vector.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// What to send, where, for how long.
#[derive(Clone, Debug, clap::Args)]
pub(crate) struct Options {
    /// `http://HOST:PORT/PATH`.
    #[arg(long)]
    pub(crate) url: String,
    /// Keep-alive connections, each with one request in flight.
    #[arg(long, default_value_t = 64)]
    pub(crate) connections: usize,
    /// How long to send.
    #[arg(long, default_value_t = 5.0)]
    pub(crate) seconds: f64,
    /// Body size in bytes (271: the plain callback).
    #[arg(long, default_value_t = 271)]
    pub(crate) size: usize,
    /// Distinct callbacks (orders) sent in turn.
    #[arg(long, default_value_t = 1)]
    pub(crate) distinct: u32,
    /// The generator's own threads.
    #[arg(long, default_value_t = 1)]
    pub(crate) threads: usize,
}

/// What a run counted.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Answers received (any status).
    pub(crate) requests: u64,
    /// Answers whose status was not 2xx, and requests that failed without an answer.
    pub(crate) errors: u64,
    /// The run's length.
    pub(crate) seconds: f64,
    /// Latencies in microseconds, sorted.
    latencies: Vec<u32>,
}

impl Report {
    fn percentile(&self, p: f64) -> u32 {
        if self.latencies.is_empty() {
            return 0;
        }
        let i = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        self.latencies[i]
    }

    /// One JSON line.
    pub(crate) fn json(&self) -> String {
        serde_json::json!({
            "requests": self.requests,
            "errors": self.errors,
            "seconds": self.seconds,
            "rps": self.requests as f64 / self.seconds.max(1e-9),
            "p50_us": self.percentile(0.50),
            "p99_us": self.percentile(0.99),
        })
        .to_string()
    }
}

pub(crate) fn main(options: &Options) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let report = runtime.block_on(run(options))?;
    println!("{}", report.json());
    Ok(())
}

/// Runs the load described by `options` in the current runtime.
pub(crate) async fn run(options: &Options) -> Result<Report, String> {
    let rest = options
        .url
        .strip_prefix("http://")
        .ok_or("the URL must start with http://")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let bodies = Arc::new(crate::callback::signed(
        &crate::secret(),
        options.size,
        options.distinct,
    )?);
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(options.seconds);
    let tasks: Vec<_> = (0..options.connections)
        .map(|c| {
            let bodies = Arc::clone(&bodies);
            let authority = authority.to_owned();
            let path = path.to_owned();
            tokio::spawn(async move { connection(&authority, &path, &bodies, c, deadline).await })
        })
        .collect();
    let mut report = Report::default();
    for task in tasks {
        let one = task.await.map_err(|e| e.to_string())?;
        report.requests += one.requests;
        report.errors += one.errors;
        report.latencies.extend(one.latencies);
    }
    report.seconds = started.elapsed().as_secs_f64();
    report.latencies.sort_unstable();
    Ok(report)
}

/// One connection's loop (reconnecting after a failure) until `deadline`.
async fn connection(
    authority: &str,
    path: &str,
    bodies: &[(Bytes, String)],
    first: usize,
    deadline: Instant,
) -> Report {
    let mut report = Report::default();
    let mut next = first;
    while Instant::now() < deadline {
        let Ok(stream) = TcpStream::connect(authority).await else {
            report.errors += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let Ok((mut sender, conn)) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
        else {
            report.errors += 1;
            continue;
        };
        tokio::spawn(conn);
        while Instant::now() < deadline {
            let (body, signature) = &bodies[next % bodies.len()];
            next += 1;
            let request = http::Request::post(path)
                .header(http::header::HOST, authority)
                .header(http::header::CONTENT_TYPE, "application/json")
                .header("signature", signature.as_str())
                .body(Full::new(body.clone()));
            let Ok(request) = request else {
                report.errors += 1;
                return report;
            };
            let sent = Instant::now();
            let Ok(answer) = sender.send_request(request).await else {
                report.errors += 1;
                break;
            };
            let ok = answer.status().is_success();
            let read = answer.into_body().collect().await;
            report
                .latencies
                .push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
            report.requests += 1;
            if !ok || read.is_err() {
                report.errors += 1;
            }
            if read.is_err() {
                break;
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::routing::post;

    use super::{Options, run};

    async fn serve(status: u16) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let code = http::StatusCode::from_u16(status).unwrap();
        let app = Router::new().route("/callback", post(move || async move { code }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/callback")
    }

    fn options(url: String) -> Options {
        Options {
            url,
            connections: 3,
            seconds: 0.3,
            size: 4096,
            distinct: 5,
            threads: 1,
        }
    }

    #[tokio::test]
    async fn counts_answers_and_refusals() {
        let ok = run(&options(serve(200).await)).await.unwrap();
        assert!(ok.requests > 0);
        assert_eq!(ok.errors, 0);
        assert_eq!(ok.latencies.len() as u64, ok.requests);
        let json: serde_json::Value = serde_json::from_str(&ok.json()).unwrap();
        assert_eq!(json["requests"].as_u64(), Some(ok.requests));
        assert!(json["p99_us"].as_u64() >= json["p50_us"].as_u64());

        let refused = run(&options(serve(401).await)).await.unwrap();
        assert!(refused.requests > 0);
        assert_eq!(refused.errors, refused.requests);

        let closed = run(&options("http://127.0.0.1:1/callback".to_owned()))
            .await
            .unwrap();
        assert_eq!(closed.requests, 0);
        assert!(closed.errors > 0);
    }
}
