//! The identity area: signing in and out, one's own account, sessions and data, and the
//! administration of accounts and roles.

mod admin;
mod me;
mod sessions;
mod sign_in;
pub mod views;

use crate::state::AppState;

/// The identity area's operations.
pub type Api = (
    sign_in::SignInApi,
    me::MeApi,
    sessions::SessionsApi,
    admin::AdminApi,
);

/// The identity area's operations over `state`.
pub fn api(state: &AppState) -> Api {
    (
        sign_in::SignInApi {
            state: state.clone(),
        },
        me::MeApi {
            state: state.clone(),
        },
        sessions::SessionsApi {
            state: state.clone(),
        },
        admin::AdminApi {
            state: state.clone(),
        },
    )
}
