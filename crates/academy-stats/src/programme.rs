//! Programme statistics for one HRDAP edition: applications (submitted), participants and
//! completions of the distance course (participants who completed every course of it); in
//! total and by UN M49 region only (a cohort is 12–19 people: by country would single them out).

use std::collections::BTreeMap;

use academy_identity::profile::{M49Region, PREFER_NOT_TO_SAY};
use sea_orm::{ConnectionTrait, Value};

use crate::{
    Dimension,
    disclosure::{Counts, Policy, Shown, protect},
    reach::NOT_STATED,
    sql,
    table::{self, Column, Table},
};

/// The measures of a programme report, in column order.
pub const MEASURES: [&str; 3] = [
    "applications",
    "participants",
    "distance_course_completions",
];

/// A published programme report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgrammeReport {
    pub slug: String,
    pub threshold: u64,
    pub applications: Shown,
    pub participants: Shown,
    pub distance_course_completions: Shown,
    /// By region: a column per measure.
    pub by_region: Table,
}

/// Why there is no report.
#[derive(Debug, thiserror::Error)]
pub enum ProgrammeStatsError {
    #[error("there is no programme edition `{0}`")]
    NotFound(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// The report of edition `slug`, published under `policy`.
pub async fn programme(
    db: &impl ConnectionTrait,
    slug: &str,
    policy: &Policy,
) -> Result<ProgrammeReport, ProgrammeStatsError> {
    let found = sql::grouped(
        db,
        "SELECT slug, COUNT(*) FROM programmes WHERE slug = ? GROUP BY slug",
        vec![slug.into()],
        1,
        "the edition",
    )
    .await?;
    if found.is_empty() {
        return Err(ProgrammeStatsError::NotFound(slug.to_owned()));
    }
    // Each query: country, people. A person applies to an edition once.
    let queries = [
        "SELECT u.country, COUNT(DISTINCT a.user_id) FROM applications a \
         JOIN programmes p ON p.id = a.programme_id JOIN users u ON u.id = a.user_id \
         WHERE p.slug = ? AND a.submitted_at IS NOT NULL GROUP BY u.country",
        "SELECT u.country, COUNT(DISTINCT a.user_id) FROM applications a \
         JOIN programmes p ON p.id = a.programme_id JOIN users u ON u.id = a.user_id \
         WHERE p.slug = ? AND a.status = 'participant' GROUP BY u.country",
        "SELECT u.country, COUNT(DISTINCT a.user_id) FROM applications a \
         JOIN programmes p ON p.id = a.programme_id JOIN users u ON u.id = a.user_id \
         WHERE p.slug = ? AND a.status = 'participant' \
         AND EXISTS (SELECT 1 FROM programme_courses pc WHERE pc.programme_id = p.id) \
         AND NOT EXISTS (SELECT 1 FROM programme_courses pc WHERE pc.programme_id = p.id \
           AND NOT EXISTS (SELECT 1 FROM course_progress cp WHERE cp.user_id = a.user_id \
             AND cp.course_id = pc.course_id AND cp.completed_at IS NOT NULL)) \
         GROUP BY u.country",
    ];
    let mut columns = Vec::new();
    for (text, name) in queries.into_iter().zip(MEASURES) {
        let rows = sql::grouped(db, text, vec![Value::from(slug)], 1, "the edition").await?;
        let mut by_key: BTreeMap<String, u64> = BTreeMap::new();
        for g in &rows {
            let key = crate::reach::line_key(Dimension::Region, g.key.as_deref());
            *by_key.entry(key).or_default() += g.count;
        }
        // People are in one region each: the total is the sum.
        let total = by_key.values().sum();
        columns.push(Column {
            name: name.to_owned(),
            by_key,
            total,
        });
    }
    let mut keys: Vec<String> = M49Region::ALL
        .iter()
        .map(|r| r.as_str().to_owned())
        .collect();
    keys.push(PREFER_NOT_TO_SAY.to_owned());
    keys.push(NOT_STATED.to_owned());
    let total = |i: usize| {
        let n = columns.get(i).map_or(0, |c| c.total);
        protect(&Counts::one_way(vec![n], n), policy).total
    };
    Ok(ProgrammeReport {
        slug: slug.to_owned(),
        threshold: policy.threshold(),
        applications: total(0),
        participants: total(1),
        distance_course_completions: total(2),
        by_region: table::one_way("region", &keys, &columns, &[], policy),
    })
}
