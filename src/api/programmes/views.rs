//! The programme area's request and response bodies, converted to and from the domain types of
//! `academy-enrollment`. Instants are RFC 3339 text; dates are `YYYY-MM-DD`.

use std::collections::BTreeMap;

use academy_courses::vocab::Language;
use academy_enrollment::{
    Status,
    application::Application,
    cohort::Member,
    enrolment::Enrolment,
    form::{Choice, Form, Question, QuestionKind},
    notify::Notification,
    privacy::EnrollmentExport,
    programme::{Criterion, Edition, KeyDates, Text},
    review::{Applicant, MyReview, Opened, Review, Summary},
};
use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{Enum, Object};
use serde_json::Value;

use crate::api::{errors::Failure, json_string::JsonString};

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339()
}

/// Parses an RFC 3339 instant sent as `field`.
pub fn parse_instant(field: &str, text: &str) -> Result<DateTime<Utc>, Failure> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| {
            Failure::bad_request(
                "invalid_instant",
                format!("{field} must be an RFC 3339 instant such as 2027-01-31T23:59:00Z"),
            )
        })
}

fn parse_date(field: &str, text: Option<&str>) -> Result<Option<NaiveDate>, Failure> {
    text.map(|t| {
        NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| {
            Failure::bad_request(
                "invalid_date",
                format!("key_dates.{field} must be a date such as 2027-06-14"),
            )
        })
    })
    .transpose()
}

fn parse_language(field: &str, tag: &str) -> Result<Language, Failure> {
    Language::parse(tag).ok_or_else(|| {
        Failure::bad_request(
            "invalid_language",
            format!(
                "{field}: `{}` is not one of {}",
                crate::api::params::shown(tag),
                Language::expected()
            ),
        )
    })
}

fn labels_in(
    field: &str,
    labels: BTreeMap<String, JsonString>,
) -> Result<BTreeMap<Language, String>, Failure> {
    labels
        .into_iter()
        .map(|(tag, label)| Ok((parse_language(field, &tag)?, label.into_inner())))
        .collect()
}

fn labels_out(labels: &BTreeMap<Language, String>) -> BTreeMap<String, JsonString> {
    labels
        .iter()
        .map(|(l, text)| (l.as_str().to_owned(), text.as_str().into()))
        .collect()
}

/// An edition's title and description in one language.
#[derive(Debug, Clone, Object)]
pub struct ProgrammeText {
    pub title: JsonString,
    #[oai(default)]
    pub description: JsonString,
}

/// Key dates of an edition (`YYYY-MM-DD`, each optional).
#[derive(Debug, Clone, Default, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct KeyDatesView {
    #[oai(nullable)]
    pub distance_course_starts: Option<JsonString>,
    #[oai(nullable)]
    pub distance_course_ends: Option<JsonString>,
    #[oai(nullable)]
    pub geneva_starts: Option<JsonString>,
    #[oai(nullable)]
    pub geneva_ends: Option<JsonString>,
}

impl KeyDatesView {
    fn parse(self) -> Result<KeyDates, Failure> {
        Ok(KeyDates {
            distance_course_starts: parse_date(
                "distance_course_starts",
                self.distance_course_starts.as_deref(),
            )?,
            distance_course_ends: parse_date(
                "distance_course_ends",
                self.distance_course_ends.as_deref(),
            )?,
            geneva_starts: parse_date("geneva_starts", self.geneva_starts.as_deref())?,
            geneva_ends: parse_date("geneva_ends", self.geneva_ends.as_deref())?,
        })
    }
}

impl From<&KeyDates> for KeyDatesView {
    fn from(d: &KeyDates) -> Self {
        let text = |d: Option<NaiveDate>| d.map(|d| d.to_string().into());
        KeyDatesView {
            distance_course_starts: text(d.distance_course_starts),
            distance_course_ends: text(d.distance_course_ends),
            geneva_starts: text(d.geneva_starts),
            geneva_ends: text(d.geneva_ends),
        }
    }
}

/// A review criterion, scored 1 to 5.
#[derive(Debug, Clone, Object)]
pub struct CriterionView {
    /// Stable id: 1 to 64 of `a-z`, `0-9`, `_`, `-`.
    pub id: JsonString,
    /// The label per language (`en`, `fr`, …).
    pub label: BTreeMap<String, JsonString>,
}

