//! Errors of the Socket.IO protocol layer: a packet that cannot be decoded.
//! Each closes the client that sent it with a parse error.

/// A Socket.IO packet that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The packet has no bytes.
    #[error("empty packet")]
    Empty,
    /// The first byte is no Socket.IO packet type.
    #[error("unknown packet type {:?}", *.0 as char)]
    UnknownType(u8),
    /// The attachment count before `-` is not a number.
    #[error("invalid attachment count")]
    BadAttachmentCount,
    /// More attachments than the limit.
    #[error("more than {0} binary attachments")]
    TooManyAttachments(usize),
    /// The acknowledgement id is not a number that fits.
    #[error("invalid acknowledgement id")]
    BadAckId,
    /// The payload is not JSON.
    #[error("invalid JSON payload")]
    BadJson,
    /// The JSON payload nests deeper than the limit.
    #[error("payload nested deeper than {0} levels")]
    TooDeep(usize),
    /// The packet is larger than the limit.
    #[error("packet larger than {0} bytes")]
    TooLarge(usize),
    /// The payload is not what the packet type carries (an event without a name, ...).
    #[error("payload does not fit the packet type")]
    BadPayload,
    /// A binary frame arrived while no packet was waiting for one.
    #[error("binary attachment without a pending binary packet")]
    UnexpectedAttachment,
    /// A text packet arrived while a packet still waited for its attachments.
    #[error("text packet while binary attachments were still expected")]
    MissingAttachments,
    /// A `{"_placeholder":true,"num":N}` is malformed or out of range.
    #[error("invalid attachment placeholder")]
    BadPlaceholder,
    /// The attachments of one packet add up to more than the limit.
    #[error("binary attachments of one packet over {0} bytes")]
    AttachmentsTooLarge(usize),
    /// The attachments a packet announced did not all come in time.
    #[error("binary attachments not all received in time")]
    AttachmentsTimedOut,
}
