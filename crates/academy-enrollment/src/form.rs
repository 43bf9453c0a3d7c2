//! The application form: data, not code. An edition's form is a list of questions, each with a
//! stable id, a kind, a label per language, whether it is required, a maximum length, and
//! whether its answers are sensitive (sealed at rest, see [`crate::crypto`]). Answers are a JSON
//! object by question id, checked here against the form.

use std::collections::{BTreeMap, BTreeSet};

use academy_courses::vocab::Language;
use academy_identity::profile::{CountryAnswer, LanguageTag, ProfileValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::EnrollmentError;

/// The most questions a form may have.
pub const MAX_QUESTIONS: usize = 60;
/// The most characters any answer may have.
pub const MAX_ANSWER_CHARS: u32 = 10_000;

/// What a question asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// One line of text.
    Text,
    /// Paragraphs of text.
    LongText,
    /// One of the question's choices, by id.
    SingleChoice,
    /// Any of the question's choices, by id, as a list.
    MultiChoice,
    /// An ISO 3166-1 alpha-2 country code, or `prefer_not_to_say`.
    Country,
    /// A BCP 47 language tag.
    Language,
    /// `true`: the applicant agrees (a required consent must be given).
    Consent,
    /// An e-mail address (used for notifications when the question is marked `contact`).
    Email,
}

impl QuestionKind {
    fn default_max_length(self) -> u32 {
        match self {
            QuestionKind::LongText => 4_000,
            QuestionKind::Email => 254,
            _ => 200,
        }
    }

    fn has_choices(self) -> bool {
        matches!(self, QuestionKind::SingleChoice | QuestionKind::MultiChoice)
    }
}

/// A label per language (at least one).
pub type Labels = BTreeMap<Language, String>;

/// One choice of a choice question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub label: Labels,
}

/// One question of the form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub kind: QuestionKind,
    pub label: Labels,
    #[serde(default)]
    pub required: bool,
    /// The most characters an answer may have (text, long text, e-mail).
    #[serde(default)]
    pub max_length: Option<u32>,
    /// Sealed at rest and shown only to the edition's reviewers.
    #[serde(default)]
    pub sensitive: bool,
    #[serde(default)]
    pub choices: Vec<Choice>,
}

impl Question {
    fn max_length(&self) -> u32 {
        self.max_length
            .unwrap_or_else(|| self.kind.default_max_length())
    }
}

/// An edition's application form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form {
    pub questions: Vec<Question>,
}

/// A question's or choice's id: 1 to 64 of `a-z`, `0-9`, `_`, `-`.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn check_labels(labels: &Labels, what: &str) -> Result<(), EnrollmentError> {
    if labels.is_empty()
        || labels
            .values()
            .any(|l| l.trim().is_empty() || l.chars().count() > 500)
    {
        return Err(EnrollmentError::invalid(
            "invalid_form",
            format!("{what} needs a label of 1 to 500 characters in at least one language"),
        ));
    }
    Ok(())
}

