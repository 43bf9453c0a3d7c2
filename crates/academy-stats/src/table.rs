//! A published table: the only shape in which figures leave this crate. Built from true
//! distinct-person counts by [`disclosure::protect`], so every entry is a rounded count, a
//! suppressed small count or a withheld one; the true counts stay inside.

use std::collections::BTreeMap;

use crate::disclosure::{self, Counts, Policy, Shown};

/// One line of a table: its key (a country code, a month, a course slug…), its entries in
/// column order, its total across the columns (two-way tables only) and its percentages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub key: String,
    pub cells: Vec<Shown>,
    pub total: Option<Shown>,
    /// One per [`Table::percents`] column: `None` where not published.
    pub percents: Vec<Option<u64>>,
}

/// A published table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// What the cells count, for a two-way table (`people_reached`); `None` when each column is
    /// a measure of its own.
    pub measure: Option<String>,
    /// What the lines are (`country`).
    pub lines_are: String,
    /// The columns: measures, or the years of a two-way table.
    pub columns: Vec<String>,
    /// The names of the percentage columns, if any.
    pub percents: Vec<String>,
    pub lines: Vec<Line>,
    /// The column totals (key `total`); for a two-way table, with the grand total.
    pub totals: Line,
}

/// A one-way measure: a true count per line key, and the true total (distinct people: not
/// necessarily the sum).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub by_key: BTreeMap<String, u64>,
    pub total: u64,
}

impl Column {
    pub fn get(&self, key: &str) -> u64 {
        self.by_key.get(key).copied().unwrap_or(0)
    }
}

/// A percentage column: `part` of `base`, two column indexes.
#[derive(Clone, Debug)]
pub struct Percent {
    pub name: String,
    pub part: usize,
    pub base: usize,
}

/// Publishes one-way measures over `keys` (in order): each column protected as a table of its
/// own; percentages from the published counts where the true base is at least
/// [`disclosure::PERCENT_BASE`].
pub fn one_way(
    lines_are: &str,
    keys: &[String],
    columns: &[Column],
    percents: &[Percent],
    policy: &Policy,
) -> Table {
    let published: Vec<_> = columns
        .iter()
        .map(|c| {
            let cells = keys.iter().map(|k| c.get(k)).collect();
            disclosure::protect(&Counts::one_way(cells, c.total), policy)
        })
        .collect();
    let entry = |col: usize, line: usize| -> Shown {
        published
            .get(col)
            .and_then(|p| p.cells.get(line))
            .and_then(|row| row.first())
            .copied()
            .unwrap_or(Shown::Count(0))
    };
    let percent_of = |line: Option<usize>, key: &str| -> Vec<Option<u64>> {
        percents
            .iter()
            .map(|p| {
                let (part, base, true_base) = match line {
                    Some(i) => (
                        entry(p.part, i),
                        entry(p.base, i),
                        columns.get(p.base).map_or(0, |c| c.get(key)),
                    ),
                    None => (
                        published.get(p.part).map_or(Shown::Count(0), |t| t.total),
                        published.get(p.base).map_or(Shown::Count(0), |t| t.total),
                        columns.get(p.base).map_or(0, |c| c.total),
                    ),
                };
                disclosure::percent(part, base, true_base)
            })
            .collect()
    };
    let lines = keys
        .iter()
        .enumerate()
        .map(|(i, key)| Line {
            key: key.clone(),
            cells: (0..columns.len()).map(|c| entry(c, i)).collect(),
            total: None,
            percents: percent_of(Some(i), key),
        })
        .collect();
    let totals = Line {
        key: "total".to_owned(),
        cells: published.iter().map(|p| p.total).collect(),
        total: None,
        percents: percent_of(None, ""),
    };
    Table {
        measure: None,
        lines_are: lines_are.to_owned(),
        columns: columns.iter().map(|c| c.name.clone()).collect(),
        percents: percents.iter().map(|p| p.name.clone()).collect(),
        lines,
        totals,
    }
}

/// A two-way measure: true counts per (line, column) key, per line, per column, and overall.
#[derive(Clone, Debug, Default)]
pub struct Grid {
    pub cells: BTreeMap<(String, String), u64>,
    pub lines: BTreeMap<String, u64>,
    pub columns: BTreeMap<String, u64>,
    pub total: u64,
}

/// Publishes a two-way measure over `keys` × `columns`, protected as one table.
pub fn two_way(
    measure: &str,
    lines_are: &str,
    keys: &[String],
    columns: &[String],
    grid: &Grid,
    policy: &Policy,
) -> Table {
    let get = |map: &BTreeMap<String, u64>, k: &str| map.get(k).copied().unwrap_or(0);
    let counts = Counts {
        cells: keys
            .iter()
            .map(|k| {
                columns
                    .iter()
                    .map(|c| {
                        grid.cells
                            .get(&(k.clone(), c.clone()))
                            .copied()
                            .unwrap_or(0)
                    })
                    .collect()
            })
            .collect(),
        row_totals: Some(keys.iter().map(|k| get(&grid.lines, k)).collect()),
        col_totals: columns.iter().map(|c| get(&grid.columns, c)).collect(),
        total: grid.total,
    };
    let published = disclosure::protect(&counts, policy);
    let lines = keys
        .iter()
        .enumerate()
        .map(|(i, key)| Line {
            key: key.clone(),
            cells: published.cells.get(i).cloned().unwrap_or_default(),
            total: published
                .row_totals
                .as_ref()
                .and_then(|t| t.get(i))
                .copied(),
            percents: Vec::new(),
        })
        .collect();
    Table {
        measure: Some(measure.to_owned()),
        lines_are: lines_are.to_owned(),
        columns: columns.to_vec(),
        percents: Vec::new(),
        lines,
        totals: Line {
            key: "total".to_owned(),
            cells: published.col_totals.clone(),
            total: Some(published.total),
            percents: Vec::new(),
        },
    }
}
