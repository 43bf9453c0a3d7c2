//! Programme editions (e.g. "HRDAP 2027"): texts per language, the application window, places
//! and waitlist, the courses of the mandatory distance course, key dates, the trainers assigned,
//! the review criteria and the application form. Editions hold no personal data except the
//! trainers' account ids (shown to organisers only).

use std::collections::{BTreeMap, BTreeSet};

use academy_courses::{entity::course, vocab::Language};
use academy_identity::{Caller, Role, account};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use serde::{Deserialize, Serialize};

use crate::{
    EnrollmentError, Workflow,
    entity::{programme, programme_course, programme_trainer},
    form::{Form, Labels, valid_id},
};

/// An edition's title and description in one language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub title: String,
    pub description: String,
}

/// The edition's key dates (all optional).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDates {
    pub distance_course_starts: Option<NaiveDate>,
    pub distance_course_ends: Option<NaiveDate>,
    pub geneva_starts: Option<NaiveDate>,
    pub geneva_ends: Option<NaiveDate>,
}

/// A criterion reviewers score from 1 to 5.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    pub id: String,
    pub label: Labels,
}

/// What an organiser gives to create an edition.
#[derive(Clone, Debug)]
pub struct EditionSpec {
    pub slug: String,
    pub texts: BTreeMap<Language, Text>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub places: i32,
    pub waitlist_length: i32,
    pub offer_reply_days: i32,
    pub blind_review: bool,
    /// Course slugs, in order.
    pub courses: Vec<String>,
    pub key_dates: KeyDates,
    /// Account ids of trainers.
    pub trainers: Vec<i32>,
    pub criteria: Vec<Criterion>,
    pub form: Form,
}

/// A change to an edition: `None` keeps a field.
#[derive(Clone, Debug, Default)]
pub struct EditionPatch {
    pub texts: Option<BTreeMap<Language, Text>>,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    pub places: Option<i32>,
    pub waitlist_length: Option<i32>,
    pub offer_reply_days: Option<i32>,
    pub blind_review: Option<bool>,
    pub courses: Option<Vec<String>>,
    pub key_dates: Option<KeyDates>,
    pub trainers: Option<Vec<i32>>,
    pub criteria: Option<Vec<Criterion>>,
    pub form: Option<Form>,
    /// `true` marks the selection final (starting the retention period of unsuccessful
    /// applications); `false` reopens it.
    pub selection_final: Option<bool>,
}

/// An edition as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edition {
    pub id: i32,
    pub slug: String,
    pub texts: BTreeMap<Language, Text>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub places: i32,
    pub participants: i32,
    pub waitlist_length: i32,
    pub waitlisted: i32,
    pub offer_reply_days: i32,
    pub blind_review: bool,
    pub courses: Vec<String>,
    pub course_ids: Vec<i32>,
    pub key_dates: KeyDates,
    pub trainers: Vec<i32>,
    pub criteria: Vec<Criterion>,
    pub form: Form,
    pub form_frozen: bool,
    pub selection_final_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Edition {
    /// Whether applications may be submitted at `now`.
    pub fn accepting(&self, now: DateTime<Utc>) -> bool {
        self.opens_at <= now && now < self.closes_at
    }
}

/// What a caller may do with an edition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Edit it, read its applications and roster: its trainers, staff, admins.
    Manage,
    /// Score applications: its trainers only.
    Review,
    /// Decide on applications: its trainers and admins.
    Decide,
}

/// Refuses `caller` unless they may do `need` with `edition`.
pub fn check_access(caller: &Caller, edition: &Edition, need: Need) -> Result<(), EnrollmentError> {
    let assigned = caller.roles.contains(&Role::Trainer)
        && edition.trainers.contains(&caller.user_id)
        || caller.roles.contains(&Role::Admin) && edition.trainers.contains(&caller.user_id);
    let allowed = match need {
        Need::Manage => assigned || caller.is(Role::Staff),
        Need::Review => assigned,
        Need::Decide => assigned || caller.roles.contains(&Role::Admin),
    };
    if allowed {
        Ok(())
    } else {
        Err(EnrollmentError::NotAssigned)
    }
}

fn bad(code: &'static str, message: impl Into<String>) -> EnrollmentError {
    EnrollmentError::invalid(code, message)
}

