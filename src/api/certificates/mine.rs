//! One's own certificates: the list, and claiming one (choosing the name printed on it).

use academy_identity::{account, profile::ProfileValue};
use academy_progress::certificate::{self, Claim};
use poem_openapi::{OpenApi, param::Path, payload::Json};
use serde_json::Value;

use super::views::{ClaimBody, HeldView, NameChoice};
use crate::{
    api::{
        ApiTags,
        errors::{Failure, api_error},
        guard::{Credentials, Private, private},
        inputs::CertificateId,
    },
    state::AppState,
};

pub struct MyCertificatesApi {
    pub state: AppState,
}

api_error!(
    /// Why one's certificates could not be listed.
    pub enum MineError {
        Unauthorized,
        Forbidden,
    }
);

api_error!(
    /// Why a certificate could not be claimed.
    pub enum ClaimError {
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PayloadTooLarge,
    }
);

#[OpenApi(tag = "ApiTags::Learning")]
impl MyCertificatesApi {
    /// My certificates
    ///
    /// Every certificate one has been awarded (one per completed course, awarded the moment
    /// the course is completed), newest first: claimed ones with their signed credential and
    /// page address, unclaimed ones waiting for a claim.
    #[oai(path = "/api/me/certificates", method = "get")]
    async fn mine(&self, credentials: Credentials) -> Result<Private<Vec<HeldView>>, MineError> {
        let caller = credentials.caller(&self.state).await?;
        let held =
            certificate::mine(&self.state.db, &self.state.enrollment.keys, caller.user_id).await?;
        let catalog = self.state.catalog();
        let public_url = &self.state.certificates.public_url;
        Ok(private(
            held.into_iter()
                .map(|h| {
                    let course = catalog
                        .all_courses()
                        .iter()
                        .find(|c| c.id == h.course_id)
                        .map(|c| c.slug.clone())
                        .unwrap_or_default();
                    HeldView::new(h, course, public_url)
                })
                .collect(),
        ))
    }

    /// Claim a certificate
    ///
    /// Signs the certificate, once, with the name chosen: none (the credential then names
    /// nobody: its subject is a salted hash), one's display name, or another name; and in
    /// the language chosen. Returns the signed credential. 409 `already_claimed` once
    /// claimed, `certificate_revoked` if revoked.
    #[oai(path = "/api/me/certificates/:id/claim", method = "post")]
    async fn claim(
        &self,
        credentials: Credentials,
        /// The certificate's id.
        id: Path<CertificateId>,
        body: Json<ClaimBody>,
    ) -> Result<Private<Value>, ClaimError> {
        let caller = credentials.caller(&self.state).await?;
        let name = match body.name {
            NameChoice::None => None,
            NameChoice::Pseudonym => {
                let account = account::get(&self.state.db, caller.user_id)
                    .await
                    .map_err(|e| Failure::internal(&anyhow::anyhow!("{e}")))?;
                let name = account.profile.display_name.map(|n| n.as_str().to_owned());
                Some(name.ok_or_else(|| {
                    Failure::bad_request(
                        "no_display_name",
                        "your account has no display name: set one, or choose `none` or `other`",
                    )
                })?)
            }
            NameChoice::Other => {
                let other = body.other_name.as_deref().unwrap_or_default();
                let name = academy_identity::profile::DisplayName::new(other).map_err(|_| {
                    Failure::bad_request(
                        "invalid_name",
                        "`other_name` must be 1–80 characters without control or invisible \
                         characters",
                    )
                })?;
                Some(name.as_str().to_owned())
            }
        };
        let catalog = self.state.catalog();
        let held =
            certificate::mine(&self.state.db, &self.state.enrollment.keys, caller.user_id).await?;
        let wanted = id.uuid().to_string();
        let course = held
            .iter()
            .find(|h| h.id == wanted)
            .and_then(|h| catalog.all_courses().iter().find(|c| c.id == h.course_id))
            .ok_or_else(|| {
                Failure::not_found(
                    "certificate_not_found",
                    "you have no certificate with this id",
                )
            })?;
        let language = body.lang.map(Into::into).unwrap_or(course.default_language);
        let signed = certificate::claim(
            &self.state.db,
            &self.state.enrollment.keys,
            &self.state.certificates,
            caller.user_id,
            id.uuid(),
            course,
            Claim {
                name: name.as_deref(),
                language,
            },
        )
        .await
        .map_err(Failure::from)?;
        Ok(private(signed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<MineError>(MineError::STATUSES);
        check_mapping::<ClaimError>(ClaimError::STATUSES);
    }
}
