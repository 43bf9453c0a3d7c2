//! Building a [`Catalog`] snapshot from the database.

use std::{collections::BTreeMap, sync::Arc};

use anyhow::Context;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{
    Catalog, ContentVersion, CourseEntry, CourseText, LessonEntry, ModuleEntry, QuestionKey,
    QuizEntry,
};
use crate::{
    content::{Answer, LessonText, QuizText},
    entity::{
        course, course_mechanism, course_translation, lesson, lesson_translation, module,
        module_translation, quiz, quiz_question, quiz_translation,
    },
    import::latest_version,
    vocab::{Language, Level, Mechanism, QuestionKind, Visibility},
};

/// The hash of the content version the database holds now, if any. Cheap: one indexed row.
pub async fn current_version(db: &impl ConnectionTrait) -> anyhow::Result<Option<ContentVersion>> {
    Ok(latest_version(db).await?.map(|v| ContentVersion {
        hash: v.hash,
        imported_at: v.imported_at,
    }))
}

fn vocab<T>(value: &str, parse: fn(&str) -> Option<T>, what: &str) -> anyhow::Result<T> {
    parse(value).with_context(|| format!("unknown {what} `{value}` in the database"))
}

fn group<K: Ord, V>(rows: Vec<V>, key: impl Fn(&V) -> K) -> BTreeMap<K, Vec<V>> {
    let mut map: BTreeMap<K, Vec<V>> = BTreeMap::new();
    for row in rows {
        map.entry(key(&row)).or_default().push(row);
    }
    map
}

