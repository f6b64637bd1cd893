//! Blocks, mutes, and when users and their devices were last seen.

use super::{key, last_part, prefix, ChatStore, ConvState};
use crate::apps::chat::clock::now_ms;
use crate::apps::chat::error::{ChatError, ChatResult};
use crate::apps::chat::model::{Block, DeviceSeen, Kind};

/// Blocks or mutes listed for one user, at most.
const MAX_LISTED: usize = 10_000;

impl ChatStore {
    /// Who `blocker` means to block in `state`: `blocked` when given (a
    /// participant other than them), else a one-to-one's other side.
    fn target(state: &ConvState, blocker: &str, blocked: Option<&str>) -> ChatResult<String> {
        match blocked {
            Some(b) if b != blocker && state.conv.has(b) => Ok(b.to_string()),
            Some(_) => Err(ChatError::InvalidPayload(
                "blockedUserId must be another participant".into(),
            )),
            None if state.conv.kind == Kind::OneToOne => state
                .conv
                .participants
                .iter()
                .find(|p| p.as_str() != blocker)
                .cloned()
                .ok_or_else(|| ChatError::InvalidPayload("no one to block".into())),
            None => Err(ChatError::InvalidPayload(
                "blockedUserId is required in a group".into(),
            )),
        }
    }

    /// `blocker` blocks `blocked` (or the other side) in `state`, durably.
    /// Blocking twice keeps the first block.
    pub async fn block(
        &self,
        state: &mut ConvState,
        blocker: &str,
        blocked: Option<&str>,
    ) -> ChatResult<Block> {
        let blocked = Self::target(state, blocker, blocked)?;
        if let Some(b) = state
            .blocks
            .iter()
            .find(|b| b.blocker == blocker && b.blocked == blocked)
        {
            return Ok(b.clone());
        }
        let cid = state.conv.id.clone();
        let block = Block {
            conversation_id: cid.clone(),
            blocker: blocker.to_string(),
            blocked: blocked.clone(),
            at: now_ms(),
        };
        self.blocks
            .set(key(&[&cid, &blocked, blocker]), &block)
            .await?;
        self.user_blocks
            .set(key(&[blocker, &cid, &blocked]), &block)
            .await?;
        self.flush().await?;
        state.blocks.push(block.clone());
        Ok(block)
    }

    /// Lifts `blocker`'s block of `blocked` (or the other side); the lifted
    /// block, or `None` when there was none.
    pub async fn unblock(
        &self,
        state: &mut ConvState,
        blocker: &str,
        blocked: Option<&str>,
    ) -> ChatResult<Option<Block>> {
        let blocked = Self::target(state, blocker, blocked)?;
        let Some(i) = state
            .blocks
            .iter()
            .position(|b| b.blocker == blocker && b.blocked == blocked)
        else {
            return Ok(None);
        };
        let cid = state.conv.id.clone();
        self.blocks.del(key(&[&cid, &blocked, blocker])).await?;
        self.user_blocks
            .del(key(&[blocker, &cid, &blocked]))
            .await?;
        self.flush().await?;
        Ok(Some(state.blocks.remove(i)))
    }

    /// The blocks `user` made.
    pub async fn blocks_of(&self, user: &str) -> ChatResult<Vec<Block>> {
        let found: Vec<(Vec<u8>, Block)> = self
            .user_blocks
            .scan_prefix(prefix(&[user]), MAX_LISTED)
            .await?;
        Ok(found.into_iter().map(|(_, b)| b).collect())
    }

    /// Mutes (`true`) or unmutes `state` for `user`, durably; since when
    /// it is muted (unix ms), `None` when now unmuted.
    pub async fn set_muted(
        &self,
        state: &mut ConvState,
        user: &str,
        muted: bool,
    ) -> ChatResult<Option<u64>> {
        let k = key(&[user, &state.conv.id]);
        let at = if muted {
            let at = match self.mutes.get::<u64>(&k).await? {
                Some(at) => at,
                None => {
                    let at = now_ms();
                    self.mutes.set(&k, &at).await?;
                    at
                }
            };
            state.muted.insert(user.to_string());
            Some(at)
        } else {
            self.mutes.del(&k).await?;
            state.muted.remove(user);
            None
        };
        self.flush().await?;
        Ok(at)
    }

    /// True when `user` muted `cid`.
    pub async fn is_muted(&self, user: &str, cid: &str) -> ChatResult<bool> {
        Ok(self.mutes.has(key(&[user, cid])).await?)
    }

    /// `user`'s muted conversations and since when (unix ms).
    pub async fn mutes_of(&self, user: &str) -> ChatResult<Vec<(String, u64)>> {
        let found: Vec<(Vec<u8>, u64)> =
            self.mutes.scan_prefix(prefix(&[user]), MAX_LISTED).await?;
        Ok(found
            .into_iter()
            .map(|(k, at)| (last_part(&k), at))
            .collect())
    }

    /// Until when `device` of `user` had everything; `None` for a device
    /// never seen.
    pub async fn device_seen(&self, user: &str, device: &str) -> ChatResult<Option<DeviceSeen>> {
        Ok(self.devices.get(key(&[user, device])).await?)
    }

    /// Records that `device` of `user` had everything until `ms`.
    pub async fn set_device_seen(&self, user: &str, device: &str, ms: u64) -> ChatResult<()> {
        let seen = DeviceSeen { seen_until: ms };
        self.devices.set(key(&[user, device]), &seen).await?;
        Ok(())
    }

    /// When `user` was last online (unix ms).
    pub async fn last_seen(&self, user: &str) -> ChatResult<Option<u64>> {
        Ok(self.last_seen.get(user).await?)
    }

    /// Records when `user` was last online.
    pub async fn set_last_seen(&self, user: &str, ms: u64) -> ChatResult<()> {
        self.last_seen.set(user, &ms).await?;
        Ok(())
    }
}
