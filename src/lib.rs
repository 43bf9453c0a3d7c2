//! The ISHR Academy server: configuration, application assembly and the HTTP API over the
//! domain crates (`academy-courses`, …).

pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod http;
pub mod privacy;
pub mod state;
pub mod storage;

pub use app::Academy;
pub use config::Config;