impl Catalog {
    /// Loads every live course from the database. Reads a consistent view: the content version
    /// is read first, and imports write everything in one transaction.
    pub async fn load(db: &impl ConnectionTrait) -> anyhow::Result<Catalog> {
        let version = current_version(db).await?;
        let courses = course::Entity::find()
            .filter(course::Column::Retired.eq(false))
            .order_by_asc(course::Column::SortOrder)
            .order_by_asc(course::Column::Slug)
            .all(db)
            .await
            .context("loading courses")?;
        let mut mechanisms = group(course_mechanism::Entity::find().all(db).await?, |m| {
            m.course_id
        });
        let mut course_texts = group(course_translation::Entity::find().all(db).await?, |t| {
            t.course_id
        });
        let mut modules = group(
            module::Entity::find()
                .filter(module::Column::Retired.eq(false))
                .order_by_asc(module::Column::Position)
                .all(db)
                .await
                .context("loading modules")?,
            |m| m.course_id,
        );
        let mut module_texts = group(module_translation::Entity::find().all(db).await?, |t| {
            t.module_id
        });
        let mut lessons = group(
            lesson::Entity::find()
                .filter(lesson::Column::Retired.eq(false))
                .order_by_asc(lesson::Column::Position)
                .all(db)
                .await
                .context("loading lessons")?,
            |l| l.course_id,
        );
        let mut lesson_texts = group(lesson_translation::Entity::find().all(db).await?, |t| {
            t.lesson_id
        });
        let mut quizzes = group(
            quiz::Entity::find()
                .filter(quiz::Column::Retired.eq(false))
                .order_by_asc(quiz::Column::Position)
                .all(db)
                .await
                .context("loading quizzes")?,
            |q| q.course_id,
        );
        let mut questions = group(
            quiz_question::Entity::find()
                .filter(quiz_question::Column::Retired.eq(false))
                .order_by_asc(quiz_question::Column::Position)
                .all(db)
                .await
                .context("loading quiz questions")?,
            |q| q.quiz_id,
        );
        let mut quiz_texts = group(quiz_translation::Entity::find().all(db).await?, |t| {
            t.quiz_id
        });

        let mut entries = Vec::with_capacity(courses.len());
        for row in courses {
            let context = || format!("loading course {}", row.slug);
            let mut texts = BTreeMap::new();
            for t in course_texts.remove(&row.id).unwrap_or_default() {
                let language =
                    vocab(&t.language, Language::parse, "language").with_context(context)?;
                texts.insert(
                    language,
                    CourseText {
                        title: t.title,
                        summary: t.summary,
                    },
                );
            }
            let mut module_entries = Vec::new();
            let mut module_index = BTreeMap::new();
            for m in modules.remove(&row.id).unwrap_or_default() {
                let mut titles = BTreeMap::new();
                for t in module_texts.remove(&m.id).unwrap_or_default() {
                    titles.insert(vocab(&t.language, Language::parse, "language")?, t.title);
                }
                module_index.insert(m.id, module_entries.len());
                module_entries.push(ModuleEntry {
                    id: m.id,
                    slug: m.slug,
                    titles,
                });
            }
            let mut lesson_entries = Vec::new();
            for l in lessons.remove(&row.id).unwrap_or_default() {
                let mut translations = BTreeMap::new();
                for t in lesson_texts.remove(&l.id).unwrap_or_default() {
                    let text = LessonText {
                        title: t.title,
                        markdown: t.markdown,
                        html: t.html,
                        hash: t.content_hash,
                    };
                    translations.insert(
                        vocab(&t.language, Language::parse, "language")?,
                        Arc::new(text),
                    );
                }
                let Some(&module) = module_index.get(&l.module_id) else {
                    continue;
                };
                lesson_entries.push(LessonEntry {
                    id: l.id,
                    slug: l.slug,
                    module,
                    minutes: u32::try_from(l.minutes).unwrap_or(0),
                    translations,
                });
            }
            let mut quiz_entries = Vec::new();
            for q in quizzes.remove(&row.id).unwrap_or_default() {
                let mut translations = BTreeMap::new();
                for t in quiz_texts.remove(&q.id).unwrap_or_default() {
                    let questions =
                        serde_json::from_str(&t.questions).context("reading quiz text")?;
                    let text = QuizText {
                        title: t.title,
                        questions,
                    };
                    translations.insert(
                        vocab(&t.language, Language::parse, "language")?,
                        Arc::new(text),
                    );
                }
                let mut keys = Vec::new();
                for k in questions.remove(&q.id).unwrap_or_default() {
                    let answer: Answer =
                        serde_json::from_str(&k.answer).context("reading a quiz answer")?;
                    keys.push(QuestionKey {
                        id: k.id,
                        key: k.key,
                        kind: vocab(&k.kind, QuestionKind::parse, "kind")?,
                        answer,
                    });
                }
                let Some(&module) = module_index.get(&q.module_id) else {
                    continue;
                };
                quiz_entries.push(QuizEntry {
                    id: q.id,
                    slug: q.slug,
                    module,
                    pass_mark: u8::try_from(q.pass_mark).unwrap_or(100),
                    max_attempts: q.max_attempts.and_then(|m| u16::try_from(m).ok()),
                    questions: keys,
                    translations,
                });
            }
            let mut course_mechanisms = Vec::new();
            for m in mechanisms.remove(&row.id).unwrap_or_default() {
                course_mechanisms.push(vocab(&m.mechanism, Mechanism::parse, "mechanism")?);
            }
            course_mechanisms.sort();
            entries.push(Arc::new(CourseEntry {
                id: row.id,
                default_language: vocab(&row.default_language, Language::parse, "language")
                    .with_context(context)?,
                level: vocab(&row.level, Level::parse, "level")?,
                estimated_minutes: u32::try_from(row.estimated_minutes).unwrap_or(0),
                visibility: vocab(&row.visibility, Visibility::parse, "visibility")?,
                order: row.sort_order,
                mechanisms: course_mechanisms,
                texts,
                modules: module_entries,
                lessons: lesson_entries,
                quizzes: quiz_entries,
                hash: row.content_hash,
                slug: row.slug,
            }));
        }
        let by_slug = entries
            .iter()
            .map(|c| (c.slug.clone(), Arc::clone(c)))
            .collect();
        let by_id = entries.iter().map(|c| (c.id, Arc::clone(c))).collect();
        Ok(Catalog {
            version,
            courses: entries,
            by_slug,
            by_id,
        })
    }
}
