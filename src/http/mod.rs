//! HTTP plumbing shared by every route: compression, error bodies, request logging.

pub mod compression;
pub mod errors;