fn default_criteria() -> Vec<Criterion> {
    [
        ("motivation", "Motivation and fit with the programme"),
        ("advocacy_experience", "Human-rights advocacy experience"),
        ("expected_impact", "Expected impact of the training"),
    ]
    .into_iter()
    .map(|(id, label)| Criterion {
        id: id.to_owned(),
        label: BTreeMap::from([(Language::English, label.to_owned())]),
    })
    .collect()
}

fn criteria_in(criteria: Vec<CriterionView>) -> Result<Vec<Criterion>, Failure> {
    criteria
        .into_iter()
        .map(|c| {
            Ok(Criterion {
                label: labels_in(&format!("criteria.{}", c.id), c.label)?,
                id: c.id.into_inner(),
            })
        })
        .collect()
}

/// What a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum QuestionKindView {
    Text,
    LongText,
    SingleChoice,
    MultiChoice,
    Country,
    Language,
    Consent,
    Email,
}

impl From<QuestionKindView> for QuestionKind {
    fn from(k: QuestionKindView) -> Self {
        match k {
            QuestionKindView::Text => QuestionKind::Text,
            QuestionKindView::LongText => QuestionKind::LongText,
            QuestionKindView::SingleChoice => QuestionKind::SingleChoice,
            QuestionKindView::MultiChoice => QuestionKind::MultiChoice,
            QuestionKindView::Country => QuestionKind::Country,
            QuestionKindView::Language => QuestionKind::Language,
            QuestionKindView::Consent => QuestionKind::Consent,
            QuestionKindView::Email => QuestionKind::Email,
        }
    }
}

impl From<QuestionKind> for QuestionKindView {
    fn from(k: QuestionKind) -> Self {
        match k {
            QuestionKind::Text => QuestionKindView::Text,
            QuestionKind::LongText => QuestionKindView::LongText,
            QuestionKind::SingleChoice => QuestionKindView::SingleChoice,
            QuestionKind::MultiChoice => QuestionKindView::MultiChoice,
            QuestionKind::Country => QuestionKindView::Country,
            QuestionKind::Language => QuestionKindView::Language,
            QuestionKind::Consent => QuestionKindView::Consent,
            QuestionKind::Email => QuestionKindView::Email,
        }
    }
}

/// One choice of a choice question.
#[derive(Debug, Clone, Object)]
pub struct FormChoice {
    pub id: JsonString,
    pub label: BTreeMap<String, JsonString>,
}

/// One question of the application form.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FormQuestion {
    /// Stable id, used as the key of its answer: 1 to 64 of `a-z`, `0-9`, `_`, `-`.
    pub id: JsonString,
    pub kind: QuestionKindView,
    /// The label per language (`en`, `fr`, …).
    pub label: BTreeMap<String, JsonString>,
    #[oai(default)]
    pub required: bool,
    /// The most characters an answer may have (default 200; long text 4,000).
    #[oai(validator(minimum(value = "1"), maximum(value = "10000")))]
    #[oai(nullable)]
    pub max_length: Option<u32>,
    /// Sealed at rest and shown only to the edition's reviewers.
    #[oai(default)]
    pub sensitive: bool,
    /// The choices of a `single_choice` or `multi_choice` question.
    #[oai(default)]
    pub choices: Vec<FormChoice>,
}

/// The application form: questions in order.
#[derive(Debug, Clone, Default, Object)]
pub struct FormView {
    #[oai(default)]
    pub questions: Vec<FormQuestion>,
}

impl FormView {
    fn parse(self) -> Result<Form, Failure> {
        let questions = self
            .questions
            .into_iter()
            .map(|q| {
                let field = format!("form.{}", q.id);
                Ok(Question {
                    label: labels_in(&field, q.label)?,
                    choices: q
                        .choices
                        .into_iter()
                        .map(|c| {
                            Ok(Choice {
                                label: labels_in(&field, c.label)?,
                                id: c.id.into_inner(),
                            })
                        })
                        .collect::<Result<_, Failure>>()?,
                    id: q.id.into_inner(),
                    kind: q.kind.into(),
                    required: q.required,
                    max_length: q.max_length,
                    sensitive: q.sensitive,
                })
            })
            .collect::<Result<_, Failure>>()?;
        Ok(Form { questions })
    }
}

