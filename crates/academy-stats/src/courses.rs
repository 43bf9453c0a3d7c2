//! Per-course statistics: people enrolled (active enrolments), active this month (a learning
//! event in the course in the current calendar month, UTC), who completed it (ever), and the
//! median share of its current lessons completed by the people enrolled.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Value};

use crate::{
    Period, Reader,
    disclosure::{PERCENT_BASE, Policy},
    live::CourseCounts,
    reach::Counting,
    sql,
    table::{self, Column, Table},
};

/// The measures of the course report, in column order.
pub const MEASURES: [&str; 3] = ["enrolled", "active_this_month", "completed"];

/// A published course report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourseReport {
    /// The month "active this month" is.
    pub month: Period,
    pub threshold: u64,
    /// A line per course (slug), a column per measure; totals count people once.
    pub table: Table,
    /// Per course (in the table's order), the median progress in percent, rounded to the
    /// nearest 5; `None` where fewer than [`PERCENT_BASE`] people are enrolled.
    pub median_progress: Vec<Option<u64>>,
}

/// The course report at `now`, published under `policy`.
pub async fn courses<C: ConnectionTrait>(
    reader: Reader<'_, C>,
    now: DateTime<Utc>,
    policy: &Policy,
) -> anyhow::Result<CourseReport> {
    let db = reader.db();
    let month = Period::this_month(now);
    let slugs = sql::grouped(
        db,
        "SELECT slug, COUNT(*) FROM courses WHERE retired = ? GROUP BY slug, sort_order \
         ORDER BY sort_order, slug",
        vec![false.into()],
        1,
        "courses",
    )
    .await?;
    let keys: Vec<String> = slugs.into_iter().filter_map(|g| g.key).collect();
    let (columns, medians) = match reader.counting().await? {
        Counting::Tables(db) => (columns(db, &month).await?, medians(db).await?),
        Counting::Live(live, catalog, _) => {
            let counts = live
                .with_index(move |c| c.courses(&catalog, &month))
                .await?;
            from_index(counts)
        }
    };
    let mut table = table::one_way("course", &keys, &columns, &[], policy);
    let median_progress: Vec<Option<u64>> = keys
        .iter()
        .map(|k| medians.get(k).copied().flatten())
        .collect();
    // Published beside the counts, as the table's one percentage column.
    table.percents = vec!["median_progress_percent".to_owned()];
    for (line, median) in table.lines.iter_mut().zip(&median_progress) {
        line.percents = vec![*median];
    }
    table.totals.percents = vec![None];
    Ok(CourseReport {
        month,
        threshold: policy.threshold(),
        table,
        median_progress,
    })
}

/// The true counts behind the course report, before any disclosure control: the three
/// columns and the medians. For the tests that hold the live index to the tables' figures;
/// nothing serves it.
#[doc(hidden)]
pub async fn unpublished_course_counts<C: ConnectionTrait>(
    reader: Reader<'_, C>,
    now: DateTime<Utc>,
) -> anyhow::Result<(Vec<Column>, BTreeMap<String, Option<u64>>)> {
    let month = Period::this_month(now);
    match reader.counting().await? {
        Counting::Tables(db) => Ok((columns(db, &month).await?, medians(db).await?)),
        Counting::Live(live, catalog, _) => Ok(from_index(
            live.with_index(move |c| c.courses(&catalog, &month))
                .await?,
        )),
    }
}

/// The columns and medians out of the live index's counts.
fn from_index(counts: CourseCounts) -> (Vec<Column>, BTreeMap<String, Option<u64>>) {
    let columns = MEASURES
        .iter()
        .enumerate()
        .map(|(i, name)| Column {
            name: (*name).to_owned(),
            by_key: counts
                .per_course
                .iter()
                .map(|(slug, n)| (slug.clone(), n.get(i).copied().unwrap_or(0)))
                .filter(|(_, n)| *n > 0)
                .collect(),
            total: counts.totals.get(i).copied().unwrap_or(0),
        })
        .collect();
    let medians = counts
        .histograms
        .into_iter()
        .map(|(slug, histogram)| {
            let mut histogram: Vec<(i64, u64)> = histogram.into_iter().collect();
            let lessons = counts.lessons.get(&slug).copied().unwrap_or(0);
            (slug, median_percent(&mut histogram, lessons))
        })
        .collect();
    (columns, medians)
}

