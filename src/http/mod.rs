//! HTTP plumbing shared by every route: compression, error bodies, request logging.

pub mod cache;
pub mod compression;
pub mod errors;
