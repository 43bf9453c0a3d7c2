//! What the catalog endpoints send: courses, syllabi, lessons and quizzes (never answers).

use academy_courses::catalog::{
    CourseEntry, LanguagePreference, LessonView, ModuleRef, Neighbour, QuizView, Syllabus,
};
use poem_openapi::Object;

/// A count for the API (saturating: no course holds four billion lessons).
pub fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A course as listed in the catalog.
#[derive(Object)]
pub struct CourseSummary {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// Language of `title` and `summary`.
    pub language: String,
    /// True when none of the requested languages is available and the default is served.
    pub fallback: bool,
    /// Languages the course is offered in, default first.
    pub languages: Vec<String>,
    pub default_language: String,
    /// Mechanism tags (see `GET /api/mechanisms`).
    pub mechanisms: Vec<String>,
    /// `introductory`, `intermediate` or `advanced`.
    pub level: String,
    pub estimated_minutes: u32,
    pub lesson_count: u32,
    pub quiz_count: u32,
}

impl CourseSummary {
    pub fn new(course: &CourseEntry, preference: &LanguagePreference) -> CourseSummary {
        let resolved = course.resolve(preference);
        let text = course.text(resolved.language);
        CourseSummary {
            slug: course.slug.clone(),
            title: text.map(|t| t.title.clone()).unwrap_or_default(),
            summary: text.map(|t| t.summary.clone()).unwrap_or_default(),
            language: resolved.language.to_string(),
            fallback: resolved.fallback,
            languages: course.languages().iter().map(ToString::to_string).collect(),
            default_language: course.default_language.to_string(),
            mechanisms: course.mechanisms.iter().map(ToString::to_string).collect(),
            level: course.level.to_string(),
            estimated_minutes: course.estimated_minutes,
            lesson_count: count(course.lessons.len()),
            quiz_count: count(course.quizzes.len()),
        }
    }
}

/// One page of the course list.
#[derive(Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CourseList {
    pub courses: Vec<CourseSummary>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A course with its syllabus.
#[derive(Object)]
pub struct CourseDetail {
    #[oai(flatten)]
    pub course: CourseSummary,
    pub modules: Vec<ModuleOutline>,
    /// Version (hash) of the course's content: changes whenever any of it changes.
    pub content_version: String,
}

impl CourseDetail {
    pub fn new(course: &CourseEntry, preference: &LanguagePreference) -> CourseDetail {
        let Syllabus { modules, .. } = course.syllabus(preference);
        CourseDetail {
            course: CourseSummary::new(course, preference),
            modules: modules
                .into_iter()
                .map(|m| ModuleOutline {
                    slug: m.slug,
                    title: m.title,
                    lessons: m
                        .lessons
                        .into_iter()
                        .map(|l| LessonOutline {
                            slug: l.slug,
                            title: l.title,
                            minutes: l.minutes,
                            language: l.resolved.language.to_string(),
                            fallback: l.resolved.fallback,
                        })
                        .collect(),
                    quizzes: m
                        .quizzes
                        .into_iter()
                        .map(|q| QuizOutline {
                            slug: q.slug,
                            title: q.title,
                            question_count: count(q.question_count),
                            pass_mark: q.pass_mark,
                        })
                        .collect(),
                })
                .collect(),
            content_version: course.hash.clone(),
        }
    }
}

/// A module of a course, in order.
#[derive(Object)]
pub struct ModuleOutline {
    pub slug: String,
    pub title: String,
    pub lessons: Vec<LessonOutline>,
    pub quizzes: Vec<QuizOutline>,
}

/// A lesson as listed in the syllabus.
#[derive(Object)]
pub struct LessonOutline {
    pub slug: String,
    pub title: String,
    pub minutes: u32,
    /// Language the lesson will be served in.
    pub language: String,
    /// True when the lesson is not translated into the course language being served.
    pub fallback: bool,
}

/// A quiz as listed in the syllabus.
#[derive(Object)]
pub struct QuizOutline {
    pub slug: String,
    pub title: String,
    pub question_count: u32,
    /// Percentage of correct answers needed to pass.
    pub pass_mark: u8,
}

/// A mechanism tag and how many public courses carry it.
#[derive(Object)]
pub struct MechanismCount {
    /// The tag, as used in `?mechanism=`.
    pub tag: String,
    pub course_count: u32,
}

/// The mechanism vocabulary.
#[derive(Object)]
pub struct MechanismList {
    pub mechanisms: Vec<MechanismCount>,
}

/// A neighbouring lesson, for "previous" and "next" links.
#[derive(Object)]
pub struct LessonLink {
    pub slug: String,
    pub title: String,
}

impl From<Neighbour> for LessonLink {
    fn from(n: Neighbour) -> Self {
        LessonLink {
            slug: n.slug,
            title: n.title,
        }
    }
}

/// A module's slug and title.
#[derive(Object)]
#[oai(rename = "ModuleRef")]
pub struct ModuleLink {
    pub slug: String,
    pub title: String,
}

impl From<ModuleRef> for ModuleLink {
    fn from(m: ModuleRef) -> Self {
        ModuleLink {
            slug: m.slug,
            title: m.title,
        }
    }
}

