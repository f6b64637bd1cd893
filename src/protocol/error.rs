//! Errors of the Socket.IO protocol layer: a packet that cannot be decoded.
//! Each closes the client that sent it with a parse error.

/// A Socket.IO packet that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("empty packet")]
    Empty,
    #[error("unknown packet type {:?}", *.0 as char)]
    UnknownType(u8),
    #[error("invalid attachment count")]
    BadAttachmentCount,
    #[error("more than {0} binary attachments")]
    TooManyAttachments(usize),
    #[error("invalid acknowledgement id")]
    BadAckId,
    #[error("invalid JSON payload")]
    BadJson,
    #[error("payload nested deeper than {0} levels")]
    TooDeep(usize),
    #[error("packet larger than {0} bytes")]
    TooLarge(usize),
    #[error("payload does not fit the packet type")]
    BadPayload,
    #[error("binary attachment without a pending binary packet")]
    UnexpectedAttachment,
    #[error("text packet while binary attachments were still expected")]
    MissingAttachments,
    #[error("invalid attachment placeholder")]
    BadPlaceholder,
    /// The attachments of one packet add up to more than the limit.
    #[error("binary attachments of one packet over {0} bytes")]
    AttachmentsTooLarge(usize),
    /// The attachments a packet announced did not all come in time.
    #[error("binary attachments not all received in time")]
    AttachmentsTimedOut,
}