/// The three columns, counted from the tables.
async fn columns(db: &impl ConnectionTrait, month: &Period) -> anyhow::Result<Vec<Column>> {
    let in_month = || vec![Value::from(month.start()), Value::from(month.end())];
    let queries: [(&str, &str, Vec<Value>); 3] = [
        (
            "SELECT co.slug, COUNT(DISTINCT x.user_id) FROM enrolments x \
             JOIN courses co ON co.id = x.course_id WHERE x.status = 'active' GROUP BY co.slug",
            "SELECT COUNT(DISTINCT x.user_id) FROM enrolments x WHERE x.status = 'active'",
            Vec::new(),
        ),
        (
            "SELECT co.slug, COUNT(DISTINCT x.user_id) FROM progress_events x \
             JOIN courses co ON co.id = x.course_id \
             WHERE x.occurred_at >= ? AND x.occurred_at < ? GROUP BY co.slug",
            "SELECT COUNT(DISTINCT x.user_id) FROM progress_events x \
             WHERE x.occurred_at >= ? AND x.occurred_at < ?",
            in_month(),
        ),
        (
            "SELECT co.slug, COUNT(DISTINCT x.user_id) FROM course_progress x \
             JOIN courses co ON co.id = x.course_id WHERE x.completed_at IS NOT NULL \
             GROUP BY co.slug",
            "SELECT COUNT(DISTINCT x.user_id) FROM course_progress x \
             WHERE x.completed_at IS NOT NULL",
            Vec::new(),
        ),
    ];
    let mut columns = Vec::new();
    for ((per_course, total, values), name) in queries.into_iter().zip(MEASURES) {
        let by_key: BTreeMap<String, u64> = sql::grouped(db, per_course, values.clone(), 1, name)
            .await?
            .into_iter()
            .map(|g| (g.key.unwrap_or_default(), g.count))
            .collect();
        let total = sql::count(db, total, values, name).await?;
        columns.push(Column {
            name: name.to_owned(),
            by_key,
            total,
        });
    }
    Ok(columns)
}

/// The median progress of each course's enrolled people, where at least [`PERCENT_BASE`] are.
async fn medians(db: &impl ConnectionTrait) -> anyhow::Result<BTreeMap<String, Option<u64>>> {
    let lessons: BTreeMap<i64, i64> = sql::integer_pairs(
        db,
        "SELECT CAST(course_id AS BIGINT), COUNT(*), COUNT(*) FROM lessons WHERE retired = ? \
         GROUP BY course_id",
        vec![false.into()],
        "lessons",
    )
    .await?
    .into_iter()
    .map(|(course, n, _)| (course, n))
    .collect();
    let slugs = sql::grouped(
        db,
        "SELECT slug, CAST(id AS BIGINT) FROM courses",
        Vec::new(),
        1,
        "courses",
    )
    .await?;
    // A histogram per course: lessons completed → people. No person's own figure leaves
    // this function.
    let histogram = sql::integer_pairs(
        db,
        "SELECT CAST(x.course_id AS BIGINT), COALESCE(d.done, 0), COUNT(*) FROM enrolments x \
         LEFT JOIN (SELECT lp.user_id, lp.course_id, COUNT(*) AS done FROM lesson_progress lp \
           JOIN lessons l ON l.course_id = lp.course_id AND l.slug = lp.lesson_slug \
           AND l.retired = ? WHERE lp.completed_at IS NOT NULL \
           GROUP BY lp.user_id, lp.course_id) d \
         ON d.user_id = x.user_id AND d.course_id = x.course_id \
         WHERE x.status = 'active' GROUP BY x.course_id, COALESCE(d.done, 0)",
        vec![false.into()],
        "progress",
    )
    .await?;
    let mut per_course: BTreeMap<i64, Vec<(i64, u64)>> = BTreeMap::new();
    for (course, done, people) in histogram {
        per_course.entry(course).or_default().push((done, people));
    }
    let mut out = BTreeMap::new();
    for g in slugs {
        let (Some(slug), id) = (g.key, i64::try_from(g.count).unwrap_or(-1)) else {
            continue;
        };
        let total_lessons = lessons.get(&id).copied().unwrap_or(0);
        let median = per_course
            .get_mut(&id)
            .and_then(|h| median_percent(h, total_lessons));
        out.insert(slug, median);
    }
    Ok(out)
}

/// The median of a histogram (lessons done → people) as a percentage of `lessons`, rounded to
/// the nearest 5; `None` below [`PERCENT_BASE`] people.
fn median_percent(histogram: &mut [(i64, u64)], lessons: i64) -> Option<u64> {
    let people: u64 = histogram.iter().map(|(_, n)| n).sum();
    if people < PERCENT_BASE || lessons <= 0 {
        return None;
    }
    histogram.sort_unstable();
    let middle = people.div_ceil(2);
    let mut seen = 0;
    let done = histogram.iter().find_map(|&(done, n)| {
        seen += n;
        (seen >= middle).then_some(done)
    })?;
    // To the nearest multiple of 5, from the exact fraction.
    let done = done.clamp(0, lessons);
    u64::try_from((200 * done + 5 * lessons) / (10 * lessons) * 5).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_needs_a_base_of_23_and_is_rounded_to_5() {
        assert_eq!(median_percent(&mut [(3, 22)], 10), None);
        assert_eq!(median_percent(&mut [(3, 23)], 10), Some(30));
        assert_eq!(median_percent(&mut [(0, 12), (7, 11)], 9), Some(0));
        assert_eq!(median_percent(&mut [(7, 12), (0, 11)], 9), Some(80));
        assert_eq!(median_percent(&mut [(12, 30)], 10), Some(100));
    }
}
