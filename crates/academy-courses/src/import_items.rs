//! Writing a course's syllabus: modules, lessons, quizzes and questions, matched by slug so
//! that each keeps its row across edits; whatever is no longer listed is retired.

use std::collections::HashMap;

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::{
    content::Course,
    entity::{
        lesson, lesson_translation, module, module_translation, quiz, quiz_question,
        quiz_translation,
    },
};

fn n(value: usize) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Upserts every module, lesson and quiz of `course` under `course_id`.
pub(crate) async fn write_syllabus(
    txn: &impl ConnectionTrait,
    course_id: i32,
    course: &Course,
) -> anyhow::Result<()> {
    let modules: HashMap<String, module::Model> = module::Entity::find()
        .filter(module::Column::CourseId.eq(course_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|m| (m.slug.clone(), m))
        .collect();
    let lessons: HashMap<String, lesson::Model> = lesson::Entity::find()
        .filter(lesson::Column::CourseId.eq(course_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|l| (l.slug.clone(), l))
        .collect();
    let quizzes: HashMap<String, quiz::Model> = quiz::Entity::find()
        .filter(quiz::Column::CourseId.eq(course_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|q| (q.slug.clone(), q))
        .collect();

    // Retire everything first; whatever is still listed is revived below.
    module::Entity::update_many()
        .col_expr(module::Column::Retired, true.into())
        .filter(module::Column::CourseId.eq(course_id))
        .exec(txn)
        .await?;
    lesson::Entity::update_many()
        .col_expr(lesson::Column::Retired, true.into())
        .filter(lesson::Column::CourseId.eq(course_id))
        .exec(txn)
        .await?;
    quiz::Entity::update_many()
        .col_expr(quiz::Column::Retired, true.into())
        .filter(quiz::Column::CourseId.eq(course_id))
        .exec(txn)
        .await?;

    let mut lesson_position = 0;
    let mut quiz_position = 0;
    for (module_position, m) in course.modules.iter().enumerate() {
        let row = module::ActiveModel {
            course_id: Set(course_id),
            slug: Set(m.slug.to_string()),
            position: Set(n(module_position)),
            retired: Set(false),
            ..Default::default()
        };
        let module_id = upsert(
            txn,
            row,
            modules.get(m.slug.as_str()).map(|r| r.id),
            |r, id| r.id = Set(id),
        )
        .await?;
        module_translation::Entity::delete_many()
            .filter(module_translation::Column::ModuleId.eq(module_id))
            .exec(txn)
            .await?;
        for (language, title) in &m.title {
            module_translation::ActiveModel {
                module_id: Set(module_id),
                language: Set(language.to_string()),
                title: Set(title.clone()),
            }
            .insert(txn)
            .await?;
        }

        for l in &m.lessons {
            let row = lesson::ActiveModel {
                course_id: Set(course_id),
                module_id: Set(module_id),
                slug: Set(l.slug.to_string()),
                position: Set(lesson_position),
                minutes: Set(i32::try_from(l.minutes).unwrap_or(i32::MAX)),
                retired: Set(false),
                ..Default::default()
            };
            lesson_position += 1;
            let lesson_id = upsert(
                txn,
                row,
                lessons.get(l.slug.as_str()).map(|r| r.id),
                |r, id| r.id = Set(id),
            )
            .await?;
            lesson_translation::Entity::delete_many()
                .filter(lesson_translation::Column::LessonId.eq(lesson_id))
                .exec(txn)
                .await?;
            for (language, text) in &l.translations {
                lesson_translation::ActiveModel {
                    lesson_id: Set(lesson_id),
                    language: Set(language.to_string()),
                    title: Set(text.title.clone()),
                    markdown: Set(text.markdown.clone()),
                    html: Set(text.html.clone()),
                    content_hash: Set(text.hash.clone()),
                }
                .insert(txn)
                .await?;
            }
        }

        for q in &m.quizzes {
            let row = quiz::ActiveModel {
                course_id: Set(course_id),
                module_id: Set(module_id),
                slug: Set(q.slug.to_string()),
                position: Set(quiz_position),
                pass_mark: Set(i32::from(q.pass_mark)),
                max_attempts: Set(q.max_attempts.map(i32::from)),
                retired: Set(false),
                ..Default::default()
            };
            quiz_position += 1;
            let quiz_id = upsert(
                txn,
                row,
                quizzes.get(q.slug.as_str()).map(|r| r.id),
                |r, id| r.id = Set(id),
            )
            .await?;
            write_questions(txn, quiz_id, q).await?;
        }
    }
    Ok(())
}

async fn write_questions(
    txn: &impl ConnectionTrait,
    quiz_id: i32,
    q: &crate::content::Quiz,
) -> anyhow::Result<()> {
    let existing: HashMap<String, i32> = quiz_question::Entity::find()
        .filter(quiz_question::Column::QuizId.eq(quiz_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|row| (row.key, row.id))
        .collect();
    quiz_question::Entity::update_many()
        .col_expr(quiz_question::Column::Retired, true.into())
        .filter(quiz_question::Column::QuizId.eq(quiz_id))
        .exec(txn)
        .await?;
    for (position, question) in q.questions.iter().enumerate() {
        let row = quiz_question::ActiveModel {
            quiz_id: Set(quiz_id),
            key: Set(question.id.to_string()),
            position: Set(n(position)),
            kind: Set(question.kind.to_string()),
            answer: Set(serde_json::to_string(&question.answer)?),
            retired: Set(false),
            ..Default::default()
        };
        upsert(
            txn,
            row,
            existing.get(question.id.as_str()).copied(),
            |r, id| r.id = Set(id),
        )
        .await?;
    }
    quiz_translation::Entity::delete_many()
        .filter(quiz_translation::Column::QuizId.eq(quiz_id))
        .exec(txn)
        .await?;
    for (language, text) in &q.translations {
        quiz_translation::ActiveModel {
            quiz_id: Set(quiz_id),
            language: Set(language.to_string()),
            title: Set(text.title.clone()),
            questions: Set(serde_json::to_string(&text.questions)?),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// Updates the row `id` if there is one, inserts otherwise; returns the row's id.
async fn upsert<A>(
    txn: &impl ConnectionTrait,
    mut row: A,
    id: Option<i32>,
    set_id: fn(&mut A, i32),
) -> anyhow::Result<i32>
where
    A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A> + HasId,
{
    let model = match id {
        Some(id) => {
            set_id(&mut row, id);
            row.update(txn).await?
        }
        None => row.insert(txn).await?,
    };
    Ok(model.id())
}

/// Row types with an integer `id`.
trait HasId {
    fn id(&self) -> i32;
}

macro_rules! has_id {
    ($($entity:ident),*) => {$(impl HasId for $entity::Model { fn id(&self) -> i32 { self.id } })*};
}
has_id!(module, lesson, quiz, quiz_question);
