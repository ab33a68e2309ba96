//! Reading a whole body into one `Bytes`, without `Collected`'s buffer list.
//!
//! The usual body arrives in one data frame: its `Bytes` is kept as it is (no copy, no
//! allocation). Only a second data frame makes a `BytesMut` that holds the concatenation.
//! Trailers are read and dropped, as `Collected::to_bytes` did.

use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http_body::Body;
use pin_project_lite::pin_project;

/// The bytes read so far.
#[derive(Default)]
enum Acc {
    #[default]
    Empty,
    One(Bytes),
    Many(BytesMut),
}

impl Acc {
    #[inline]
    fn push<D: Buf>(&mut self, mut data: D) {
        let len = data.remaining();
        if len == 0 {
            return;
        }
        *self = match mem::take(self) {
            // `Bytes::copy_to_bytes` of the whole buffer is a move, not a copy.
            Acc::Empty => Acc::One(data.copy_to_bytes(len)),
            Acc::One(first) => {
                let mut all = BytesMut::with_capacity(first.len() + len);
                all.extend_from_slice(&first);
                all.put(data);
                Acc::Many(all)
            }
            Acc::Many(mut all) => {
                all.put(data);
                Acc::Many(all)
            }
        };
    }

    #[inline]
    fn into_bytes(self) -> Bytes {
        match self {
            Acc::Empty => Bytes::new(),
            Acc::One(bytes) => bytes,
            Acc::Many(all) => all.freeze(),
        }
    }
}

pin_project! {
    /// Reads `body` to its end: the data frames, concatenated.
    pub(crate) struct CollectBytes<B> {
        #[pin]
        body: B,
        acc: Acc,
    }
}

impl<B> CollectBytes<B> {
    pub(crate) fn new(body: B) -> Self {
        Self {
            body,
            acc: Acc::Empty,
        }
    }
}

impl<B: Body> Future for CollectBytes<B> {
    type Output = Result<Bytes, B::Error>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let Some(frame) = ready!(this.body.as_mut().poll_frame(cx)) else {
                return Poll::Ready(Ok(mem::take(this.acc).into_bytes()));
            };
            // A trailers frame is dropped.
            if let Ok(data) = frame?.into_data() {
                this.acc.push(data);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use http_body::Frame;
    use http_body_util::{BodyExt, Full, StreamBody};

    fn collect<B: Body>(body: B) -> Result<Bytes, B::Error> {
        CollectBytes::new(body)
            .now_or_never()
            .expect("in-memory body")
    }

    #[test]
    fn one_chunk_is_not_copied() {
        let bytes = Bytes::from(vec![7u8; 300]);
        let out = collect(Full::new(bytes.clone())).unwrap();
        assert_eq!(out, bytes);
        assert_eq!(out.as_ptr(), bytes.as_ptr());
    }

    #[test]
    fn empty_and_chunks_and_trailers() {
        assert!(collect(Full::new(Bytes::new())).unwrap().is_empty());
        let mut trailers = http::HeaderMap::new();
        trailers.insert("x", http::HeaderValue::from_static("y"));
        let frames: Vec<Result<Frame<Bytes>, std::convert::Infallible>> = vec![
            Ok(Frame::data(Bytes::from_static(b""))),
            Ok(Frame::data(Bytes::from_static(b"ab"))),
            Ok(Frame::data(Bytes::from_static(b"c"))),
            Ok(Frame::trailers(trailers)),
            Ok(Frame::data(Bytes::from_static(b"de"))),
        ];
        let body = StreamBody::new(futures_util::stream::iter(frames));
        assert_eq!(collect(body).unwrap(), Bytes::from_static(b"abcde"));
        let body = StreamBody::new(futures_util::stream::iter(vec![Ok::<
            _,
            std::convert::Infallible,
        >(Frame::data(
            Bytes::from_static(b"abc"),
        ))]));
        let same = body.collect().now_or_never().unwrap().unwrap().to_bytes();
        assert_eq!(same, Bytes::from_static(b"abc"));
    }
}