impl Form {
    /// Checks the form itself: unique valid ids, labels, choices only on choice questions.
    pub fn check(&self) -> Result<(), EnrollmentError> {
        let bad = |message: String| Err(EnrollmentError::invalid("invalid_form", message));
        if self.questions.len() > MAX_QUESTIONS {
            return bad(format!("a form has at most {MAX_QUESTIONS} questions"));
        }
        let mut ids = BTreeSet::new();
        for q in &self.questions {
            if !valid_id(&q.id) {
                return bad(format!(
                    "question ids are 1 to 64 of a-z, 0-9, `_` and `-` (question {})",
                    ids.len() + 1
                ));
            }
            if !ids.insert(q.id.as_str()) {
                return bad(format!("question `{}` appears twice", q.id));
            }
            check_labels(&q.label, &format!("question `{}`", q.id))?;
            if q.max_length.is_some_and(|m| m == 0 || m > MAX_ANSWER_CHARS) {
                return bad(format!(
                    "question `{}`: max_length must be 1 to {MAX_ANSWER_CHARS}",
                    q.id
                ));
            }
            if q.kind.has_choices() {
                if q.choices.is_empty() || q.choices.len() > 50 {
                    return bad(format!("question `{}` needs 1 to 50 choices", q.id));
                }
                let mut choice_ids = BTreeSet::new();
                for c in &q.choices {
                    if !valid_id(&c.id) || !choice_ids.insert(c.id.as_str()) {
                        return bad(format!(
                            "question `{}`: choice ids must be unique, 1 to 64 of a-z, 0-9, `_` \
                             and `-`",
                            q.id
                        ));
                    }
                    check_labels(&c.label, &format!("a choice of question `{}`", q.id))?;
                }
            } else if !q.choices.is_empty() {
                return bad(format!("question `{}` is not a choice question", q.id));
            }
        }
        Ok(())
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// The sensitive question ids.
    pub fn sensitive(&self) -> BTreeSet<&str> {
        self.questions
            .iter()
            .filter(|q| q.sensitive)
            .map(|q| q.id.as_str())
            .collect()
    }

    /// The first e-mail question with an answer: where notifications are sent.
    pub fn contact_question(&self) -> Option<&Question> {
        self.questions
            .iter()
            .find(|q| q.kind == QuestionKind::Email)
    }

    /// Checks `answers` against the form and returns them normalised (trimmed text, upper-case
    /// country codes; `null` answers dropped). With `complete`, every required question must
    /// be answered (and a required consent given).
    pub fn check_answers(
        &self,
        answers: &BTreeMap<String, Value>,
        complete: bool,
    ) -> Result<BTreeMap<String, Value>, EnrollmentError> {
        let mut out = BTreeMap::new();
        for (id, value) in answers {
            let Some(question) = self.question(id) else {
                return Err(EnrollmentError::InvalidAnswer {
                    question: shorten(id),
                    problem: "the form has no such question".to_owned(),
                });
            };
            if value.is_null() {
                continue;
            }
            let value =
                answer(question, value).map_err(|problem| EnrollmentError::InvalidAnswer {
                    question: id.clone(),
                    problem,
                })?;
            if let Some(value) = value {
                out.insert(id.clone(), value);
            }
        }
        if complete {
            for q in self.questions.iter().filter(|q| q.required) {
                let given = match out.get(&q.id) {
                    Some(Value::Bool(b)) => *b,
                    Some(Value::Array(a)) => !a.is_empty(),
                    Some(_) => true,
                    None => false,
                };
                if !given {
                    return Err(EnrollmentError::InvalidAnswer {
                        question: q.id.clone(),
                        problem: if q.kind == QuestionKind::Consent {
                            "consent is required to apply".to_owned()
                        } else {
                            "an answer is required".to_owned()
                        },
                    });
                }
            }
        }
        Ok(out)
    }
}

/// The first 40 characters of something sent, for a message.
fn shorten(text: &str) -> String {
    let short: String = text.chars().take(40).collect();
    let short: String = short.escape_default().collect();
    if text.chars().count() > 40 {
        format!("{short}…")
    } else {
        short
    }
}

fn text(question: &Question, value: &Value, multiline: bool) -> Result<Option<Value>, String> {
    let Value::String(s) = value else {
        return Err("expects text".to_owned());
    };
    let s = s.trim();
    if s.chars().count() > question.max_length() as usize {
        return Err(format!(
            "the answer is longer than {} characters",
            question.max_length()
        ));
    }
    if s.chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r')))
    {
        return Err("the answer contains control characters".to_owned());
    }
    Ok((!s.is_empty()).then(|| Value::String(s.to_owned())))
}

fn choice<'a>(question: &'a Question, value: &Value) -> Result<&'a str, String> {
    let Value::String(id) = value else {
        return Err("expects a choice id".to_owned());
    };
    question
        .choices
        .iter()
        .find(|c| &c.id == id)
        .map(|c| c.id.as_str())
        .ok_or_else(|| format!("`{}` is not one of its choices", shorten(id)))
}

