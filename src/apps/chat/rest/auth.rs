//! Who is calling: the `Authorization: Bearer <token>` header, checked by
//! the [`Verifier`] and for expiry. The caller is the token's user, never a
//! field of a body.

use http::header::{HeaderMap, AUTHORIZATION};

use crate::apps::chat::error::{ChatError, ChatResult};
use crate::apps::chat::identity::Verifier;
use crate::apps::chat::payload;

/// The user of the request with `headers` at `now_ms`, or `unauthorized`.
pub fn authenticate(
    verifier: &dyn Verifier,
    headers: &HeaderMap,
    now_ms: u64,
) -> ChatResult<String> {
    let identity = verifier.verify(bearer(headers)?)?;
    if identity.expired(now_ms) {
        return Err(ChatError::Unauthorized("the token has expired".into()));
    }
    // User ids end up in room names: the same rule as every other id.
    payload::check_id("user", &identity.user_id)
        .map_err(|_| ChatError::Unauthorized("the token's user id is not valid".into()))?;
    Ok(identity.user_id)
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case).
fn bearer(headers: &HeaderMap) -> ChatResult<&str> {
    let missing =
        || ChatError::Unauthorized("an Authorization: Bearer <token> header is required".into());
    let value = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(missing)?;
    let (scheme, token) = value.split_once(' ').ok_or_else(missing)?;
    let token = token.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() {
        Ok(token)
    } else {
        Err(missing())
    }
}
