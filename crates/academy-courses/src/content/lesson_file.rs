//! Lesson files: TOML front matter between `+++` lines, then a Markdown body.

use serde::Deserialize;
use toml::Spanned;

use super::{model::LessonText, problem::FileProblems};
use crate::{hash::sha256_hex, markdown};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: Spanned<String>,
    minutes: Spanned<i64>,
}

/// A parsed lesson file: its text and its reading time.
pub(crate) struct LessonFile {
    pub text: LessonText,
    pub minutes: u32,
}

/// Parses a lesson file; `None` if anything is wrong (problems recorded in `found`).
pub(crate) fn parse(
    path: std::path::PathBuf,
    source: &str,
    found: &mut Vec<super::Problem>,
) -> Option<LessonFile> {
    let mut whole = FileProblems::new(path.clone(), source, 0, found);
    let mut lines = source.split_inclusive('\n');
    if lines.next().map(str::trim_end) != Some("+++") {
        whole.at_line(1, "a lesson starts with TOML front matter: a line `+++`, `title = \"…\"`, `minutes = N`, then `+++`");
        return None;
    }
    let front_start = source.find('\n').map_or(source.len(), |i| i + 1);
    let mut offset = front_start;
    let mut front_end = None;
    for line in lines {
        if line.trim_end() == "+++" {
            front_end = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((front_end, body_start)) = front_end else {
        whole.at_line(1, "the front matter is not closed by a line `+++`");
        return None;
    };
    let body_line = whole.line_of(body_start);
    let front = &source[front_start..front_end];
    let body = &source[body_start..];

    let mut p = FileProblems::new(path, front, 1, found);
    let matter: FrontMatter = match toml::from_str(front) {
        Ok(matter) => matter,
        Err(e) => {
            p.toml(&e);
            return None;
        }
    };
    let before = p.found.len();
    let title = matter.title.get_ref().trim();
    if title.is_empty() {
        p.at(matter.title.span().start, "the lesson title is empty");
    }
    let minutes = u32::try_from(*matter.minutes.get_ref())
        .ok()
        .filter(|m| (1..=1000).contains(m));
    if minutes.is_none() {
        p.at(
            matter.minutes.span().start,
            "minutes must be a whole number of minutes above 0",
        );
    }
    if body.trim().is_empty() {
        p.at_line(
            body_line,
            "the lesson is empty: write its Markdown body after the front matter",
        );
    }
    if p.found.len() > before {
        return None;
    }
    let markdown = body.trim().to_owned();
    Some(LessonFile {
        minutes: minutes?,
        text: LessonText {
            hash: sha256_hex([title.as_bytes(), b"\0", markdown.as_bytes()]),
            html: markdown::to_safe_html(&markdown),
            title: title.to_owned(),
            markdown,
        },
    })
}