impl From<&Form> for FormView {
    fn from(form: &Form) -> Self {
        FormView {
            questions: form
                .questions
                .iter()
                .map(|q| FormQuestion {
                    id: q.id.as_str().into(),
                    kind: q.kind.into(),
                    label: labels_out(&q.label),
                    required: q.required,
                    max_length: q.max_length,
                    sensitive: q.sensitive,
                    choices: q
                        .choices
                        .iter()
                        .map(|c| FormChoice {
                            id: c.id.as_str().into(),
                            label: labels_out(&c.label),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

fn texts_in(texts: BTreeMap<String, ProgrammeText>) -> Result<BTreeMap<Language, Text>, Failure> {
    texts
        .into_iter()
        .map(|(tag, t)| {
            Ok((
                parse_language("texts", &tag)?,
                Text {
                    title: t.title.into_inner(),
                    description: t.description.into_inner(),
                },
            ))
        })
        .collect()
}

/// A new programme edition.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct NewProgramme {
    /// The edition's address: 3 to 80 of `a-z`, `0-9`, `-`, e.g. `hrdap-2027`.
    pub slug: JsonString,
    /// Title and description per language (`en`, `fr`, `es`, …), at least one.
    pub texts: BTreeMap<String, ProgrammeText>,
    /// When applications open (RFC 3339).
    pub opens_at: JsonString,
    /// When applications close (RFC 3339), judged by the server's clock.
    pub closes_at: JsonString,
    /// Places in the cohort (1 to 1000).
    pub places: i32,
    /// How many may wait on the waitlist (0 to 1000).
    #[oai(default)]
    pub waitlist_length: i32,
    /// Days an applicant has to reply to an offer (1 to 90, default 7).
    #[oai(nullable)]
    pub offer_reply_days: Option<i32>,
    /// Hide applicants' names and countries from reviewers.
    #[oai(default)]
    pub blind_review: bool,
    /// The courses of the mandatory distance course (public or cohort-only), by slug.
    #[oai(default)]
    pub courses: Vec<JsonString>,
    #[oai(default)]
    pub key_dates: KeyDatesView,
    /// Account ids of the trainers assigned (a trainer who creates an edition is assigned).
    #[oai(default)]
    pub trainers: Vec<i32>,
    /// What reviewers score (default: motivation, advocacy experience, expected impact).
    #[oai(nullable)]
    pub criteria: Option<Vec<CriterionView>>,
    pub form: FormView,
}

impl NewProgramme {
    pub fn parse(self) -> Result<academy_enrollment::programme::EditionSpec, Failure> {
        Ok(academy_enrollment::programme::EditionSpec {
            texts: texts_in(self.texts)?,
            opens_at: parse_instant("opens_at", &self.opens_at)?,
            closes_at: parse_instant("closes_at", &self.closes_at)?,
            places: self.places,
            waitlist_length: self.waitlist_length,
            offer_reply_days: self.offer_reply_days.unwrap_or(7),
            blind_review: self.blind_review,
            courses: self.courses.into_iter().map(String::from).collect(),
            key_dates: self.key_dates.parse()?,
            trainers: self.trainers,
            criteria: match self.criteria {
                Some(c) => criteria_in(c)?,
                None => default_criteria(),
            },
            form: self.form.parse()?,
            slug: self.slug.into_inner(),
        })
    }
}

/// A change to an edition: only the fields sent change. The form cannot change once an
/// application has been submitted.
#[derive(Debug, Default, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ProgrammePatch {
    #[oai(nullable)]
    pub texts: Option<BTreeMap<String, ProgrammeText>>,
    #[oai(nullable)]
    pub opens_at: Option<JsonString>,
    #[oai(nullable)]
    pub closes_at: Option<JsonString>,
    #[oai(nullable)]
    pub places: Option<i32>,
    #[oai(nullable)]
    pub waitlist_length: Option<i32>,
    #[oai(nullable)]
    pub offer_reply_days: Option<i32>,
    #[oai(nullable)]
    pub blind_review: Option<bool>,
    #[oai(nullable)]
    pub courses: Option<Vec<JsonString>>,
    #[oai(nullable)]
    pub key_dates: Option<KeyDatesView>,
    #[oai(nullable)]
    pub trainers: Option<Vec<i32>>,
    #[oai(nullable)]
    pub criteria: Option<Vec<CriterionView>>,
    #[oai(nullable)]
    pub form: Option<FormView>,
    /// `true`: the selection is final; unsuccessful applications are deleted after the
    /// retention period. `false` reopens it.
    #[oai(nullable)]
    pub selection_final: Option<bool>,
}

impl ProgrammePatch {
    pub fn parse(self) -> Result<academy_enrollment::programme::EditionPatch, Failure> {
        Ok(academy_enrollment::programme::EditionPatch {
            texts: self.texts.map(texts_in).transpose()?,
            opens_at: self
                .opens_at
                .map(|t| parse_instant("opens_at", &t))
                .transpose()?,
            closes_at: self
                .closes_at
                .map(|t| parse_instant("closes_at", &t))
                .transpose()?,
            places: self.places,
            waitlist_length: self.waitlist_length,
            offer_reply_days: self.offer_reply_days,
            blind_review: self.blind_review,
            courses: self
                .courses
                .map(|c| c.into_iter().map(String::from).collect()),
            key_dates: self.key_dates.map(KeyDatesView::parse).transpose()?,
            trainers: self.trainers,
            criteria: self.criteria.map(criteria_in).transpose()?,
            form: self.form.map(FormView::parse).transpose()?,
            selection_final: self.selection_final,
        })
    }
}

/// A programme edition. Public: no personal data (the trainers' account ids are shown only to
/// the edition's organisers).
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ProgrammeView {
    pub slug: String,
    pub texts: BTreeMap<String, ProgrammeText>,
    pub opens_at: String,
    pub closes_at: String,
    /// Whether applications can be submitted now.
    pub accepting_applications: bool,
    pub places: i32,
    pub places_taken: i32,
    pub waitlist_length: i32,
    pub offer_reply_days: i32,
    pub blind_review: bool,
    pub courses: Vec<String>,
    pub key_dates: KeyDatesView,
    pub criteria: Vec<CriterionView>,
    pub form: FormView,
    /// Whether the form is frozen (an application has been submitted).
    pub form_frozen: bool,
    #[oai(skip_serializing_if_is_none)]
    pub selection_final_at: Option<String>,
    /// Assigned trainers' account ids (organisers only).
    #[oai(skip_serializing_if_is_none)]
    pub trainers: Option<Vec<i32>>,
}

impl ProgrammeView {
    pub fn new(e: Edition, organiser: bool) -> ProgrammeView {
        ProgrammeView {
            accepting_applications: e.accepting(Utc::now()),
            texts: e
                .texts
                .iter()
                .map(|(l, t)| {
                    (
                        l.as_str().to_owned(),
                        ProgrammeText {
                            title: t.title.as_str().into(),
                            description: t.description.as_str().into(),
                        },
                    )
                })
                .collect(),
            opens_at: instant(e.opens_at),
            closes_at: instant(e.closes_at),
            places: e.places,
            places_taken: e.participants,
            waitlist_length: e.waitlist_length,
            offer_reply_days: e.offer_reply_days,
            blind_review: e.blind_review,
            key_dates: (&e.key_dates).into(),
            criteria: e
                .criteria
                .iter()
                .map(|c| CriterionView {
                    id: c.id.as_str().into(),
                    label: labels_out(&c.label),
                })
                .collect(),
            form: (&e.form).into(),
            form_frozen: e.form_frozen,
            selection_final_at: e.selection_final_at.map(instant),
            trainers: organiser.then(|| e.trainers.clone()),
            courses: e.courses,
            slug: e.slug,
        }
    }
}

/// Every edition, the latest first.
#[derive(Debug, Object)]
pub struct ProgrammeList {
    pub programmes: Vec<ProgrammeView>,
}

/// An application's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum StatusView {
    Draft,
    Submitted,
    Offered,
    Waitlisted,
    Rejected,
    Participant,
    Declined,
    Expired,
    Withdrawn,
}

impl From<Status> for StatusView {
    fn from(s: Status) -> Self {
        match s {
            Status::Draft => StatusView::Draft,
            Status::Submitted => StatusView::Submitted,
            Status::Offered => StatusView::Offered,
            Status::Waitlisted => StatusView::Waitlisted,
            Status::Rejected => StatusView::Rejected,
            Status::Participant => StatusView::Participant,
            Status::Declined => StatusView::Declined,
            Status::Expired => StatusView::Expired,
            Status::Withdrawn => StatusView::Withdrawn,
        }
    }
}

impl From<StatusView> for Status {
    fn from(s: StatusView) -> Self {
        match s {
            StatusView::Draft => Status::Draft,
            StatusView::Submitted => Status::Submitted,
            StatusView::Offered => Status::Offered,
            StatusView::Waitlisted => Status::Waitlisted,
            StatusView::Rejected => Status::Rejected,
            StatusView::Participant => Status::Participant,
            StatusView::Declined => Status::Declined,
            StatusView::Expired => Status::Expired,
            StatusView::Withdrawn => Status::Withdrawn,
        }
    }
}

/// A draft's answers, by question id. Sending `null` for an answer clears it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DraftBody {
    pub answers: BTreeMap<String, Value>,
    /// The language of the application and of its notifications (`en`, `fr`, `es`, …;
    /// default `en`).
    #[oai(nullable)]
    pub language: Option<JsonString>,
}

/// My application to an edition.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ApplicationView {
    pub id: i32,
    pub programme: String,
    pub status: StatusView,
    pub language: String,
    /// Every answer, sensitive ones included (they are sealed at rest).
    pub answers: BTreeMap<String, Value>,
    pub created_at: String,
    pub updated_at: String,
    #[oai(skip_serializing_if_is_none)]
    pub submitted_at: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub decided_at: Option<String>,
    /// The reply deadline of an offer.
    #[oai(skip_serializing_if_is_none)]
    pub offer_expires_at: Option<String>,
    /// The position on the waitlist (1 is next).
    #[oai(skip_serializing_if_is_none)]
    pub waitlist_position: Option<i32>,
}

impl From<Application> for ApplicationView {
    fn from(a: Application) -> Self {
        ApplicationView {
            id: a.id,
            programme: a.programme,
            status: a.status.into(),
            language: a.language,
            answers: a.answers,
            created_at: instant(a.created_at),
            updated_at: instant(a.updated_at),
            submitted_at: a.submitted_at.map(instant),
            decided_at: a.decided_at.map(instant),
            offer_expires_at: a.offer_expires_at.map(instant),
            waitlist_position: a.waitlist_position,
        }
    }
}

/// Who applied (hidden in a blind review).
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ApplicantView {
    #[oai(skip_serializing_if_is_none)]
    pub display_name: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub country: Option<String>,
}

impl From<Applicant> for ApplicantView {
    fn from(a: Applicant) -> Self {
        ApplicantView {
            display_name: a.display_name,
            country: a.country,
        }
    }
}

/// The reader's own part in a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum MyReviewView {
    None,
    Scored,
    Conflict,
}

/// One application in the reviewers' list.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ApplicationSummaryView {
    pub id: i32,
    pub status: StatusView,
    #[oai(skip_serializing_if_is_none)]
    pub submitted_at: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub decided_at: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub offer_expires_at: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub waitlist_position: Option<i32>,
    /// Reviews with scores.
    pub reviews: u32,
    /// The mean of the reviews' mean scores (1 to 5).
    #[oai(skip_serializing_if_is_none)]
    pub average_score: Option<f64>,
    pub my_review: MyReviewView,
    /// Absent in a blind review or when the reader declared a conflict of interest.
    #[oai(skip_serializing_if_is_none)]
    pub applicant: Option<ApplicantView>,
}

