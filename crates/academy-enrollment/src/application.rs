//! Applications to an edition, from the applicant's side: drafts, submission, withdrawal,
//! replying to an offer; and how places move: a place freed (a decline, an expired offer, a
//! withdrawal, an erasure) is offered to the next person on the waitlist at once.

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use serde_json::Value;

use crate::{
    DataKeys, EnrollmentError, Status, Workflow,
    crypto::answer_aad,
    enrolment::{Source, enrol_in},
    entity::{application, application_secret, programme},
    notify::{self, Detail, Kind},
    programme::{Edition, by_id, get, lock},
};

/// An application as its author (or a reviewer) sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Application {
    pub id: i32,
    pub programme: String,
    pub user_id: i32,
    pub status: Status,
    pub language: String,
    /// Every answer, sensitive ones opened.
    pub answers: BTreeMap<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub offer_expires_at: Option<DateTime<Utc>>,
    /// The position on the waitlist (1 is next), while waitlisted.
    pub waitlist_position: Option<i32>,
}

pub(crate) fn status_of(row: &application::Model) -> anyhow::Result<Status> {
    Status::parse(&row.status).with_context(|| format!("unknown application status {}", row.status))
}

/// The application of `user` to edition `programme_id`, if any.
pub(crate) async fn find(
    db: &impl ConnectionTrait,
    programme_id: i32,
    user: i32,
) -> anyhow::Result<Option<application::Model>> {
    application::Entity::find()
        .filter(application::Column::ProgrammeId.eq(programme_id))
        .filter(application::Column::UserId.eq(user))
        .one(db)
        .await
        .context("reading an application")
}

/// Every answer of `row`, sensitive ones opened with `keys`.
pub(crate) async fn answers(
    db: &impl ConnectionTrait,
    keys: &DataKeys,
    row: &application::Model,
) -> anyhow::Result<BTreeMap<String, Value>> {
    let mut answers: BTreeMap<String, Value> =
        serde_json::from_str(&row.answers).context("decoding answers")?;
    let secrets = application_secret::Entity::find()
        .filter(application_secret::Column::ApplicationId.eq(row.id))
        .all(db)
        .await
        .context("reading sealed answers")?;
    for secret in secrets {
        let plain = keys
            .open(
                &secret.key_id,
                &answer_aad(row.id, &secret.question_id),
                &secret.sealed,
            )
            .with_context(|| format!("opening the answer to {}", secret.question_id))?;
        let value = serde_json::from_slice(&plain).context("decoding an opened answer")?;
        answers.insert(secret.question_id, value);
    }
    Ok(answers)
}

/// The position of a waitlisted application (1 is next).
pub(crate) async fn waitlist_position(
    db: &impl ConnectionTrait,
    row: &application::Model,
) -> anyhow::Result<Option<i32>> {
    let Some(rank) = row
        .waitlist_rank
        .filter(|_| row.status == Status::Waitlisted.as_str())
    else {
        return Ok(None);
    };
    let ahead = application::Entity::find()
        .filter(application::Column::ProgrammeId.eq(row.programme_id))
        .filter(application::Column::Status.eq(Status::Waitlisted.as_str()))
        .filter(application::Column::WaitlistRank.lt(rank))
        .count(db)
        .await
        .context("reading a waitlist position")?;
    Ok(Some(
        i32::try_from(ahead).unwrap_or(i32::MAX).saturating_add(1),
    ))
}

pub(crate) async fn view(
    db: &impl ConnectionTrait,
    keys: &DataKeys,
    slug: &str,
    row: application::Model,
) -> anyhow::Result<Application> {
    Ok(Application {
        id: row.id,
        programme: slug.to_owned(),
        user_id: row.user_id,
        status: status_of(&row)?,
        answers: answers(db, keys, &row).await?,
        waitlist_position: waitlist_position(db, &row).await?,
        language: row.language,
        created_at: row.created_at,
        updated_at: row.updated_at,
        submitted_at: row.submitted_at,
        decided_at: row.decided_at,
        offer_expires_at: row.offer_expires_at,
    })
}

