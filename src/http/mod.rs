//! HTTP plumbing: the server with its connection limits and timeouts, and what every route
//! shares: body limits, compression, response caches, conditional GET, error bodies and request
//! logging, the client's address.

pub mod cache;
pub mod client_addr;
pub mod compression;
pub mod conditional;
pub mod errors;
pub mod limits;
pub mod server;
