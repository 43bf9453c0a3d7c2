//! Loads validated content into the database: all-or-nothing, idempotent, identity-preserving.
//!
//! Courses, modules, lessons, quizzes and questions are matched by slug, so an edited lesson keeps
//! its row (and the progress that later refers to it). Content that disappears is marked
//! `retired`, never deleted. Unchanged courses are not written at all, and an import of content
//! identical to the last one writes nothing, not even a version record.

use std::{collections::HashMap, path::Path};

use anyhow::Context;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

use crate::{
    content::{self, ContentSet, Course, Problems},
    entity::{content_version, course, course_mechanism, course_translation},
};

/// Why an import did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The content has problems; nothing was written.
    #[error(transparent)]
    Invalid(#[from] Problems),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportReport {
    /// The content version now in the database.
    pub version: String,
    /// False when the content was identical to the last import (nothing was written).
    pub changed: bool,
    /// Slugs of the courses written (new or edited).
    pub written: Vec<String>,
    /// Slugs of the courses retired because they are no longer in the content.
    pub retired: Vec<String>,
    /// How many courses the content holds.
    pub courses: usize,
}

impl ImportReport {
    /// The first 12 characters of the version, for messages.
    pub fn short_version(&self) -> &str {
        self.version.get(..12).unwrap_or(&self.version)
    }
}

/// The most recent import, if any.
pub async fn latest_version(
    db: &impl ConnectionTrait,
) -> anyhow::Result<Option<content_version::Model>> {
    content_version::Entity::find()
        .order_by_desc(content_version::Column::Id)
        .one(db)
        .await
        .context("reading the latest content version")
}

/// Validates the directory, then imports it (see [`import`]): the one path from a content
/// directory to the database, for the CLI, a server's first start and the tests.
pub async fn import_dir(
    db: &DatabaseConnection,
    dir: &Path,
    on_course: impl FnMut(usize, usize, &str),
) -> Result<ImportReport, ImportError> {
    let content = content::load_dir(dir)?;
    Ok(import(db, &content, on_course).await?)
}

/// Writes `content` in one transaction. `on_course(done, total, slug)` reports progress.
pub async fn import(
    db: &DatabaseConnection,
    content: &ContentSet,
    mut on_course: impl FnMut(usize, usize, &str),
) -> anyhow::Result<ImportReport> {
    let previous = latest_version(db).await?;
    if previous.as_ref().is_some_and(|v| v.hash == content.hash) {
        return Ok(ImportReport {
            version: content.hash.clone(),
            changed: false,
            written: vec![],
            retired: vec![],
            courses: content.courses.len(),
        });
    }
    // On SQLite, take the write lock at BEGIN (waiting out other writers with the busy
    // timeout) rather than at the first write, where a writer that committed meanwhile makes
    // the upgrade fail at once (SQLITE_BUSY_SNAPSHOT). PostgreSQL ignores the mode.
    let txn = db
        .begin_with_options(sea_orm::TransactionOptions {
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
        .context("starting the import transaction")?;
    let existing: HashMap<String, course::Model> = course::Entity::find()
        .all(&txn)
        .await
        .context("reading existing courses")?
        .into_iter()
        .map(|c| (c.slug.clone(), c))
        .collect();

    let mut written = Vec::new();
    let total = content.courses.len();
    for (done, course) in content.courses.iter().enumerate() {
        let current = existing.get(course.slug.as_str());
        let unchanged = current.is_some_and(|c| {
            c.content_hash == course.hash && !c.retired && c.sort_order == course.order
        });
        if !unchanged {
            write_course(&txn, course, current)
                .await
                .with_context(|| format!("importing course {}", course.slug))?;
            written.push(course.slug.to_string());
        }
        on_course(done + 1, total, course.slug.as_str());
    }

    let mut retired = Vec::new();
    for (slug, row) in &existing {
        if !row.retired && !content.courses.iter().any(|c| c.slug.as_str() == slug) {
            let mut active: course::ActiveModel = row.clone().into();
            active.retired = Set(true);
            active.updated_at = Set(Utc::now());
            active
                .update(&txn)
                .await
                .with_context(|| format!("retiring course {slug}"))?;
            retired.push(slug.clone());
        }
    }
    retired.sort();

    let count = |f: fn(&Course) -> usize| {
        i32::try_from(content.courses.iter().map(f).sum::<usize>()).unwrap_or(i32::MAX)
    };
    content_version::ActiveModel {
        hash: Set(content.hash.clone()),
        imported_at: Set(Utc::now()),
        courses: Set(count(|_| 1)),
        lessons: Set(count(|c| c.modules.iter().map(|m| m.lessons.len()).sum())),
        quizzes: Set(count(|c| c.modules.iter().map(|m| m.quizzes.len()).sum())),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .context("recording the content version")?;
    txn.commit().await.context("committing the import")?;
    Ok(ImportReport {
        version: content.hash.clone(),
        changed: true,
        written,
        retired,
        courses: content.courses.len(),
    })
}

async fn write_course(
    txn: &impl ConnectionTrait,
    course: &Course,
    current: Option<&course::Model>,
) -> anyhow::Result<()> {
    let mut row = course::ActiveModel {
        slug: Set(course.slug.to_string()),
        default_language: Set(course.default_language.to_string()),
        level: Set(course.level.to_string()),
        estimated_minutes: Set(i32::try_from(course.estimated_minutes).unwrap_or(i32::MAX)),
        visibility: Set(course.visibility.to_string()),
        sort_order: Set(course.order),
        content_hash: Set(course.hash.clone()),
        retired: Set(false),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    let course_id = match current {
        Some(current) => {
            row.id = Set(current.id);
            row.update(txn).await?.id
        }
        None => row.insert(txn).await?.id,
    };

    course_mechanism::Entity::delete_many()
        .filter(course_mechanism::Column::CourseId.eq(course_id))
        .exec(txn)
        .await?;
    for mechanism in &course.mechanisms {
        course_mechanism::ActiveModel {
            course_id: Set(course_id),
            mechanism: Set(mechanism.to_string()),
        }
        .insert(txn)
        .await?;
    }
    course_translation::Entity::delete_many()
        .filter(course_translation::Column::CourseId.eq(course_id))
        .exec(txn)
        .await?;
    for (language, title) in &course.title {
        course_translation::ActiveModel {
            course_id: Set(course_id),
            language: Set(language.to_string()),
            title: Set(title.clone()),
            summary: Set(course.summary.get(language).cloned().unwrap_or_default()),
        }
        .insert(txn)
        .await?;
    }
    crate::import_items::write_syllabus(txn, course_id, course).await
}
