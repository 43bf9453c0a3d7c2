//! Reach statistics for staff and admins: thin handlers over `academy-stats`, which publishes
//! every figure through its disclosure control. JSON, CSV or an SVG chart.

mod reports;
pub mod views;

use crate::state::AppState;

/// The statistics area's operations.
pub type Api = reports::StatsApi;

/// The statistics area's operations over `state`.
pub fn api(state: &AppState) -> Api {
    reports::StatsApi {
        state: state.clone(),
    }
}
