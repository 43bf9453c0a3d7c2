//! Reading views: what a reader sees of a course, a lesson or a quiz in the language chosen
//! for them — the translation picked, the module it belongs to, its neighbours and position —
//! and who may read a course at all.

use std::collections::{BTreeMap, BTreeSet};

use super::{Catalog, CourseEntry, LanguagePreference, LessonEntry, QuizEntry, Resolved, pick};
use crate::{
    content::{LessonText, QuizText},
    vocab::{Language, Visibility},
};

/// Who is reading, which decides the courses they may see: public courses are for everyone,
/// a cohort-only course for its cohort's participants and for the people who run the
/// programmes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Reader {
    /// Anyone, signed in or not, with no cohort: public courses only.
    #[default]
    Anyone,
    /// A participant of one or more cohorts: public courses and these cohort-only courses
    /// (by course id).
    Participant(BTreeSet<i32>),
    /// Trainers and staff: every course.
    Organiser,
}

impl Reader {
    /// Whether this reader may read `course`.
    pub fn may_read(&self, course: &CourseEntry) -> bool {
        match (course.visibility, self) {
            (Visibility::Public, _) | (_, Reader::Organiser) => true,
            (Visibility::Cohort, Reader::Participant(courses)) => courses.contains(&course.id),
            (Visibility::Cohort, Reader::Anyone) => false,
        }
    }

    /// Whether what this reader sees may be kept in shared caches (only when everything
    /// they can see is public).
    pub fn sees_public_only(&self) -> bool {
        matches!(self, Reader::Anyone)
    }

    /// Tells apart readers who see different lists (for ETags and cache keys): empty for
    /// [`Reader::Anyone`].
    pub fn view_key(&self) -> String {
        match self {
            Reader::Anyone => String::new(),
            Reader::Organiser => "organiser".to_owned(),
            Reader::Participant(courses) => format!(
                "participant:{}",
                courses
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
    }
}

/// Why something could not be read. A course the reader may not read is not found, so its
/// existence is not revealed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("there is no course `{0}`")]
    CourseNotFound(String),
    #[error("course `{course}` has no lesson `{lesson}`")]
    LessonNotFound { course: String, lesson: String },
    #[error("course `{course}` has no quiz `{quiz}`")]
    QuizNotFound { course: String, quiz: String },
}

/// A module's slug and title in the language served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleRef {
    pub slug: String,
    pub title: String,
}

/// A neighbouring lesson, for "previous" and "next".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Neighbour {
    pub slug: String,
    pub title: String,
}

/// A course's syllabus in one language.
#[derive(Debug)]
pub struct Syllabus {
    /// The language of the course's title and summary.
    pub resolved: Resolved,
    pub modules: Vec<SyllabusModule>,
}

/// A module of a syllabus.
#[derive(Debug)]
pub struct SyllabusModule {
    pub slug: String,
    pub title: String,
    pub lessons: Vec<LessonOutline>,
    pub quizzes: Vec<QuizOutline>,
}

/// A lesson as the syllabus lists it.
#[derive(Debug)]
pub struct LessonOutline {
    pub slug: String,
    pub title: String,
    pub minutes: u32,
    /// The language the lesson will be served in, and whether that is a fallback.
    pub resolved: Resolved,
}

/// A quiz as the syllabus lists it.
#[derive(Debug)]
pub struct QuizOutline {
    pub slug: String,
    pub title: String,
    pub question_count: usize,
    pub pass_mark: u8,
}

/// A lesson in the language chosen for the reader.
#[derive(Debug)]
pub struct LessonView<'a> {
    pub entry: &'a LessonEntry,
    pub text: &'a LessonText,
    pub resolved: Resolved,
    pub module: ModuleRef,
    /// 1-based position in the course's reading order.
    pub position: usize,
    pub previous: Option<Neighbour>,
    pub next: Option<Neighbour>,
}

/// A quiz in the language chosen for the reader (its answer key stays in `entry`).
#[derive(Debug)]
pub struct QuizView<'a> {
    pub entry: &'a QuizEntry,
    pub text: &'a QuizText,
    pub resolved: Resolved,
    pub module: ModuleRef,
}

impl Catalog {
    /// A course `reader` may read, by slug.
    pub fn readable(
        &self,
        slug: &str,
        reader: &Reader,
    ) -> Result<&std::sync::Arc<CourseEntry>, ReadError> {
        self.by_slug
            .get(slug)
            .filter(|c| reader.may_read(c))
            .ok_or_else(|| ReadError::CourseNotFound(slug.to_owned()))
    }
}

/// The translation of a lesson or quiz to serve for `preference`: a fallback when the reader
/// asked for languages it lacks, or when the language chosen for the course lacks it.
fn translation<'a, T>(
    translations: &'a BTreeMap<Language, std::sync::Arc<T>>,
    preference: &LanguagePreference,
    default: Language,
) -> Option<(Resolved, &'a T)> {
    let wanted = preference.resolve(|l| translations.contains_key(&l), default);
    let (language, text, missing) = pick(translations, wanted.language, default)?;
    Some((
        Resolved {
            language,
            fallback: wanted.fallback || missing,
        },
        text.as_ref(),
    ))
}

