//! Review and selection, by the edition's organisers: the list of submitted applications, one
//! application opened (every read written to the audit log), scores per criterion or a declared
//! conflict of interest, and the decision (an offer, the waitlist, or a refusal).

use std::collections::BTreeMap;

use academy_identity::{Caller, Page, account, audit, profile::ProfileValue};
use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use serde_json::Value;

use crate::{
    EnrollmentError, Status, Workflow,
    application::{self, make_offer, move_status, status_of, waitlist_position},
    entity::{application as app_row, programme, review},
    form::QuestionKind,
    notify::{self, Detail, Kind},
    programme::{Edition, Need, by_id, check_access, get, lock},
};

/// Who applied, as reviewers see it (hidden in a blind review).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applicant {
    pub display_name: Option<String>,
    pub country: Option<String>,
}

/// The reader's own part in an application's review.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MyReview {
    None,
    Scored,
    Conflict,
}

/// One line of the list of applications.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub id: i32,
    pub status: Status,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub offer_expires_at: Option<DateTime<Utc>>,
    pub waitlist_position: Option<i32>,
    /// Reviews with scores (conflicts of interest not counted).
    pub reviews: u32,
    /// The mean of the reviews' mean scores.
    pub average_score: Option<f64>,
    pub my_review: MyReview,
    /// `None` in a blind review, or when the reader declared a conflict.
    pub applicant: Option<Applicant>,
}

/// One review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    pub reviewer_id: i32,
    pub scores: BTreeMap<String, u8>,
    pub comment: Option<String>,
    pub conflict: bool,
    pub updated_at: DateTime<Utc>,
}

/// One application opened by a reviewer.
#[derive(Clone, Debug, PartialEq)]
pub struct Opened {
    pub summary: Summary,
    pub language: String,
    pub answers: BTreeMap<String, Value>,
    pub reviews: Vec<Review>,
}

/// A reviewer's scores, or their conflict of interest.
#[derive(Clone, Debug)]
pub struct ReviewInput {
    pub scores: BTreeMap<String, i64>,
    pub comment: Option<String>,
    pub conflict: bool,
}

/// What the organisers decide.
#[derive(Clone, Copy, Debug)]
pub enum Decision {
    /// Offer a place, to be accepted by `reply_by` (default: the edition's reply period).
    Accept {
        reply_by: Option<DateTime<Utc>>,
    },
    Waitlist,
    Reject,
}

/// Which applications to list.
#[derive(Clone, Copy, Debug, Default)]
pub struct Filter {
    pub status: Option<Status>,
    pub after: Option<i32>,
    pub limit: u64,
}

fn review_of(row: review::Model) -> Review {
    Review {
        reviewer_id: row.reviewer_id,
        scores: serde_json::from_str(&row.scores).unwrap_or_default(),
        comment: row.comment,
        conflict: row.conflict,
        updated_at: row.updated_at,
    }
}

async fn reviews_of(
    db: &impl ConnectionTrait,
    ids: Vec<i32>,
) -> anyhow::Result<BTreeMap<i32, Vec<Review>>> {
    let mut by_application: BTreeMap<i32, Vec<Review>> = BTreeMap::new();
    if ids.is_empty() {
        return Ok(by_application);
    }
    let rows = review::Entity::find()
        .filter(review::Column::ApplicationId.is_in(ids))
        .order_by_asc(review::Column::ReviewerId)
        .all(db)
        .await
        .context("reading reviews")?;
    for row in rows {
        by_application
            .entry(row.application_id)
            .or_default()
            .push(review_of(row));
    }
    Ok(by_application)
}

pub(crate) async fn applicant_of(
    db: &impl ConnectionTrait,
    user: i32,
) -> anyhow::Result<Applicant> {
    Ok(match account::get(db, user).await {
        Ok(account) => Applicant {
            display_name: account
                .profile
                .display_name
                .as_ref()
                .map(|n| n.as_str().to_owned()),
            country: account
                .profile
                .country
                .as_ref()
                .map(|c| c.as_str().to_owned()),
        },
        Err(_) => Applicant {
            display_name: None,
            country: None,
        },
    })
}

