//! The chat's REST API: setup and heavy reads over HTTP, on the same port
//! as Socket.IO. JSON in and out; every route needs `Authorization: Bearer
//! <token>` and acts as the token's user.
//!
//! | route | answer |
//! |---|---|
//! | `POST /conversations/create/one-to-one` `{participantId}` | 201, the conversation (the same pair: the same one, 201 again) |
//! | `POST /conversations/create/group` `{participantIds, name}` | 201, the group |
//! | `GET /conversations/chat-list?limit=20&cursor=` | `{conversations, nextCursor}`, latest activity first |
//! | `GET /conversations/{id}` | the conversation |
//! | `GET /conversations/{id}/messages?limit=50&after=&before=&since=&until=` | a page of history |
//! | `POST /conversations/{id}/block`, `/unblock` `{blockedUserId?}` | the block |
//! | `POST /conversations/{id}/mute`, `/unmute` | the mute |
//! | `POST /conversations/{id}/read` `{messageIds?, lastReadAt?}` | `{newUnreadCount, ...}` |
//! | `GET /users/me/blocks`, `/users/me/mutes` | `{blocks}`, `{mutes}` |
//! | `GET /`, `/chat.css`, `/chat.js` (no token) | the demo page |
//! | `GET /dev/token?user=NAME` (no token) | `{token, userId, expiresIn}`; only with a generated key, else 404 |
//!
//! Refusals are `{"error": {"code", "message"}}` with a 4xx status: 401
//! `unauthorized` (with `WWW-Authenticate: Bearer`), 403 `not_participant`
//! (a conversation that does not exist too), 404 `not_found` (no such
//! path), 405 `method_not_allowed` (with `Allow`), 400 `invalid_payload` (a
//! body that is not JSON, a bad query value, named). An empty body is `{}`.
//! Cross-origin callers are answered as the engine's [`CorsConfig`] allows.
//!
//! # Layout
//! - `route`: which route a path names, and its method.
//! - `auth`: the bearer token.
//! - `query`: percent-decoding and the query parameters.
//! - `page`: the demo page at `/` and the development `GET /dev/token`.
//! - `reply`: JSON answers and the one mapping of refusals to responses.

mod auth;
mod page;
mod query;
mod reply;
mod route;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::request::Parts;
use http::{Method, Request, StatusCode};
use serde_json::{json, Value};

use super::clock::now_ms;
use super::error::{ChatError, ChatResult};
use super::identity::Verifier;
use super::payload::MAX_ID_LEN;
use super::service::ChatService;
use crate::engine::CorsConfig;
use crate::http::{HttpFuture, HttpHandler};

use query::Query;
use reply::{Reply, RestError};
use route::Route;

/// The body cap besides the lists of ids a body may carry.
const BASE_BODY: usize = 64 * 1024;

/// The REST API. Cheap to clone.
#[derive(Clone)]
pub struct Rest {
    /// What the routes do.
    service: ChatService,
    /// Who a bearer token names.
    verifier: Arc<dyn Verifier>,
    /// Which other origins may call (none by default).
    cors: Arc<CorsConfig>,
}

impl Rest {
    /// The API over `service`, checking bearer tokens with `verifier`.
    pub fn new(service: ChatService, verifier: Arc<dyn Verifier>) -> Self {
        Self {
            service,
            verifier,
            cors: Arc::new(CorsConfig::default()),
        }
    }

    /// Answers browser pages on the origins `cors` allows (pass the
    /// engine's, so that the API and Socket.IO allow the same pages).
    pub fn with_cors(mut self, cors: CorsConfig) -> Self {
        self.cors = Arc::new(cors);
        self
    }