impl From<Summary> for ApplicationSummaryView {
    fn from(s: Summary) -> Self {
        ApplicationSummaryView {
            id: s.id,
            status: s.status.into(),
            submitted_at: s.submitted_at.map(instant),
            decided_at: s.decided_at.map(instant),
            offer_expires_at: s.offer_expires_at.map(instant),
            waitlist_position: s.waitlist_position,
            reviews: s.reviews,
            average_score: s.average_score,
            my_review: match s.my_review {
                MyReview::None => MyReviewView::None,
                MyReview::Scored => MyReviewView::Scored,
                MyReview::Conflict => MyReviewView::Conflict,
            },
            applicant: s.applicant.map(Into::into),
        }
    }
}

/// One page of applications.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ApplicationList {
    pub applications: Vec<ApplicationSummaryView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_after: Option<i32>,
}

/// One review.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReviewView {
    pub reviewer_id: i32,
    pub scores: BTreeMap<String, u8>,
    #[oai(skip_serializing_if_is_none)]
    pub comment: Option<String>,
    pub conflict_of_interest: bool,
    pub updated_at: String,
}

impl From<Review> for ReviewView {
    fn from(r: Review) -> Self {
        ReviewView {
            reviewer_id: r.reviewer_id,
            scores: r.scores,
            comment: r.comment,
            conflict_of_interest: r.conflict,
            updated_at: instant(r.updated_at),
        }
    }
}

