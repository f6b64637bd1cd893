//! [`drive`]: run a future now if it can finish now, else in a task — so
//! that synchronous paths (an `emit` in a handler) can use adapters and
//! stores whose work is usually done at once, without a task per call.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// A boxed future of a fallible operation.
pub(crate) type Fallible<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'static>>;

/// Polls `future` once: a result that is ready is returned (an error is
/// logged too); one that is not is spawned, and its error logged when it
/// comes. Returns `None` then (or without a runtime to spawn on).
pub(crate) fn drive<T, E>(what: &'static str, mut future: Fallible<T, E>) -> Option<Result<T, E>>
where
    T: Send + 'static,
    E: Display + Send + 'static,
{
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(result) => {
            if let Err(e) = &result {
                tracing::warn!(error = %e, "{what} failed");
            }
            Some(result)
        }
        Poll::Pending => {
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => {
                    rt.spawn(async move {
                        if let Err(e) = future.await {
                            tracing::warn!(error = %e, "{what} failed");
                        }
                    });
                }
                Err(_) => tracing::warn!("{what}: no runtime to finish it on"),
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ready_future_gives_its_result_now() {
        let ok: Fallible<u8, String> = Box::pin(async { Ok(7) });
        assert_eq!(drive("test", ok), Some(Ok(7)));
        let err: Fallible<u8, String> = Box::pin(async { Err("no".to_owned()) });
        assert_eq!(drive("test", err), Some(Err("no".to_owned())));
    }

    #[tokio::test]
    async fn a_pending_future_finishes_in_a_task() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let pending: Fallible<(), String> = Box::pin(async move {
            tokio::task::yield_now().await;
            let _ = tx.send(());
            Ok(())
        });
        assert_eq!(drive("test", pending), None);
        tokio::time::timeout(std::time::Duration::from_secs(5), rx)
            .await
            .expect("finished in a task")
            .expect("sent");
    }
}