/// A lesson, as Markdown and as sanitised HTML.
#[derive(Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Lesson {
    pub course: String,
    pub course_title: String,
    pub module: ModuleLink,
    pub slug: String,
    pub title: String,
    pub minutes: u32,
    /// Language of the lesson served.
    pub language: String,
    /// True when the lesson is not available in the requested language.
    pub fallback: bool,
    /// The lesson text, CommonMark.
    pub markdown: String,
    /// The same text rendered to HTML and sanitised (safe to insert into a page).
    pub html: String,
    /// 1-based position of the lesson in the course.
    pub position: u32,
    pub lesson_count: u32,
    pub previous: Option<LessonLink>,
    pub next: Option<LessonLink>,
}

impl Lesson {
    pub fn new(course: &CourseEntry, view: LessonView<'_>) -> Lesson {
        let language = view.resolved.language;
        Lesson {
            course: course.slug.clone(),
            course_title: course
                .text(language)
                .map(|t| t.title.clone())
                .unwrap_or_default(),
            module: view.module.into(),
            slug: view.entry.slug.clone(),
            title: view.text.title.clone(),
            minutes: view.entry.minutes,
            language: language.to_string(),
            fallback: view.resolved.fallback,
            markdown: view.text.markdown.clone(),
            html: view.text.html.clone(),
            position: count(view.position),
            lesson_count: count(course.lessons.len()),
            previous: view.previous.map(Into::into),
            next: view.next.map(Into::into),
        }
    }
}

/// A choice of a quiz question.
#[derive(Object)]
pub struct Choice {
    pub id: String,
    pub text: String,
}

/// A quiz question without its answer.
#[derive(Object)]
pub struct QuestionView {
    pub id: String,
    /// `single` (one choice), `multiple` (one or more choices) or `true-false` (no choices:
    /// answer true or false).
    pub kind: String,
    pub prompt: String,
    pub choices: Vec<Choice>,
}

/// A quiz as a learner sees it before answering: no correct answers, no explanations.
#[derive(Object)]
pub struct Quiz {
    pub course: String,
    pub module: ModuleLink,
    pub slug: String,
    pub title: String,
    /// Percentage of correct answers needed to pass.
    pub pass_mark: u8,
    /// Attempts allowed per learner; absent: any number.
    #[oai(skip_serializing_if_is_none)]
    pub max_attempts: Option<u16>,
    pub language: String,
    pub fallback: bool,
    pub questions: Vec<QuestionView>,
}

/// The order in which `learner` (or, for `None`, anyone not signed in) sees the choices of
/// question `question`: a shuffle seeded by the course, the quiz, the question and the
/// learner, so it is stable for each learner, differs between learners, and no longer follows
/// the order the content was written in ("the answer is always b"). Choice ids never change.
pub fn choice_order<'a>(
    choices: &'a [academy_courses::content::ChoiceText],
    (course, quiz, question): (&str, &str, &str),
    learner: Option<i32>,
) -> Vec<&'a academy_courses::content::ChoiceText> {
    use sha2::{Digest, Sha256};
    let learner = learner.map_or_else(|| "anyone".to_owned(), |id| id.to_string());
    let mut ordered: Vec<_> = choices.iter().collect();
    ordered.sort_by_cached_key(|c| {
        Sha256::new()
            .chain_update(format!("{course}\0{quiz}\0{question}\0{learner}\0{}", c.id))
            .finalize()
    });
    ordered
}

impl Quiz {
    pub fn new(course: &CourseEntry, view: QuizView<'_>) -> Quiz {
        Quiz::for_learner(course, view, None)
    }

    /// The quiz with its choices in `learner`'s order (see [`choice_order`]).
    pub fn for_learner(course: &CourseEntry, view: QuizView<'_>, learner: Option<i32>) -> Quiz {
        Quiz {
            course: course.slug.clone(),
            module: view.module.into(),
            slug: view.entry.slug.clone(),
            title: view.text.title.clone(),
            pass_mark: view.entry.pass_mark,
            max_attempts: view.entry.max_attempts,
            language: view.resolved.language.to_string(),
            fallback: view.resolved.fallback,
            questions: view
                .entry
                .questions
                .iter()
                .zip(&view.text.questions)
                .map(|(key, q)| QuestionView {
                    id: q.id.clone(),
                    kind: key.kind.to_string(),
                    prompt: q.prompt.clone(),
                    choices: choice_order(
                        &q.choices,
                        (&course.slug, &view.entry.slug, &q.id),
                        learner,
                    )
                    .into_iter()
                    .map(|c| Choice {
                        id: c.id.clone(),
                        text: c.text.clone(),
                    })
                    .collect(),
                })
                .collect(),
        }
    }
}

/// A whole course for reading offline: the syllabus, every lesson and every quiz (without
/// answers or explanations), in the language served. With an ETag; compressed once per version.
#[derive(Object)]
pub struct Bundle {
    pub course: CourseDetail,
    pub lessons: Vec<Lesson>,
    pub quizzes: Vec<Quiz>,
}

impl Bundle {
    pub fn new(course: &CourseEntry, preference: &LanguagePreference) -> Bundle {
        Bundle {
            course: CourseDetail::new(course, preference),
            lessons: course
                .lessons
                .iter()
                .filter_map(|l| course.lesson(&l.slug, preference).ok())
                .map(|view| Lesson::new(course, view))
                .collect(),
            quizzes: course
                .quizzes
                .iter()
                .filter_map(|q| course.quiz_view(&q.slug, preference).ok())
                .map(|view| Quiz::new(course, view))
                .collect(),
        }
    }
}
