//! sea-orm entities of the identity tables (see the migration for the schema). Plain row types:
//! the behaviour lives in the modules beside.

pub mod audit_entry;
pub mod session;
pub mod sign_in_state;
pub mod user;
pub mod user_identity;
pub mod user_role;
