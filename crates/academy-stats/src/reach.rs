//! The reach report: for a period, people reached (distinct accounts with any learning event),
//! defenders trained (distinct people with at least one course completed), course completions
//! and countries reached, broken down by one [`Dimension`].
//!
//! Counted from the live index ([`crate::live`]) after it caught up, or straight from the
//! progress tables with the indexes of the stats migration ([`Reader`]): either way an event is
//! counted as soon as it is committed, and both give the same figures (a test holds them to
//! it). Every figure is published through [`crate::disclosure`].

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, OnceLock},
};

use academy_identity::profile::{
    CountryAnswer, Gender, M49Region, OrganisationType, PREFER_NOT_TO_SAY, ProfileValue,
};
use sea_orm::{ConnectionTrait, Value};

use crate::{
    Dimension, Live, Period,
    disclosure::{OTHER_COUNTRIES, Policy, Shown},
    live::{Catalog, Tallies},
    sql::{self, Grouped},
    table::{self, Column, Grid, Percent, Table},
};

/// A line for people who left a profile field empty.
pub const NOT_STATED: &str = "not_stated";

/// The measures of a reach report, in column order.
pub const MEASURES: [&str; 3] = ["people_reached", "defenders_trained", "course_completions"];

/// A published reach report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReachReport {
    pub period: Period,
    pub by: Dimension,
    /// The threshold k the report was published with.
    pub threshold: u64,
    pub people_reached: Shown,
    pub defenders_trained: Shown,
    pub course_completions: Shown,
    /// Countries with at least one person reached (a count of countries, not of people).
    pub countries_reached: u64,
    /// One table with a column per measure; for a two-way dimension, one table per measure
    /// with a column per year.
    pub tables: Vec<Table>,
}

/// Where a report counts from.
#[derive(Clone, Copy)]
pub enum Reader<'a, C> {
    /// The learning tables, queried when asked (the command line; a server without the live
    /// index).
    Tables(&'a C),
    /// The live index, caught up first, while it is loaded; the tables until then.
    Live(&'a C, &'a Live),
}

/// What a report counts with, once chosen; for the index, the counts of the report once
/// made (one pass gives every count a report needs).
pub(crate) enum Counting<'a, C> {
    Tables(&'a C),
    Live(&'a Live, Arc<Catalog>, OnceLock<Arc<Tallies>>),
}

impl<C> Counting<'_, C> {
    /// On the index, makes every count of a report of `period` by `lines` (once).
    async fn prepare(&self, period: &Period, lines: Dimension) -> anyhow::Result<()> {
        if let Counting::Live(live, catalog, made) = self
            && made.get().is_none()
        {
            let tallies = tally(live, catalog, period, lines).await?;
            let _ = made.set(tallies);
        }
        Ok(())
    }
}

async fn tally(
    live: &Live,
    catalog: &Arc<Catalog>,
    period: &Period,
    lines: Dimension,
) -> anyhow::Result<Arc<Tallies>> {
    let (catalog, period) = (Arc::clone(catalog), *period);
    live.with_index(move |c| Arc::new(c.tally(&catalog, &period, lines, PREFER_NOT_TO_SAY)))
        .await
}

impl<'a, C: ConnectionTrait> Reader<'a, C> {
    /// The database (for what the index does not hold).
    pub fn db(&self) -> &'a C {
        match *self {
            Reader::Tables(db) | Reader::Live(db, _) => db,
        }
    }

    /// Chooses: the index once loaded, caught up to now; else the tables.
    pub(crate) async fn counting(&self) -> anyhow::Result<Counting<'a, C>> {
        match *self {
            Reader::Live(db, live) if live.is_ready() => {
                live.catch_up(db).await?;
                Ok(Counting::Live(
                    live,
                    Arc::new(Catalog::read(db).await?),
                    OnceLock::new(),
                ))
            }
            Reader::Live(db, _) | Reader::Tables(db) => Ok(Counting::Tables(db)),
        }
    }
}

/// Where a measure is counted.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Source {
    /// Distinct people with a learning event.
    Reached,
    /// Distinct people with a completion.
    Trained,
    /// Completions.
    Completions,
}

impl Source {
    pub(crate) const ALL: [Source; 3] = [Source::Reached, Source::Trained, Source::Completions];

    fn sql_parts(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Source::Reached => (
                "progress_events",
                "occurred_at",
                "COUNT(DISTINCT x.user_id)",
            ),
            Source::Trained => (
                "course_progress",
                "completed_at",
                "COUNT(DISTINCT x.user_id)",
            ),
            Source::Completions => ("course_progress", "completed_at", "COUNT(*)"),
        }
    }
}

