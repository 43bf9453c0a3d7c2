//! What anyone may read or ask: the issuer's DID document, a claimed certificate's credential,
//! the status lists, and a check of a credential someone sends. And revocation, by staff.

use academy_credentials::{keys, proof, status};
use academy_identity::Role;
use poem_openapi::{OpenApi, param::Path, payload::Json};
use serde_json::Value;

use super::views::{CredentialBody, RevokeBody, Verdict, VerificationView};
use crate::{
    api::{
        ApiTags,
        errors::{Failure, api_error},
        guard::Credentials,
        inputs::{CertificateId, StatusListNumber},
    },
    state::AppState,
};

pub struct CertificatesApi {
    pub state: AppState,
}

api_error!(
    /// Why a status list could not be read: its number is out of range.
    pub enum StatusListError {
        BadRequest,
    }
);

api_error!(
    /// Why the DID document could not be read.
    pub enum DidError {}
);

api_error!(
    /// Why a certificate or status list could not be read.
    pub enum ReadError {
        BadRequest,
        NotFound,
    }
);

api_error!(
    /// Why a credential could not be checked (a credential that does not verify is not an
    /// error: the answer says so).
    pub enum VerifyError {
        BadRequest,
        PayloadTooLarge,
    }
);

api_error!(
    /// Why a certificate could not be revoked.
    pub enum RevokeError {
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PayloadTooLarge,
    }
);

fn invalid(code: &str, message: impl Into<String>) -> VerificationView {
    VerificationView {
        verdict: Verdict::Invalid,
        code: Some(code.to_owned()),
        message: message.into(),
        certificate_id: None,
        signed_at: None,
    }
}

/// The issuer's id in a credential: `issuer` as a string or as an object's `id`.
fn issuer_of(credential: &Value) -> Option<&str> {
    match credential.get("issuer")? {
        Value::String(id) => Some(id),
        Value::Object(profile) => profile.get("id")?.as_str(),
        _ => None,
    }
}

#[OpenApi(tag = "ApiTags::Certificates")]
impl CertificatesApi {
    /// The issuer's DID document
    ///
    /// The `did:web` document of this Academy: every Ed25519 key it has signed certificates
    /// with (`Multikey`, for `assertionMethod`), the current one first, so certificates signed
    /// before a key rotation stay verifiable.
    #[oai(path = "/.well-known/did.json", method = "get")]
    async fn did_document(&self) -> Result<Json<Value>, DidError> {
        let issuing = &self.state.certificates;
        let keys = academy_progress::certificate::issuer_keys(&self.state.db, issuing)
            .await
            .map_err(|e| Failure::internal(&e))?;
        Ok(Json(academy_credentials::did::document(
            &issuing.did,
            &keys,
        )))
    }

    /// A certificate
    ///
    /// The signed credential of a claimed certificate: an Open Badges 3.0
    /// `OpenBadgeCredential` (W3C Verifiable Credential 2.0) with an embedded
    /// `DataIntegrityProof` (`eddsa-rdfc-2022`). A revoked certificate is still answered;
    /// its `credentialStatus` entry reads as revoked in the status list. 404 for an id that
    /// was never claimed (or was erased).
    #[oai(path = "/api/certificates/:id", method = "get")]
    async fn certificate(
        &self,
        /// The certificate's id.
        id: Path<CertificateId>,
    ) -> Result<Json<Value>, ReadError> {
        let found = academy_progress::certificate::published(
            &self.state.db,
            &self.state.enrollment.keys,
            id.uuid(),
        )
        .await
        .map_err(|e| Failure::internal(&e))?
        .ok_or_else(|| {
            Failure::not_found(
                "certificate_not_found",
                "there is no certificate with this id",
            )
        })?;
        Ok(Json(found.credential))
    }

    /// A status list
    ///
    /// The signed `BitstringStatusListCredential` of list `list` (1-based; 131,072 entries
    /// each): the bit of a certificate's `statusListIndex` is set once it is revoked.
    #[oai(path = "/api/certificates/status/:list", method = "get")]
    async fn status_list(
        &self,
        /// The list's number, from 1.
        list: Path<StatusListNumber>,
    ) -> Result<Json<Value>, StatusListError> {
        let list = list.within().ok_or_else(|| {
            Failure::bad_request(
                "invalid_status_list",
                format!(
                    "a status list's number is a whole number from 1 to {}",
                    academy_credentials::status::MAX_LISTS
                ),
            )
        })?;
        let value = academy_progress::certificate::status_list(
            &self.state.db,
            &self.state.certificates,
            u64::from(list),
        )
        .await
        .map_err(|e| Failure::internal(&e))?;
        Ok(Json(value))
    }

