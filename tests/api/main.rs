//! End-to-end tests of the HTTP API as a client sees it, on SQLite and PostgreSQL.

mod catalog;
mod helpers;
