//! [`Recovery`]: where a namespace's connection-state recovery lives — this
//! node's [`RecoveryStore`], or the adapter's [`SessionKeeper`] (sessions
//! any node of a cluster restores) — so that connecting, leaving and
//! broadcasting decide it in one place.

use std::sync::Arc;

use edgeio_storage::StorageError;

use super::{RecoveryStore, Restored};
use crate::server::adapter::{RecoveredSession, SessionKeeper};
use crate::server::error::AdapterError;
use crate::server::socket::encode_frames;

/// A namespace's connection-state recovery, when on.
#[derive(Clone)]
pub(crate) enum Recovery {
    /// Kept by this node, in its storage.
    Local(RecoveryStore),
    /// Kept by the adapter, for every node of its cluster.
    Adapter(Arc<dyn SessionKeeper>),
}

/// Why a session could not be looked up.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RestoreError {
    /// This node's storage failed.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// The adapter (its service) failed.
    #[error("adapter: {0}")]
    Adapter(#[from] AdapterError),
}

impl Recovery {
    /// This node's recovery store, when it keeps recovery itself.
    pub(crate) fn store(&self) -> Option<&RecoveryStore> {
        match self {
            Recovery::Local(store) => Some(store),
            Recovery::Adapter(_) => None,
        }
    }

    /// Session `pid`, if it may be restored with what it missed after
    /// `offset` (the last broadcast the client saw). The adapter's keeper
    /// needs an offset, as socket.io's adapters do; this node's store
    /// restores without one from where the socket connected.
    pub(crate) async fn restore(
        &self,
        pid: &str,
        offset: Option<&str>,
    ) -> Result<Option<Restored>, RestoreError> {
        match self {
            Recovery::Local(store) => Ok(store.restore(pid, offset).await?),
            Recovery::Adapter(keeper) => {
                let Some(offset) = offset else {
                    return Ok(None);
                };
                Ok(keeper.restore(pid, offset).await?.map(restored))
            }
        }
    }
}

/// A session the adapter gave back, as the socket is restored from it.
fn restored(recovered: RecoveredSession) -> Restored {
    let RecoveredSession { session, missed } = recovered;
    let sid = session.sid;
    Restored {
        rooms: session
            .rooms
            .into_iter()
            .filter(|r| r != sid.as_str())
            .collect(),
        sid,
        data: session.data,
        missed: missed.iter().flat_map(encode_frames).collect(),
    }
}
