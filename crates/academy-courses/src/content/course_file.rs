//! `course.toml`: a course's metadata, titles and syllabus.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use toml::Spanned;

use super::problem::FileProblems;
use crate::vocab::{Language, Level, Mechanism, Slug, Visibility};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCourse {
    slug: Spanned<String>,
    default_language: Spanned<String>,
    level: Spanned<String>,
    estimated_minutes: Spanned<i64>,
    visibility: Spanned<String>,
    #[serde(default)]
    order: Option<Spanned<i64>>,
    mechanisms: Spanned<Vec<Spanned<String>>>,
    title: Spanned<BTreeMap<String, Spanned<String>>>,
    summary: Spanned<BTreeMap<String, Spanned<String>>>,
    modules: Spanned<Vec<Spanned<RawModule>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModule {
    slug: Spanned<String>,
    title: Spanned<BTreeMap<String, Spanned<String>>>,
    lessons: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    quizzes: Vec<Spanned<String>>,
}

/// The checked header of a course: everything in `course.toml`.
pub(crate) struct CourseFile {
    pub slug: Slug,
    pub default_language: Language,
    pub level: Level,
    pub estimated_minutes: u32,
    pub visibility: Visibility,
    pub order: i32,
    pub mechanisms: Vec<Mechanism>,
    pub title: BTreeMap<Language, String>,
    pub summary: BTreeMap<Language, String>,
    pub modules: Vec<ModuleRef>,
}

/// A module as listed in `course.toml`, with the line of each reference for later problems.
pub(crate) struct ModuleRef {
    pub slug: Slug,
    pub title: BTreeMap<Language, String>,
    pub lessons: Vec<(Slug, usize)>,
    pub quizzes: Vec<(Slug, usize)>,
}

fn checked_slug(p: &mut FileProblems, value: &Spanned<String>, what: &str) -> Option<Slug> {
    Slug::parse(value.get_ref())
        .map_err(|e| p.at(value.span().start, format!("{what} {e}")))
        .ok()
}

/// Reads one `[title]`-like table of texts per language.
fn texts(
    p: &mut FileProblems,
    table: &Spanned<BTreeMap<String, Spanned<String>>>,
    what: &str,
) -> BTreeMap<Language, String> {
    let mut out = BTreeMap::new();
    for (tag, text) in table.get_ref() {
        match Language::parse(tag) {
            None => p.at(
                text.span().start,
                format!(
                    "unknown language tag `{tag}` in {what} (expected one of {})",
                    Language::expected()
                ),
            ),
            Some(_) if text.get_ref().trim().is_empty() => {
                p.at(text.span().start, format!("{what} in `{tag}` is empty"))
            }
            Some(language) => {
                out.insert(language, text.get_ref().trim().to_owned());
            }
        }
    }
    out
}

fn parse_vocab<T>(
    p: &mut FileProblems,
    value: &Spanned<String>,
    parse: fn(&str) -> Option<T>,
    what: &str,
    expected: String,
) -> Option<T> {
    let parsed = parse(value.get_ref());
    if parsed.is_none() {
        p.at(
            value.span().start,
            format!(
                "unknown {what} `{}` (expected one of {expected})",
                value.get_ref()
            ),
        );
    }
    parsed
}

/// Parses and checks `course.toml`. Returns `None` if anything is wrong (problems recorded).
pub(crate) fn parse(p: &mut FileProblems, source: &str, folder_name: &str) -> Option<CourseFile> {
    let raw: RawCourse = match toml::from_str(source) {
        Ok(raw) => raw,
        Err(e) => {
            p.toml(&e);
            return None;
        }
    };
    let before = p.found.len();

    let slug = checked_slug(p, &raw.slug, "course slug");
    if let Some(slug) = &slug
        && slug.as_str() != folder_name
    {
        p.at(
            raw.slug.span().start,
            format!("course slug `{slug}` must match its folder name `{folder_name}`"),
        );
    }
    let default_language = parse_vocab(
        p,
        &raw.default_language,
        Language::parse,
        "language tag",
        Language::expected(),
    );
    let level = parse_vocab(p, &raw.level, Level::parse, "level", Level::expected());
    let visibility = parse_vocab(
        p,
        &raw.visibility,
        Visibility::parse,
        "visibility",
        Visibility::expected(),
    );
    let estimated_minutes = u32::try_from(*raw.estimated_minutes.get_ref())
        .ok()
        .filter(|m| (1..=100_000).contains(m));
    if estimated_minutes.is_none() {
        p.at(
            raw.estimated_minutes.span().start,
            "estimated_minutes must be a whole number of minutes above 0",
        );
    }
    let order = match &raw.order {
        None => 1000,
        Some(order) => i32::try_from(*order.get_ref()).unwrap_or_else(|_| {
            p.at(order.span().start, "order is out of range");
            1000
        }),
    };

    let mut mechanisms = Vec::new();
    for tag in raw.mechanisms.get_ref() {
        if let Some(mechanism) =
            parse_vocab(p, tag, Mechanism::parse, "mechanism", Mechanism::expected())
        {
            if mechanisms.contains(&mechanism) {
                p.at(
                    tag.span().start,
                    format!("mechanism `{mechanism}` is listed twice"),
                );
            }
            mechanisms.push(mechanism);
        }
    }
    if raw.mechanisms.get_ref().is_empty() {
        p.at(
            raw.mechanisms.span().start,
            "a course needs at least one mechanism tag",
        );
    }

    let title = texts(p, &raw.title, "title");
    let summary = texts(p, &raw.summary, "summary");
    if let Some(default) = default_language
        && !title.contains_key(&default)
    {
        p.at(
            raw.title.span().start,
            format!("title is missing in the default language `{default}`"),
        );
    }
    let title_langs: BTreeSet<_> = title.keys().collect();
    let summary_langs: BTreeSet<_> = summary.keys().collect();
    for missing in title_langs.difference(&summary_langs) {
        p.at(
            raw.summary.span().start,
            format!("summary is missing in `{missing}` (the course has a title in it)"),
        );
    }
    for extra in summary_langs.difference(&title_langs) {
        p.at(
            raw.summary.span().start,
            format!("summary in `{extra}` has no title in that language"),
        );
    }

    let mut modules = Vec::new();
    let mut module_slugs = BTreeSet::new();
    let mut item_slugs: BTreeMap<(bool, String), usize> = BTreeMap::new();
    if raw.modules.get_ref().is_empty() {
        p.at(
            raw.modules.span().start,
            "a course needs at least one module",
        );
    }
    for module in raw.modules.get_ref() {
        let span = module.span().start;
        let module = module.get_ref();
        let Some(module_slug) = checked_slug(p, &module.slug, "module slug") else {
            continue;
        };
        if !module_slugs.insert(module_slug.clone()) {
            p.at(
                module.slug.span().start,
                format!("duplicate module slug `{module_slug}`"),
            );
        }
        let module_title = texts(p, &module.title, "module title");
        for language in &title_langs {
            if !module_title.contains_key(language) {
                p.at(
                    module.title.span().start,
                    format!("module `{module_slug}` has no title in `{language}`"),
                );
            }
        }
        let mut refs = |items: &[Spanned<String>], is_quiz: bool| {
            let mut out = Vec::new();
            for item in items {
                let what = if is_quiz { "quiz" } else { "lesson" };
                let Some(item_slug) = checked_slug(p, item, &format!("{what} slug")) else {
                    continue;
                };
                let line = p.line_of(item.span().start);
                if let Some(first) = item_slugs.insert((is_quiz, item_slug.to_string()), line) {
                    p.at_line(
                        line,
                        format!(
                            "duplicate {what} slug `{item_slug}` (first listed on line {first})"
                        ),
                    );
                }
                out.push((item_slug, line));
            }
            out
        };
        let lessons = refs(module.lessons.get_ref(), false);
        let quizzes = refs(&module.quizzes, true);
        if module.lessons.get_ref().is_empty() && module.quizzes.is_empty() {
            p.at(
                span,
                format!("module `{module_slug}` lists no lessons and no quizzes"),
            );
        }
        modules.push(ModuleRef {
            slug: module_slug,
            title: module_title,
            lessons,
            quizzes,
        });
    }

    if p.found.len() > before {
        return None;
    }
    Some(CourseFile {
        slug: slug?,
        default_language: default_language?,
        level: level?,
        estimated_minutes: estimated_minutes?,
        visibility: visibility?,
        order,
        mechanisms,
        title,
        summary,
        modules,
    })
}