/// One application, opened by a reviewer.
#[derive(Debug, Object)]
pub struct OpenedApplication {
    pub application: ApplicationSummaryView,
    pub language: String,
    pub answers: BTreeMap<String, Value>,
    pub reviews: Vec<ReviewView>,
}

impl From<Opened> for OpenedApplication {
    fn from(o: Opened) -> Self {
        OpenedApplication {
            application: o.summary.into(),
            language: o.language,
            answers: o.answers,
            reviews: o.reviews.into_iter().map(Into::into).collect(),
        }
    }
}

/// A reviewer's scores (1 to 5 for each of the edition's criteria) and comment, or a
/// declared conflict of interest.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReviewBody {
    #[oai(default)]
    pub scores: BTreeMap<String, i64>,
    #[oai(nullable)]
    pub comment: Option<JsonString>,
    /// Declares a conflict of interest: no score, and the application is closed to you.
    #[oai(default)]
    pub conflict_of_interest: bool,
}

/// What the organisers decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum DecisionKind {
    /// Offer a place.
    Accepted,
    Waitlisted,
    Rejected,
}

/// A decision on an application.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DecisionBody {
    pub decision: DecisionKind,
    /// For an offer: the reply deadline (RFC 3339; default: the edition's reply period).
    #[oai(nullable)]
    pub reply_by: Option<JsonString>,
}

