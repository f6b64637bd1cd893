//! [`Answers`]: what a request to the other nodes of a cluster collected
//! (socket.io's `serverSideEmit` with an acknowledgement): the answers that
//! came, and how many of those expected did not come in time. A multi-node
//! adapter keeps its own table of requests in flight (the Redis adapter's is
//! `redis/requests.rs`) and resolves each to this.

/// What a request collected: the answers that came, and how many of those
/// expected did not come in time.
#[derive(Debug, Clone, PartialEq)]
pub struct Answers<T> {
    /// The answers, in the order they came.
    pub answers: Vec<T>,
    /// Expected answers that did not come before the timeout.
    pub missing: usize,
}

impl<T> Default for Answers<T> {
    fn default() -> Self {
        Self {
            answers: Vec::new(),
            missing: 0,
        }
    }
}