/// A slug: 3 to 80 of `a-z`, `0-9` and `-`, starting with a letter or digit.
pub fn valid_slug(slug: &str) -> bool {
    (3..=80).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
}

fn check_texts(texts: &BTreeMap<Language, Text>) -> Result<(), EnrollmentError> {
    if texts.is_empty() {
        return Err(bad(
            "invalid_edition",
            "texts needs a title in at least one language",
        ));
    }
    for (language, text) in texts {
        let title = text.title.trim().chars().count();
        if title == 0 || title > 200 || text.description.chars().count() > 10_000 {
            return Err(bad(
                "invalid_edition",
                format!(
                    "texts.{language}: a title of 1 to 200 characters and a description of at \
                     most 10,000"
                ),
            ));
        }
    }
    Ok(())
}

fn check_numbers(places: i32, waitlist: i32, reply_days: i32) -> Result<(), EnrollmentError> {
    if !(1..=1000).contains(&places) {
        return Err(bad("invalid_edition", "places must be 1 to 1000"));
    }
    if !(0..=1000).contains(&waitlist) {
        return Err(bad("invalid_edition", "waitlist_length must be 0 to 1000"));
    }
    if !(1..=90).contains(&reply_days) {
        return Err(bad("invalid_edition", "offer_reply_days must be 1 to 90"));
    }
    Ok(())
}

fn check_window(opens: DateTime<Utc>, closes: DateTime<Utc>) -> Result<(), EnrollmentError> {
    if opens >= closes {
        return Err(bad("invalid_edition", "opens_at must be before closes_at"));
    }
    Ok(())
}

fn check_criteria(criteria: &[Criterion]) -> Result<(), EnrollmentError> {
    if criteria.is_empty() || criteria.len() > 12 {
        return Err(bad(
            "invalid_edition",
            "an edition has 1 to 12 review criteria",
        ));
    }
    let mut ids = BTreeSet::new();
    for c in criteria {
        if !valid_id(&c.id) || !ids.insert(c.id.as_str()) {
            return Err(bad(
                "invalid_edition",
                "criterion ids must be unique, 1 to 64 of a-z, 0-9, `_` and `-`",
            ));
        }
        if c.label.is_empty() || c.label.values().any(|l| l.trim().is_empty()) {
            return Err(bad(
                "invalid_edition",
                format!("criterion `{}` needs a label", c.id),
            ));
        }
    }
    Ok(())
}

fn check_dates(dates: &KeyDates) -> Result<(), EnrollmentError> {
    let ordered = |a: Option<NaiveDate>, b: Option<NaiveDate>| match (a, b) {
        (Some(a), Some(b)) => a <= b,
        _ => true,
    };
    if !ordered(dates.distance_course_starts, dates.distance_course_ends)
        || !ordered(dates.geneva_starts, dates.geneva_ends)
    {
        return Err(bad(
            "invalid_edition",
            "a key date period must end after it starts",
        ));
    }
    Ok(())
}

/// The ids of live courses by slug, in the order given; unknown slugs are refused.
async fn course_ids(
    db: &impl ConnectionTrait,
    slugs: &[String],
) -> Result<Vec<i32>, EnrollmentError> {
    if slugs.len() > 50 {
        return Err(bad(
            "invalid_edition",
            "a distance course has at most 50 courses",
        ));
    }
    let rows = course::Entity::find()
        .filter(course::Column::Slug.is_in(slugs.iter().cloned()))
        .filter(course::Column::Retired.eq(false))
        .all(db)
        .await
        .context("reading courses")?;
    let mut ids = Vec::new();
    for slug in slugs {
        let Some(row) = rows.iter().find(|r| &r.slug == slug) else {
            return Err(bad(
                "unknown_course",
                format!(
                    "there is no course `{}`",
                    slug.chars().take(80).collect::<String>().escape_default()
                ),
            ));
        };
        if ids.contains(&row.id) {
            return Err(bad(
                "invalid_edition",
                format!("course `{slug}` is listed twice"),
            ));
        }
        ids.push(row.id);
    }
    Ok(ids)
}