/// A course of the distance course, for one participant.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RosterCourse {
    pub course: String,
    /// `active`, `left` or `none`.
    pub status: String,
    #[oai(skip_serializing_if_is_none)]
    pub enrolled_at: Option<String>,
    /// Lessons done and quizzes passed over all of them (0–100).
    pub percent: u32,
    pub quizzes_passed: u32,
    #[oai(skip_serializing_if_is_none)]
    pub completed_at: Option<String>,
}

/// One member of the cohort.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RosterMember {
    pub application_id: i32,
    #[oai(skip_serializing_if_is_none)]
    pub display_name: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub country: Option<String>,
    pub status: StatusView,
    pub courses: Vec<RosterCourse>,
    /// Over every course of the distance course (0–100).
    pub percent: u32,
}

impl RosterMember {
    /// A member with their progress in each course (`progress` by person and course id).
    pub fn new(
        m: Member,
        progress: &BTreeMap<(i32, i32), academy_progress::read::CourseProgress>,
    ) -> Self {
        let courses: Vec<RosterCourse> = m
            .courses
            .into_iter()
            .map(|c| {
                let p = progress.get(&(m.user_id, c.course_id));
                RosterCourse {
                    course: c.course,
                    status: c.status,
                    enrolled_at: c.enrolled_at.map(instant),
                    percent: p.map_or(0, |p| p.percent),
                    quizzes_passed: p.map_or(0, |p| p.quizzes_passed),
                    completed_at: p.and_then(|p| p.completed_at).map(instant),
                }
            })
            .collect();
        let percent = if courses.is_empty() {
            0
        } else {
            courses.iter().map(|c| c.percent).sum::<u32>() / courses.len() as u32
        };
        RosterMember {
            application_id: m.application_id,
            display_name: m.applicant.display_name,
            country: m.applicant.country,
            status: m.status.into(),
            courses,
            percent,
        }
    }
}

/// The cohort of an edition: participants, then people holding an offer.
#[derive(Debug, Object)]
pub struct Roster {
    pub programme: String,
    pub members: Vec<RosterMember>,
}

/// One enrolment.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EnrolmentView {
    pub course: String,
    /// `self` or `programme`.
    pub source: String,
    /// `active` or `left`.
    pub status: String,
    pub enrolled_at: String,
    #[oai(skip_serializing_if_is_none)]
    pub left_at: Option<String>,
}

