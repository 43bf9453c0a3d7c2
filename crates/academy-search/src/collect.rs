//! Collectors: the language and mechanism filters, and the facet counts beside them.
//!
//! Facets are counted the way search pages expect: the language counts ignore the language
//! filter (so a reader sees that French has results too) and the mechanism counts ignore the
//! mechanism filter; each respects the other filter.

use academy_courses::vocab::{Language, Mechanism};
use tantivy::{
    DocId, Score, SegmentOrdinal, SegmentReader,
    collector::{Collector, SegmentCollector},
    columnar::Column,
};

use crate::schema::{LANGUAGE_ID, MECHANISM_ID};

/// Which documents a search shows: languages as a bit mask of [`Language::ALL`] indexes, and
/// optionally one mechanism.
#[derive(Clone, Copy, Debug)]
pub struct Filter {
    pub languages: u64,
    pub mechanism: Option<u64>,
}

/// The columns a filter reads, for one segment.
struct Columns {
    language: Column<u64>,
    mechanism: Column<u64>,
}

impl Columns {
    fn of(segment: &SegmentReader) -> tantivy::Result<Columns> {
        let fast = segment.fast_fields();
        Ok(Columns {
            language: fast.u64(LANGUAGE_ID)?,
            mechanism: fast.u64(MECHANISM_ID)?,
        })
    }

    fn language_ok(&self, filter: &Filter, doc: DocId) -> bool {
        self.language
            .first(doc)
            .is_some_and(|l| l < 64 && filter.languages & (1 << l) != 0)
    }

    fn mechanism_ok(&self, filter: &Filter, doc: DocId) -> bool {
        filter
            .mechanism
            .is_none_or(|m| self.mechanism.values_for_doc(doc).any(|v| v == m))
    }
}

/// Passes to `inner` only the documents `filter` lets through.
pub struct Filtered<C> {
    pub filter: Filter,
    pub inner: C,
}

impl<C: Collector> Collector for Filtered<C> {
    type Fruit = C::Fruit;
    type Child = FilteredSegment<C::Child>;

    fn for_segment(
        &self,
        ordinal: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        Ok(FilteredSegment {
            filter: self.filter,
            columns: Columns::of(segment)?,
            inner: self.inner.for_segment(ordinal, segment)?,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.inner.requires_scoring()
    }

    fn merge_fruits(
        &self,
        fruits: Vec<<Self::Child as SegmentCollector>::Fruit>,
    ) -> tantivy::Result<Self::Fruit> {
        self.inner.merge_fruits(fruits)
    }
}

pub struct FilteredSegment<S> {
    filter: Filter,
    columns: Columns,
    inner: S,
}

impl<S: SegmentCollector> SegmentCollector for FilteredSegment<S> {
    type Fruit = S::Fruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        if self.columns.language_ok(&self.filter, doc)
            && self.columns.mechanism_ok(&self.filter, doc)
        {
            self.inner.collect(doc, score);
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.inner.harvest()
    }
}

/// Counts of matching documents per language and per mechanism.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FacetCounts {
    /// Indexed like [`Language::ALL`].
    pub languages: Vec<u64>,
    /// Indexed like [`Mechanism::ALL`].
    pub mechanisms: Vec<u64>,
}

impl FacetCounts {
    fn zero() -> FacetCounts {
        FacetCounts {
            languages: vec![0; Language::ALL.len()],
            mechanisms: vec![0; Mechanism::ALL.len()],
        }
    }

    fn add(&mut self, other: &FacetCounts) {
        for (a, b) in self.languages.iter_mut().zip(&other.languages) {
            *a += b;
        }
        for (a, b) in self.mechanisms.iter_mut().zip(&other.mechanisms) {
            *a += b;
        }
    }
}

/// Counts facets of every matching document under `filter` (see the module doc).
pub struct Facets {
    pub filter: Filter,
}

impl Collector for Facets {
    type Fruit = FacetCounts;
    type Child = FacetsSegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        Ok(FacetsSegment {
            filter: self.filter,
            columns: Columns::of(segment)?,
            counts: FacetCounts::zero(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetCounts>) -> tantivy::Result<FacetCounts> {
        let mut total = FacetCounts::zero();
        for fruit in &fruits {
            total.add(fruit);
        }
        Ok(total)
    }
}

pub struct FacetsSegment {
    filter: Filter,
    columns: Columns,
    counts: FacetCounts,
}

impl SegmentCollector for FacetsSegment {
    type Fruit = FacetCounts;

    fn collect(&mut self, doc: DocId, _: Score) {
        if self.columns.mechanism_ok(&self.filter, doc)
            && let Some(count) = self
                .columns
                .language
                .first(doc)
                .and_then(|l| self.counts.languages.get_mut(l as usize))
        {
            *count += 1;
        }
        if self.columns.language_ok(&self.filter, doc) {
            for m in self.columns.mechanism.values_for_doc(doc) {
                if let Some(count) = self.counts.mechanisms.get_mut(m as usize) {
                    *count += 1;
                }
            }
        }
    }

    fn harvest(self) -> FacetCounts {
        self.counts
    }
}
