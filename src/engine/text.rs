//! [`Text`]: a cheap-to-clone, zero-copy view of UTF-8 text received from a client.
//!
//! A polling payload carries several packets in one body and a WebSocket frame
//! carries one packet behind a type digit. Both are validated as UTF-8 once, and
//! every packet's text is a sub-range of that one buffer: no copy per packet.

use std::fmt;
use std::ops::Range;

use tokio_tungstenite::tungstenite::Utf8Bytes;

/// UTF-8 text shared with the buffer it was read from.
#[derive(Clone, Default)]
pub struct Text {
    /// The whole validated buffer (a payload or a frame).
    buf: Utf8Bytes,
    /// The part of `buf` this text stands for; always on char boundaries.
    range: Range<usize>,
}

impl Text {
    /// Wraps a whole buffer.
    pub fn new(buf: Utf8Bytes) -> Self {
        let len = buf.len();
        Self { buf, range: 0..len }
    }

    /// The text as a string slice.
    pub fn as_str(&self) -> &str {
        // The range is only ever built from char boundaries of `buf`.
        self.buf.get(self.range.clone()).unwrap_or_default()
    }

    /// The sub-text `range` (relative to this text), or `None` when it is not
    /// on char boundaries or out of bounds.
    pub fn slice(&self, range: Range<usize>) -> Option<Text> {
        self.as_str().get(range.clone())?;
        let start = self.range.start + range.start;
        let end = self.range.start + range.end;
        Some(Text {
            buf: self.buf.clone(),
            range: start..end,
        })
    }

    /// The text after its first `n` bytes (`n` must be a char boundary).
    pub fn skip(&self, n: usize) -> Option<Text> {
        self.slice(n..self.len())
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.range.len()
    }

    /// True when the text is empty.
    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::new(Utf8Bytes::from(s))
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::new(Utf8Bytes::from(s))
    }
}

impl From<Utf8Bytes> for Text {
    fn from(b: Utf8Bytes) -> Self {
        Text::new(b)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_share_the_buffer_and_respect_char_boundaries() {
        let t = Text::from("4héllo");
        let msg = t.skip(1).expect("boundary");
        assert_eq!(msg, "héllo");
        assert!(msg.slice(0..2).is_none(), "inside the é");
        assert_eq!(msg.slice(0..3).expect("boundary"), "hé");
        assert!(t.slice(0..100).is_none());
    }
}
