//! The Redis channel names of one namespace, and which of them a received
//! message came on.

/// The channels the adapter of namespace `nsp` uses under `prefix` (Node's
/// `key` option, `socket.io` by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channels {
    broadcast: String,
    request: String,
    response: String,
}

/// What a channel a message arrived on is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelKind {
    /// A broadcast: to the whole namespace (`room` is `None`), or to a single
    /// room (the channel names it).
    Broadcast {
        /// The room of a single-room broadcast.
        room: Option<String>,
    },
    /// A request to every node.
    Request,
    /// A response: on the shared response channel (`node` is `None`), or on
    /// the channel of the node that asked.
    Response {
        /// The uid the response channel is specific to.
        node: Option<String>,
    },
}

impl Channels {
    /// The channels of namespace `nsp` (e.g. `/`, `/chat`) under `prefix`.
    pub fn new(prefix: &str, nsp: &str) -> Self {
        Self {
            broadcast: format!("{prefix}#{nsp}#"),
            request: format!("{prefix}-request#{nsp}#"),
            response: format!("{prefix}-response#{nsp}#"),
        }
    }

    /// Broadcasts to the whole namespace or to several rooms:
    /// `{prefix}#{nsp}#`. Subscribers listen on this followed by `*`.
    pub fn broadcast(&self) -> &str {
        &self.broadcast
    }

    /// The pattern that a node subscribes to for every broadcast:
    /// `{prefix}#{nsp}#*`.
    pub fn broadcast_pattern(&self) -> String {
        format!("{}*", self.broadcast)
    }

    /// Broadcasts to exactly one room: `{prefix}#{nsp}#{room}#`.
    pub fn room(&self, room: &str) -> String {
        format!("{}{room}#", self.broadcast)
    }

    /// Requests to every node: `{prefix}-request#{nsp}#`.
    pub fn request(&self) -> &str {
        &self.request
    }

    /// Responses, shared by every node: `{prefix}-response#{nsp}#`.
    pub fn response(&self) -> &str {
        &self.response
    }

    /// Responses meant for node `uid` only (Node's
    /// `publishOnSpecificResponseChannel`): `{prefix}-response#{nsp}#{uid}#`.
    pub fn response_for(&self, uid: &str) -> String {
        format!("{}{uid}#", self.response)
    }

    /// What `channel` is for, or `None` when it is none of this namespace's.
    /// The response channels are checked before the broadcast ones, as Node
    /// does, since with some prefixes one may start with the other.
    pub fn classify(&self, channel: &str) -> Option<ChannelKind> {
        if let Some(rest) = channel.strip_prefix(&self.response) {
            let node = match rest {
                "" => None,
                _ => Some(rest.strip_suffix('#')?.to_owned()),
            };
            return Some(ChannelKind::Response { node });
        }
        if channel == self.request {
            return Some(ChannelKind::Request);
        }
        let rest = channel.strip_prefix(&self.broadcast)?;
        let room = match rest {
            "" => None,
            _ => Some(rest.strip_suffix('#')?.to_owned()),
        };
        Some(ChannelKind::Broadcast { room })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_node_adapter() {
        let c = Channels::new("socket.io", "/chat");
        assert_eq!(c.broadcast(), "socket.io#/chat#");
        assert_eq!(c.broadcast_pattern(), "socket.io#/chat#*");
        assert_eq!(c.room("r1"), "socket.io#/chat#r1#");
        assert_eq!(c.request(), "socket.io-request#/chat#");
        assert_eq!(c.response(), "socket.io-response#/chat#");
        assert_eq!(c.response_for("abc123"), "socket.io-response#/chat#abc123#");
    }

    #[test]
    fn classify_tells_channels_apart() {
        let c = Channels::new("socket.io", "/");
        let room = |r: &str| {
            Some(ChannelKind::Broadcast {
                room: Some(r.into()),
            })
        };
        assert_eq!(
            c.classify("socket.io#/#"),
            Some(ChannelKind::Broadcast { room: None })
        );
        assert_eq!(c.classify("socket.io#/#r1#"), room("r1"));
        assert_eq!(c.classify("socket.io#/#a#b#"), room("a#b"));
        assert_eq!(
            c.classify("socket.io-request#/#"),
            Some(ChannelKind::Request)
        );
        assert_eq!(
            c.classify("socket.io-response#/#"),
            Some(ChannelKind::Response { node: None })
        );
        assert_eq!(
            c.classify("socket.io-response#/#n1#"),
            Some(ChannelKind::Response {
                node: Some("n1".into())
            })
        );
        assert_eq!(c.classify("socket.io#/chat#"), None);
        assert_eq!(c.classify("socket.io#/#r1"), None);
        assert_eq!(c.classify("other#/#"), None);
    }
}