    /// Verify a credential
    ///
    /// Checks a credential someone sends: that it is this Academy's, that its
    /// `eddsa-rdfc-2022` proof holds for one of the issuer's keys (with the pinned JSON-LD
    /// contexts; nothing is fetched), and whether it is revoked. A credential that does not
    /// verify is answered 200 with `verdict: invalid` and a `code`; only a body that is not a
    /// JSON object is a 400.
    #[oai(path = "/api/certificates/verify", method = "post")]
    async fn verify(
        &self,
        body: Json<CredentialBody>,
    ) -> Result<Json<VerificationView>, VerifyError> {
        let credential = body.0.0;
        let issuing = self.state.certificates.clone();
        if issuer_of(&credential) != Some(issuing.did.as_str()) {
            return Ok(Json(invalid(
                "unknown_issuer",
                "this credential was not issued by this Academy",
            )));
        }
        let keys = academy_progress::certificate::issuer_keys(&self.state.db, &issuing)
            .await
            .map_err(|e| Failure::internal(&e))?;
        let prefix = format!("{}#", issuing.did);
        // Canonicalisation is CPU work: off the async workers.
        let (credential, checked) = tokio::task::spawn_blocking(move || {
            let checked = proof::verify(&credential, |method| {
                let fragment = method.strip_prefix(&prefix)?;
                keys.iter()
                    .any(|k| k == fragment)
                    .then(|| keys::public_key(fragment))
                    .flatten()
            });
            (credential, checked)
        })
        .await
        .map_err(|e| Failure::internal(&anyhow::anyhow!("verifying a credential: {e}")))?;
        let verified = match checked {
            Ok(verified) => verified,
            Err(e) => return Ok(Json(invalid(e.code(), e.to_string()))),
        };
        let certificate_id = credential
            .get("id")
            .and_then(Value::as_str)
            .and_then(|url| issuing.certificate_id(url))
            .map(|id| id.to_string());
        let mut answer = VerificationView {
            verdict: Verdict::Valid,
            code: None,
            message: "the proof holds and the certificate is not revoked".to_owned(),
            certificate_id,
            signed_at: verified.created,
        };
        if let Some(entry) = credential.get("credentialStatus") {
            let index = entry
                .get("statusListIndex")
                .and_then(Value::as_str)
                .and_then(|i| i.parse::<u64>().ok());
            let list = entry.get("statusListCredential").and_then(Value::as_str);
            let global = index.zip(list).and_then(|(index, list)| {
                let number = list
                    .strip_prefix(&format!("{}/api/certificates/status/", issuing.public_url))?
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n >= 1)?;
                (index < status::LIST_SIZE).then(|| (number - 1) * status::LIST_SIZE + index)
            });
            let revoked = match global {
                Some(global) => academy_progress::certificate::is_revoked(&self.state.db, global)
                    .await
                    .map_err(|e| Failure::internal(&e))?,
                None => None,
            };
            match revoked {
                Some(false) => {}
                Some(true) => {
                    answer.verdict = Verdict::Revoked;
                    answer.message =
                        "the proof holds, but the issuer revoked this certificate".to_owned();
                }
                None => {
                    return Ok(Json(invalid(
                        "unknown_status",
                        "the credential's status entry is not one of this issuer's",
                    )));
                }
            }
        }
        Ok(Json(answer))
    }

    /// Revoke a certificate (staff)
    ///
    /// Revokes a certificate for good, with a reason its holder sees: its bit is set in the
    /// status list at once. Audited. 409 if it was revoked already.
    #[oai(path = "/api/certificates/:id/revoke", method = "post")]
    async fn revoke(
        &self,
        credentials: Credentials,
        /// The certificate's id.
        id: Path<CertificateId>,
        body: Json<RevokeBody>,
    ) -> Result<Json<super::views::RevokedView>, RevokeError> {
        let caller = credentials.caller_as(&self.state, Role::Staff).await?;
        let reason = body.reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 || reason.chars().any(char::is_control)
        {
            return Err(Failure::bad_request(
                "invalid_reason",
                "give a reason of 1–500 characters, without control characters",
            )
            .into());
        }
        academy_progress::certificate::revoke(&self.state.db, caller.user_id, id.uuid(), reason)
            .await
            .map_err(Failure::from)?;
        Ok(Json(super::views::RevokedView {
            id: id.uuid().to_string(),
            revoked: true,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<DidError>(DidError::STATUSES);
        check_mapping::<ReadError>(ReadError::STATUSES);
        check_mapping::<StatusListError>(StatusListError::STATUSES);
        check_mapping::<VerifyError>(VerifyError::STATUSES);
        check_mapping::<RevokeError>(RevokeError::STATUSES);
    }
}
