//! The signed callbacks the receivers are fed: the 271-byte callback of
//! `kukuruku-proto/benches/parse.rs`, numbered so each is a distinct order, padded with an extra
//! field to a larger size when asked.

use bytes::Bytes;
use kukuruku_sign::{SecretKey, Signer};

/// A callback as Kukuruku sends it, 271 bytes, order `n` (its uuid and order number carry `n`,
/// at fixed width), then `"note":"xx…"` making it `size` bytes when `size` is larger.
pub(crate) fn body(n: u32, size: usize) -> Bytes {
    let head = format!(
        r#"{{"uuid":"8f14e45f-ceea-467a-9575-4e1f{n:08x}","order_number":"o-{n:010}","status":"paid","amount":50000,"currency":"RUB","type":"payin","merchant_id":"1001","created_at":"2024-05-01T12:00:00Z","updated_at":"2024-05-01T12:03:10Z","fee":{{"amount":150,"currency":"RUB"}}"#
    );
    // `,"note":""` and the closing brace
    let frame = head.len() + 1;
    let padding = size.saturating_sub(frame + 10);
    let mut text = head;
    if padding > 0 {
        text.push_str(r#","note":""#);
        text.push_str(&"x".repeat(padding));
        text.push('"');
    }
    text.push('}');
    Bytes::from(text)
}

/// `count` distinct callbacks of `size` bytes with their `signature` headers.
pub(crate) fn signed(
    secret: &str,
    size: usize,
    count: u32,
) -> Result<Vec<(Bytes, String)>, String> {
    let key = SecretKey::new(secret).map_err(|e| e.to_string())?;
    let signer = Signer::new(&key);
    Ok((0..count.max(1))
        .map(|n| {
            let body = body(n, size);
            let signature = signer.sign(&body).to_hex().as_str().to_owned();
            (body, signature)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_are_exact_and_bodies_parse() {
        assert_eq!(super::body(7, 0).len(), 271);
        assert_eq!(super::body(7, 271).len(), 271);
        for size in [4096, 65_536] {
            let b = super::body(7, size);
            assert_eq!(b.len(), size);
            kukuruku_proto::parse_callback(&b).unwrap();
        }
        assert_ne!(super::body(1, 0), super::body(2, 0));
        kukuruku_proto::parse_callback(&super::body(3, 0)).unwrap();
    }
}
