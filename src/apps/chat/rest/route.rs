//! The API's paths: the [`Route`] a path names (its segments
//! percent-decoded) and the one method each route answers.

use http::Method;

use super::query::percent_decode;
use crate::apps::chat::error::{ChatError, ChatResult};

/// A route of the API; a conversation id is as the path gave it (the
/// service checks it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `POST /conversations/create/one-to-one`
    CreateOneToOne,
    /// `POST /conversations/create/group`
    CreateGroup,
    /// `GET /conversations/chat-list`
    ChatList,
    /// `GET /conversations/{id}`
    Conversation(String),
    /// `GET /conversations/{id}/messages`
    Messages(String),
    /// `POST /conversations/{id}/block`
    Block(String),
    /// `POST /conversations/{id}/unblock`
    Unblock(String),
    /// `POST /conversations/{id}/mute`
    Mute(String),
    /// `POST /conversations/{id}/unmute`
    Unmute(String),
    /// `POST /conversations/{id}/read`
    Read(String),
    /// `GET /users/me/blocks`
    Blocks,
    /// `GET /users/me/mutes`
    Mutes,
}

impl Route {
    /// The route `path` names; `None` when it names none (an empty segment,
    /// such as a trailing slash, names none).
    pub fn parse(path: &str) -> ChatResult<Option<Self>> {
        let Some(path) = path.strip_prefix('/') else {
            return Ok(None);
        };
        let segments = path
            .split('/')
            .map(|s| {
                percent_decode(s).ok_or_else(|| {
                    ChatError::InvalidPayload("the path is not valid percent-encoded UTF-8".into())
                })
            })
            .collect::<ChatResult<Vec<String>>>()?;
        if segments.iter().any(String::is_empty) {
            return Ok(None);
        }
        let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
        let route = match parts.as_slice() {
            ["conversations", "create", "one-to-one"] => Self::CreateOneToOne,
            ["conversations", "create", "group"] => Self::CreateGroup,
            ["conversations", "chat-list"] => Self::ChatList,
            ["conversations", id] => Self::Conversation((*id).to_string()),
            ["conversations", id, action] => {
                let id = (*id).to_string();
                match *action {
                    "messages" => Self::Messages(id),
                    "block" => Self::Block(id),
                    "unblock" => Self::Unblock(id),
                    "mute" => Self::Mute(id),
                    "unmute" => Self::Unmute(id),
                    "read" => Self::Read(id),
                    _ => return Ok(None),
                }
            }
            ["users", "me", "blocks"] => Self::Blocks,
            ["users", "me", "mutes"] => Self::Mutes,
            _ => return Ok(None),
        };
        Ok(Some(route))
    }

    /// The method the route answers (besides `OPTIONS`).
    pub fn method(&self) -> Method {
        match self {
            Self::ChatList | Self::Conversation(_) | Self::Messages(_) => Method::GET,
            Self::Blocks | Self::Mutes => Method::GET,
            _ => Method::POST,
        }
    }

    /// The `Allow` header of the route.
    pub fn allow(&self) -> &'static str {
        if self.method() == Method::GET {
            "GET, OPTIONS"
        } else {
            "POST, OPTIONS"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(path: &str) -> Option<Route> {
        Route::parse(path).expect("decodable")
    }

    #[test]
    fn paths_name_routes() {
        assert_eq!(route("/conversations/chat-list"), Some(Route::ChatList));
        assert_eq!(
            route("/conversations/a%3Ab/read"),
            Some(Route::Read("a:b".into()))
        );
        assert_eq!(
            route("/conversations/c%2Fd"),
            Some(Route::Conversation("c/d".into()))
        );
        for none in [
            "",
            "/",
            "/conversations",
            "/conversations/",
            "/conversations/x/",
            "//x",
        ] {
            assert_eq!(route(none), None, "{none}");
        }
        assert!(Route::parse("/conversations/%zz").is_err());
        assert_eq!(Route::Blocks.allow(), "GET, OPTIONS");
        assert_eq!(Route::Mute("x".into()).method(), Method::POST);
    }
}