impl CourseEntry {
    /// The language of the course's title and summary for `preference`.
    pub fn resolve(&self, preference: &LanguagePreference) -> Resolved {
        preference.resolve(|l| self.texts.contains_key(&l), self.default_language)
    }

    /// The module at `index` (in the course's module order) in `language`.
    fn module_ref(&self, index: usize, language: Language) -> ModuleRef {
        let module = self.modules.get(index);
        ModuleRef {
            slug: module.map(|m| m.slug.clone()).unwrap_or_default(),
            title: module
                .map(|m| m.title(language, self.default_language).to_owned())
                .unwrap_or_default(),
        }
    }

    /// The syllabus: modules in order with their lessons and quizzes, in the language chosen
    /// for the course (each lesson falls back to the default language on its own).
    pub fn syllabus(&self, preference: &LanguagePreference) -> Syllabus {
        let resolved = self.resolve(preference);
        let language = resolved.language;
        let default = self.default_language;
        let modules = self
            .modules
            .iter()
            .enumerate()
            .map(|(index, module)| SyllabusModule {
                slug: module.slug.clone(),
                title: module.title(language, default).to_owned(),
                lessons: self
                    .lessons
                    .iter()
                    .filter(|l| l.module == index)
                    .filter_map(|l| {
                        let (served, text, fallback) = pick(&l.translations, language, default)?;
                        Some(LessonOutline {
                            slug: l.slug.clone(),
                            title: text.title.clone(),
                            minutes: l.minutes,
                            resolved: Resolved {
                                language: served,
                                fallback,
                            },
                        })
                    })
                    .collect(),
                quizzes: self
                    .quizzes
                    .iter()
                    .filter(|q| q.module == index)
                    .filter_map(|q| {
                        let (_, text, _) = pick(&q.translations, language, default)?;
                        Some(QuizOutline {
                            slug: q.slug.clone(),
                            title: text.title.clone(),
                            question_count: q.questions.len(),
                            pass_mark: q.pass_mark,
                        })
                    })
                    .collect(),
            })
            .collect();
        Syllabus { resolved, modules }
    }

    /// Lesson `slug` in the best language for `preference`, with its module, position and
    /// neighbours (their titles in the same language where they have it).
    pub fn lesson(
        &self,
        slug: &str,
        preference: &LanguagePreference,
    ) -> Result<LessonView<'_>, ReadError> {
        let not_found = || ReadError::LessonNotFound {
            course: self.slug.clone(),
            lesson: slug.to_owned(),
        };
        let index = self.lesson_index(slug).ok_or_else(not_found)?;
        let entry = self.lessons.get(index).ok_or_else(not_found)?;
        // Validation guarantees a text in the default language; without one, there is nothing
        // to read.
        let (resolved, text) = translation(&entry.translations, preference, self.default_language)
            .ok_or_else(not_found)?;
        let neighbour = |i: usize| {
            let lesson = self.lessons.get(i)?;
            let (_, text, _) = pick(
                &lesson.translations,
                resolved.language,
                self.default_language,
            )?;
            Some(Neighbour {
                slug: lesson.slug.clone(),
                title: text.title.clone(),
            })
        };
        Ok(LessonView {
            entry,
            text,
            resolved,
            module: self.module_ref(entry.module, resolved.language),
            position: index + 1,
            previous: index.checked_sub(1).and_then(neighbour),
            next: neighbour(index + 1),
        })
    }

    /// Quiz `slug` in the best language for `preference`, with its module.
    pub fn quiz_view(
        &self,
        slug: &str,
        preference: &LanguagePreference,
    ) -> Result<QuizView<'_>, ReadError> {
        let not_found = || ReadError::QuizNotFound {
            course: self.slug.clone(),
            quiz: slug.to_owned(),
        };
        let entry = self.quiz(slug).ok_or_else(not_found)?;
        let (resolved, text) = translation(&entry.translations, preference, self.default_language)
            .ok_or_else(not_found)?;
        Ok(QuizView {
            entry,
            text,
            resolved,
            module: self.module_ref(entry.module, resolved.language),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Level;

    fn course(id: i32, visibility: Visibility) -> CourseEntry {
        CourseEntry {
            id,
            slug: format!("course-{id}"),
            default_language: Language::English,
            level: Level::Introductory,
            estimated_minutes: 10,
            visibility,
            order: 1,
            mechanisms: vec![],
            texts: BTreeMap::new(),
            modules: vec![],
            lessons: vec![],
            quizzes: vec![],
            hash: String::new(),
        }
    }

    #[test]
    fn cohort_courses_are_for_their_participants_and_organisers_only() {
        let public = course(1, Visibility::Public);
        let cohort = course(2, Visibility::Cohort);
        let participant = Reader::Participant(BTreeSet::from([2]));
        let other_participant = Reader::Participant(BTreeSet::from([3]));
        for reader in [
            &Reader::Anyone,
            &participant,
            &other_participant,
            &Reader::Organiser,
        ] {
            assert!(reader.may_read(&public), "{reader:?}");
        }
        assert!(!Reader::Anyone.may_read(&cohort));
        assert!(!other_participant.may_read(&cohort));
        assert!(participant.may_read(&cohort));
        assert!(Reader::Organiser.may_read(&cohort));
        assert!(Reader::Anyone.sees_public_only());
        assert!(!participant.sees_public_only());
    }
}