async fn summary(
    db: &impl ConnectionTrait,
    caller: &Caller,
    edition: &Edition,
    row: &app_row::Model,
    reviews: &[Review],
) -> anyhow::Result<Summary> {
    let mine = reviews.iter().find(|r| r.reviewer_id == caller.user_id);
    let my_review = match mine {
        None => MyReview::None,
        Some(r) if r.conflict => MyReview::Conflict,
        Some(_) => MyReview::Scored,
    };
    let means: Vec<f64> = reviews
        .iter()
        .filter(|r| !r.conflict && !r.scores.is_empty())
        .map(|r| r.scores.values().map(|&s| f64::from(s)).sum::<f64>() / r.scores.len() as f64)
        .collect();
    let average_score = (!means.is_empty()).then(|| means.iter().sum::<f64>() / means.len() as f64);
    let shown = !edition.blind_review && my_review != MyReview::Conflict;
    Ok(Summary {
        id: row.id,
        status: status_of(row)?,
        submitted_at: row.submitted_at,
        decided_at: row.decided_at,
        offer_expires_at: row.offer_expires_at,
        waitlist_position: waitlist_position(db, row).await?,
        reviews: u32::try_from(means.len()).unwrap_or(u32::MAX),
        average_score,
        my_review,
        applicant: if shown {
            Some(applicant_of(db, row.user_id).await?)
        } else {
            None
        },
    })
}

/// The submitted applications to edition `slug` (drafts are their authors' alone), in id
/// order. Written to the audit log: the list shows applicants' names.
pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    slug: &str,
    filter: Filter,
) -> Result<Page<Summary>, EnrollmentError> {
    let edition = get(db, slug).await?;
    check_access(caller, &edition, Need::Manage)?;
    let mut query = app_row::Entity::find()
        .filter(app_row::Column::ProgrammeId.eq(edition.id))
        .filter(app_row::Column::Status.ne(Status::Draft.as_str()))
        .order_by_asc(app_row::Column::Id);
    if let Some(status) = filter.status {
        query = query.filter(app_row::Column::Status.eq(status.as_str()));
    }
    if let Some(after) = filter.after {
        query = query.filter(app_row::Column::Id.gt(after));
    }
    let limit = filter.limit.clamp(1, 100);
    let mut rows = query
        .limit(limit + 1)
        .all(db)
        .await
        .context("listing applications")?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let reviews = reviews_of(db, rows.iter().map(|r| r.id).collect()).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let empty = Vec::new();
        let of = reviews.get(&row.id).unwrap_or(&empty);
        items.push(summary(db, caller, &edition, row, of).await?);
    }
    audit::record(
        db,
        Some(caller.user_id),
        audit::Action::ApplicationsListed,
        None,
        Some(&format!("programme {}", edition.slug)),
    )
    .await?;
    let next = more.then(|| items.last().map(|s| s.id)).flatten();
    Ok(Page { items, next })
}

/// The submitted application `id` of edition `slug`.
async fn submitted(
    db: &impl ConnectionTrait,
    edition: &Edition,
    id: i32,
) -> Result<app_row::Model, EnrollmentError> {
    let row = app_row::Entity::find_by_id(id)
        .filter(app_row::Column::ProgrammeId.eq(edition.id))
        .one(db)
        .await
        .context("reading an application")?
        .filter(|row| row.status != Status::Draft.as_str())
        .ok_or(EnrollmentError::ApplicationNotFound)?;
    Ok(row)
}

