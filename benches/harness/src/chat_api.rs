//! What the chat scenario needs of edgeio's chat service besides Socket.IO:
//! HS256 tokens minted with the secret the server was given
//! (`--jwt-secret`), and one-to-one conversations created over its REST API
//! (`POST /conversations/create/one-to-one`) on one keep-alive connection.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::{json, Value};
use tokio::net::TcpStream;

/// How long a minted token is valid, in seconds: longer than any run.
const TOKEN_TTL_S: u64 = 3600;

/// An HS256 token for `user`, as `edgeio token` would make it.
pub fn token(secret: &str, user: &str) -> Result<String> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let claims = json!({ "sub": user, "iat": now, "exp": now + TOKEN_TTL_S });
    let key = EncodingKey::from_secret(secret.as_bytes()).context("the token secret")?;
    encode(&Header::default(), &claims, &key).context("minting a token")
}

/// The CONNECT payload of a chat client.
pub fn auth(token: &str, device: &str) -> String {
    json!({ "token": token, "deviceId": device }).to_string()
}

/// A keep-alive HTTP/1.1 connection to the chat's REST API.
pub struct Rest {
    host: String,
    sender: SendRequest<Full<Bytes>>,
}

impl Rest {
    pub async fn connect(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        Ok(Self {
            host: addr.to_string(),
            sender,
        })
    }

    /// `POST path` with a JSON `body` as the bearer of `token`; the JSON
    /// answer of a 2xx, else an error with the status and body.
    pub async fn post(&mut self, path: &str, token: &str, body: &Value) -> Result<Value> {
        self.sender.ready().await?;
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("host", &self.host)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))?;
        let resp = self.sender.send_request(req).await?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await?.to_bytes();
        if !status.is_success() {
            return Err(anyhow!(
                "POST {path}: HTTP {status}: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
            ));
        }
        serde_json::from_slice(&bytes).with_context(|| format!("POST {path}: not JSON"))
    }

    /// The one-to-one conversation of `a` (who creates it, with `token`) and
    /// `b`: its id.
    pub async fn one_to_one(&mut self, token: &str, b: &str) -> Result<String> {
        let conv = self
            .post(
                "/conversations/create/one-to-one",
                token,
                &json!({ "participantId": b }),
            )
            .await?;
        conv["conversationId"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("no conversationId in {conv}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};

    #[test]
    fn tokens_verify_with_the_secret_only() {
        let t = token("s3cret", "bench-1").unwrap();
        let check = |secret: &str| {
            let key = DecodingKey::from_secret(secret.as_bytes()).unwrap();
            decode::<Value>(&t, &key, &Validation::new(Algorithm::HS256))
        };
        assert_eq!(check("s3cret").unwrap().claims["sub"], "bench-1");
        assert!(check("other").is_err());
        assert_eq!(
            auth("t", "d"),
            r#"{"token":"t","deviceId":"d"}"#,
            "CONNECT payload"
        );
    }
}
