//! The polling flood: one unauthenticated polling session POSTs big valid
//! messages (`4xxx…`, which `--app echo` queues back to it) one after the
//! other and never GETs, until the count is reached or the server refuses.

use std::net::SocketAddr;

use super::wire::{handshake, session_uri, Conn, Tally};
use super::Outcome;

pub async fn run(addr: SocketAddr, posts: u32, bytes: u32) -> Outcome {
    let did = format!(
        "{posts} POSTs of {} KB on one polling session, never a GET",
        bytes / 1000
    );
    let tally = Tally::default();
    let outcome = |answered: String| Outcome {
        did: did.clone(),
        answered,
        answers: tally.json(),
    };
    let mut get = match Conn::open(addr).await {
        Ok(c) => c,
        Err(e) => return outcome(e),
    };
    let sid = match handshake(&mut get).await {
        Ok(sid) => sid,
        Err(label) => return outcome(format!("handshake refused: {label}")),
    };
    let mut post = match Conn::open(addr).await {
        Ok(c) => c,
        Err(e) => return outcome(e),
    };
    let mut body = vec![b'x'; bytes as usize];
    body[0] = b'4';
    let uri = session_uri(&sid);
    let mut accepted = 0;
    for n in 1..=posts {
        let label = match post.request("POST", &uri, &body).await {
            Ok(a) if a.status == 200 && a.body == b"ok" => {
                accepted += 1;
                tally.add("200 ok");
                continue;
            }
            Ok(a) => a.label(),
            Err(label) => label,
        };
        tally.add(label.clone());
        return outcome(format!("{accepted} × ok, then POST {n}: {label}"));
    }
    outcome(format!("all {accepted} POSTs accepted (200 ok)"))
}