/// Opens application `id` for `caller`, sensitive answers decrypted, and writes the read to
/// the audit log (nothing is returned unless that write succeeded).
pub async fn open(
    db: &DatabaseConnection,
    workflow: &Workflow,
    caller: &Caller,
    slug: &str,
    id: i32,
) -> Result<Opened, EnrollmentError> {
    let edition = get(db, slug).await?;
    check_access(caller, &edition, Need::Manage)?;
    let row = submitted(db, &edition, id).await?;
    let reviews = reviews_of(db, vec![row.id])
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    if reviews
        .iter()
        .any(|r| r.reviewer_id == caller.user_id && r.conflict)
    {
        return Err(EnrollmentError::ConflictOfInterest);
    }
    let mut answers = application::answers(db, &workflow.keys, &row).await?;
    if edition.blind_review {
        for q in &edition.form.questions {
            if q.kind == QuestionKind::Country {
                answers.remove(&q.id);
            }
        }
    }
    // Nothing is returned unless the read is on record.
    audit::record(
        db,
        Some(caller.user_id),
        audit::Action::ApplicationRead,
        Some(row.user_id),
        Some(&format!("programme {} application {id}", edition.slug)),
    )
    .await?;
    let summary = summary(db, caller, &edition, &row, &reviews).await?;

    Ok(Opened {
        summary,
        language: row.language,
        answers,
        reviews,
    })
}