/// The join and key expression of the lines of `dimension` (a one-way dimension).
fn key_of(db: &impl ConnectionTrait, dimension: Dimension, time: &str) -> (&'static str, String) {
    const USERS: &str = " JOIN users u ON u.id = x.user_id";
    match dimension {
        Dimension::Month => ("", sql::month(db, &format!("x.{time}"))),
        Dimension::Country | Dimension::Region | Dimension::CountryYear => {
            (USERS, "u.country".to_owned())
        }
        Dimension::Gender | Dimension::GenderYear => (USERS, "u.gender".to_owned()),
        Dimension::OrganisationType => (USERS, "u.organisation_type".to_owned()),
        Dimension::Language => (USERS, "u.language".to_owned()),
        Dimension::Course => (
            " JOIN courses co ON co.id = x.course_id",
            "co.slug".to_owned(),
        ),
        Dimension::Mechanism => (
            " JOIN course_mechanisms m ON m.course_id = x.course_id",
            "m.mechanism".to_owned(),
        ),
    }
}

fn bounds(period: &Period) -> Vec<Value> {
    vec![period.start().into(), period.end().into()]
}

/// Counts `source` in `period`, grouped by the line key of `lines` (if any) and the year (if
/// `by_year`; the first key when there are no lines).
async fn counted<C: ConnectionTrait>(
    data: &Counting<'_, C>,
    source: Source,
    period: &Period,
    lines: Option<Dimension>,
    by_year: bool,
) -> anyhow::Result<Vec<Grouped>> {
    let db = match data {
        Counting::Tables(db) => *db,
        Counting::Live(live, catalog, made) => {
            let tallies = match made.get() {
                Some(t) if lines.is_none_or(|l| l == t.lines) => Arc::clone(t),
                _ => tally(live, catalog, period, lines.unwrap_or(Dimension::Month)).await?,
            };
            return Ok(tallies.grouped(source, lines, by_year));
        }
    };
    let (table, time, aggregate) = source.sql_parts();
    let mut keys = Vec::new();
    let mut join = "";
    if let Some(dimension) = lines {
        let (j, key) = key_of(db, dimension, time);
        join = j;
        keys.push(key);
    }
    if by_year {
        keys.push(sql::year(db, &format!("x.{time}")));
    }
    let select: String = keys.iter().map(|k| format!("{k}, ")).collect();
    let group = if keys.is_empty() {
        String::new()
    } else {
        format!(" GROUP BY {}", keys.join(", "))
    };
    let text = format!(
        "SELECT {select}{aggregate} FROM {table} x{join} \
         WHERE x.{time} >= ? AND x.{time} < ?{group}"
    );
    sql::grouped(db, &text, bounds(period), keys.len(), "reach").await
}

/// The true counts behind a reach report by `by`, before any disclosure control: per measure,
/// each (key, second key) → count of every query the report makes, and the countries reached.
/// For the tests that hold the live index to the tables' figures; nothing serves it.
#[doc(hidden)]
pub async fn unpublished_counts<C: ConnectionTrait>(
    reader: Reader<'_, C>,
    period: Period,
    by: Dimension,
) -> anyhow::Result<(Vec<BTreeMap<(Option<String>, Option<String>), u64>>, u64)> {
    let data = reader.counting().await?;
    data.prepare(&period, by.lines()).await?;
    let mut out = Vec::new();
    for source in Source::ALL {
        for (lines, by_year) in [
            (None, false),
            (None, true),
            (Some(by.lines()), false),
            (Some(by.lines()), true),
        ] {
            out.push(
                counted(&data, source, &period, lines, by_year)
                    .await?
                    .into_iter()
                    .filter(|g| g.count > 0)
                    .map(|g| ((g.key, g.key2), g.count))
                    .collect(),
            );
        }
    }
    let countries = match &data {
        Counting::Tables(_) => {
            reach(reader, period, by, &Policy::default())
                .await?
                .countries_reached
        }
        // Made by `prepare`.
        Counting::Live(_, _, made) => made.get().map_or(0, |t| t.countries_reached()),
    };
    Ok((out, countries))
}

/// The published key of a stored value of `dimension`'s lines.
pub(crate) fn line_key(dimension: Dimension, raw: Option<&str>) -> String {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return NOT_STATED.to_owned();
    };
    match dimension.lines() {
        Dimension::Region => {
            if raw == PREFER_NOT_TO_SAY {
                return PREFER_NOT_TO_SAY.to_owned();
            }
            CountryAnswer::parse(raw)
                .ok()
                .and_then(|c| c.region())
                .map_or_else(|| NOT_STATED.to_owned(), |r| r.as_str().to_owned())
        }
        Dimension::Language => raw.split('-').next().unwrap_or(raw).to_ascii_lowercase(),
        _ => raw.to_owned(),
    }
}

