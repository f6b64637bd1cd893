//! [`DeadlineBody`]: a request body that must arrive within a time limit
//! once it is first read, so that a body trickling in (a slow POST) cannot
//! hold a request, and the session or handler behind it, for long.
//!
//! Past the limit the body fails with an [`std::io::Error`] of kind
//! [`TimedOut`](std::io::ErrorKind::TimedOut): the engine and the fallback
//! answer it `408`, and hyper closes the connection, whose body was not read
//! to its end.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

/// The error type of a [`DeadlineBody`].
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A body failing with `TimedOut` if it is not whole within its time limit,
/// counted from the first read that has to wait for the client.
pub(crate) struct DeadlineBody<B> {
    inner: Pin<Box<B>>,
    limit: Duration,
    /// Started on the first read that finds no data ready; a body that
    /// came whole with its head never starts a timer.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl<B> DeadlineBody<B> {
    /// `inner`, which must be read whole within `limit`.
    pub(crate) fn new(inner: B, limit: Duration) -> Self {
        Self {
            inner: Box::pin(inner),
            limit,
            deadline: None,
        }
    }
}

/// True when `error` is the body's time limit passing.
pub(crate) fn is_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::TimedOut)
}

impl<B> Body for DeadlineBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = this.inner.as_mut().poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let limit = this.limit;
        let deadline = this
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "request body timed out",
            ))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full, StreamBody};

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stops_coming_fails_with_timed_out_at_its_limit() {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, BoxError>>(1);
        tx.send(Ok(Frame::data(Bytes::from_static(b"0123456789"))))
            .await
            .expect("send");
        let stream = tokio_stream_from(rx);
        let body = DeadlineBody::new(StreamBody::new(stream), Duration::from_secs(10));
        let start = tokio::time::Instant::now();
        let Err(err) = body.collect().await else {
            panic!("the body should time out");
        };
        assert!(is_timeout(err.as_ref()), "{err}");
        assert_eq!(start.elapsed(), Duration::from_secs(10));
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn a_whole_body_is_read_as_it_is() {
        let body = DeadlineBody::new(Full::new(Bytes::from_static(b"hello")), Duration::ZERO);
        let bytes = body.collect().await.expect("whole").to_bytes();
        assert_eq!(&bytes[..], b"hello");
    }

    #[test]
    fn other_errors_are_not_timeouts() {
        let other = std::io::Error::other("reset");
        assert!(!is_timeout(&other));
        let timed_out = std::io::Error::from(std::io::ErrorKind::TimedOut);
        assert!(is_timeout(&timed_out));
    }

    /// A stream of the channel's items (tokio-stream is not a dependency).
    fn tokio_stream_from<T: Send + 'static>(
        mut rx: tokio::sync::mpsc::Receiver<T>,
    ) -> impl futures_util::Stream<Item = T> {
        futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
    }
}
