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
        if self.starts_a_run() {
            tracing::warn!(%error, "accept failed: backing off until it succeeds again");
        } else {
            tracing::debug!(%error, failures = self.failures, ?wait, "accept failed again");
        }
        self.next = (self.next * 2).min(LONGEST);
        wait
    }

    /// True when the last failure was the first of a run: the one warned of.
    fn starts_a_run(&self) -> bool {
        self.failures == 1
    }

    /// Ends a run of failures, if there was one, and says so; returns how
    /// many failures it had.
    pub(crate) fn succeeded(&mut self) -> Option<u64> {
        let ended = (self.failures > 0).then_some(self.failures);
        if let Some(failures) = ended {
            tracing::info!(failures, "accepting again");
        }
        *self = Self::default();
        ended
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
        assert_eq!(backoff.succeeded(), Some(10), "the run's length");
        assert_eq!(waits(&mut backoff, 2), [10, 20]);
    }

    #[test]
    fn only_the_first_failure_of_a_run_is_warned_of_and_a_success_ends_the_run() {
        let mut backoff = AcceptBackoff::default();
        assert_eq!(backoff.succeeded(), None, "no run to end");
        backoff.failed(&emfile());
        assert!(backoff.starts_a_run());
        for _ in 0..3 {
            backoff.failed(&emfile());
            assert!(!backoff.starts_a_run());
        }
        assert_eq!(backoff.succeeded(), Some(4));
        assert_eq!(backoff.succeeded(), None);
        backoff.failed(&emfile());
        assert!(backoff.starts_a_run(), "a new run");
    }

    /// With time paused, a minute of failures is at most ~70 accepts,
    /// however long each failure takes: no spinning.
    #[tokio::test(start_paused = true)]
    async fn a_minute_of_failures_is_a_bounded_number_of_attempts() {
        let mut backoff = AcceptBackoff::default();
        let start = tokio::time::Instant::now();
        let mut attempts = 0;
        while start.elapsed() < Duration::from_secs(60) && attempts <= 70 {
            attempts += 1;
            tokio::time::sleep(backoff.failed(&emfile())).await;
        }
        assert!(attempts <= 70, "{attempts} attempts in a minute");
    }
}
