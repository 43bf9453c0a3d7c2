//! In-app notifications: application received, decisions, offers and their reminders,
//! waitlist moves.

use academy_courses::vocab::Language;
use academy_enrollment::notify;
use poem::Request;
use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
};

use super::views::NotificationList;
use crate::{
    api::{
        ApiTags,
        errors::{Failure, api_error},
        guard::{Credentials, Private, private},
        params,
    },
    state::AppState,
};

pub struct NotificationsApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
enum Marked {
    /// Marked read.
    #[oai(status = 204)]
    Done,
}

api_error!(
    /// Why notifications could not be listed.
    pub enum ListNotificationsError {
        BadRequest,
        Unauthorized,
    }
);

api_error!(
    /// Why a notification could not be marked read.
    pub enum MarkError {
        Unauthorized,
        Forbidden,
        NotFound,
    }
);

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

#[OpenApi(tag = "ApiTags::Programmes")]
impl NotificationsApi {
    /// My notifications
    ///
    /// Newest first, with their message in the language asked for (`?lang=` or
    /// `Accept-Language`; English, French or Spanish).
    #[oai(path = "/api/me/notifications", method = "get")]
    async fn list(
        &self,
        request: &Request,
        credentials: Credentials,
        /// The `next_before` of the previous page.
        before: Query<Option<i32>>,
        /// Notifications per page, 1 to 200 (default 50).
        limit: Query<Option<crate::api::inputs::PageSize<MAX_PAGE>>>,
        /// The language of the messages.
        lang: Query<Option<crate::api::inputs::LanguageTag>>,
    ) -> Result<Private<NotificationList>, ListNotificationsError> {
        let caller = credentials.caller(&self.state).await?;
        let limit = params::limit(
            crate::api::inputs::page_size(limit.0),
            DEFAULT_PAGE,
            MAX_PAGE,
        )?;
        let language = params::preference(request, lang.as_deref())?
            .resolve(
                |l| matches!(l, Language::English | Language::French | Language::Spanish),
                Language::English,
            )
            .language
            .as_str();
        let page = notify::list(
            &self.state.db,
            caller.user_id,
            *before,
            u64::from(limit),
            language,
        )
        .await?;
        Ok(private(NotificationList {
            notifications: page.items.into_iter().map(Into::into).collect(),
            next_before: page.next,
        }))
    }

    /// Mark a notification read
    #[oai(path = "/api/me/notifications/:id/read", method = "post")]
    async fn read(
        &self,
        credentials: Credentials,
        /// The notification's id.
        id: Path<i32>,
    ) -> Result<Marked, MarkError> {
        let caller = credentials.caller(&self.state).await?;
        notify::mark_read(&self.state.db, caller.user_id, *id)
            .await
            .map_err(Failure::from)?;
        Ok(Marked::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<ListNotificationsError>(ListNotificationsError::STATUSES);
        check_mapping::<MarkError>(MarkError::STATUSES);
    }
}