fn is_country(key: &str) -> bool {
    key.len() == 2 && key.bytes().all(|b| b.is_ascii_uppercase())
}

/// The lines of `dimension` always shown (a fixed vocabulary), before those found in the data.
fn fixed_lines(dimension: Dimension, period: &Period) -> Vec<String> {
    let mut keys: Vec<String> = match dimension.lines() {
        Dimension::Month => return period.months(),
        Dimension::Gender => Gender::ALL.iter().map(|g| g.as_str().to_owned()).collect(),
        Dimension::OrganisationType => OrganisationType::ALL
            .iter()
            .map(|o| o.as_str().to_owned())
            .collect(),
        Dimension::Region => {
            let mut keys: Vec<String> = M49Region::ALL
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect();
            keys.push(PREFER_NOT_TO_SAY.to_owned());
            keys
        }
        _ => Vec::new(),
    };
    if !keys.is_empty() {
        keys.retain(|k| k != PREFER_NOT_TO_SAY);
        keys.push(PREFER_NOT_TO_SAY.to_owned());
        keys.push(NOT_STATED.to_owned());
    }
    keys
}

/// Orders the keys: the fixed ones first, then the others found (countries in code order,
/// `prefer_not_to_say`, `not_stated`, then `other_countries`).
fn ordered(dimension: Dimension, period: &Period, found: &BTreeSet<String>) -> Vec<String> {
    let mut keys = fixed_lines(dimension, period);
    if keys.is_empty() {
        let rank = |k: &String| match k.as_str() {
            PREFER_NOT_TO_SAY => 1,
            NOT_STATED => 2,
            OTHER_COUNTRIES => 3,
            _ => 0,
        };
        let mut found: Vec<String> = found.iter().cloned().collect();
        found.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
        keys = found;
    } else if dimension.lines() != Dimension::Month {
        for k in found {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    keys
}

/// The key each published line collects: countries pooled into [`OTHER_COUNTRIES`] when the
/// dimension is by country and they have fewer than k people reached, or are hidden.
struct Keys {
    dimension: Dimension,
    pooled: BTreeSet<String>,
}

impl Keys {
    fn new(dimension: Dimension, reached: &[Grouped], policy: &Policy) -> Keys {
        let mut pooled = BTreeSet::new();
        if dimension.lines() == Dimension::Country {
            let mut per_country: BTreeMap<String, u64> = BTreeMap::new();
            for g in reached {
                *per_country
                    .entry(line_key(dimension, g.key.as_deref()))
                    .or_default() += g.count;
            }
            for (key, people) in per_country {
                if is_country(&key) && policy.pools(&key, people) {
                    pooled.insert(key);
                }
            }
        }
        Keys { dimension, pooled }
    }

    fn of(&self, raw: Option<&str>) -> String {
        let key = line_key(self.dimension, raw);
        if self.pooled.contains(&key) {
            OTHER_COUNTRIES.to_owned()
        } else {
            key
        }
    }
}

/// Builds the reach report of `period` by `by`, published under `policy`.
pub async fn reach<C: ConnectionTrait>(
    reader: Reader<'_, C>,
    period: Period,
    by: Dimension,
    policy: &Policy,
) -> anyhow::Result<ReachReport> {
    let data = reader.counting().await?;
    data.prepare(&period, by.lines()).await?;
    let mut totals = [0u64; 3];
    for (total, source) in totals.iter_mut().zip(Source::ALL) {
        *total = counted(&data, source, &period, None, false)
            .await?
            .first()
            .map_or(0, |g| g.count);
    }
    let countries_reached = match &data {
        Counting::Tables(db) => {
            sql::count(
                *db,
                "SELECT COUNT(DISTINCT u.country) FROM progress_events x \
                 JOIN users u ON u.id = x.user_id \
                 WHERE x.occurred_at >= ? AND x.occurred_at < ? AND u.country IS NOT NULL \
                 AND u.country <> ?",
                vec![
                    period.start().into(),
                    period.end().into(),
                    PREFER_NOT_TO_SAY.into(),
                ],
                "countries reached",
            )
            .await?
        }
        // Made by `prepare`.
        Counting::Live(_, _, made) => made.get().map_or(0, |t| t.countries_reached()),
    };
    // Every total is published as a one-line table of its own.
    let total_of = |n: u64| {
        crate::disclosure::protect(&crate::disclosure::Counts::one_way(vec![n], n), policy).total
    };
    let [reached_total, trained_total, completions_total] = totals;

    let tables = if by.by_year() {
        two_way_tables(&data, &period, by, policy, totals).await?
    } else {
        vec![one_way_table(&data, &period, by, policy, totals).await?]
    };
    Ok(ReachReport {
        period,
        by,
        threshold: policy.threshold(),
        people_reached: total_of(reached_total),
        defenders_trained: total_of(trained_total),
        course_completions: total_of(completions_total),
        countries_reached,
        tables,
    })
}

async fn one_way_table<C: ConnectionTrait>(
    data: &Counting<'_, C>,
    period: &Period,
    by: Dimension,
    policy: &Policy,
    totals: [u64; 3],
) -> anyhow::Result<Table> {
    let mut raw = Vec::new();
    for source in Source::ALL {
        raw.push(counted(data, source, period, Some(by), false).await?);
    }
    let keys = Keys::new(by, raw.first().map_or(&[][..], Vec::as_slice), policy);
    let mut found = BTreeSet::new();
    let columns: Vec<Column> = raw
        .iter()
        .zip(MEASURES)
        .zip(totals)
        .map(|((rows, name), total)| {
            let mut by_key: BTreeMap<String, u64> = BTreeMap::new();
            for g in rows {
                let key = keys.of(g.key.as_deref());
                found.insert(key.clone());
                *by_key.entry(key).or_default() += g.count;
            }
            Column {
                name: name.to_owned(),
                by_key,
                total,
            }
        })
        .collect();
    let lines = ordered(by, period, &found);
    Ok(table::one_way(
        by.as_str(),
        &lines,
        &columns,
        &[Percent {
            name: "trained_percent".to_owned(),
            part: 1,
            base: 0,
        }],
        policy,
    ))
}

async fn two_way_tables<C: ConnectionTrait>(
    data: &Counting<'_, C>,
    period: &Period,
    by: Dimension,
    policy: &Policy,
    totals: [u64; 3],
) -> anyhow::Result<Vec<Table>> {
    let lines_dim = by.lines();
    let years = period.years();
    let mut grids = Vec::new();
    let mut line_totals = Vec::new();
    for source in Source::ALL {
        line_totals.push(counted(data, source, period, Some(lines_dim), false).await?);
    }
    let keys = Keys::new(
        lines_dim,
        line_totals.first().map_or(&[][..], Vec::as_slice),
        policy,
    );
    let mut found = BTreeSet::new();
    for ((source, per_line), total) in Source::ALL.into_iter().zip(&line_totals).zip(totals) {
        let mut grid = Grid {
            total,
            ..Grid::default()
        };
        for g in per_line {
            let key = keys.of(g.key.as_deref());
            found.insert(key.clone());
            *grid.lines.entry(key).or_default() += g.count;
        }
        for g in counted(data, source, period, Some(lines_dim), true).await? {
            let key = keys.of(g.key.as_deref());
            let year = g.key2.unwrap_or_default();
            *grid.cells.entry((key, year)).or_default() += g.count;
        }
        for g in counted(data, source, period, None, true).await? {
            grid.columns.insert(g.key.unwrap_or_default(), g.count);
        }
        grids.push(grid);
    }
    let lines = ordered(lines_dim, period, &found);
    Ok(grids
        .iter()
        .zip(MEASURES)
        .map(|(grid, measure)| {
            table::two_way(measure, lines_dim.as_str(), &lines, &years, grid, policy)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_become_published_keys() {
        assert_eq!(line_key(Dimension::Region, Some("KE")), "africa");
        assert_eq!(line_key(Dimension::Region, Some("FR")), "europe");
        assert_eq!(line_key(Dimension::Region, None), NOT_STATED);
        assert_eq!(
            line_key(Dimension::Region, Some(PREFER_NOT_TO_SAY)),
            PREFER_NOT_TO_SAY
        );
        assert_eq!(line_key(Dimension::Language, Some("es-419")), "es");
        assert_eq!(line_key(Dimension::CountryYear, Some("KE")), "KE");
    }

    #[test]
    fn fixed_vocabularies_are_always_lines() {
        let period = Period::year(2026).unwrap_or_else(|| unreachable!());
        let keys = ordered(Dimension::Gender, &period, &BTreeSet::new());
        assert_eq!(keys.first().map(String::as_str), Some("woman"));
        assert_eq!(keys.last().map(String::as_str), Some(NOT_STATED));
        let found: BTreeSet<String> = ["other_countries", "KE", "not_stated", "BR"]
            .map(str::to_owned)
            .into();
        assert_eq!(
            ordered(Dimension::Country, &period, &found),
            ["BR", "KE", "not_stated", "other_countries"]
        );
    }
}
