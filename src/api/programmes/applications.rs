//! Applying to an edition: a draft saved as often as needed, submitted once inside the window,
//! withdrawn at any time; replying to an offer.

use academy_enrollment::application;
use poem_openapi::{ApiResponse, OpenApi, param::Path, payload::Json};

use super::views::{ApplicationView, DraftBody};
use crate::api::{
    ApiTags,
    errors::{Failure, api_error},
    guard::{Credentials, Private, private},
    params,
};
use crate::state::AppState;

pub struct ApplicationsApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
enum Saved {
    /// The draft was created.
    #[oai(status = 201)]
    Created(
        Json<ApplicationView>,
        #[oai(header = "Cache-Control")] String,
    ),
    /// The draft was updated.
    #[oai(status = 200)]
    Updated(
        Json<ApplicationView>,
        #[oai(header = "Cache-Control")] String,
    ),
}

api_error!(
    /// Why a draft could not be saved.
    pub enum SaveError {
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PayloadTooLarge,
    }
);

api_error!(
    /// Why the caller's application could not be read.
    pub enum MyApplicationError {
        Unauthorized,
        NotFound,
    }
);

api_error!(
    /// Why the application could not be submitted, withdrawn, or its offer answered.
    pub enum StepError {
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
    }
);

#[OpenApi(tag = "ApiTags::Programmes")]
impl ApplicationsApi {
    /// Save my application draft
    ///
    /// Creates or replaces the caller's draft answers, checked against the edition's form:
    /// an unknown question, a wrong kind of answer or one too long is a 400 `invalid_answer`
    /// naming the question. Sensitive answers are sealed at rest. 409 `already_submitted`,
    /// `application_closed` (after the window).
    #[oai(path = "/api/programmes/:slug/application", method = "put")]
    async fn save(
        &self,
        credentials: Credentials,
        /// The edition's slug.
        slug: Path<String>,
        body: Json<DraftBody>,
    ) -> Result<Saved, SaveError> {
        let caller = credentials.caller(&self.state).await?;
        let language = match &body.language {
            Some(tag) => params::language(tag)?.as_str(),
            None => "en",
        };
        let (draft, created) = application::save_draft(
            &self.state.db,
            &self.state.enrollment,
            caller.user_id,
            &slug,
            language,
            &body.0.answers,
        )
        .await
        .map_err(Failure::from)?;
        let view = Json(ApplicationView::from(draft));
        Ok(if created {
            Saved::Created(view, "no-store".to_owned())
        } else {
            Saved::Updated(view, "no-store".to_owned())
        })
    }

    /// My application
    ///
    /// The caller's application to the edition, with every answer and its status (the offer's
    /// deadline, the waitlist position).
    #[oai(path = "/api/programmes/:slug/application", method = "get")]
    async fn mine(
        &self,
        credentials: Credentials,
        /// The edition's slug.
        slug: Path<String>,
    ) -> Result<Private<ApplicationView>, MyApplicationError> {
        let caller = credentials.caller(&self.state).await?;
        let mine = application::mine(
            &self.state.db,
            &self.state.enrollment.keys,
            caller.user_id,
            &slug,
        )
        .await
        .map_err(Failure::from)?;
        Ok(private(mine.into()))
    }

    /// Submit my application
    ///
    /// Inside the application window only (409 `application_closed`, by the server's clock),
    /// with every required answer (400 `invalid_answer` naming the first missing one), once
    /// (409 `already_submitted`).
    #[oai(path = "/api/programmes/:slug/application/submit", method = "post")]
    async fn submit(
        &self,
        credentials: Credentials,
        /// The edition's slug.
        slug: Path<String>,
    ) -> Result<Private<ApplicationView>, StepError> {
        let caller = credentials.caller(&self.state).await?;
        let done = application::submit(
            &self.state.db,
            &self.state.enrollment,
            caller.user_id,
            &slug,
        )
        .await
        .map_err(Failure::from)?;
        Ok(private(done.into()))
    }

    /// Withdraw my application
    ///
    /// At any stage before a final answer; a place or offer held goes to the next person on
    /// the waitlist.
    #[oai(path = "/api/programmes/:slug/application/withdraw", method = "post")]
    async fn withdraw(
        &self,
        credentials: Credentials,
        /// The edition's slug.
        slug: Path<String>,
    ) -> Result<Private<ApplicationView>, StepError> {
        let caller = credentials.caller(&self.state).await?;
        let done = application::withdraw(
            &self.state.db,
            &self.state.enrollment,
            caller.user_id,
            &slug,
        )
        .await
        .map_err(Failure::from)?;
        Ok(private(done.into()))
    }

    /// Accept my offer
    ///
    /// Takes a place in the cohort while one is free (409 `cohort_full` otherwise: the database
    /// never gives more places than the edition has) and enrols the caller in the distance
    /// course. 409 `no_offer`, `offer_expired`.
    #[oai(path = "/api/programmes/:slug/offer/accept", method = "post")]
    async fn accept(
        &self,
        credentials: Credentials,
        /// The edition's slug.
        slug: Path<String>,
    ) -> Result<Private<ApplicationView>, StepError> {
        let caller = credentials.caller(&self.state).await?;
        let done = application::accept_offer(
            &self.state.db,
            &self.state.enrollment,
            caller.user_id,
            &slug,
        )
        .await
        .map_err(Failure::from)?;
        Ok(private(done.into()))
    }

    /// Decline my offer
    ///
    /// The place goes to the next person on the waitlist at once. 409 `no_offer`,
    /// `offer_expired`.
    #[oai(path = "/api/programmes/:slug/offer/decline", method = "post")]
    async fn decline(
        &self,
        credentials: Credentials,
        /// The edition's slug.
        slug: Path<String>,
    ) -> Result<Private<ApplicationView>, StepError> {
        let caller = credentials.caller(&self.state).await?;
        let done = application::decline_offer(
            &self.state.db,
            &self.state.enrollment,
            caller.user_id,
            &slug,
        )
        .await
        .map_err(Failure::from)?;
        Ok(private(done.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<SaveError>(SaveError::STATUSES);
        check_mapping::<MyApplicationError>(MyApplicationError::STATUSES);
        check_mapping::<StepError>(StepError::STATUSES);
    }
}