/// Records `caller`'s review of application `id`: a score from 1 to 5 for each criterion and
/// an optional comment, or a conflict of interest (final: they can neither score nor read it
/// afterwards).
pub async fn review(
    db: &DatabaseConnection,
    caller: &Caller,
    slug: &str,
    id: i32,
    input: ReviewInput,
) -> Result<Review, EnrollmentError> {
    let edition = get(db, slug).await?;
    check_access(caller, &edition, Need::Review)?;
    let mut scores = BTreeMap::new();
    if !input.conflict {
        for (criterion, &score) in &input.scores {
            if !edition.criteria.iter().any(|c| &c.id == criterion) {
                return Err(EnrollmentError::invalid(
                    "invalid_review",
                    format!(
                        "this edition has no criterion `{}`",
                        crate::programme::shown(criterion)
                    ),
                ));
            }
            let score = u8::try_from(score)
                .ok()
                .filter(|s| (1..=5).contains(s))
                .ok_or_else(|| {
                    EnrollmentError::invalid(
                        "invalid_review",
                        format!("criterion `{criterion}`: a score is 1 to 5"),
                    )
                })?;
            scores.insert(criterion.clone(), score);
        }
        if let Some(missing) = edition
            .criteria
            .iter()
            .find(|c| !scores.contains_key(&c.id))
        {
            return Err(EnrollmentError::invalid(
                "invalid_review",
                format!("criterion `{}` needs a score", missing.id),
            ));
        }
    }
    let comment = input
        .comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty() && !input.conflict);
    if comment.as_ref().is_some_and(|c| c.chars().count() > 4_000) {
        return Err(EnrollmentError::invalid(
            "invalid_review",
            "a comment has at most 4,000 characters",
        ));
    }

    let tx = db.begin().await.context("starting a transaction")?;
    lock(&tx, edition.id).await?;
    let row = submitted(&tx, &edition, id).await?;
    if status_of(&row)? == Status::Withdrawn {
        return Err(EnrollmentError::state(
            "application_withdrawn",
            "This application was withdrawn.",
        ));
    }
    let existing = review::Entity::find_by_id((row.id, caller.user_id))
        .one(&tx)
        .await
        .context("reading a review")?;
    if existing.is_some_and(|r| r.conflict) {
        return Err(EnrollmentError::ConflictOfInterest);
    }
    let now = Utc::now();
    review::Entity::insert(review::ActiveModel {
        application_id: Set(row.id),
        reviewer_id: Set(caller.user_id),
        scores: Set(serde_json::to_string(&scores).context("encoding scores")?),
        comment: Set(comment),
        conflict: Set(input.conflict),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([review::Column::ApplicationId, review::Column::ReviewerId])
            .update_columns([
                review::Column::Scores,
                review::Column::Comment,
                review::Column::Conflict,
                review::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&tx)
    .await
    .context("writing a review")?;
    let saved = review::Entity::find_by_id((row.id, caller.user_id))
        .one(&tx)
        .await
        .context("reading a review")?
        .context("a review just written is missing")?;
    tx.commit().await.context("committing a review")?;
    Ok(review_of(saved))
}

/// Decides on application `id`: an offer (with a reply deadline), the waitlist (while it has
/// room: a conditional update of the edition's counter), or a refusal. The applicant is told.
pub async fn decide(
    db: &DatabaseConnection,
    workflow: &Workflow,
    caller: &Caller,
    slug: &str,
    id: i32,
    decision: Decision,
) -> Result<Summary, EnrollmentError> {
    let edition = get(db, slug).await?;
    check_access(caller, &edition, Need::Decide)?;
    let now = Utc::now();
    let tx = db.begin().await.context("starting a transaction")?;
    lock(&tx, edition.id).await?;
    let edition = by_id(&tx, edition.id).await?;
    let row = submitted(&tx, &edition, id).await?;
    let from = status_of(&row)?;
    if !matches!(
        from,
        Status::Submitted | Status::Waitlisted | Status::Rejected
    ) {
        return Err(EnrollmentError::state(
            "already_decided",
            format!("An application that is {from} cannot be decided on again."),
        ));
    }
    match decision {
        Decision::Accept { reply_by } => {
            let deadline =
                reply_by.unwrap_or(now + Duration::days(i64::from(edition.offer_reply_days)));
            if deadline <= now || deadline > now + Duration::days(90) {
                return Err(EnrollmentError::invalid(
                    "invalid_decision",
                    "reply_by must be in the next 90 days",
                ));
            }
            make_offer(&tx, workflow, &edition, &row, from, deadline).await?;
        }
        Decision::Waitlist => {
            if from == Status::Waitlisted {
                return Err(EnrollmentError::state(
                    "already_decided",
                    "This application is on the waitlist already.",
                ));
            }
            let room = programme::Entity::update_many()
                .col_expr(
                    programme::Column::Waitlisted,
                    Expr::col(programme::Column::Waitlisted).add(1),
                )
                .col_expr(
                    programme::Column::WaitlistNext,
                    Expr::col(programme::Column::WaitlistNext).add(1),
                )
                .filter(programme::Column::Id.eq(edition.id))
                .filter(
                    Expr::col(programme::Column::Waitlisted)
                        .lt(Expr::col(programme::Column::WaitlistLength)),
                )
                .exec(&tx)
                .await
                .context("joining the waitlist")?
                .rows_affected;
            if room == 0 {
                return Err(EnrollmentError::WaitlistFull);
            }
            let rank: i32 = programme::Entity::find_by_id(edition.id)
                .select_only()
                .column(programme::Column::WaitlistNext)
                .into_tuple()
                .one(&tx)
                .await
                .context("reading a waitlist rank")?
                .context("an edition is missing")?;
            move_status(&tx, &row, from, Status::Waitlisted, |am| {
                am.waitlist_rank = Set(Some(rank - 1));
                am.decided_at = Set(Some(now));
            })
            .await?;
            let moved = app_row::Entity::find_by_id(row.id)
                .one(&tx)
                .await
                .context("reading an application")?
                .context("an application is missing")?;
            let detail = Detail {
                position: waitlist_position(&tx, &moved).await?,
                ..Detail::default()
            };
            notify::tell(&tx, workflow, &edition, &row, Kind::Waitlisted, detail).await?;
        }
        Decision::Reject => {
            if from == Status::Rejected {
                return Err(EnrollmentError::state(
                    "already_decided",
                    "This application is refused already.",
                ));
            }
            move_status(&tx, &row, from, Status::Rejected, |am| {
                am.decided_at = Set(Some(now));
            })
            .await?;
            notify::tell(
                &tx,
                workflow,
                &edition,
                &row,
                Kind::Rejected,
                Detail::default(),
            )
            .await?;
        }
    }
    let row = submitted(&tx, &edition, id).await?;
    let reviews = reviews_of(&tx, vec![row.id])
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    let summary = summary(&tx, caller, &edition, &row, &reviews).await?;
    tx.commit().await.context("committing a decision")?;
    Ok(summary)
}