    /// The answer to `parts` with `body`, before CORS.
    async fn answer(&self, parts: &Parts, body: &Bytes) -> Result<Reply, RestError> {
        if let Some(answer) = page::answer(parts, self.verifier.as_ref()) {
            return answer;
        }
        let route = Route::parse(parts.uri.path())?
            .ok_or_else(|| ChatError::NotFound("no such path".into()))?;
        if parts.method == Method::OPTIONS {
            return Ok(reply::options_reply(route.allow()));
        }
        if parts.method != route.method() {
            return Err(RestError::MethodNotAllowed {
                method: parts.method.clone(),
                allow: route.allow(),
            });
        }
        let user = auth::authenticate(self.verifier.as_ref(), &parts.headers, now_ms())?;
        let query = Query::parse(parts.uri.query());
        let (status, value) = self.call(route, &user, &query, body).await?;
        Ok(reply::json_reply(status, &value))
    }

    /// Does what `route` asks for `user`.
    async fn call(
        &self,
        route: Route,
        user: &str,
        query: &Query<'_>,
        body: &Bytes,
    ) -> ChatResult<(StatusCode, Value)> {
        let s = &self.service;
        let value = match route {
            Route::CreateOneToOne => {
                let (v, created) = s.create_one_to_one(user, &json_body(body)?).await?;
                let status = if created {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                };
                return Ok((status, v));
            }
            Route::CreateGroup => {
                let v = s.create_group(user, &json_body(body)?).await?;
                return Ok((StatusCode::CREATED, v));
            }
            Route::ChatList => {
                let (limit, cursor) = query.chat_list()?;
                s.chat_list(user, limit, cursor.as_deref()).await?
            }
            Route::Conversation(cid) => s.conversation(user, &cid).await?,
            Route::Messages(cid) => s.history(user, &cid, &query.history()?).await?,
            Route::Block(cid) => s.block(user, &cid, &json_body(body)?).await?,
            Route::Unblock(cid) => s.unblock(user, &cid, &json_body(body)?).await?,
            Route::Mute(cid) => s.mute(user, &cid, true).await?,
            Route::Unmute(cid) => s.mute(user, &cid, false).await?,
            Route::Read(cid) => {
                let payload = json_body(body)?;
                // As the socket's `message:read`: the front door counts it.
                s.limit(user, "message:read").await?;
                s.read(user, &cid, &payload).await?
            }
            Route::Blocks => s.blocks(user).await?,
            Route::Mutes => s.mutes(user).await?,
        };
        Ok((StatusCode::OK, value))
    }

    /// Adds the CORS headers `request` calls for to `reply`.
    fn cors(&self, request: &HeaderMap, preflight: bool, reply: &mut Reply) {
        let headers = reply.headers_mut();
        if preflight {
            self.cors.apply_preflight(request, headers);
        } else {
            self.cors.apply(request, headers);
        }
        if headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
            // Not safelisted: a page could not read them otherwise.
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static("Retry-After, WWW-Authenticate"),
            );
        }
    }
}

/// The JSON of `body`; an empty body is `{}`.
fn json_body(body: &Bytes) -> ChatResult<Value> {
    if body.trim_ascii().is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body)
        .map_err(|e| ChatError::InvalidPayload(format!("the body is not JSON: {e}")))
}

impl HttpHandler for Rest {
    fn handle(&self, req: Request<Bytes>, _remote_addr: Option<SocketAddr>) -> HttpFuture {
        let rest = self.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let mut reply = rest
                .answer(&parts, &body)
                .await
                .unwrap_or_else(RestError::into_reply);
            let preflight = parts.method == Method::OPTIONS && reply.status().is_success();
            rest.cors(&parts.headers, preflight, &mut reply);
            reply
        })
    }

    /// `413` with the JSON error every other refusal has.
    fn too_large(&self) -> http::Response<http_body_util::Full<Bytes>> {
        let e = ChatError::TooLarge(format!("the body is over {} bytes", self.max_body()));
        reply::json_reply(e.status(), &e.envelope())
    }

    /// Room for the longest lists of ids a body may carry (a group's
    /// participants, a read's message ids).
    fn max_body(&self) -> usize {
        let config = self.service.config();
        let ids = config.max_group_size.max(config.max_read_ids);
        BASE_BODY + ids * (MAX_ID_LEN + 4)
    }
}