impl From<Enrolment> for EnrolmentView {
    fn from(e: Enrolment) -> Self {
        EnrolmentView {
            course: e.course,
            source: e.source,
            status: e.status,
            enrolled_at: instant(e.enrolled_at),
            left_at: e.left_at.map(instant),
        }
    }
}

/// My enrolments, oldest first.
#[derive(Debug, Object)]
pub struct EnrolmentList {
    pub enrolments: Vec<EnrolmentView>,
}

/// A notification.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct NotificationView {
    pub id: i32,
    /// `application_received`, `offer_made`, `offer_reminder`, `offer_expired`,
    /// `waitlisted`, `waitlist_moved`, `rejected`, `place_confirmed`.
    pub kind: String,
    #[oai(skip_serializing_if_is_none)]
    pub programme: Option<String>,
    /// An offer's reply deadline.
    #[oai(skip_serializing_if_is_none)]
    pub deadline: Option<String>,
    /// A waitlist position.
    #[oai(skip_serializing_if_is_none)]
    pub position: Option<i32>,
    pub subject: String,
    pub message: String,
    pub created_at: String,
    #[oai(skip_serializing_if_is_none)]
    pub read_at: Option<String>,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        NotificationView {
            id: n.id,
            kind: n.kind.as_str().to_owned(),
            programme: n.programme,
            deadline: n.detail.deadline.map(instant),
            position: n.detail.position,
            subject: n.subject,
            message: n.message,
            created_at: instant(n.created_at),
            read_at: n.read_at.map(instant),
        }
    }
}

/// One page of notifications, newest first.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct NotificationList {
    pub notifications: Vec<NotificationView>,
    /// Pass as `before` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_before: Option<i32>,
}

/// A review I wrote, in my data export.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ExportedReview {
    pub application_id: i32,
    /// Scores by criterion, as JSON text.
    pub scores: String,
    #[oai(skip_serializing_if_is_none)]
    pub comment: Option<String>,
    pub conflict_of_interest: bool,
    pub updated_at: String,
}

/// A notification sent to me, in my data export.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ExportedNotification {
    pub kind: String,
    #[oai(skip_serializing_if_is_none)]
    pub programme_id: Option<i32>,
    /// Its particulars, as JSON text.
    pub detail: String,
    pub created_at: String,
    #[oai(skip_serializing_if_is_none)]
    pub read_at: Option<String>,
}

/// An e-mail queued or sent to me, in my data export.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ExportedEmail {
    pub subject: String,
    #[oai(skip_serializing_if_is_none)]
    pub sent_at: Option<String>,
}

/// The enrolment and programme part of my data export.
#[derive(Debug, Object)]
pub struct ExportedProgrammes {
    pub enrolments: Vec<EnrolmentView>,
    /// With every answer (sensitive ones decrypted) and the decisions taken.
    pub applications: Vec<ApplicationView>,
    pub reviews_written: Vec<ExportedReview>,
    pub notifications: Vec<ExportedNotification>,
    pub emails: Vec<ExportedEmail>,
    /// Editions I am assigned to as a trainer (ids).
    pub trainer_of: Vec<i32>,
}

impl From<EnrollmentExport> for ExportedProgrammes {
    fn from(e: EnrollmentExport) -> Self {
        ExportedProgrammes {
            enrolments: e.enrolments.into_iter().map(Into::into).collect(),
            applications: e.applications.into_iter().map(Into::into).collect(),
            reviews_written: e
                .reviews_written
                .into_iter()
                .map(|r| ExportedReview {
                    application_id: r.application_id,
                    scores: r.scores,
                    comment: r.comment,
                    conflict_of_interest: r.conflict,
                    updated_at: instant(r.updated_at),
                })
                .collect(),
            notifications: e
                .notifications
                .into_iter()
                .map(|n| ExportedNotification {
                    kind: n.kind,
                    programme_id: n.programme_id,
                    detail: n.detail,
                    created_at: instant(n.created_at),
                    read_at: n.read_at.map(instant),
                })
                .collect(),
            emails: e
                .emails
                .into_iter()
                .map(|(subject, sent_at)| ExportedEmail {
                    subject,
                    sent_at: sent_at.map(instant),
                })
                .collect(),
            trainer_of: e.trainer_of,
        }
    }
}
