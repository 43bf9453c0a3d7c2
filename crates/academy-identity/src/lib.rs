//! Identity: pseudonymous accounts, OpenID Connect sign-in, sessions, roles, the audit log, and
//! the privacy rights (export, erasure). No HTTP types here: the root package maps these calls
//! and their errors onto the API.
//!
//! Privacy rules this crate keeps: only a hash of a provider's subject identifier and of every
//! session token is stored; no e-mail address or legal name is ever requested or stored; nothing
//! personal is logged.

pub mod account;
pub mod audit;
pub mod entity;
pub mod privacy;
pub mod profile;
pub mod rate_limit;
pub mod role;
pub mod session;
pub mod session_cache;
pub mod sign_in;
pub mod token;

pub use account::{Account, AccountError, ProfileError, RoleChangeError};
pub use profile::{Profile, ProfileUpdate};
pub use role::Role;
pub use session::{Caller, SessionKind, SessionPolicy};

/// One page of a list kept in id order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The id to continue after (or before, for lists newest first); `None` on the last page.
    pub next: Option<i32>,
}
