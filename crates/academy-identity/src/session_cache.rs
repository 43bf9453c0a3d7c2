//! Authenticated sessions kept in memory for a few seconds, so that most requests are answered
//! without reading the session and its roles again.
//!
//! An entry is used only while all of these hold:
//! - it is younger than the cache's lifetime (`ACADEMY_SESSION_CACHE_SECONDS`);
//! - the session has not reached its absolute or idle expiry, and its next use need not be
//!   recorded yet (see [`crate::session`]);
//! - nothing that can end a session or change a role was reported since it was read.
//!
//! Whatever ends a session or changes roles reports it with [`SessionCache::invalidate`]: the
//! API does so once its change is committed, and on PostgreSQL every node is told by the
//! database itself (a trigger notifies channel [`CHANGED_CHANNEL`]; the server listens and
//! invalidates). An invalidation forgets every entry: such changes are rare, and forgetting
//! all of them needs no index by person. A change made by another process on SQLite (the CLI)
//! is seen once the entries it concerns have aged out, at most the cache's lifetime later.

use std::{
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
    time::{Duration, Instant},
};

use chrono::Utc;
use quick_cache::sync::Cache;
use sea_orm::ConnectionTrait;

use crate::{
    session::{self, Caller, SessionPolicy},
    token,
};

/// The PostgreSQL channel on which the database announces that a session ended or a role
/// changed (see the migration `session_notify`).
pub const CHANGED_CHANNEL: &str = "academy_sessions_changed";

/// How many sessions are kept at most.
const CAPACITY: usize = 100_000;

#[derive(Clone)]
struct Entry {
    caller: Caller,
    /// The invalidation count when the session was read.
    epoch: u64,
    read_at: Instant,
    fresh_until: chrono::DateTime<Utc>,
}

/// Sessions read recently, by token hash. Shared by every request of a server.
pub struct SessionCache {
    entries: Cache<String, Entry>,
    lifetime: Duration,
    /// Counts invalidations. An entry read before the last one is never used, also when the
    /// read was in flight while it happened.
    epoch: AtomicU64,
    /// Whether invalidations reach this cache. On PostgreSQL, false until the server listens
    /// (and while it reconnects): then every call reads the database.
    heard: AtomicBool,
}

impl SessionCache {
    /// A cache keeping sessions for `lifetime` (zero: nothing is kept). `heard` says whether
    /// every invalidation reaches it from the start (true in a single process on SQLite).
    pub fn new(lifetime: Duration, heard: bool) -> SessionCache {
        SessionCache {
            entries: Cache::new(if lifetime.is_zero() { 1 } else { CAPACITY }),
            lifetime,
            epoch: AtomicU64::new(0),
            heard: AtomicBool::new(heard),
        }
    }

    /// The caller holding `token`, as [`session::authenticate`] answers it, from memory when a
    /// fresh entry is there.
    pub async fn authenticate(
        &self,
        db: &impl ConnectionTrait,
        token: &str,
        policy: SessionPolicy,
    ) -> anyhow::Result<Option<Caller>> {
        if self.lifetime.is_zero() {
            return session::authenticate(db, token, policy).await;
        }
        let key = token::hash(token);
        // Read before the database is, so that an invalidation during the read counts.
        let epoch = self.epoch.load(Ordering::Acquire);
        let heard = self.heard.load(Ordering::Acquire);
        if heard
            && let Some(entry) = self.entries.get(&key)
            && entry.epoch == epoch
            && entry.read_at.elapsed() < self.lifetime
            && Utc::now() < entry.fresh_until
        {
            return Ok(Some(entry.caller));
        }
        let Some(live) = session::look_up(db, token, policy).await? else {
            self.entries.remove(&key);
            return Ok(None);
        };
        if heard {
            self.entries.insert(
                key,
                Entry {
                    caller: live.caller.clone(),
                    epoch,
                    read_at: Instant::now(),
                    fresh_until: live.fresh_until,
                },
            );
        }
        Ok(Some(live.caller))
    }

    /// Forgets every session read so far: call once a change that ends a session or changes a
    /// role is committed.
    pub fn invalidate(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.entries.clear();
    }

    /// Says whether invalidations reach this cache now. Turning it off or on forgets every
    /// entry (some invalidations may have been missed meanwhile).
    pub fn set_heard(&self, heard: bool) {
        self.invalidate();
        self.heard.store(heard, Ordering::Release);
        self.invalidate();
    }

    /// How many sessions are kept now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no session is kept now.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
