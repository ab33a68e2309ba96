//! Reading a whole body into one `Bytes`, at most a limit, without `Collected`'s buffer list:
//! the workspace's one body collector (the layers, [`round_trip`](crate::round_trip()), the sandbox).
//!
//! The usual body arrives in one data frame: its `Bytes` is kept as it is (no copy, no
//! allocation). Only a second data frame makes a `BytesMut` that holds the concatenation.
//! Trailers are read and dropped, as `Collected::to_bytes` did.
//!
//! The optional limit is checked here, frame by frame, rather than by wrapping the body in
//! `http_body_util::Limited`: one layer of polling less, and a typed error instead of a boxed
//! one to downcast.

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

    #[inline]
    fn len(&self) -> usize {
        match self {
            Acc::Empty => 0,
            Acc::One(bytes) => bytes.len(),
            Acc::Many(all) => all.len(),
        }
    }
}

/// Why a body could not be collected.
#[derive(Debug)]
pub enum CollectError<E> {
    /// The body grew past the limit; reading stopped there.
    TooLarge,
    /// The body itself failed.
    Body(E),
}

pin_project! {
    /// Reads `body` to its end: the data frames, concatenated, up to `limit` bytes.
    pub struct CollectBytes<B> {
        #[pin]
        body: B,
        acc: Acc,
        limit: usize,
    }
}

impl<B> CollectBytes<B> {
    /// Reads all of `body`, however long.
    pub fn new(body: B) -> Self {
        Self::limited(body, usize::MAX)
    }

    /// The limit in bytes (`usize::MAX`: none).
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Reads `body` but fails with [`CollectError::TooLarge`] as soon as it has more than
    /// `limit` bytes.
    pub fn limited(body: B, limit: usize) -> Self {
        Self {
            body,
            acc: Acc::Empty,
            limit,
        }
    }
}

impl<B: Body> Future for CollectBytes<B> {
    type Output = Result<Bytes, CollectError<B::Error>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let Some(frame) = ready!(this.body.as_mut().poll_frame(cx)) else {
                return Poll::Ready(Ok(mem::take(this.acc).into_bytes()));
            };
            // A trailers frame is dropped.
            if let Ok(data) = frame.map_err(CollectError::Body)?.into_data() {
                if data.remaining() > this.limit.saturating_sub(this.acc.len()) {
                    return Poll::Ready(Err(CollectError::TooLarge));
                }
                this.acc.push(data);
            }
            // A body that knows it has ended (`Full`, hyper's body once `Content-Length` bytes
            // have come) is not polled again just to hear `None`.
            if this.body.is_end_stream() {
                return Poll::Ready(Ok(mem::take(this.acc).into_bytes()));
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

    fn collect<B: Body>(body: B) -> Result<Bytes, CollectError<B::Error>> {
        CollectBytes::new(body)
            .now_or_never()
            .expect("in-memory body")
    }

    fn chunks(sizes: &[usize]) -> impl Body<Data = Bytes, Error = std::convert::Infallible> {
        let frames: Vec<Result<Frame<Bytes>, std::convert::Infallible>> = sizes
            .iter()
            .map(|&len| Ok(Frame::data(Bytes::from(vec![b'x'; len]))))
            .collect();
        StreamBody::new(futures_util::stream::iter(frames))
    }

    fn collect_limited<B: Body>(body: B, limit: usize) -> Result<Bytes, CollectError<B::Error>> {
        CollectBytes::limited(body, limit)
            .now_or_never()
            .expect("in-memory body")
    }

    #[test]
    fn the_limit_is_inclusive_and_counts_every_chunk() {
        assert_eq!(collect_limited(chunks(&[3, 4, 3]), 10).unwrap().len(), 10);
        assert_eq!(collect_limited(chunks(&[10]), 10).unwrap().len(), 10);
        assert!(matches!(
            collect_limited(chunks(&[3, 4, 4]), 10),
            Err(CollectError::TooLarge)
        ));
        assert!(matches!(
            collect_limited(chunks(&[11]), 10),
            Err(CollectError::TooLarge)
        ));
        assert!(matches!(
            collect_limited(chunks(&[0, 1]), 0),
            Err(CollectError::TooLarge)
        ));
        assert!(collect_limited(chunks(&[0, 0]), 0).unwrap().is_empty());
    }

    /// One data frame, after which it says it has ended; polled again, it fails.
    struct EndsAfterOneFrame(Option<Bytes>);

    impl Body for EndsAfterOneFrame {
        type Data = Bytes;
        type Error = &'static str;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, &'static str>>> {
            Poll::Ready(Some(match self.0.take() {
                Some(data) => Ok(Frame::data(data)),
                None => Err("polled after the end of the stream"),
            }))
        }

        fn is_end_stream(&self) -> bool {
            self.0.is_none()
        }
    }

    #[test]
    fn a_body_that_says_it_has_ended_is_not_polled_again() {
        let body = EndsAfterOneFrame(Some(Bytes::from_static(b"abc")));
        assert_eq!(collect(body).unwrap(), Bytes::from_static(b"abc"));
    }

    #[test]
    fn a_failing_body_is_a_body_error() {
        let frames: Vec<Result<Frame<Bytes>, &'static str>> =
            vec![Ok(Frame::data(Bytes::from_static(b"ab"))), Err("reset")];
        let body = StreamBody::new(futures_util::stream::iter(frames));
        assert!(matches!(collect(body), Err(CollectError::Body("reset"))));
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
