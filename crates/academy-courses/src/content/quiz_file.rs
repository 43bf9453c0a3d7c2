//! Quiz files: `<lang>/<slug>.quiz.toml`.

use std::collections::BTreeSet;

use serde::Deserialize;
use toml::Spanned;

use super::{
    model::{Answer, ChoiceText, Question, QuestionText, QuizText},
    problem::FileProblems,
};
use crate::vocab::{QuestionKind, Slug};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuiz {
    title: Spanned<String>,
    pass_mark: Spanned<i64>,
    #[serde(default)]
    max_attempts: Option<Spanned<i64>>,
    questions: Spanned<Vec<Spanned<RawQuestion>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Spanned<String>,
    kind: Spanned<String>,
    prompt: Spanned<String>,
    explanation: Spanned<String>,
    #[serde(default)]
    choices: Option<Spanned<Vec<Spanned<RawChoice>>>>,
    #[serde(default)]
    answer: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoice {
    id: Spanned<String>,
    text: Spanned<String>,
    #[serde(default)]
    correct: bool,
}

/// A parsed quiz file in one language.
pub(crate) struct QuizFile {
    pub pass_mark: u8,
    pub max_attempts: Option<u16>,
    pub questions: Vec<Question>,
    pub text: QuizText,
    /// Line of each question's `id`, to report mismatches between translations.
    pub lines: Vec<usize>,
    pub pass_mark_line: usize,
}

fn non_empty(p: &mut FileProblems, value: &Spanned<String>, what: &str) -> String {
    let text = value.get_ref().trim();
    if text.is_empty() {
        p.at(value.span().start, format!("{what} is empty"));
    }
    text.to_owned()
}

fn question(p: &mut FileProblems, raw: &Spanned<RawQuestion>) -> Option<(Question, QuestionText)> {
    let start = raw.span().start;
    let raw = raw.get_ref();
    let before = p.found.len();
    let id = Slug::parse(raw.id.get_ref())
        .map_err(|e| p.at(raw.id.span().start, format!("question id {e}")))
        .ok();
    let kind = QuestionKind::parse(raw.kind.get_ref());
    if kind.is_none() {
        p.at(
            raw.kind.span().start,
            format!(
                "unknown question kind `{}` (expected one of {})",
                raw.kind.get_ref(),
                QuestionKind::expected()
            ),
        );
    }
    let prompt = non_empty(p, &raw.prompt, "the question prompt");
    let explanation = non_empty(p, &raw.explanation, "the explanation");

    let mut choices = Vec::new();
    let mut correct = Vec::new();
    let mut choice_ids = BTreeSet::new();
    for choice in raw.choices.iter().flat_map(|c| c.get_ref()) {
        let choice = choice.get_ref();
        match Slug::parse(choice.id.get_ref()) {
            Err(e) => p.at(choice.id.span().start, format!("choice id {e}")),
            Ok(choice_id) if !choice_ids.insert(choice_id.clone()) => p.at(
                choice.id.span().start,
                format!("duplicate choice id `{choice_id}`"),
            ),
            Ok(choice_id) => {
                if choice.correct {
                    correct.push(choice_id.to_string());
                }
                let text = non_empty(p, &choice.text, "the choice text");
                choices.push(ChoiceText {
                    id: choice_id.to_string(),
                    text,
                });
            }
        }
    }

    let answer = match (kind, &raw.choices, &raw.answer) {
        (Some(QuestionKind::TrueFalse), None, Some(answer)) => {
            Some(Answer::TrueFalse(*answer.get_ref()))
        }
        (Some(QuestionKind::TrueFalse), _, None) => {
            p.at(start, "a true-false question needs `answer = true` or `answer = false`: it has no correct answer");
            None
        }
        (Some(QuestionKind::TrueFalse), Some(c), Some(_)) => {
            p.at(
                c.span().start,
                "a true-false question takes `answer`, not `choices`",
            );
            None
        }
        (Some(_), _, Some(a)) => {
            p.at(
                a.span().start,
                "`answer` is only for true-false questions: mark choices with `correct = true`",
            );
            None
        }
        (Some(kind), choices_value, None) => {
            let at = choices_value.as_ref().map_or(start, |c| c.span().start);
            if choices.len() < 2 {
                p.at(at, format!("a {kind} question needs at least two choices"));
            }
            match (kind, correct.len()) {
                (_, 0) => p.at(
                    at,
                    "the question has no correct answer: mark a choice with `correct = true`",
                ),
                (QuestionKind::Single, n) if n > 1 => p.at(
                    at,
                    format!("a single-choice question has exactly one correct choice, not {n}"),
                ),
                _ => {}
            }
            Some(Answer::Choices(correct))
        }
        (None, _, _) => None,
    };
    if p.found.len() > before {
        return None;
    }
    let id = id?;
    Some((
        Question {
            id: id.clone(),
            kind: kind?,
            answer: answer?,
        },
        QuestionText {
            id: id.to_string(),
            prompt,
            explanation,
            choices,
        },
    ))
}

/// Parses and checks one quiz file; `None` if anything is wrong (problems recorded).
pub(crate) fn parse(p: &mut FileProblems, source: &str) -> Option<QuizFile> {
    let raw: RawQuiz = match toml::from_str(source) {
        Ok(raw) => raw,
        Err(e) => {
            p.toml(&e);
            return None;
        }
    };
    let before = p.found.len();
    let title = non_empty(p, &raw.title, "the quiz title");
    let pass_mark = u8::try_from(*raw.pass_mark.get_ref())
        .ok()
        .filter(|m| (1..=100).contains(m));
    if pass_mark.is_none() {
        p.at(
            raw.pass_mark.span().start,
            "pass_mark is a percentage from 1 to 100",
        );
    }
    let max_attempts = match &raw.max_attempts {
        None => Some(None),
        Some(raw) => {
            let limit = u16::try_from(*raw.get_ref())
                .ok()
                .filter(|m| (1..=100).contains(m));
            if limit.is_none() {
                p.at(
                    raw.span().start,
                    "max_attempts is a number of attempts from 1 to 100",
                );
            }
            limit.map(Some)
        }
    };
    if raw.questions.get_ref().is_empty() {
        p.at(
            raw.questions.span().start,
            "a quiz needs at least one question",
        );
    }
    let mut questions = Vec::new();
    let mut texts = Vec::new();
    let mut lines = Vec::new();
    let mut ids = BTreeSet::new();
    for raw_question in raw.questions.get_ref() {
        let id = raw_question.get_ref().id.get_ref();
        if !ids.insert(id.clone()) {
            p.at(
                raw_question.get_ref().id.span().start,
                format!("duplicate question id `{id}`"),
            );
            continue;
        }
        lines.push(p.line_of(raw_question.get_ref().id.span().start));
        if let Some((question, text)) = question(p, raw_question) {
            questions.push(question);
            texts.push(text);
        }
    }
    if p.found.len() > before {
        return None;
    }
    Some(QuizFile {
        pass_mark: pass_mark?,
        max_attempts: max_attempts?,
        questions,
        text: QuizText {
            title,
            questions: texts,
        },
        lines,
        pass_mark_line: p.line_of(raw.pass_mark.span().start),
    })
}
