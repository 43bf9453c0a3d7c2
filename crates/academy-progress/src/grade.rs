//! Grading a quiz attempt on the server: every question answered, each answer of the right
//! shape, with choices the question has; the score is the share of right answers.

use std::collections::{BTreeMap, BTreeSet};

use academy_courses::{catalog::QuizView, content::Answer, vocab::QuestionKind};
use serde_json::Value;

use crate::ProgressError;

/// The feedback on one question, after grading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feedback {
    pub question: String,
    pub correct: bool,
    /// The right answer: choice ids, or `true`/`false`.
    pub answer: Value,
    /// Why, in the language of the quiz served.
    pub explanation: String,
}

/// A graded attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Graded {
    /// Percent of questions answered right.
    pub score: i32,
    pub passed: bool,
    pub feedback: Vec<Feedback>,
}

fn refuse(question: &str, problem: impl Into<String>) -> ProgressError {
    ProgressError::InvalidAnswer {
        question: question
            .chars()
            .take(40)
            .collect::<String>()
            .escape_default()
            .to_string(),
        problem: problem.into(),
    }
}

fn choices(
    question: &str,
    value: &Value,
    known: &BTreeSet<&str>,
) -> Result<BTreeSet<String>, ProgressError> {
    let items: Vec<&Value> = match value {
        Value::String(_) => vec![value],
        Value::Array(items) => items.iter().collect(),
        _ => return Err(refuse(question, "expects choice ids")),
    };
    let mut picked = BTreeSet::new();
    for item in items {
        let Value::String(id) = item else {
            return Err(refuse(question, "expects choice ids"));
        };
        if !known.contains(id.as_str()) {
            return Err(refuse(
                question,
                format!(
                    "`{}` is not one of its choices",
                    id.chars().take(40).collect::<String>().escape_default()
                ),
            ));
        }
        if !picked.insert(id.clone()) {
            return Err(refuse(question, "lists a choice twice"));
        }
    }
    if picked.is_empty() {
        return Err(refuse(question, "an answer is required"));
    }
    Ok(picked)
}

/// Grades `answers` (by question id: a choice id or a list of them, or `true`/`false`).
pub fn grade(
    quiz: &QuizView<'_>,
    answers: &BTreeMap<String, Value>,
) -> Result<Graded, ProgressError> {
    for id in answers.keys() {
        if !quiz.text.questions.iter().any(|q| &q.id == id) {
            return Err(refuse(id, "the quiz has no such question"));
        }
    }
    let mut feedback = Vec::new();
    for (key, text) in quiz.entry.questions.iter().zip(&quiz.text.questions) {
        let Some(value) = answers.get(&text.id) else {
            return Err(refuse(&text.id, "an answer is required"));
        };
        let known: BTreeSet<&str> = text.choices.iter().map(|c| c.id.as_str()).collect();
        let (correct, answer) = match (&key.answer, key.kind) {
            (Answer::TrueFalse(right), _) => {
                let Value::Bool(given) = value else {
                    return Err(refuse(&text.id, "expects true or false"));
                };
                (given == right, Value::Bool(*right))
            }
            (Answer::Choices(right), kind) => {
                let picked = choices(&text.id, value, &known)?;
                if kind == QuestionKind::Single && picked.len() > 1 {
                    return Err(refuse(&text.id, "takes one choice"));
                }
                let right_set: BTreeSet<String> = right.iter().cloned().collect();
                (
                    picked == right_set,
                    Value::Array(right.iter().cloned().map(Value::String).collect()),
                )
            }
        };
        feedback.push(Feedback {
            question: text.id.clone(),
            correct,
            answer,
            explanation: text.explanation.clone(),
        });
    }
    let total = feedback.len().max(1);
    let right = feedback.iter().filter(|f| f.correct).count();
    let score = i32::try_from(right * 100 / total).unwrap_or(0);
    Ok(Graded {
        score,
        passed: score >= i32::from(quiz.entry.pass_mark),
        feedback,
    })
}
