//! Token lifetimes as people write them: `30s`, `15m`, `1h`, `7d`, or plain
//! seconds.

use std::time::Duration;

/// The lifetime of a token made by `edgeio token` when none is given.
pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);

/// The longest lifetime accepted: a year. Longer-lived tokens cannot be
/// revoked in any useful time.
pub const MAX_TTL: Duration = Duration::from_secs(365 * 86_400);

/// A lifetime that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TtlError {
    /// Not a number with an optional unit.
    #[error("{0:?} is not a lifetime: write 30s, 15m, 1h, 7d or plain seconds")]
    Invalid(String),
    /// Zero: the token would expire as it is made.
    #[error("a lifetime must be at least 1 second")]
    Zero,
    /// Over [`MAX_TTL`].
    #[error("{0:?} is longer than the limit of 365d")]
    TooLong(String),
}

/// Reads a lifetime: a whole number followed by `s`, `m`, `h` or `d`, or
/// no unit for seconds; between 1 second and [`MAX_TTL`].
pub fn parse_ttl(text: &str) -> Result<Duration, TtlError> {
    let s = text.trim();
    let (digits, unit) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c),
        _ => (s, 's'),
    };
    let multiplier: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(TtlError::Invalid(text.to_owned())),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TtlError::Invalid(text.to_owned()));
    }
    // Digits only: parsing fails only on overflow, which is too long anyway.
    let secs = digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| TtlError::TooLong(text.to_owned()))?;
    let ttl = Duration::from_secs(secs);
    if ttl.is_zero() {
        return Err(TtlError::Zero);
    }
    if ttl > MAX_TTL {
        return Err(TtlError::TooLong(text.to_owned()));
    }
    Ok(ttl)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> Result<u64, TtlError> {
        parse_ttl(s).map(|d| d.as_secs())
    }

    #[test]
    fn units_and_plain_seconds() {
        assert_eq!(secs("30s"), Ok(30));
        assert_eq!(secs("15m"), Ok(900));
        assert_eq!(secs("1h"), Ok(3600));
        assert_eq!(secs("7d"), Ok(604_800));
        assert_eq!(secs("90"), Ok(90));
        assert_eq!(secs(" 2h "), Ok(7200));
        assert_eq!(secs("1"), Ok(1));
        assert_eq!(secs("365d"), Ok(MAX_TTL.as_secs()));
        assert_eq!(secs("31536000"), Ok(MAX_TTL.as_secs()));
        assert_eq!(DEFAULT_TTL, Duration::from_secs(3600));
    }

    #[test]
    fn garbage_is_refused_with_the_accepted_forms() {
        for bad in [
            "", " ", "nonsense", "h", "1x", "1.5h", "-1", "+1", "1 h", "1hh", "h1", "1H", "٣s",
        ] {
            let err = parse_ttl(bad).expect_err(bad);
            assert_eq!(err, TtlError::Invalid(bad.to_owned()), "{bad:?}");
            assert!(err.to_string().contains("30s, 15m, 1h, 7d"), "{err}");
        }
    }

    #[test]
    fn zero_and_over_a_year_are_refused() {
        assert_eq!(parse_ttl("0"), Err(TtlError::Zero));
        assert_eq!(parse_ttl("0d"), Err(TtlError::Zero));
        for long in [
            "366d",
            "31536001",
            "8761h",
            "99999999999999999999",
            "999999999999999999d",
        ] {
            assert_eq!(
                parse_ttl(long),
                Err(TtlError::TooLong(long.to_owned())),
                "{long}"
            );
        }
    }
}
