//! The three reports: reach in a period, an HRDAP edition, the courses. Staff and admins only.

use academy_identity::Role;
use academy_stats::{
    Dimension, Period, PeriodError, ProgrammeStatsError, disclosure::Policy, period::parse_date,
    render, table::Table,
};
use chrono::Utc;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::{Json, PlainText},
    types::{ToJSON, Type},
};

use super::views::{CourseStats, ProgrammeStats, Published, ReachBy, ReachStats, StatsFormat};
use crate::{
    api::{
        ApiTags,
        errors::{Failure, api_error},
        guard::Credentials,
        inputs::{DateParam, SlugParam},
    },
    state::AppState,
};

pub struct StatsApi {
    pub state: AppState,
}

api_error!(
    /// Why a reach report could not be given.
    pub enum ReachError {
        BadRequest,
        Unauthorized,
        Forbidden,
    }
);

api_error!(
    /// Why a programme report could not be given.
    pub enum ProgrammeStatsFailed {
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
    }
);

api_error!(
    /// Why the course report could not be given.
    pub enum CoursesStatsError {
        BadRequest,
        Unauthorized,
        Forbidden,
    }
);

impl From<PeriodError> for Failure {
    fn from(e: PeriodError) -> Self {
        let code = match e {
            PeriodError::NotADate(_) => "invalid_date",
            PeriodError::Reversed { .. } => "period_reversed",
            PeriodError::TooLong { .. } => "period_too_long",
        };
        Failure::bad_request(code, format!("{}.", capitalised(&e.to_string())))
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl From<ProgrammeStatsError> for Failure {
    fn from(e: ProgrammeStatsError) -> Self {
        match e {
            ProgrammeStatsError::NotFound(_) => Failure::not_found(
                "programme_not_found",
                "There is no programme edition with this slug.",
            ),
            ProgrammeStatsError::Other(e) => Failure::internal(&e),
        }
    }
}

const NO_STORE: &str = "no-store";

/// `view` in `format`: CSV and SVG from `tables` (the SVG charts the first table's first
/// column), named `name` when downloaded.
fn publish<T: ToJSON + Type + Send + Sync>(
    view: T,
    format: Option<StatsFormat>,
    tables: &[Table],
    (name, title): (&str, &str),
    policy: &Policy,
) -> Result<Published<T>, Failure> {
    Ok(match format.unwrap_or(StatsFormat::Json) {
        StatsFormat::Json => Published::Json(Json(view), NO_STORE.to_owned()),
        StatsFormat::Csv => Published::Csv(
            PlainText(render::csv(tables, policy)?),
            NO_STORE.to_owned(),
            format!("attachment; filename=\"{name}.csv\""),
        ),
        StatsFormat::Svg => {
            let first = tables
                .first()
                .ok_or_else(|| anyhow::anyhow!("a report without a table"))?;
            Published::Svg(
                PlainText(render::svg(first, 0, title, policy)?),
                NO_STORE.to_owned(),
            )
        }
    })
}

/// The period of `from` and `to` (each `YYYY-MM-DD`); by default this calendar year, or
/// from `from` to the end of its year, or from the start of `to`'s year to `to`.
fn period(from: Option<&str>, to: Option<&str>) -> Result<Period, PeriodError> {
    let this_year = Period::this_year(Utc::now());
    let from = from.map(parse_date).transpose()?;
    let to = to.map(parse_date).transpose()?;
    let year_of = |d: chrono::NaiveDate| {
        use chrono::Datelike;
        Period::year(d.year()).unwrap_or(this_year)
    };
    match (from, to) {
        (None, None) => Ok(this_year),
        (Some(from), None) => Period::new(from, year_of(from).to().max(from)),
        (None, Some(to)) => Period::new(year_of(to).from().min(to), to),
        (Some(from), Some(to)) => Period::new(from, to),
    }
}

#[OpenApi(tag = "ApiTags::Statistics")]
impl StatsApi {
    /// Reach in a period
    ///
    /// People reached (distinct accounts with any learning activity), defenders trained
    /// (distinct people who completed at least one course), course completions and countries
    /// reached, from `from` to `to` (whole days, UTC, both included; at most 10 years; by
    /// default this calendar year), broken down by one fixed dimension `by` (default
    /// `country`). Live: an event counts as soon as it is recorded. Disclosure control: 1 to
    /// k-1 people are shown as `"<k"`, entries that would give one away by subtraction as
    /// `"x"`, counts rounded to 5, countries with fewer than k people (and the hidden ones)
    /// pooled into `other_countries`, percentages only on 23 people or more. Staff and admins.
    #[oai(path = "/api/stats/reach", method = "get")]
    async fn reach(
        &self,
        credentials: Credentials,
        /// First day, `YYYY-MM-DD` (default: 1 January of `to`'s year, or of this year).
        from: Query<Option<DateParam>>,
        /// Last day, included, `YYYY-MM-DD` (default: 31 December of `from`'s year, or of
        /// this year).
        to: Query<Option<DateParam>>,
        /// The dimension of the lines (default `country`).
        by: Query<Option<ReachBy>>,
        /// `json` (default), `csv` or `svg`.
        format: Query<Option<StatsFormat>>,
    ) -> Result<Published<ReachStats>, ReachError> {
        credentials.caller_as(&self.state, Role::Staff).await?;
        let period = period(from.0.as_deref(), to.0.as_deref()).map_err(Failure::from)?;
        let by = by.0.map_or(Dimension::Country, Dimension::from);
        let policy = &self.state.stats;
        let report = academy_stats::reach(self.state.stats_reader(), period, by, policy).await?;
        let title = format!(
            "People reached by {}, {} to {}",
            by.as_str().replace('_', " "),
            period.from(),
            period.to()
        );
        let name = format!("reach-{}-{}-{}", by.as_str(), period.from(), period.to());
        Ok(publish(
            ReachStats::new(&report, policy),
            format.0,
            &report.tables,
            (&name, &title),
            policy,
        )?)
    }

    /// An HRDAP edition
    ///
    /// Submitted applications, participants and completions of the distance course (a
    /// participant who completed every course of it), in total and by UN M49 region, under
    /// the same disclosure control as the reach report. Staff and admins.
    #[oai(path = "/api/stats/programmes/:slug", method = "get")]
    async fn programme(
        &self,
        credentials: Credentials,
        /// The edition's slug.
        slug: Path<SlugParam>,
        /// `json` (default), `csv` or `svg`.
        format: Query<Option<StatsFormat>>,
    ) -> Result<Published<ProgrammeStats>, ProgrammeStatsFailed> {
        credentials.caller_as(&self.state, Role::Staff).await?;
        let policy = &self.state.stats;
        let report = academy_stats::programme(&self.state.db, &slug.0, policy)
            .await
            .map_err(Failure::from)?;
        let title = format!("Applications by region, {}", report.slug);
        let name = format!("programme-{}", report.slug);
        Ok(publish(
            ProgrammeStats::new(&report, policy),
            format.0,
            std::slice::from_ref(&report.by_region),
            (&name, &title),
            policy,
        )?)
    }

    /// The courses
    ///
    /// Per course: people enrolled, active this month (UTC), who completed it, and the median
    /// share of its lessons completed by the people enrolled; under the same disclosure
    /// control as the reach report. Staff and admins.
    #[oai(path = "/api/stats/courses", method = "get")]
    async fn courses(
        &self,
        credentials: Credentials,
        /// `json` (default), `csv` or `svg`.
        format: Query<Option<StatsFormat>>,
    ) -> Result<Published<CourseStats>, CoursesStatsError> {
        credentials.caller_as(&self.state, Role::Staff).await?;
        let policy = &self.state.stats;
        let report = academy_stats::courses(self.state.stats_reader(), Utc::now(), policy).await?;
        let month = report.month.from().format("%Y-%m").to_string();
        Ok(publish(
            CourseStats::new(&report, policy),
            format.0,
            std::slice::from_ref(&report.table),
            (
                &format!("courses-{month}"),
                &format!("People enrolled per course, {month}"),
            ),
            policy,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::tests::check_mapping;

    #[test]
    fn each_error_maps_to_its_declared_status() {
        check_mapping::<ReachError>(ReachError::STATUSES);
        check_mapping::<ProgrammeStatsFailed>(ProgrammeStatsFailed::STATUSES);
        check_mapping::<CoursesStatsError>(CoursesStatsError::STATUSES);
    }

    #[test]
    fn a_missing_end_of_the_period_is_the_end_of_its_year() {
        let p = period(Some("2025-03-01"), None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.to().to_string(), "2025-12-31");
        let p = period(None, Some("2024-06-30")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.from().to_string(), "2024-01-01");
        assert!(matches!(
            period(Some("2026-02-01"), Some("2026-01-01")),
            Err(PeriodError::Reversed { .. })
        ));
    }
}