fn answer(question: &Question, value: &Value) -> Result<Option<Value>, String> {
    match question.kind {
        QuestionKind::Text => text(question, value, false),
        QuestionKind::LongText => text(question, value, true),
        QuestionKind::SingleChoice => {
            if value.is_array() {
                return Err("takes one choice, not a list".to_owned());
            }
            Ok(Some(Value::String(choice(question, value)?.to_owned())))
        }
        QuestionKind::MultiChoice => {
            let Value::Array(items) = value else {
                return Err("expects a list of choice ids".to_owned());
            };
            let mut picked = BTreeSet::new();
            for item in items {
                if !picked.insert(choice(question, item)?) {
                    return Err("lists a choice twice".to_owned());
                }
            }
            // In the form's order.
            Ok(Some(Value::Array(
                question
                    .choices
                    .iter()
                    .filter(|c| picked.contains(c.id.as_str()))
                    .map(|c| Value::String(c.id.clone()))
                    .collect(),
            )))
        }
        QuestionKind::Country => {
            let Value::String(s) = value else {
                return Err("expects a country code".to_owned());
            };
            let country = CountryAnswer::parse(s.trim())?;
            Ok(Some(Value::String(country.as_str().to_owned())))
        }
        QuestionKind::Language => {
            let Value::String(s) = value else {
                return Err("expects a language tag".to_owned());
            };
            let tag = LanguageTag::parse(s.trim())?;
            Ok(Some(Value::String(tag.as_str().to_owned())))
        }
        QuestionKind::Consent => match value {
            Value::Bool(b) => Ok(Some(Value::Bool(*b))),
            _ => Err("expects true or false".to_owned()),
        },
        QuestionKind::Email => {
            let Some(Value::String(s)) = text(question, value, false)? else {
                return Ok(None);
            };
            s.parse::<lettre::Address>()
                .map_err(|_| "expects an e-mail address".to_owned())?;
            Ok(Some(Value::String(s)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(text: &str) -> Labels {
        BTreeMap::from([(Language::English, text.to_owned())])
    }

    fn question(id: &str, kind: QuestionKind, required: bool) -> Question {
        Question {
            id: id.to_owned(),
            kind,
            label: labels(id),
            required,
            max_length: None,
            sensitive: false,
            choices: if kind.has_choices() {
                ["a", "b", "c"]
                    .into_iter()
                    .map(|c| Choice {
                        id: c.to_owned(),
                        label: labels(c),
                    })
                    .collect()
            } else {
                vec![]
            },
        }
    }

    fn form() -> Form {
        Form {
            questions: vec![
                question("motivation", QuestionKind::LongText, true),
                question("track", QuestionKind::SingleChoice, true),
                question("topics", QuestionKind::MultiChoice, false),
                question("country", QuestionKind::Country, false),
                question("language", QuestionKind::Language, false),
                question("consent", QuestionKind::Consent, true),
                question("contact", QuestionKind::Email, false),
            ],
        }
    }

    fn answers(value: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(value).unwrap()
    }

    fn refused(value: Value, complete: bool) -> (String, String) {
        match form().check_answers(&answers(value), complete) {
            Err(EnrollmentError::InvalidAnswer { question, problem }) => (question, problem),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn valid_answers_are_normalised() {
        let out = form()
            .check_answers(
                &answers(json!({
                    "motivation": "  Because.  ",
                    "track": "b",
                    "topics": ["c", "a"],
                    "country": "ke",
                    "language": "es-419",
                    "consent": true,
                    "contact": "a.defender@example.org",
                })),
                true,
            )
            .unwrap();
        assert_eq!(out["motivation"], json!("Because."));
        assert_eq!(out["topics"], json!(["a", "c"]));
        assert_eq!(out["country"], json!("KE"));
    }

    #[test]
    fn each_wrong_answer_names_its_question() {
        assert_eq!(refused(json!({"nope": "x"}), false).0, "nope");
        assert_eq!(refused(json!({"track": ["a", "b"]}), false).0, "track");
        assert_eq!(refused(json!({"track": "z"}), false).0, "track");
        assert_eq!(refused(json!({"topics": ["a", "a"]}), false).0, "topics");
        assert_eq!(refused(json!({"country": "Narnia"}), false).0, "country");
        assert_eq!(refused(json!({"consent": "yes"}), false).0, "consent");
        assert_eq!(
            refused(json!({"contact": "not an address"}), false).0,
            "contact"
        );
        assert_eq!(refused(json!({"motivation": 3}), false).0, "motivation");
        let long = "x".repeat(4_001);
        assert_eq!(refused(json!({"motivation": long}), false).0, "motivation");
        assert_eq!(refused(json!({"track": "a\u{0}"}), false).0, "track");
    }

    #[test]
    fn a_draft_may_be_partial_but_a_submission_may_not() {
        let partial = answers(json!({"motivation": "Because."}));
        assert!(form().check_answers(&partial, false).is_ok());
        let (question, _) = refused(json!({"motivation": "Because."}), true);
        assert_eq!(question, "track");
        let (question, problem) = refused(
            json!({"motivation": "x", "track": "a", "consent": false}),
            true,
        );
        assert_eq!(question, "consent");
        assert!(problem.contains("consent"));
    }

    #[test]
    fn broken_forms_are_refused() {
        let mut twice = form();
        twice
            .questions
            .push(question("track", QuestionKind::Text, false));
        assert!(twice.check().is_err());
        let mut no_choices = form();
        no_choices.questions[1].choices.clear();
        assert!(no_choices.check().is_err());
        let mut bad_id = form();
        bad_id.questions[0].id = "Motivation!".to_owned();
        assert!(bad_id.check().is_err());
        assert!(form().check().is_ok());
    }
}