/// Saves `user`'s draft application to edition `slug` (creating it on the first save): the
/// answers replace the previous ones. Returns the draft and whether it is new.
pub async fn save_draft(
    db: &DatabaseConnection,
    workflow: &Workflow,
    user: i32,
    slug: &str,
    language: &str,
    given: &BTreeMap<String, Value>,
) -> Result<(Application, bool), EnrollmentError> {
    let edition = get(db, slug).await?;
    let now = Utc::now();
    if now >= edition.closes_at {
        return Err(EnrollmentError::ApplicationClosed);
    }
    let checked = edition.form.check_answers(given, false)?;
    let sensitive = edition.form.sensitive();
    let (sealed, plain): (BTreeMap<_, _>, BTreeMap<_, _>) = checked
        .into_iter()
        .partition(|(id, _)| sensitive.contains(id.as_str()));

    let tx = db.begin().await.context("starting a transaction")?;
    lock(&tx, edition.id).await?;
    let created = application::Entity::insert(application::ActiveModel {
        programme_id: Set(edition.id),
        user_id: Set(user),
        status: Set(Status::Draft.as_str().to_owned()),
        language: Set(language.to_owned()),
        answers: Set("{}".to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            application::Column::ProgrammeId,
            application::Column::UserId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&tx)
    .await
    .context("creating an application")?
        > 0;
    let row = find(&tx, edition.id, user)
        .await?
        .context("an application just written is missing")?;
    match status_of(&row)? {
        Status::Draft => {}
        Status::Withdrawn => {
            return Err(EnrollmentError::state(
                "application_withdrawn",
                "This application was withdrawn.",
            ));
        }
        _ => return Err(EnrollmentError::AlreadySubmitted),
    }
    application::Entity::update_many()
        .col_expr(
            application::Column::Answers,
            Expr::value(serde_json::to_string(&plain).context("encoding answers")?),
        )
        .col_expr(application::Column::Language, Expr::value(language))
        .col_expr(application::Column::UpdatedAt, Expr::value(now))
        .filter(application::Column::Id.eq(row.id))
        .filter(application::Column::Status.eq(Status::Draft.as_str()))
        .exec(&tx)
        .await
        .context("saving a draft")?;
    application_secret::Entity::delete_many()
        .filter(application_secret::Column::ApplicationId.eq(row.id))
        .exec(&tx)
        .await
        .context("replacing sealed answers")?;
    for (question, value) in sealed {
        let bytes = serde_json::to_vec(&value).context("encoding an answer")?;
        let (key_id, sealed) = workflow.keys.seal(&answer_aad(row.id, &question), &bytes)?;
        application_secret::ActiveModel {
            application_id: Set(row.id),
            question_id: Set(question),
            key_id: Set(key_id),
            sealed: Set(sealed),
            ..Default::default()
        }
        .insert(&tx)
        .await
        .context("storing a sealed answer")?;
    }
    let row = find(&tx, edition.id, user)
        .await?
        .context("a saved application is missing")?;
    let application = view(&tx, &workflow.keys, slug, row).await?;
    tx.commit().await.context("committing a draft")?;
    Ok((application, created))
}

/// `user`'s application to edition `slug`.
pub async fn mine(
    db: &impl ConnectionTrait,
    keys: &DataKeys,
    user: i32,
    slug: &str,
) -> Result<Application, EnrollmentError> {
    let edition = get(db, slug).await?;
    let row = find(db, edition.id, user)
        .await?
        .ok_or(EnrollmentError::ApplicationNotFound)?;
    Ok(view(db, keys, slug, row).await?)
}

/// Submits `user`'s draft: inside the window (by the server's clock), with every required
/// answer. The first submission freezes the edition's form.
pub async fn submit(
    db: &DatabaseConnection,
    workflow: &Workflow,
    user: i32,
    slug: &str,
) -> Result<Application, EnrollmentError> {
    let edition = get(db, slug).await?;
    let tx = db.begin().await.context("starting a transaction")?;
    // Freezing the form is the transaction's first write (and its lock); a refusal below rolls
    // it back.
    programme::Entity::update_many()
        .col_expr(programme::Column::FormFrozen, Expr::value(true))
        .col_expr(
            programme::Column::Version,
            Expr::col(programme::Column::Version).add(1),
        )
        .filter(programme::Column::Id.eq(edition.id))
        .exec(&tx)
        .await
        .context("freezing a form")?;
    let edition = by_id(&tx, edition.id).await?;
    let now = Utc::now();
    if !edition.accepting(now) {
        return Err(EnrollmentError::ApplicationClosed);
    }
    let row = find(&tx, edition.id, user)
        .await?
        .ok_or(EnrollmentError::ApplicationNotFound)?;
    match status_of(&row)? {
        Status::Draft => {}
        Status::Withdrawn => {
            return Err(EnrollmentError::state(
                "application_withdrawn",
                "This application was withdrawn.",
            ));
        }
        _ => return Err(EnrollmentError::AlreadySubmitted),
    }
    let given = answers(&tx, &workflow.keys, &row).await?;
    edition.form.check_answers(&given, true)?;
    let moved = move_status(&tx, &row, Status::Draft, Status::Submitted, |am| {
        am.submitted_at = Set(Some(now));
    })
    .await?;
    if !moved {
        return Err(EnrollmentError::AlreadySubmitted);
    }
    notify::tell(
        &tx,
        workflow,
        &edition,
        &row,
        Kind::ApplicationReceived,
        Detail::default(),
    )
    .await?;
    let row = find(&tx, edition.id, user)
        .await?
        .context("a submitted application is missing")?;
    let application = view(&tx, &workflow.keys, slug, row).await?;
    tx.commit().await.context("committing a submission")?;
    Ok(application)
}

/// Moves `row` from status `from` to `to` if it still has `from` (a conditional update), with
/// `more` setting other columns; keeps the edition's counters in step. Returns whether it moved.
pub(crate) async fn move_status(
    db: &impl ConnectionTrait,
    row: &application::Model,
    from: Status,
    to: Status,
    more: impl FnOnce(&mut application::ActiveModel),
) -> anyhow::Result<bool> {
    let mut change = application::ActiveModel {
        status: Set(to.as_str().to_owned()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    if from == Status::Waitlisted {
        change.waitlist_rank = Set(None);
    }
    if from == Status::Offered {
        change.offer_expires_at = Set(None);
    }
    more(&mut change);
    let moved = application::Entity::update_many()
        .set(change)
        .filter(application::Column::Id.eq(row.id))
        .filter(application::Column::Status.eq(from.as_str()))
        .exec(db)
        .await
        .context("changing an application's status")?
        .rows_affected
        == 1;
    if !moved {
        return Ok(false);
    }
    let counter = |column: programme::Column, by: i32| {
        programme::Entity::update_many()
            .col_expr(column, Expr::col(column).add(by))
            .filter(programme::Column::Id.eq(row.programme_id))
    };
    if from == Status::Waitlisted && to != Status::Waitlisted {
        counter(programme::Column::Waitlisted, -1)
            .exec(db)
            .await
            .context("leaving the waitlist")?;
    }
    if from == Status::Participant && to != Status::Participant {
        counter(programme::Column::Participants, -1)
            .exec(db)
            .await
            .context("freeing a place")?;
    }
    Ok(true)
}

/// Withdraws `user`'s application; a place or offer they held goes to the waitlist.
pub async fn withdraw(
    db: &DatabaseConnection,
    workflow: &Workflow,
    user: i32,
    slug: &str,
) -> Result<Application, EnrollmentError> {
    let edition = get(db, slug).await?;
    let tx = db.begin().await.context("starting a transaction")?;
    lock(&tx, edition.id).await?;
    let row = find(&tx, edition.id, user)
        .await?
        .ok_or(EnrollmentError::ApplicationNotFound)?;
    let from = status_of(&row)?;
    if !matches!(
        from,
        Status::Draft
            | Status::Submitted
            | Status::Waitlisted
            | Status::Offered
            | Status::Participant
    ) {
        return Err(EnrollmentError::state(
            "cannot_withdraw",
            format!("An application that is {from} cannot be withdrawn."),
        ));
    }
    move_status(&tx, &row, from, Status::Withdrawn, |_| {}).await?;
    if matches!(from, Status::Offered | Status::Participant) {
        offer_places_in(&tx, workflow, edition.id).await?;
    }
    let row = find(&tx, edition.id, user)
        .await?
        .context("a withdrawn application is missing")?;
    let application = view(&tx, &workflow.keys, slug, row).await?;
    tx.commit().await.context("committing a withdrawal")?;
    Ok(application)
}

/// `user` accepts their offer: a place is taken only while one is free (a conditional update
/// of the edition's counter), and they are enrolled in the distance-course courses.
pub async fn accept_offer(
    db: &DatabaseConnection,
    workflow: &Workflow,
    user: i32,
    slug: &str,
) -> Result<Application, EnrollmentError> {
    let edition = get(db, slug).await?;
    let tx = db.begin().await.context("starting a transaction")?;
    lock(&tx, edition.id).await?;
    let row = open_offer(&tx, edition.id, user).await?;
    let taken = programme::Entity::update_many()
        .col_expr(
            programme::Column::Participants,
            Expr::col(programme::Column::Participants).add(1),
        )
        .filter(programme::Column::Id.eq(edition.id))
        .filter(Expr::col(programme::Column::Participants).lt(Expr::col(programme::Column::Places)))
        .exec(&tx)
        .await
        .context("taking a place")?
        .rows_affected;
    if taken == 0 {
        return Err(EnrollmentError::CohortFull);
    }
    if !move_status(&tx, &row, Status::Offered, Status::Participant, |_| {}).await? {
        return Err(EnrollmentError::state(
            "no_offer",
            "You have no open offer for this edition.",
        ));
    }
    for &course in &edition.course_ids {
        enrol_in(&tx, user, course, Source::Programme).await?;
    }
    notify::tell(
        &tx,
        workflow,
        &edition,
        &row,
        Kind::PlaceConfirmed,
        Detail::default(),
    )
    .await?;
    let row = find(&tx, edition.id, user)
        .await?
        .context("an accepted application is missing")?;
    let application = view(&tx, &workflow.keys, slug, row).await?;
    tx.commit().await.context("committing an acceptance")?;
    Ok(application)
}

/// `user` declines their offer; the place goes to the waitlist.
pub async fn decline_offer(
    db: &DatabaseConnection,
    workflow: &Workflow,
    user: i32,
    slug: &str,
) -> Result<Application, EnrollmentError> {
    let edition = get(db, slug).await?;
    let tx = db.begin().await.context("starting a transaction")?;
    lock(&tx, edition.id).await?;
    let row = open_offer(&tx, edition.id, user).await?;
    move_status(&tx, &row, Status::Offered, Status::Declined, |_| {}).await?;
    offer_places_in(&tx, workflow, edition.id).await?;
    let row = find(&tx, edition.id, user)
        .await?
        .context("a declined application is missing")?;
    let application = view(&tx, &workflow.keys, slug, row).await?;
    tx.commit().await.context("committing a decline")?;
    Ok(application)
}

/// `user`'s application if it holds an offer that has not expired.
async fn open_offer(
    db: &impl ConnectionTrait,
    programme_id: i32,
    user: i32,
) -> Result<application::Model, EnrollmentError> {
    let row = find(db, programme_id, user)
        .await?
        .ok_or(EnrollmentError::ApplicationNotFound)?;
    if status_of(&row)? != Status::Offered {
        return Err(EnrollmentError::state(
            "no_offer",
            "You have no open offer for this edition.",
        ));
    }
    if row.offer_expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(EnrollmentError::state(
            "offer_expired",
            "The reply deadline of this offer has passed.",
        ));
    }
    Ok(row)
}

/// Offers free places of edition `id` to the waitlist, in its own transaction.
pub async fn offer_places(
    db: &DatabaseConnection,
    workflow: &Workflow,
    id: i32,
) -> anyhow::Result<()> {
    let tx = db.begin().await.context("starting a transaction")?;
    lock(&tx, id).await?;
    offer_places_in(&tx, workflow, id).await?;
    tx.commit().await.context("committing waitlist offers")?;
    Ok(())
}

/// While participants and open offers leave a place free, offers it to the first on the
/// waitlist; then tells those still waiting where they now stand. Runs inside a transaction
/// that holds the edition's lock.
pub(crate) async fn offer_places_in(
    db: &impl ConnectionTrait,
    workflow: &Workflow,
    id: i32,
) -> anyhow::Result<()> {
    let mut moved = false;
    loop {
        let edition = by_id(db, id).await?;
        let offered = application::Entity::find()
            .filter(application::Column::ProgrammeId.eq(id))
            .filter(application::Column::Status.eq(Status::Offered.as_str()))
            .count(db)
            .await
            .context("counting open offers")?;
        let taken = i64::from(edition.participants) + i64::try_from(offered).unwrap_or(i64::MAX);
        if taken >= i64::from(edition.places) {
            break;
        }
        let Some(next) = application::Entity::find()
            .filter(application::Column::ProgrammeId.eq(id))
            .filter(application::Column::Status.eq(Status::Waitlisted.as_str()))
            .order_by_asc(application::Column::WaitlistRank)
            .one(db)
            .await
            .context("reading the waitlist")?
        else {
            break;
        };
        let deadline = Utc::now() + Duration::days(i64::from(edition.offer_reply_days));
        if !make_offer(db, workflow, &edition, &next, Status::Waitlisted, deadline).await? {
            // Only under the edition's lock does a waitlisted row change; should it have, stop
            // rather than pick it again.
            break;
        }
        moved = true;
    }
    if moved {
        let edition = by_id(db, id).await?;
        let waiting = application::Entity::find()
            .filter(application::Column::ProgrammeId.eq(id))
            .filter(application::Column::Status.eq(Status::Waitlisted.as_str()))
            .order_by_asc(application::Column::WaitlistRank)
            .all(db)
            .await
            .context("reading the waitlist")?;
        for (position, row) in waiting.iter().enumerate() {
            let detail = Detail {
                position: Some(i32::try_from(position + 1).unwrap_or(i32::MAX)),
                ..Detail::default()
            };
            notify::tell(db, workflow, &edition, row, Kind::WaitlistMoved, detail).await?;
        }
    }
    Ok(())
}

/// Offers a place to `row` (now `from`), replying by `deadline`.
pub(crate) async fn make_offer(
    db: &impl ConnectionTrait,
    workflow: &Workflow,
    edition: &Edition,
    row: &application::Model,
    from: Status,
    deadline: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let now = Utc::now();
    let moved = move_status(db, row, from, Status::Offered, |am| {
        am.offer_expires_at = Set(Some(deadline));
        am.decided_at = Set(Some(now));
        am.reminded_at = Set(None);
    })
    .await?;
    if moved {
        let detail = Detail {
            deadline: Some(deadline),
            ..Detail::default()
        };
        notify::tell(db, workflow, edition, row, Kind::OfferMade, detail).await?;
    }
    Ok(moved)
}
