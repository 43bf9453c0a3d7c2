//! The published reports as the API shows them. Every entry is text: a whole number (rounded
//! to 5), `"<5"` (1 to k-1 people) or `"x"` (withheld so that a small count cannot be worked
//! out); the same in JSON, CSV and SVG.

use academy_stats::{
    CourseReport, Dimension, ProgrammeReport, ReachReport,
    disclosure::Policy,
    table::{Line, Table},
};
use poem_openapi::{
    ApiResponse, Enum, Object,
    payload::{Json, PlainText},
    types::{ToJSON, Type},
};

/// How a report is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum StatsFormat {
    Json,
    Csv,
    Svg,
}

/// What a reach report's lines are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ReachBy {
    /// Calendar months (UTC) of the period.
    Month,
    /// Country of the profile; fewer than k people, or a hidden country: `other_countries`.
    Country,
    /// UN M49 region of that country.
    Region,
    Gender,
    OrganisationType,
    Course,
    /// The UN mechanisms of the course.
    Mechanism,
    /// Preferred language of the profile.
    Language,
    /// Countries × calendar years.
    CountryYear,
    /// Genders × calendar years.
    GenderYear,
}

impl From<ReachBy> for Dimension {
    fn from(by: ReachBy) -> Dimension {
        match by {
            ReachBy::Month => Dimension::Month,
            ReachBy::Country => Dimension::Country,
            ReachBy::Region => Dimension::Region,
            ReachBy::Gender => Dimension::Gender,
            ReachBy::OrganisationType => Dimension::OrganisationType,
            ReachBy::Course => Dimension::Course,
            ReachBy::Mechanism => Dimension::Mechanism,
            ReachBy::Language => Dimension::Language,
            ReachBy::CountryYear => Dimension::CountryYear,
            ReachBy::GenderYear => Dimension::GenderYear,
        }
    }
}

/// A published report: JSON, CSV or an SVG chart. Never stored by browsers or proxies.
#[derive(ApiResponse)]
pub enum Published<T: ToJSON + Type + Send + Sync> {
    /// The report as JSON.
    #[oai(status = 200)]
    Json(Json<T>, #[oai(header = "Cache-Control")] String),
    /// The report as CSV (`format=csv`): a header line, the lines, then `total`.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Csv(
        PlainText<String>,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Content-Disposition")] String,
    ),
    /// The report as an SVG bar chart (`format=svg`).
    #[oai(status = 200, content_type = "image/svg+xml")]
    Svg(PlainText<String>, #[oai(header = "Cache-Control")] String),
}

/// One line of a table.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct StatsLine {
    /// What the line is: a country code, a month, a course slug, `total`…
    key: String,
    /// The entries, in column order.
    cells: Vec<String>,
    /// The line's total across the columns (two-way tables).
    total: Option<String>,
    /// One per percentage column; absent where the base is under 23 people or suppressed.
    percents: Vec<Option<u64>>,
}

/// A published table.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct StatsTable {
    /// What the cells count, in a two-way table (whose columns are years).
    measure: Option<String>,
    /// What the lines are.
    lines_are: String,
    /// The columns: measures, or years.
    columns: Vec<String>,
    /// The percentage columns.
    percents: Vec<String>,
    lines: Vec<StatsLine>,
    /// The column totals (distinct people: not the sum of the lines when a person is in
    /// several).
    totals: StatsLine,
}

fn line(line: &Line, policy: &Policy) -> StatsLine {
    StatsLine {
        key: line.key.clone(),
        cells: line.cells.iter().map(|c| c.text(policy)).collect(),
        total: line.total.map(|t| t.text(policy)),
        percents: line.percents.clone(),
    }
}

pub fn table(table: &Table, policy: &Policy) -> StatsTable {
    StatsTable {
        measure: table.measure.clone(),
        lines_are: table.lines_are.clone(),
        columns: table.columns.clone(),
        percents: table.percents.clone(),
        lines: table.lines.iter().map(|l| line(l, policy)).collect(),
        totals: line(&table.totals, policy),
    }
}

/// People reached, defenders trained, course completions and countries reached in a period.
#[derive(Debug, Object)]
pub struct ReachStats {
    /// First day of the period (UTC).
    from: String,
    /// Last day of the period (UTC), included.
    to: String,
    by: String,
    /// Counts of 1 to this minus one are shown as `"<k"`.
    threshold: u64,
    /// Distinct people with any learning activity.
    people_reached: String,
    /// Distinct people who completed at least one course.
    defenders_trained: String,
    course_completions: String,
    /// Countries with at least one person reached (a count of countries).
    countries_reached: u64,
    /// One table, or for `country_year` and `gender_year` one per measure.
    tables: Vec<StatsTable>,
}

impl ReachStats {
    pub fn new(report: &ReachReport, policy: &Policy) -> ReachStats {
        ReachStats {
            from: report.period.from().to_string(),
            to: report.period.to().to_string(),
            by: report.by.as_str().to_owned(),
            threshold: report.threshold,
            people_reached: report.people_reached.text(policy),
            defenders_trained: report.defenders_trained.text(policy),
            course_completions: report.course_completions.text(policy),
            countries_reached: report.countries_reached,
            tables: report.tables.iter().map(|t| table(t, policy)).collect(),
        }
    }
}

/// An HRDAP edition's applications, participants and distance-course completions.
#[derive(Debug, Object)]
pub struct ProgrammeStats {
    programme: String,
    threshold: u64,
    /// Submitted applications.
    applications: String,
    participants: String,
    /// Participants who completed every course of the distance course.
    distance_course_completions: String,
    /// By UN M49 region, a column per measure.
    by_region: StatsTable,
}

impl ProgrammeStats {
    pub fn new(report: &ProgrammeReport, policy: &Policy) -> ProgrammeStats {
        ProgrammeStats {
            programme: report.slug.clone(),
            threshold: report.threshold,
            applications: report.applications.text(policy),
            participants: report.participants.text(policy),
            distance_course_completions: report.distance_course_completions.text(policy),
            by_region: table(&report.by_region, policy),
        }
    }
}

/// Per course: enrolled, active this month, completed, median progress.
#[derive(Debug, Object)]
pub struct CourseStats {
    /// The month `active_this_month` counts, `YYYY-MM`.
    month: String,
    threshold: u64,
    /// A line per course, a column per measure, and the percentage column
    /// `median_progress_percent`: the median share of the course's lessons completed by the
    /// people enrolled, rounded to 5; absent under 23 people enrolled.
    courses: StatsTable,
}

impl CourseStats {
    pub fn new(report: &CourseReport, policy: &Policy) -> CourseStats {
        CourseStats {
            month: report.month.from().format("%Y-%m").to_string(),
            threshold: report.threshold,
            courses: table(&report.table, policy),
        }
    }
}
