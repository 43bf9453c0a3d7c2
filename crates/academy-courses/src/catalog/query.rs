//! Reading the catalog: filters, pagination and language choice.

use std::sync::Arc;

use super::{Catalog, CourseEntry, Cursor, Reader};
use crate::vocab::{Language, Level, Mechanism};

/// Filters of the course list; `None` means any.
#[derive(Clone, Debug, Default)]
pub struct CourseFilter {
    pub mechanism: Option<Mechanism>,
    /// Only courses offered in this language.
    pub language: Option<Language>,
    pub level: Option<Level>,
}

/// One page of a list.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

/// The languages a reader asked for, best first: `?lang=` then `Accept-Language`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LanguagePreference(Vec<Language>);

/// The language chosen for a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Resolved {
    /// The language served.
    pub language: Language,
    /// True when the reader asked for languages and none of them was available.
    pub fallback: bool,
}

impl LanguagePreference {
    /// Builds the preference from an explicit choice and the languages of `Accept-Language`,
    /// best first.
    pub fn new(explicit: Option<Language>, accepted: Vec<Language>) -> Self {
        let mut ranked: Vec<Language> = explicit.into_iter().collect();
        for language in accepted {
            if !ranked.contains(&language) {
                ranked.push(language);
            }
        }
        LanguagePreference(ranked)
    }

    /// The preference as text (`fr,en`), to tell representations apart in an ETag.
    pub fn tag(&self) -> String {
        self.0
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The first preferred language among `available`, or `default` (a fallback when any
    /// preference was expressed).
    pub fn resolve(&self, available: impl Fn(Language) -> bool, default: Language) -> Resolved {
        match self.0.iter().find(|l| available(**l)) {
            Some(language) => Resolved {
                language: *language,
                fallback: false,
            },
            None => Resolved {
                language: default,
                fallback: !self.0.is_empty(),
            },
        }
    }
}

impl Catalog {
    /// The courses `reader` may read that match `filter`, in catalog order, `limit` at a time
    /// after `after`.
    pub fn list(
        &self,
        reader: &Reader,
        filter: &CourseFilter,
        limit: usize,
        after: Option<&Cursor>,
    ) -> Page<&Arc<CourseEntry>> {
        let mut matching = self
            .courses
            .iter()
            .filter(|c| reader.may_read(c))
            .filter(|c| filter.mechanism.is_none_or(|m| c.mechanisms.contains(&m)))
            .filter(|c| filter.level.is_none_or(|l| c.level == l))
            .filter(|c| filter.language.is_none_or(|l| c.texts.contains_key(&l)))
            .filter(|c| {
                after.is_none_or(|a| (c.order, c.slug.as_str()) > (a.order, a.slug.as_str()))
            });
        let items: Vec<_> = matching.by_ref().take(limit).collect();
        let next = match (items.last(), matching.next()) {
            (Some(last), Some(_)) => Some(Cursor {
                order: last.order,
                slug: last.slug.clone(),
            }),
            _ => None,
        };
        Page { items, next }
    }

    /// Every mechanism of the vocabulary with the number of courses `reader` may read that are
    /// tagged with it.
    pub fn mechanism_counts(&self, reader: &Reader) -> Vec<(Mechanism, usize)> {
        Mechanism::ALL
            .iter()
            .map(|m| {
                let count = self
                    .courses
                    .iter()
                    .filter(|c| reader.may_read(c) && c.mechanisms.contains(m))
                    .count();
                (*m, count)
            })
            .collect()
    }

    /// Every live course, public or not (for search indexing and statistics).
    pub fn all_courses(&self) -> &[Arc<CourseEntry>] {
        &self.courses
    }

    /// A live course by its id, public or not (for reading stored state that names courses by
    /// id; whoever shows it decides who may see it).
    pub fn course_by_id(&self, id: i32) -> Option<&Arc<CourseEntry>> {
        self.by_id.get(&id)
    }
}
