//! The rules for user and device ids. They end up in room names such as
//! `user:{id}` and `device:{userId}:{deviceId}`, so a `:` or whitespace in an
//! id would make two different rooms look alike: both are refused, as are
//! control characters and over-long ids.

/// Longest user id (the token's `sub`), in bytes.
pub const MAX_USER_ID_LEN: usize = 128;

/// Longest device id, in bytes.
pub const MAX_DEVICE_ID_LEN: usize = 64;

/// Why an id (a token's `sub`, a device id) is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The id is absent (a token without `sub`).
    #[error("is missing")]
    Missing,
    /// The id is not a string (a numeric `sub`).
    #[error("is not a string")]
    NotAString,
    /// The id is the empty string.
    #[error("is empty")]
    Empty,
    /// The id is longer than its limit.
    #[error("is longer than {max} bytes")]
    TooLong {
        /// The limit, in bytes.
        max: usize,
    },
    /// The id holds a character ids may not hold.
    #[error("contains {0:?} (no ':', whitespace or control characters)")]
    BadChar(char),
}

/// Checks a user id (a token's `sub`): 1 to [`MAX_USER_ID_LEN`] bytes, no
/// `:`, whitespace or control characters.
pub fn validate_user_id(id: &str) -> Result<(), IdError> {
    validate(id, MAX_USER_ID_LEN)
}

/// Checks a device id: 1 to [`MAX_DEVICE_ID_LEN`] bytes, no `:`,
/// whitespace or control characters.
pub fn validate_device_id(id: &str) -> Result<(), IdError> {
    validate(id, MAX_DEVICE_ID_LEN)
}

fn validate(id: &str, max: usize) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    if id.len() > max {
        return Err(IdError::TooLong { max });
    }
    match id
        .chars()
        .find(|&c| c == ':' || c.is_whitespace() || c.is_control())
    {
        Some(c) => Err(IdError::BadChar(c)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_ids_pass() {
        for id in ["alice", "a", "user-42_x.y@example.org", "Zoë", "用户"] {
            assert_eq!(validate_user_id(id), Ok(()), "{id}");
            assert_eq!(validate_device_id(id), Ok(()), "{id}");
        }
    }

    #[test]
    fn limits_are_in_bytes_and_inclusive() {
        assert_eq!(validate_user_id(&"a".repeat(128)), Ok(()));
        assert_eq!(
            validate_user_id(&"a".repeat(129)),
            Err(IdError::TooLong { max: 128 })
        );
        assert_eq!(validate_device_id(&"a".repeat(64)), Ok(()));
        assert_eq!(
            validate_device_id(&"a".repeat(65)),
            Err(IdError::TooLong { max: 64 })
        );
        // 43 three-byte characters: 129 bytes.
        assert_eq!(
            validate_user_id(&"用".repeat(43)),
            Err(IdError::TooLong { max: 128 })
        );
    }

    #[test]
    fn separators_whitespace_and_controls_are_refused() {
        assert_eq!(validate_user_id(""), Err(IdError::Empty));
        assert_eq!(validate_device_id(""), Err(IdError::Empty));
        for (id, c) in [
            ("a:b", ':'),
            (":", ':'),
            ("a b", ' '),
            ("a\tb", '\t'),
            ("a\nb", '\n'),
            ("a\u{a0}b", '\u{a0}'),
            ("a\u{2028}b", '\u{2028}'),
            ("a\0b", '\0'),
            ("a\u{7f}", '\u{7f}'),
            ("a\u{1b}[31m", '\u{1b}'),
        ] {
            assert_eq!(validate_user_id(id), Err(IdError::BadChar(c)), "{id:?}");
            assert_eq!(validate_device_id(id), Err(IdError::BadChar(c)), "{id:?}");
        }
    }
}
