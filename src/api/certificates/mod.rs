//! Certificates: one's own (listed and claimed), the public credential, its verification page
//! and the status lists, the issuer's DID document, verification of a credential someone sends,
//! and revocation by staff. Thin handlers over `academy_progress::certificate` and
//! `academy-credentials`.

mod mine;
mod page;
mod public;
pub mod views;

use academy_progress::certificate::CertificateError;

use crate::{api::errors::Failure, state::AppState};

/// The certificate operations.
pub type Api = (
    public::CertificatesApi,
    page::PageApi,
    mine::MyCertificatesApi,
);

pub fn api(state: &AppState) -> Api {
    (
        public::CertificatesApi {
            state: state.clone(),
        },
        page::PageApi {
            state: state.clone(),
        },
        mine::MyCertificatesApi {
            state: state.clone(),
        },
    )
}

impl From<CertificateError> for Failure {
    fn from(e: CertificateError) -> Self {
        let message = e.to_string();
        match e {
            CertificateError::NotFound => Failure::not_found("certificate_not_found", message),
            CertificateError::AlreadyClaimed => Failure::conflict("already_claimed", message),
            CertificateError::Revoked => Failure::conflict("certificate_revoked", message),
            CertificateError::AlreadyRevoked => Failure::conflict("already_revoked", message),
            CertificateError::Other(e) => Failure::internal(&e),
        }
    }
}
