//! Glob patterns for channel names, with Redis `PSUBSCRIBE` semantics:
//! `*` any run of characters (empty too), `?` exactly one, `[abc]` one of a
//! class, `[a-z]` a range (reversed ranges are swapped), `[^x]` or `[!x]`
//! anything but, and `\` makes the next character literal (in a class too).
//! A `-` first or last in a class is literal. As in Redis, a `]` right after
//! `[` closes an empty class (which matches nothing), a class left open runs
//! to the end of the pattern, and a trailing `\` is a literal backslash.
//! Unlike Redis, which works on bytes, `?` and classes take one *character*
//! (a Unicode scalar value).
//!
//! Matching never backtracks exponentially: the two-pointer algorithm
//! remembers only the last `*` and retries from it, so a match costs at most
//! `O(pattern × name)` steps and usually `O(name)`.

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// `*`: any run (consecutive stars are one).
    Star,
    /// `?`: any one character.
    Any,
    /// A literal character.
    Char(char),
    /// `[...]`: one character in (or, negated, not in) the ranges.
    Class {
        /// `[^...]` or `[!...]`.
        negated: bool,
        /// Inclusive ranges; a single character is `(c, c)`.
        ranges: Vec<(char, char)>,
    },
}

impl Token {
    /// True when this single-character token accepts `c` (never for `*`).
    fn accepts(&self, c: char) -> bool {
        match self {
            Self::Star => false,
            Self::Any => true,
            Self::Char(x) => *x == c,
            Self::Class { negated, ranges } => {
                ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
            }
        }
    }
}

/// A compiled glob pattern, to match many names against without parsing
/// the pattern again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    tokens: Vec<Token>,
}

impl Pattern {
    /// Compiles `pattern` (every string is a valid pattern).
    pub(crate) fn new(pattern: &str) -> Self {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            let token = match c {
                '*' if tokens.last() == Some(&Token::Star) => continue,
                '*' => Token::Star,
                '?' => Token::Any,
                '\\' => Token::Char(chars.next().unwrap_or('\\')),
                '[' => {
                    let negated = chars.next_if(|&c| c == '^' || c == '!').is_some();
                    let mut ranges = Vec::new();
                    while let Some(c) = chars.next() {
                        let lo = match c {
                            ']' => break,
                            '\\' => chars.next().unwrap_or('\\'),
                            c => c,
                        };
                        let mut ahead = chars.clone();
                        match (ahead.next(), ahead.next()) {
                            // `a-z`, but not `a-]`: there `-` is literal.
                            (Some('-'), Some(hi)) if hi != ']' => {
                                chars = ahead;
                                ranges.push((lo.min(hi), lo.max(hi)));
                            }
                            _ => ranges.push((lo, lo)),
                        }
                    }
                    Token::Class { negated, ranges }
                }
                c => Token::Char(c),
            };
            tokens.push(token);
        }
        Self { tokens }
    }

    /// True when `name` matches the whole pattern.
    pub(crate) fn matches(&self, name: &str) -> bool {
        let tokens = &self.tokens;
        let (mut p, mut n) = (0, 0);
        // After a `*`: the token following it and where in `name` the star's
        // run currently ends; a mismatch grows the run by one character.
        let mut star: Option<(usize, usize)> = None;
        while let Some(c) = name[n..].chars().next() {
            match tokens.get(p) {
                Some(Token::Star) => {
                    p += 1;
                    star = Some((p, n));
                    continue;
                }
                Some(t) if t.accepts(c) => {
                    p += 1;
                    n += c.len_utf8();
                    continue;
                }
                _ => {}
            }
            let Some((after, run_end)) = star else {
                return false;
            };
            let skipped = name[run_end..].chars().next().map_or(1, char::len_utf8);
            star = Some((after, run_end + skipped));
            (p, n) = (after, run_end + skipped);
        }
        tokens[p..].iter().all(|t| *t == Token::Star)
    }
}

/// True when `name` matches `pattern` (see the module documentation).
pub fn glob_match(pattern: &str, name: &str) -> bool {
    Pattern::new(pattern).matches(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_like_redis() {
        let cases: &[(&str, &str, bool)] = &[
            ("", "", true),
            ("", "a", false),
            ("a", "", false),
            ("photo.*", "photo.new", true),
            ("photo.*", "photo.", true),
            ("photo.*", "video.new", false),
            ("photo.*", "photo", false),
            ("*", "", true),
            ("*", "anything at all", true),
            ("**", "x", true),
            ("*.new", "photo.new", true),
            ("*.new", "photo.old", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("a*b", "abab", true),
            ("a*b", "abac", false),
            ("*a", "aaa", true),
            ("h?llo", "hello", true),
            ("h?llo", "hllo", false),
            ("h?llo", "heello", false),
            ("??", "é!", true),
            ("?", "é", true),
            ("*", "aéé", true),
            ("*!", "éé!", true),
            ("a*é", "aéxé", true),
            ("a*é", "aéxe", false),
            ("h[ae]llo", "hallo", true),
            ("h[ae]llo", "hillo", false),
            ("h[a-c]t", "hbt", true),
            ("h[a-c]t", "hdt", false),
            ("h[c-a]t", "hbt", true),
            ("h[^e]llo", "hallo", true),
            ("h[^e]llo", "hello", false),
            ("h[!e]llo", "hello", false),
            ("h[!e]llo", "hxllo", true),
            ("[a-]", "-", true),
            ("[a-]", "a", true),
            ("[a-]", "b", false),
            ("[-a]", "-", true),
            ("[]", "", false),
            ("[]a", "a", false),
            ("[abc", "b", true),
            ("[abc", "[", false),
            ("[\\]]", "]", true),
            ("[\\-]", "-", true),
            ("[\\-]", "\\", false),
            ("\\*", "*", true),
            ("\\*", "a", false),
            ("\\?x", "?x", true),
            ("\\[a]", "[a]", true),
            ("a\\", "a\\", true),
            ("[^a-z]*", "Zed", true),
            ("[^a-z]*", "zed", false),
            ("user:[0-9][0-9]:*", "user:42:name", true),
            ("user:[0-9][0-9]:*", "user:4x:name", false),
        ];
        for &(pattern, name, expected) in cases {
            assert_eq!(
                glob_match(pattern, name),
                expected,
                "{pattern:?} against {name:?}"
            );
        }
    }

    #[test]
    fn pathological_patterns_finish_quickly() {
        let long = "a".repeat(20_000);
        let started = std::time::Instant::now();
        assert!(!glob_match("a*a*a*a*a*a*a*a*b", &long));
        assert!(glob_match("a*a*a*a*a*a*a*a*a", &long));
        let many_stars = format!("{}b", "*a".repeat(100));
        assert!(!glob_match(&many_stars, &long[..5_000]));
        // Exponential backtracking would take longer than the universe;
        // this takes milliseconds even unoptimised on a noisy machine.
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn compiles_consecutive_stars_to_one() {
        assert_eq!(Pattern::new("a***b").tokens.len(), 3);
    }
}
