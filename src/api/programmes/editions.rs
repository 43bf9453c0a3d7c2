//! Programme editions: created and edited by trainers and staff, shown to everyone (no
//! personal data).

use academy_enrollment::programme::{self, Need, check_access};
use academy_identity::Role;
use poem::Request;
use poem_openapi::{ApiResponse, OpenApi, param::Path, payload::Json};

use super::views::{NewProgramme, ProgrammeList, ProgrammePatch, ProgrammeView};
use crate::{
    api::{
        ApiTags,
        errors::{Failure, api_error},
        guard::{Credentials, Private, private},
    },
    state::AppState,
};

pub struct EditionsApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
enum Created {
    /// The new edition.
    #[oai(status = 201)]
    Created(Json<ProgrammeView>, #[oai(header = "Location")] String),
}

api_error!(
    /// Why an edition could not be created.
    pub enum CreateError {
        BadRequest,
        Unauthorized,
        Forbidden,
        Conflict,
        PayloadTooLarge,
    }
);

api_error!(
    /// Why editions could not be listed.
    pub enum ListEditionsError {}
);

api_error!(
    /// Why an edition could not be read.
    pub enum ReadError {
        NotFound,
    }
);

api_error!(
    /// Why an edition could not be changed.
    pub enum UpdateError {
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PayloadTooLarge,
    }
);

/// Whether the request comes from an organiser of `edition` (who sees its trainers).
async fn organiser(state: &AppState, request: &Request, edition: &programme::Edition) -> bool {
    let credentials = Credentials::of(request);
    if credentials.token().is_none() {
        return false;
    }
    match credentials.caller(state).await {
        Ok(caller) => check_access(&caller, edition, Need::Manage).is_ok(),
        Err(_) => false,
    }
}

#[OpenApi(tag = "ApiTags::Programmes")]
impl EditionsApi {
    /// Create a programme edition
    ///
    /// Trainers, staff and admins. An edition such as "HRDAP 2027": texts per language, the
    /// application window, places and waitlist, the courses of its distance course, key dates,
    /// trainers, review criteria and the application form (questions with a stable id, a kind,
    /// labels per language, `required`, `max_length` and `sensitive`). A trainer who creates
    /// one is assigned to it. 409 `slug_taken`; 400 names what is wrong.
    #[oai(path = "/api/programmes", method = "post")]
    async fn create(
        &self,
        credentials: Credentials,
        body: Json<NewProgramme>,
    ) -> Result<Created, CreateError> {
        let caller = credentials.caller(&self.state).await?;
        if !(caller.is(Role::Trainer) || caller.is(Role::Staff)) {
            return Err(Failure::forbidden(
                "role_required",
                "Only trainers, staff and admins may create programme editions.",
            )
            .into());
        }
        let spec = body.0.parse()?;
        let edition = programme::create(&self.state.db, &caller, spec)
            .await
            .map_err(Failure::from)?;
        let location = format!("/api/programmes/{}", edition.slug);
        Ok(Created::Created(
            Json(ProgrammeView::new(edition, true)),
            location,
        ))
    }

    /// Programme editions
    ///
    /// Every edition, the latest application window first, with whether it accepts
    /// applications now. Public: no personal data.
    #[oai(path = "/api/programmes", method = "get")]
    async fn list(&self) -> Result<Json<ProgrammeList>, ListEditionsError> {
        let editions = programme::list(&self.state.db).await?;
        Ok(Json(ProgrammeList {
            programmes: editions
                .into_iter()
                .map(|e| ProgrammeView::new(e, false))
                .collect(),
        }))
    }

    /// A programme edition
    ///
    /// The edition with its application form. Its organisers also see the trainers assigned.
    #[oai(path = "/api/programmes/:slug", method = "get")]
    async fn read(
        &self,
        request: &Request,
        /// The edition's slug.
        slug: Path<String>,
    ) -> Result<Private<ProgrammeView>, ReadError> {
        let edition = programme::get(&self.state.db, &slug)
            .await
            .map_err(Failure::from)?;
        let organiser = organiser(&self.state, request, &edition).await;
        Ok(private(ProgrammeView::new(edition, organiser)))
    }

    /// Edit a programme edition
    ///
    /// Its assigned trainers, staff and admins. Only the fields sent change. 409 `form_frozen`
    /// once an application has been submitted; 409 `places_below_participants`.
    #[oai(path = "/api/programmes/:slug", method = "patch")]
    async fn update(
        &self,
        credentials: Credentials,
        /// The edition's slug.
        slug: Path<String>,
        body: Json<ProgrammePatch>,
    ) -> Result<Private<ProgrammeView>, UpdateError> {
        let caller = credentials.caller(&self.state).await?;
        let patch = body.0.parse()?;
        let edition = programme::update(
            &self.state.db,
            &self.state.enrollment,
            &caller,
            &slug,
            patch,
        )
        .await
        .map_err(Failure::from)?;
        Ok(private(ProgrammeView::new(edition, true)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<CreateError>(CreateError::STATUSES);
        check_mapping::<ListEditionsError>(ListEditionsError::STATUSES);
        check_mapping::<ReadError>(ReadError::STATUSES);
        check_mapping::<UpdateError>(UpdateError::STATUSES);
    }
}