/// Checks that every id is an account with the trainer role.
async fn check_trainers(
    db: &impl ConnectionTrait,
    trainers: &[i32],
) -> Result<(), EnrollmentError> {
    if trainers.len() > 50 {
        return Err(bad("invalid_edition", "an edition has at most 50 trainers"));
    }
    for &id in trainers {
        let roles = account::roles(db, id).await?;
        if !roles.contains(&Role::Trainer) {
            return Err(bad(
                "not_a_trainer",
                format!("account {id} does not have the trainer role"),
            ));
        }
    }
    Ok(())
}

fn json<T: Serialize>(value: &T) -> anyhow::Result<String> {
    serde_json::to_string(value).context("encoding an edition field")
}

/// Creates an edition. A trainer who creates one is assigned to it.
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    mut spec: EditionSpec,
) -> Result<Edition, EnrollmentError> {
    if !valid_slug(&spec.slug) {
        return Err(bad(
            "invalid_edition",
            "slug must be 3 to 80 of a-z, 0-9 and `-`, e.g. `hrdap-2027`",
        ));
    }
    check_texts(&spec.texts)?;
    check_window(spec.opens_at, spec.closes_at)?;
    check_numbers(spec.places, spec.waitlist_length, spec.offer_reply_days)?;
    check_criteria(&spec.criteria)?;
    check_dates(&spec.key_dates)?;
    spec.form.check()?;
    if caller.roles.contains(&Role::Trainer) && !spec.trainers.contains(&caller.user_id) {
        spec.trainers.push(caller.user_id);
    }
    spec.trainers.sort_unstable();
    spec.trainers.dedup();
    check_trainers(db, &spec.trainers).await?;
    let courses = course_ids(db, &spec.courses).await?;

    let now = Utc::now();
    let tx = db.begin().await.context("starting a transaction")?;
    let inserted = programme::Entity::insert(programme::ActiveModel {
        slug: Set(spec.slug.clone()),
        texts: Set(json(&spec.texts)?),
        opens_at: Set(spec.opens_at),
        closes_at: Set(spec.closes_at),
        places: Set(spec.places),
        waitlist_length: Set(spec.waitlist_length),
        participants: Set(0),
        waitlisted: Set(0),
        waitlist_next: Set(1),
        offer_reply_days: Set(spec.offer_reply_days),
        blind_review: Set(spec.blind_review),
        form: Set(json(&spec.form)?),
        form_frozen: Set(false),
        criteria: Set(json(&spec.criteria)?),
        key_dates: Set(json(&spec.key_dates)?),
        selection_final_at: Set(None),
        version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(programme::Column::Slug)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&tx)
    .await
    .context("creating an edition")?;
    if inserted == 0 {
        return Err(EnrollmentError::SlugTaken(spec.slug));
    }
    let row = programme::Entity::find()
        .filter(programme::Column::Slug.eq(spec.slug.as_str()))
        .one(&tx)
        .await
        .context("reading the new edition")?
        .context("the new edition is missing")?;
    set_courses(&tx, row.id, &courses).await?;
    set_trainers(&tx, row.id, &spec.trainers).await?;
    let edition = load(&tx, row).await?;
    tx.commit().await.context("committing a new edition")?;
    Ok(edition)
}

async fn set_courses(
    db: &impl ConnectionTrait,
    programme: i32,
    courses: &[i32],
) -> anyhow::Result<()> {
    programme_course::Entity::delete_many()
        .filter(programme_course::Column::ProgrammeId.eq(programme))
        .exec(db)
        .await
        .context("replacing an edition's courses")?;
    for (position, &course) in courses.iter().enumerate() {
        programme_course::Entity::insert(programme_course::ActiveModel {
            programme_id: Set(programme),
            course_id: Set(course),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
        })
        .exec_without_returning(db)
        .await
        .context("adding a course to an edition")?;
    }
    Ok(())
}

async fn set_trainers(
    db: &impl ConnectionTrait,
    programme: i32,
    trainers: &[i32],
) -> anyhow::Result<()> {
    programme_trainer::Entity::delete_many()
        .filter(programme_trainer::Column::ProgrammeId.eq(programme))
        .exec(db)
        .await
        .context("replacing an edition's trainers")?;
    for &user in trainers {
        programme_trainer::Entity::insert(programme_trainer::ActiveModel {
            programme_id: Set(programme),
            user_id: Set(user),
        })
        .exec_without_returning(db)
        .await
        .context("assigning a trainer")?;
    }
    Ok(())
}

fn parse<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> anyhow::Result<T> {
    serde_json::from_str(text).with_context(|| format!("decoding an edition's {what}"))
}

/// The edition of a row, with its courses and trainers.
pub(crate) async fn load(
    db: &impl ConnectionTrait,
    row: programme::Model,
) -> anyhow::Result<Edition> {
    let courses = programme_course::Entity::find()
        .filter(programme_course::Column::ProgrammeId.eq(row.id))
        .order_by_asc(programme_course::Column::Position)
        .all(db)
        .await
        .context("reading an edition's courses")?;
    let course_ids: Vec<i32> = courses.iter().map(|c| c.course_id).collect();
    let slugs = crate::enrolment::course_slugs(db, course_ids.iter().copied().collect()).await?;
    let trainers = programme_trainer::Entity::find()
        .filter(programme_trainer::Column::ProgrammeId.eq(row.id))
        .order_by_asc(programme_trainer::Column::UserId)
        .all(db)
        .await
        .context("reading an edition's trainers")?;
    Ok(Edition {
        id: row.id,
        texts: parse(&row.texts, "texts")?,
        opens_at: row.opens_at,
        closes_at: row.closes_at,
        places: row.places,
        participants: row.participants,
        waitlist_length: row.waitlist_length,
        waitlisted: row.waitlisted,
        offer_reply_days: row.offer_reply_days,
        blind_review: row.blind_review,
        courses: course_ids
            .iter()
            .filter_map(|id| slugs.get(id).cloned())
            .collect(),
        course_ids,
        key_dates: parse(&row.key_dates, "key dates")?,
        trainers: trainers.into_iter().map(|t| t.user_id).collect(),
        criteria: parse(&row.criteria, "criteria")?,
        form: parse(&row.form, "form")?,
        form_frozen: row.form_frozen,
        selection_final_at: row.selection_final_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
        slug: row.slug,
    })
}

/// The edition `slug`.
pub async fn get(db: &impl ConnectionTrait, slug: &str) -> Result<Edition, EnrollmentError> {
    let row = programme::Entity::find()
        .filter(programme::Column::Slug.eq(slug))
        .one(db)
        .await
        .context("reading an edition")?
        .ok_or_else(|| EnrollmentError::ProgrammeNotFound(shown(slug)))?;
    Ok(load(db, row).await?)
}

/// The edition with id `id`.
pub(crate) async fn by_id(db: &impl ConnectionTrait, id: i32) -> anyhow::Result<Edition> {
    let row = programme::Entity::find_by_id(id)
        .one(db)
        .await
        .context("reading an edition")?
        .context("an edition is missing")?;
    load(db, row).await
}

/// Every edition, the latest application window first.
pub async fn list(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Edition>> {
    let rows = programme::Entity::find()
        .order_by_desc(programme::Column::ClosesAt)
        .order_by_desc(programme::Column::Id)
        .all(db)
        .await
        .context("listing editions")?;
    let mut editions = Vec::with_capacity(rows.len());
    for row in rows {
        editions.push(load(db, row).await?);
    }
    Ok(editions)
}

/// What was sent as a slug, shortened and escaped for a message.
pub(crate) fn shown(text: &str) -> String {
    text.chars()
        .take(80)
        .collect::<String>()
        .escape_default()
        .to_string()
}

/// Writes the edition's row first in a transaction: on PostgreSQL this locks it until the
/// transaction ends, so the transactions of one edition run one after the other; on SQLite it
/// takes the write lock before anything is read.
pub(crate) async fn lock(db: &impl ConnectionTrait, id: i32) -> anyhow::Result<()> {
    programme::Entity::update_many()
        .col_expr(
            programme::Column::Version,
            Expr::col(programme::Column::Version).add(1),
        )
        .filter(programme::Column::Id.eq(id))
        .exec(db)
        .await
        .context("locking an edition")?;
    Ok(())
}

/// Applies `patch` to the edition `slug`.
pub async fn update(
    db: &DatabaseConnection,
    workflow: &Workflow,
    caller: &Caller,
    slug: &str,
    patch: EditionPatch,
) -> Result<Edition, EnrollmentError> {
    let current = get(db, slug).await?;
    check_access(caller, &current, Need::Manage)?;
    if let Some(texts) = &patch.texts {
        check_texts(texts)?;
    }
    if let Some(criteria) = &patch.criteria {
        check_criteria(criteria)?;
    }
    if let Some(dates) = &patch.key_dates {
        check_dates(dates)?;
    }
    if let Some(form) = &patch.form {
        form.check()?;
    }
    let courses = match &patch.courses {
        Some(slugs) => Some(course_ids(db, slugs).await?),
        None => None,
    };
    let trainers = match patch.trainers.clone() {
        Some(mut trainers) => {
            trainers.sort_unstable();
            trainers.dedup();
            check_trainers(db, &trainers).await?;
            Some(trainers)
        }
        None => None,
    };

    let tx = db.begin().await.context("starting a transaction")?;
    lock(&tx, current.id).await?;
    let now = Utc::now();
    // Read again under the lock: the checks below see what the transaction writes over.
    let current = by_id(&tx, current.id).await?;
    check_window(
        patch.opens_at.unwrap_or(current.opens_at),
        patch.closes_at.unwrap_or(current.closes_at),
    )?;
    check_numbers(
        patch.places.unwrap_or(current.places),
        patch.waitlist_length.unwrap_or(current.waitlist_length),
        patch.offer_reply_days.unwrap_or(current.offer_reply_days),
    )?;

    let mut row = programme::ActiveModel {
        id: Set(current.id),
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(texts) = &patch.texts {
        row.texts = Set(json(texts)?);
    }
    if let Some(at) = patch.opens_at {
        row.opens_at = Set(at);
    }
    if let Some(at) = patch.closes_at {
        row.closes_at = Set(at);
    }
    if let Some(n) = patch.waitlist_length {
        row.waitlist_length = Set(n);
    }
    if let Some(n) = patch.offer_reply_days {
        row.offer_reply_days = Set(n);
    }
    if let Some(b) = patch.blind_review {
        row.blind_review = Set(b);
    }
    if let Some(dates) = &patch.key_dates {
        row.key_dates = Set(json(dates)?);
    }
    if let Some(criteria) = &patch.criteria {
        row.criteria = Set(json(criteria)?);
    }
    if let Some(done) = patch.selection_final {
        row.selection_final_at = Set(done.then_some(current.selection_final_at.unwrap_or(now)));
    }
    programme::Entity::update_many()
        .set(row)
        .filter(programme::Column::Id.eq(current.id))
        .exec(&tx)
        .await
        .context("updating an edition")?;

    if let Some(places) = patch.places {
        let changed = programme::Entity::update_many()
            .col_expr(programme::Column::Places, Expr::value(places))
            .filter(programme::Column::Id.eq(current.id))
            .filter(programme::Column::Participants.lte(places))
            .exec(&tx)
            .await
            .context("changing an edition's places")?;
        if changed.rows_affected == 0 {
            return Err(EnrollmentError::state(
                "places_below_participants",
                format!(
                    "the cohort has {} participants already: places cannot be fewer",
                    current.participants
                ),
            ));
        }
    }
    if let Some(form) = &patch.form
        && form != &current.form
    {
        let changed = programme::Entity::update_many()
            .col_expr(programme::Column::Form, Expr::value(json(form)?))
            .filter(programme::Column::Id.eq(current.id))
            .filter(programme::Column::FormFrozen.eq(false))
            .exec(&tx)
            .await
            .context("changing an edition's form")?;
        if changed.rows_affected == 0 {
            return Err(EnrollmentError::FormFrozen);
        }
    }
    if let Some(courses) = &courses {
        set_courses(&tx, current.id, courses).await?;
    }
    if let Some(trainers) = &trainers {
        set_trainers(&tx, current.id, trainers).await?;
    }
    let edition = by_id(&tx, current.id).await?;
    tx.commit().await.context("committing an edition change")?;
    if patch.places.is_some_and(|p| p > current.places) {
        // More places: the waitlist moves on.
        crate::application::offer_places(db, workflow, edition.id).await?;
    }
    Ok(edition)
}
