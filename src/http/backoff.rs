//! [`AcceptBackoff`]: what the accept loop does when `accept` fails (out of
//! file descriptors, most often): wait 10 ms, doubling up to a second while
//! it keeps failing, so that a full descriptor table cannot spin a core;
//! back to 10 ms after the first success. One warning line per run of
//! failures, not one per failure.

use std::time::Duration;

/// The first wait after a failed accept.
const FIRST: Duration = Duration::from_millis(10);

/// The longest wait between two accepts.
const LONGEST: Duration = Duration::from_secs(1);

/// The backoff state of one accept loop.
#[derive(Debug)]
pub(crate) struct AcceptBackoff {
    next: Duration,
    failures: u64,
}

impl Default for AcceptBackoff {
    fn default() -> Self {
        Self {
            next: FIRST,
            failures: 0,
        }
    }
}

impl AcceptBackoff {
    /// Counts a failed accept and returns how long to wait before the next.
    pub(crate) fn failed(&mut self, error: &std::io::Error) -> Duration {
        let wait = self.next;
        self.failures += 1;
        if self.failures == 1 {
            tracing::warn!(%error, "accept failed: backing off until it succeeds again");
        } else {
            tracing::debug!(%error, failures = self.failures, ?wait, "accept failed again");
        }
        self.next = (self.next * 2).min(LONGEST);
        wait
    }

    /// Ends a run of failures, if there was one (and says so).
    pub(crate) fn succeeded(&mut self) {
        if self.failures > 0 {
            tracing::info!(failures = self.failures, "accepting again");
        }
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emfile() -> std::io::Error {
        std::io::Error::other("too many open files")
    }

    fn waits(backoff: &mut AcceptBackoff, n: usize) -> Vec<u64> {
        (0..n)
            .map(|_| backoff.failed(&emfile()).as_millis() as u64)
            .collect()
    }

    #[test]
    fn waits_double_up_to_a_second_and_start_over_after_a_success() {
        let mut backoff = AcceptBackoff::default();
        assert_eq!(
            waits(&mut backoff, 10),
            [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000]
        );
        backoff.succeeded();
        assert_eq!(waits(&mut backoff, 2), [10, 20]);
    }

    /// With time paused, a minute of failures is at most ~70 accepts,
    /// however long each failure takes: no spinning.
    #[tokio::test(start_paused = true)]
    async fn a_minute_of_failures_is_a_bounded_number_of_attempts() {
        let mut backoff = AcceptBackoff::default();
        let start = tokio::time::Instant::now();
        let mut attempts = 0;
        while start.elapsed() < Duration::from_secs(60) {
            attempts += 1;
            tokio::time::sleep(backoff.failed(&emfile())).await;
        }
        assert!(attempts <= 70, "{attempts} attempts in a minute");
    }
}
