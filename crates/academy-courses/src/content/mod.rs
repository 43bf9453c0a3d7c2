//! The course content format: reading a `courses/` directory into validated [`ContentSet`], or
//! the full list of [`Problem`]s that stop it from loading.

mod course_file;
mod lesson_file;
pub mod lint;
mod load;
mod model;
mod problem;
mod quiz_file;

pub use load::load_dir;
pub use model::{
    Answer, ChoiceText, ContentSet, Course, Lesson, LessonText, Module, Question, QuestionText,
    Quiz, QuizText,
};
pub use problem::{Problem, Problems};
