//! [`in_turn`]: Redis commands of one node sent in the order they were
//! asked for. A broadcast's publish is a future driven now or in the
//! background; without an order, two broadcasts made one after the other
//! while the connection is being made (a node's first, or after a loss)
//! could reach Redis — and every other node — the other way round.

use std::future::Future;
use std::task::Poll;

/// Runs the command `connect` resolves to once it is this caller's turn:
/// callers take turns in the order they first polled (a FIFO lock), and
/// each keeps its turn until its command is queued on the connection (its
/// first poll), not until Redis answers, so commands stay pipelined.
pub(crate) async fn in_turn<T, E, C, F>(turn: &tokio::sync::Mutex<()>, connect: C) -> Result<T, E>
where
    C: Future<Output = Result<F, E>>,
    F: Future<Output = Result<T, E>>,
{
    let held = turn.lock().await;
    let mut command = Box::pin(connect.await?);
    let first = std::future::poll_fn(|cx| Poll::Ready(command.as_mut().poll(cx))).await;
    drop(held);
    match first {
        Poll::Ready(out) => out,
        Poll::Pending => command.await,
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::in_turn;

    /// Commands whose connection comes in reverse order still start in the
    /// order they were asked for.
    #[tokio::test]
    async fn commands_start_in_the_order_asked() {
        let turn = Arc::new(tokio::sync::Mutex::new(()));
        let started = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..5u64 {
            let (turn, started) = (turn.clone(), started.clone());
            let mut task = Box::pin(async move {
                in_turn(&turn, async move {
                    // Later callers get their connection sooner.
                    tokio::time::sleep(Duration::from_millis(50 - 10 * i)).await;
                    Ok::<_, ()>(async move {
                        started.lock().expect("lock").push(i);
                        tokio::task::yield_now().await;
                        Ok(i)
                    })
                })
                .await
            });
            // Polled once in call order, as the server's `drive` does.
            let first = std::future::poll_fn(|cx| {
                std::task::Poll::Ready(task.as_mut().poll(cx).is_pending())
            })
            .await;
            assert!(first, "waits for its connection");
            tasks.push(tokio::spawn(task));
        }
        for (i, task) in tasks.into_iter().enumerate() {
            assert_eq!(task.await.expect("joins"), Ok(i as u64));
        }
        assert_eq!(*started.lock().expect("lock"), vec![0, 1, 2, 3, 4]);
    }
}
