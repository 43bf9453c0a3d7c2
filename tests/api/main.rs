//! End-to-end tests of the HTTP API as a client sees it, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod authz;
mod catalog;
mod certificates;
mod cli;
mod connections;
mod edge;
mod errors;
mod headers;
mod helpers;
mod identity;
mod identity_cli;
mod identity_logs;
mod identity_sign_in;
mod identity_support;
mod limits;
mod privacy;
mod programmes;
mod progress;
mod progress_crash;
mod search;
mod server;
mod session_cache;
mod stats;
mod storage;
