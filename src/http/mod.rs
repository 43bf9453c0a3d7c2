//! HTTP plumbing: the server with its connection limits and timeouts, and what every route
//! shares: body limits, compression, response caches, conditional GET, error bodies and request
//! logging, security headers, the client's address, the request target's checks; the documents built once at start.

pub mod cache;
pub mod client_addr;
pub mod compression;
pub mod conditional;
pub mod documents;
pub mod errors;
pub mod headers;
pub mod limits;
pub mod server;
pub mod target;
