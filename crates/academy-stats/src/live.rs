//! The live statistics: what the reports count, kept in memory and brought up to date as data
//! arrives, so that a report over a million people answers in milliseconds on either database.
//!
//! Per person the index holds only what a report can be broken down by: the four profile
//! values (country, gender, organisation type, language), the days and courses of their
//! learning activity (a day and a course per distinct pair, not the events; and one bit per
//! month of activity, in all and per course), and per course whether they are enrolled, the
//! day they completed it and which lessons they completed (a bit each). No name, no event, no
//! answer. Nothing leaves it but the grouped counts the reports publish through
//! [`crate::disclosure`].
//!
//! Kept current from the database alone, so every server of a deployment counts what any of
//! them recorded:
//! - learning events are read by id as they are committed (`progress_events.id`);
//! - everything else that changes a person's counts (a profile value, an erasure, an
//!   enrolment, a completion) is named in the `stats_changes` feed, written by triggers in the
//!   same transaction as the change (migration `m20261203_000010_stats_changes`); the people
//!   named are read again.
//!
//! A report first catches up ([`Live::refresh`], one indexed query per source when nothing is
//! new), so it counts every event committed before it was asked; a background task also
//! refreshes every few seconds so that catching up stays small. On PostgreSQL ids are taken
//! before commit, so a transaction can commit with a smaller id than one already read: every
//! refresh reads again the ids of the last [`OVERLAP`] (counting is idempotent). The whole
//! index is loaded again every [`RELOAD_EVERY`], and after the database was out of reach for
//! longer than the feed is kept, which repairs anything missed.
//!
//! Until the first load has finished, reports are counted from the tables
//! ([`crate::Reader::Tables`]): the same figures, only slower.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, VecDeque},
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Value};

use crate::{Dimension, Period, reach::Source, sql};

/// How long ids already read are read again on PostgreSQL (see the module documentation).
pub const OVERLAP: Duration = Duration::from_secs(15);
/// How often the whole index is loaded again.
pub const RELOAD_EVERY: Duration = Duration::from_secs(6 * 3600);
/// How long rows of the change feed are kept, in seconds; a server that could not read the
/// feed for longer loads everything again.
pub const FEED_KEPT_SECONDS: i64 = 3600;
/// Accounts per page when loading.
const LOAD_PAGE: i32 = 20_000;
/// Rows per page when catching up.
const TAIL_PAGE: u64 = 20_000;
/// Accounts per `IN (…)` list.
const IN_LIST: usize = 500;
/// The highest account id the index accepts (ids are dense from 1).
const MOST_ACCOUNTS: usize = 100_000_000;

/// A day of activity: days since 2000-01-01 (UTC).
type Day = u16;

/// The first day the index can hold.
fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// The index's day of `date`, if it can hold it.
pub(crate) fn day_of(date: NaiveDate) -> Option<Day> {
    Day::try_from((date - epoch()).num_days()).ok()
}

/// The index's days of `period`, both included, clamped to what the index can hold.
fn days_of(period: &Period) -> Option<(Day, Day)> {
    let lo = day_of(period.from()).unwrap_or(if period.from() < epoch() { 0 } else { Day::MAX });
    let hi = day_of(period.to()).unwrap_or(if period.to() < epoch() { 0 } else { Day::MAX });
    (period.to() >= epoch() && lo <= hi).then_some((lo, hi))
}

/// Months of activity, one bit per month from the index's first month ([`Index::first_month`]):
/// whole months of a period are counted from these bits without reading the days.
type Months = u128;

/// How many months [`Months`] holds.
const MONTHS_HELD: u16 = 128;

/// Months since 2000-01 of every [`Day`], computed once.
fn month_of(day: Day) -> u16 {
    static TABLE: std::sync::OnceLock<Vec<u16>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        (0..=Day::MAX)
            .map(|d| {
                let date = epoch() + chrono::Days::new(u64::from(d));
                u16::try_from((date.year() - 2000) * 12 + date.month0() as i32).unwrap_or(0)
            })
            .collect()
    });
    table.get(usize::from(day)).copied().unwrap_or(0)
}

/// The first day of month `month` (months since 2000-01), if the index can hold it.
fn first_day_of_month(month: u16) -> Option<Day> {
    let date = NaiveDate::from_ymd_opt(2000 + i32::from(month / 12), u32::from(month % 12) + 1, 1)?;
    day_of(date)
}

/// One distinct (day, course) of a person's activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Mark {
    day: Day,
    course: u16,
}

/// The first and last of some days of a person, or none: a pass skips a person whose days
/// all lie outside its period without reading them (a read of the person's heap, most of a
/// pass's time). It may cover more than the days (after a change), never less.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    first: Day,
    last: Day,
}

impl Span {
    const NONE: Span = Span {
        first: Day::MAX,
        last: 0,
    };

    fn add(&mut self, day: Day) {
        self.first = self.first.min(day);
        self.last = self.last.max(day);
    }

    /// Whether a day of the span may lie in `lo..=hi`.
    fn meets(self, lo: Day, hi: Day) -> bool {
        self.first <= self.last && self.first <= hi && self.last >= lo
    }
}

impl Default for Span {
    fn default() -> Span {
        Span::NONE
    }
}

/// A person's state in one course.
#[derive(Clone, Copy, Debug, Default)]
struct InCourse {
    course: u16,
    enrolled: bool,
    completed: Option<Day>,
    /// Completed lessons, one bit per lesson slug (see [`Index::lesson_bit`]).
    lessons: u64,
    /// The months of the person's activity in the course.
    months: Months,
}

/// Where one person's courses lie in [`Index::courses`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Slot {
    at: u32,
    len: u32,
}

impl Slot {
    fn range(self) -> std::ops::Range<usize> {
        let at = self.at as usize;
        at..at + self.len as usize
    }
}

/// What the index holds of one person; profile values are [`Texts`] codes, 0 for none.
#[derive(Clone, Debug, Default)]
struct Person {
    country: u32,
    gender: u32,
    organisation: u32,
    language: u32,
    /// Sorted, distinct.
    marks: Vec<Mark>,
    /// Where their courses lie in [`Index::courses`], sorted by course.
    courses: Slot,
    /// The days of `marks`.
    active: Span,
    /// The months of `marks` (those the index's months hold).
    months: Months,
    /// The days of the courses' completions.
    completions: Span,
    /// The months of the courses' completions (those the index's months hold).
    completed_months: Months,
    /// Whether two completions fall in one month, or one outside the months held: then
    /// `completed_months` does not tell how many there are.
    completions_stacked: bool,
}

impl Person {
    /// The marks of days `lo..=hi`, without reading them when the span says there are none.
    fn marks_in(&self, lo: Day, hi: Day) -> &[Mark] {
        if !self.active.meets(lo, hi) {
            return &[];
        }
        let start = self.marks.partition_point(|m| m.day < lo);
        let end = self.marks.partition_point(|m| m.day <= hi);
        self.marks.get(start..end).unwrap_or_default()
    }

    fn attribute(&self, lines: Dimension) -> u32 {
        match lines {
            Dimension::Country | Dimension::Region | Dimension::CountryYear => self.country,
            Dimension::Gender | Dimension::GenderYear => self.gender,
            Dimension::OrganisationType => self.organisation,
            Dimension::Language => self.language,
            Dimension::Month | Dimension::Course | Dimension::Mechanism => 0,
        }
    }
}

/// Profile values, stored once each; code 0 is "none".
#[derive(Clone, Debug, Default)]
struct Texts {
    values: Vec<String>,
    codes: HashMap<String, u32>,
}

impl Texts {
    fn code(&mut self, text: Option<String>) -> u32 {
        let Some(text) = text else { return 0 };
        if let Some(code) = self.codes.get(&text) {
            return *code;
        }
        self.values.push(text.clone());
        let code = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.codes.insert(text, code);
        code
    }

    fn text(&self, code: u32) -> Option<&str> {
        let i = usize::try_from(code).ok()?.checked_sub(1)?;
        self.values.get(i).map(String::as_str)
    }
}

/// A person's profile values as read from `users`.
struct Profile {
    id: i32,
    values: [Option<String>; 4],
    erased: bool,
}

#[derive(Clone, Debug, Default)]
struct Index {
    /// By account id.
    people: Vec<Person>,
    /// The month (since 2000-01) of bit 0 of every [`Months`]: they hold [`MONTHS_HELD`] months
    /// from it. Chosen at each load so that they hold the last nine years and the next few
    /// months; a period reaching outside them is counted from the days.
    first_month: u16,
    /// The last day of any mark: a period ending on it or later holds its last month whole,
    /// whatever its last date.
    last_day: Day,
    /// Every person's courses, one run per person (see [`Person::courses`]), in one array so
    /// that a pass reads them in order rather than one allocation per person.
    courses: Vec<InCourse>,
    /// Entries of `courses` no person's run covers any more (a run grown after a load moves to
    /// the end); [`Index::compact`] drops them.
    loose: usize,
    texts: Texts,
    /// Per course, the lesson slugs in the order their bits were given (at most 64).
    lesson_slugs: HashMap<u16, Vec<String>>,
}

impl Index {
    fn person_mut(&mut self, id: i32) -> Option<&mut Person> {
        let i = usize::try_from(id).ok().filter(|i| *i < MOST_ACCOUNTS)?;
        if i >= self.people.len() {
            self.people.resize_with(i + 1, Person::default);
        }
        self.people.get_mut(i)
    }

    fn lesson_bit(&mut self, course: u16, slug: &str) -> Option<u32> {
        let slugs = self.lesson_slugs.entry(course).or_default();
        if let Some(at) = slugs.iter().position(|s| s == slug) {
            return u32::try_from(at).ok();
        }
        if slugs.len() >= 64 {
            tracing::warn!(
                course,
                "statistics: a course with over 64 lessons; the rest are not counted in its median progress"
            );
            return None;
        }
        slugs.push(slug.to_owned());
        u32::try_from(slugs.len() - 1).ok()
    }

    /// The bit of `day`'s month, or 0 when the months do not hold it.
    fn month_bit(&self, day: Day) -> Months {
        month_of(day)
            .checked_sub(self.first_month)
            .filter(|m| *m < MONTHS_HELD)
            .map_or(0, |m| 1 << m)
    }

    /// A person's courses.
    fn courses_of(&self, p: &Person) -> &[InCourse] {
        self.courses.get(p.courses.range()).unwrap_or_default()
    }

    /// A person's state in `course`, added when they have none: in place when their run is
    /// the last, else the run moves to the end.
    fn course_mut(&mut self, id: i32, course: u16) -> Option<&mut InCourse> {
        let end = self.courses.len();
        let slot = self.person_mut(id)?.courses;
        let range = slot.range();
        let at = match self
            .courses
            .get(range.clone())?
            .binary_search_by_key(&course, |c| c.course)
        {
            Ok(found) => range.start + found,
            Err(place) => {
                let new = InCourse {
                    course,
                    ..InCourse::default()
                };
                let moved = if range.end == end {
                    slot
                } else {
                    self.courses.extend_from_within(range.clone());
                    self.loose += range.len();
                    Slot {
                        at: u32::try_from(end).ok()?,
                        len: slot.len,
                    }
                };
                let at = moved.range().start + place;
                self.courses.insert(at, new);
                self.person_mut(id)?.courses = Slot {
                    len: moved.len + 1,
                    ..moved
                };
                at
            }
        };
        self.courses.get_mut(at)
    }

    /// Drops the entries of `courses` no run covers, when they are over half of it.
    fn compact(&mut self, always: bool) {
        if !always && self.loose * 2 <= self.courses.len() {
            return;
        }
        let mut kept = Vec::with_capacity(self.courses.len() - self.loose.min(self.courses.len()));
        for p in &mut self.people {
            let at = u32::try_from(kept.len()).unwrap_or(u32::MAX);
            kept.extend_from_slice(self.courses.get(p.courses.range()).unwrap_or_default());
            p.courses.at = at;
        }
        self.courses = kept;
        self.loose = 0;
    }

    fn add_mark(&mut self, id: i32, day: Day, course: u16, sorted: bool) {
        let bit = self.month_bit(day);
        self.last_day = self.last_day.max(day);
        if let Some(c) = self.course_mut(id, course) {
            c.months |= bit;
        }
        if let Some(p) = self.person_mut(id) {
            let mark = Mark { day, course };
            p.active.add(day);
            p.months |= bit;
            if sorted {
                if let Err(at) = p.marks.binary_search(&mark) {
                    p.marks.insert(at, mark);
                }
            } else {
                p.marks.push(mark);
            }
        }
    }

    fn complete_lesson(&mut self, id: i32, course: u16, slug: &str) {
        let Some(bit) = self.lesson_bit(course, slug) else {
            return;
        };
        if let Some(c) = self.course_mut(id, course) {
            c.lessons |= 1u64 << bit;
        }
    }

    fn set_profile(&mut self, profile: Profile) {
        if profile.erased {
            self.forget(profile.id);
            return;
        }
        let [country, gender, organisation, language] = profile.values;
        let codes = [
            self.texts.code(country),
            self.texts.code(gender),
            self.texts.code(organisation),
            self.texts.code(language),
        ];
        if let Some(p) = self.person_mut(profile.id) {
            [p.country, p.gender, p.organisation, p.language] = codes;
        }
    }

    /// Works out again a person's completed months from their courses.
    fn settle_completions(&mut self, id: i32) {
        let Some(p) = self.person_mut(id) else { return };
        let slot = p.courses;
        let (mut months, mut stacked) = (0, false);
        for c in self.courses.get(slot.range()).unwrap_or_default() {
            let Some(day) = c.completed else { continue };
            let bit = self.month_bit(day);
            stacked |= bit == 0 || months & bit != 0;
            months |= bit;
        }
        let Some(p) = self.person_mut(id) else { return };
        p.completed_months = months;
        p.completions_stacked = stacked;
    }

    fn forget(&mut self, id: i32) {
        if let Some(p) = usize::try_from(id)
            .ok()
            .and_then(|i| self.people.get_mut(i))
        {
            self.loose += p.courses.range().len();
            *p = Person::default();
        }
    }

    /// Sorts and deduplicates every person's marks after a load.
    fn finish(&mut self) {
        for p in &mut self.people {
            p.marks.sort_unstable();
            p.marks.dedup();
            p.marks.shrink_to_fit();
        }
        self.compact(true);
    }
}

/// The courses as reports name them: slug and mechanisms by course id, and the current
/// lessons. Small tables, read for each report.
pub(crate) struct Catalog {
    slugs: HashMap<u16, String>,
    mechanisms: HashMap<u16, Vec<u32>>,
    mechanism_names: Vec<String>,
    /// Per course, its current (not retired) lesson slugs.
    lessons: HashMap<u16, Vec<String>>,
}

impl Catalog {
    pub(crate) async fn read(db: &impl ConnectionTrait) -> anyhow::Result<Catalog> {
        let mut slugs = HashMap::new();
        for row in sql::rows(db, "SELECT id, slug FROM courses", Vec::new(), "courses").await? {
            if let Some(id) = course_of(&row, 0)? {
                slugs.insert(id, text(&row, 1)?.unwrap_or_default());
            }
        }
        let mut mechanisms: HashMap<u16, Vec<u32>> = HashMap::new();
        let mut names: Vec<String> = Vec::new();
        for row in sql::rows(
            db,
            "SELECT course_id, mechanism FROM course_mechanisms",
            Vec::new(),
            "mechanisms",
        )
        .await?
        {
            let (Some(id), Some(name)) = (course_of(&row, 0)?, text(&row, 1)?) else {
                continue;
            };
            let code = match names.iter().position(|n| *n == name) {
                Some(at) => at,
                None => {
                    names.push(name);
                    names.len() - 1
                }
            };
            mechanisms
                .entry(id)
                .or_default()
                .push(u32::try_from(code).unwrap_or(u32::MAX));
        }
        let mut lessons: HashMap<u16, Vec<String>> = HashMap::new();
        for row in sql::rows(
            db,
            "SELECT course_id, slug FROM lessons WHERE retired = ?",
            vec![false.into()],
            "lessons",
        )
        .await?
        {
            if let (Some(id), Some(slug)) = (course_of(&row, 0)?, text(&row, 1)?) {
                lessons.entry(id).or_default().push(slug);
            }
        }
        Ok(Catalog {
            slugs,
            mechanisms,
            mechanism_names: names,
            lessons,
        })
    }
}

fn text(row: &QueryResult, i: usize) -> anyhow::Result<Option<String>> {
    row.try_get_by_index::<Option<String>>(i)
        .context("reading a statistics row")
}

/// An `INTEGER` column (ids, flags): 32 bits on PostgreSQL.
fn id_of(row: &QueryResult, i: usize) -> anyhow::Result<Option<i32>> {
    row.try_get_by_index::<Option<i32>>(i)
        .context("reading a statistics row")
}

fn course_of(row: &QueryResult, i: usize) -> anyhow::Result<Option<u16>> {
    Ok(id_of(row, i)?.and_then(|n| u16::try_from(n).ok()))
}

/// A day of [`sql::day`] (a `BIGINT`).
fn day_in(row: &QueryResult, i: usize) -> anyhow::Result<Option<Day>> {
    Ok(row
        .try_get_by_index::<Option<i64>>(i)
        .context("reading a statistics row")?
        .and_then(|n| Day::try_from(n).ok()))
}

/// Where reading resumes in a table read by id: the highest id read, and on PostgreSQL the
/// highest ids read over the last [`OVERLAP`], to read them again.
#[derive(Debug, Default)]
struct Watermark {
    seen: i64,
    history: VecDeque<(Instant, i64)>,
}

impl Watermark {
    fn new(seen: i64) -> Watermark {
        Watermark {
            seen,
            history: VecDeque::from([(Instant::now(), seen)]),
        }
    }

    /// The id after which to read: on PostgreSQL, the highest id read [`OVERLAP`] ago.
    fn start(&self, backend: DatabaseBackend) -> i64 {
        if backend != DatabaseBackend::Postgres {
            return self.seen;
        }
        let now = Instant::now();
        self.history
            .iter()
            .rev()
            .find(|(at, _)| now.duration_since(*at) >= OVERLAP)
            .or_else(|| self.history.front())
            .map_or(self.seen, |(_, id)| *id)
    }

    fn advance(&mut self, to: i64) {
        self.seen = self.seen.max(to);
        let now = Instant::now();
        self.history.push_back((now, self.seen));
        // Keep one entry older than the overlap, and the newer ones.
        while self
            .history
            .get(1)
            .is_some_and(|(at, _)| now.duration_since(*at) >= OVERLAP)
        {
            self.history.pop_front();
        }
    }
}

#[derive(Debug, Default)]
struct Cursor {
    events: Watermark,
    changes: Watermark,
    loaded_at: Option<Instant>,
    refreshed_at: Option<Instant>,
    pruned_at: Option<Instant>,
}

/// The live index of one server; see the module documentation.
#[derive(Debug, Default)]
pub struct Live {
    index: Arc<RwLock<Index>>,
    cursor: tokio::sync::Mutex<Cursor>,
    ready: AtomicBool,
}

/// What a load or refresh did, for the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Refreshed {
    pub loaded: bool,
    pub events: u64,
    pub people: u64,
}

impl Live {
    pub fn new() -> Arc<Live> {
        Arc::new(Live::default())
    }

    /// Whether the index has been loaded and reports can count from it.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// For the background task: loads the index whole when it never was, is older than
    /// [`RELOAD_EVERY`], or could not be refreshed for longer than the feed is kept; else
    /// catches up ([`Live::catch_up`]).
    pub async fn refresh<C: ConnectionTrait>(&self, db: &C) -> anyhow::Result<Refreshed> {
        let due = {
            let cursor = self.cursor.lock().await;
            let stale =
                |at: Option<Instant>, limit: Duration| at.is_none_or(|t| t.elapsed() > limit);
            let feed_kept = Duration::from_secs(FEED_KEPT_SECONDS.unsigned_abs() / 2);
            stale(cursor.loaded_at, RELOAD_EVERY) || stale(cursor.refreshed_at, feed_kept)
        };
        if due {
            self.reload(db).await
        } else {
            self.catch_up(db).await
        }
    }

    /// Loads the index whole. Reports go on catching up the old one meanwhile; the new one
    /// then reads again what was committed since its load began.
    async fn reload<C: ConnectionTrait>(&self, db: &C) -> anyhow::Result<Refreshed> {
        let started = Instant::now();
        let (index, events, changes) = load(db).await?;
        let refreshed = Refreshed {
            loaded: true,
            events: index.people.iter().map(|p| p.marks.len() as u64).sum(),
            people: index.people.iter().filter(|p| !p.marks.is_empty()).count() as u64,
        };
        let mut cursor = self.cursor.lock().await;
        *self.write() = index;
        *cursor = Cursor {
            events,
            changes,
            loaded_at: Some(started),
            refreshed_at: Some(started),
            pruned_at: cursor.pruned_at,
        };
        self.ready.store(true, Ordering::Release);
        tracing::info!(
            people = refreshed.people,
            marks = refreshed.events,
            seconds = started.elapsed().as_secs_f64(),
            "statistics: live index loaded"
        );
        Ok(refreshed)
    }

    /// Reads the learning events and the changes committed since the last refresh (nothing
    /// before the first load). A report calls it first, so it counts everything committed
    /// before it was asked.
    pub async fn catch_up<C: ConnectionTrait>(&self, db: &C) -> anyhow::Result<Refreshed> {
        let mut cursor = self.cursor.lock().await;
        if cursor.loaded_at.is_none() {
            return Ok(Refreshed::default());
        }
        let started = Instant::now();
        let refreshed = self.read_new(db, &mut cursor).await?;
        cursor.refreshed_at = Some(started);
        if cursor
            .pruned_at
            .is_none_or(|t| t.elapsed() > Duration::from_secs(600))
        {
            prune(db).await?;
            cursor.pruned_at = Some(Instant::now());
        }
        Ok(refreshed)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    async fn read_new<C: ConnectionTrait>(
        &self,
        db: &C,
        cursor: &mut Cursor,
    ) -> anyhow::Result<Refreshed> {
        let backend = db.get_database_backend();
        let mut out = Refreshed::default();
        // New events.
        let mut after = cursor.events.start(backend);
        let mut newest = cursor.events.seen;
        let mut unknown = BTreeSet::new();
        loop {
            let rows = sql::rows(
                db,
                &format!(
                    "SELECT id, user_id, course_id, {}, \
                     CASE WHEN item_kind = 'lesson' AND verb = 'completed' THEN item_slug END \
                     FROM progress_events WHERE id > ? ORDER BY id LIMIT {TAIL_PAGE}",
                    sql::day(db, "occurred_at")
                ),
                vec![after.into()],
                "new learning events",
            )
            .await?;
            let full = rows.len() as u64 == TAIL_PAGE;
            let mut read = Vec::with_capacity(rows.len());
            for row in &rows {
                let Some(id) = id_of(row, 0)? else { continue };
                after = after.max(i64::from(id));
                if let (Some(user), Some(course), Some(day)) =
                    (id_of(row, 1)?, course_of(row, 2)?, day_in(row, 3)?)
                {
                    read.push((user, course, day, text(row, 4)?));
                }
            }
            out.events += read.len() as u64;
            {
                let mut index = self.write();
                for (user, course, day, lesson) in read {
                    let known = index
                        .people
                        .get(usize::try_from(user).unwrap_or(usize::MAX))
                        .is_some_and(|p| !p.marks.is_empty() || p.country != 0);
                    if !known {
                        unknown.insert(user);
                    }
                    index.add_mark(user, day, course, true);
                    if let Some(slug) = lesson {
                        index.complete_lesson(user, course, &slug);
                    }
                }
            }
            newest = newest.max(after);
            if !full {
                break;
            }
        }
        cursor.events.advance(newest);
        // People named by the change feed.
        let mut after = cursor.changes.start(backend);
        let mut newest = cursor.changes.seen;
        let mut named = unknown;
        loop {
            let rows = sql::rows(
                db,
                &format!(
                    "SELECT id, user_id FROM stats_changes WHERE id > ? ORDER BY id \
                     LIMIT {TAIL_PAGE}"
                ),
                vec![after.into()],
                "the statistics change feed",
            )
            .await?;
            let full = rows.len() as u64 == TAIL_PAGE;
            for row in &rows {
                if let Some(id) = id_of(row, 0)? {
                    after = after.max(i64::from(id));
                }
                if let Some(user) = id_of(row, 1)? {
                    named.insert(user);
                }
            }
            newest = newest.max(after);
            if !full {
                break;
            }
        }
        cursor.changes.advance(newest);
        let named: Vec<i32> = named.into_iter().collect();
        out.people = named.len() as u64;
        for chunk in named.chunks(IN_LIST) {
            let read = read_people(db, chunk).await?;
            let mut index = self.write();
            read.apply(&mut index, chunk);
        }
        self.write().compact(false);
        Ok(out)
    }

    /// Runs `count` on the index, off the async workers (a pass over every person).
    pub(crate) async fn with_index<T, F>(&self, count: F) -> anyhow::Result<T>
    where
        F: FnOnce(&Counter<'_>) -> T + Send + 'static,
        T: Send + 'static,
    {
        let index = Arc::clone(&self.index);
        tokio::task::spawn_blocking(move || {
            let index = index.read().unwrap_or_else(|e| e.into_inner());
            count(&Counter {
                index: &index,
                whole_months: true,
            })
        })
        .await
        .context("counting from the live statistics")
    }
}

/// What is read of some people again: profiles, active enrolments and completions.
#[derive(Default)]
struct PeopleRead {
    profiles: Vec<Profile>,
    enrolled: Vec<(i32, u16)>,
    completed: Vec<(i32, u16, Day)>,
}

impl PeopleRead {
    /// Replaces what the index holds of each of `ids` (but their activity) with what was read;
    /// answers those who are there (not erased).
    fn apply(self, index: &mut Index, ids: &[i32]) -> BTreeSet<i32> {
        let mut found = BTreeSet::new();
        for profile in self.profiles {
            if !profile.erased {
                found.insert(profile.id);
            }
            index.set_profile(profile);
        }
        for id in ids {
            if !found.contains(id) {
                index.forget(*id);
            } else if let Some(p) = index.person_mut(*id) {
                p.completions = Span::NONE;
                let run = p.courses.range();
                for c in index.courses.get_mut(run).unwrap_or_default() {
                    c.enrolled = false;
                    c.completed = None;
                }
            }
        }
        for (id, course) in self.enrolled {
            if found.contains(&id)
                && let Some(c) = index.course_mut(id, course)
            {
                c.enrolled = true;
            }
        }
        for (id, course, day) in self.completed {
            if found.contains(&id)
                && let Some(c) = index.course_mut(id, course)
            {
                c.completed = Some(day);
                if let Some(p) = index.person_mut(id) {
                    p.completions.add(day);
                }
            }
        }
        for id in &found {
            index.settle_completions(*id);
        }
        found
    }
}

const PROFILE_COLUMNS: &str = "id, country, gender, organisation_type, language, \
     CASE WHEN erased_at IS NULL THEN 0 ELSE 1 END";

fn profile_of(row: &QueryResult) -> anyhow::Result<Option<Profile>> {
    let Some(id) = id_of(row, 0)? else {
        return Ok(None);
    };
    Ok(Some(Profile {
        id,
        values: [text(row, 1)?, text(row, 2)?, text(row, 3)?, text(row, 4)?],
        erased: id_of(row, 5)?.unwrap_or(0) != 0,
    }))
}

async fn read_people(db: &impl ConnectionTrait, ids: &[i32]) -> anyhow::Result<PeopleRead> {
    let list = vec!["?"; ids.len()].join(", ");
    let values: Vec<Value> = ids.iter().map(|id| (*id).into()).collect();
    let mut out = PeopleRead::default();
    for row in sql::rows(
        db,
        &format!("SELECT {PROFILE_COLUMNS} FROM users WHERE id IN ({list})"),
        values.clone(),
        "profiles",
    )
    .await?
    {
        out.profiles.extend(profile_of(&row)?);
    }
    for row in sql::rows(
        db,
        &format!(
            "SELECT user_id, course_id FROM enrolments WHERE status = 'active' \
             AND user_id IN ({list})"
        ),
        values.clone(),
        "enrolments",
    )
    .await?
    {
        if let (Some(id), Some(course)) = (id_of(&row, 0)?, course_of(&row, 1)?) {
            out.enrolled.push((id, course));
        }
    }
    for row in sql::rows(
        db,
        &format!(
            "SELECT user_id, course_id, {} FROM course_progress \
             WHERE completed_at IS NOT NULL AND user_id IN ({list})",
            sql::day(db, "completed_at")
        ),
        values,
        "completions",
    )
    .await?
    {
        if let (Some(id), Some(course), Some(day)) =
            (id_of(&row, 0)?, course_of(&row, 1)?, day_in(&row, 2)?)
        {
            out.completed.push((id, course, day));
        }
    }
    Ok(out)
}

/// Loads the whole index, by pages of accounts; answers it and where catching up starts.
async fn load(db: &impl ConnectionTrait) -> anyhow::Result<(Index, Watermark, Watermark)> {
    let max = |table: &'static str| async move {
        sql::count(
            db,
            &format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM {table}"),
            Vec::new(),
            table,
        )
        .await
        .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
    };
    // Where catching up starts is read first: what commits during the load is read again.
    // On PostgreSQL, also the ids below of transactions still open (a generous bound on what
    // the progress writers can have in flight).
    let slack = if db.get_database_backend() == DatabaseBackend::Postgres {
        10_000
    } else {
        0
    };
    let events = Watermark::new(max("progress_events").await? - slack);
    let changes = Watermark::new(max("stats_changes").await? - slack);
    let accounts = i32::try_from(max("users").await?).unwrap_or(i32::MAX);
    let mut index = Index {
        first_month: first_month(Utc::now()),
        ..Index::default()
    };
    let mut from = 0i32;
    while from <= accounts {
        let to = from.saturating_add(LOAD_PAGE);
        let range = || vec![Value::from(from), Value::from(to)];
        let mut read = PeopleRead::default();
        for row in sql::rows(
            db,
            &format!("SELECT {PROFILE_COLUMNS} FROM users WHERE id >= ? AND id < ?"),
            range(),
            "profiles",
        )
        .await?
        {
            read.profiles.extend(profile_of(&row)?);
        }
        let ids: Vec<i32> = read.profiles.iter().map(|p| p.id).collect();
        for row in sql::rows(
            db,
            "SELECT user_id, course_id FROM enrolments WHERE status = 'active' \
             AND user_id >= ? AND user_id < ?",
            range(),
            "enrolments",
        )
        .await?
        {
            if let (Some(id), Some(course)) = (id_of(&row, 0)?, course_of(&row, 1)?) {
                read.enrolled.push((id, course));
            }
        }
        for row in sql::rows(
            db,
            &format!(
                "SELECT user_id, course_id, {} FROM course_progress \
                 WHERE completed_at IS NOT NULL AND user_id >= ? AND user_id < ?",
                sql::day(db, "completed_at")
            ),
            range(),
            "completions",
        )
        .await?
        {
            if let (Some(id), Some(course), Some(day)) =
                (id_of(&row, 0)?, course_of(&row, 1)?, day_in(&row, 2)?)
            {
                read.completed.push((id, course, day));
            }
        }
        let live = read.apply(&mut index, &ids);
        for row in sql::rows(
            db,
            "SELECT user_id, course_id, lesson_slug FROM lesson_progress \
             WHERE completed_at IS NOT NULL AND user_id >= ? AND user_id < ?",
            range(),
            "completed lessons",
        )
        .await?
        {
            if let (Some(id), Some(course), Some(slug)) =
                (id_of(&row, 0)?, course_of(&row, 1)?, text(&row, 2)?)
                && live.contains(&id)
            {
                index.complete_lesson(id, course, &slug);
            }
        }
        for row in sql::rows(
            db,
            &format!(
                "SELECT user_id, course_id, {} FROM progress_events \
                 WHERE user_id >= ? AND user_id < ?",
                sql::day(db, "occurred_at")
            ),
            range(),
            "learning events",
        )
        .await?
        {
            if let (Some(id), Some(course), Some(day)) =
                (id_of(&row, 0)?, course_of(&row, 1)?, day_in(&row, 2)?)
                && live.contains(&id)
            {
                index.add_mark(id, day, course, false);
            }
        }
        index.compact(false);
        from = to;
    }
    index.finish();
    Ok((index, events, changes))
}

/// The first month of the index's [`Months`] loaded at `now`: January nine years back, so that
/// they hold up to August of next year (a load every [`RELOAD_EVERY`] moves them on).
fn first_month(now: chrono::DateTime<Utc>) -> u16 {
    u16::try_from((now.year() - 2009).max(0) * 12).unwrap_or(0)
}

/// Deletes the rows of the change feed older than [`FEED_KEPT_SECONDS`].
async fn prune(db: &impl ConnectionTrait) -> anyhow::Result<()> {
    let before = Utc::now().timestamp() - FEED_KEPT_SECONDS;
    sql::execute(
        db,
        "DELETE FROM stats_changes WHERE changed_at < ?",
        vec![before.into()],
        "pruning the statistics change feed",
    )
    .await
}

/// Counts out of the index. A report is one pass over every person (split over the cores),
/// filling every grouping it needs at once into dense arrays. People reached, and completions,
/// in the months a period holds whole are counted from their month bits (a person's bits, an
/// AND, a count per line and year): only the marks of the months it holds in part are read, and
/// only of people active in them; a person's courses are read for lines by course or mechanism,
/// or when two of their completions share a month. Periods reaching outside the months held
/// are counted from the days, with a stamp per cell (the last person counted there) for
/// distinct people. Nothing is sorted or hashed per person.
pub(crate) struct Counter<'a> {
    index: &'a Index,
    /// Whether whole months are counted from the month bits (else from the days; the same
    /// counts, slower: the unit tests compare them).
    whole_months: bool,
}

/// How many threads a pass uses.
fn threads(people: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if people < 50_000 {
        1
    } else {
        cores.clamp(1, 4)
    }
}

/// Runs `pass` over `people` in chunks on [`threads`] threads; `pass` gets a chunk and the
/// index of its first person.
fn in_parallel<T: Send>(people: &[Person], pass: impl Fn(&[Person], usize) -> T + Sync) -> Vec<T> {
    let n = threads(people.len());
    let size = people.len().div_ceil(n).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = people
            .chunks(size)
            .enumerate()
            .map(|(i, chunk)| {
                let pass = &pass;
                scope.spawn(move || pass(chunk, i * size))
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    })
}

/// How a period is read from the month bits: the months it holds whole, and those it holds in
/// part (at its ends), whose marks are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct MonthsOf {
    whole: Months,
    part: Months,
}

impl Index {
    /// How the period of days `lo..=hi` is read from the month bits; `None` when it reaches
    /// outside the months they hold.
    fn months_of(&self, lo: Day, hi: Day) -> Option<MonthsOf> {
        let (first, last) = (month_of(lo), month_of(hi));
        if first < self.first_month
            || u32::from(last) >= u32::from(self.first_month) + u32::from(MONTHS_HELD)
            || lo > hi
        {
            return None;
        }
        let mut out = MonthsOf { whole: 0, part: 0 };
        for month in first..=last {
            let bit: Months = 1 << (month - self.first_month);
            let starts = first_day_of_month(month)?;
            let ends = first_day_of_month(month + 1).map_or(Day::MAX, |d| d.saturating_sub(1));
            // A month is held in part when the period leaves out some of its days that may
            // hold marks (none lies after the last day of any mark).
            let cut = (month == first && lo > starts)
                || (month == last && hi < ends && hi < self.last_day);
            if cut {
                out.part |= bit;
            } else {
                out.whole |= bit;
            }
        }
        Some(out)
    }

    /// Of `months` (a person's, or theirs in one course), those of the period read as `w`:
    /// the whole months from the bits, the others from `part`, the person's marks in the
    /// period (of `course` only, when given).
    fn period_months(
        &self,
        w: MonthsOf,
        months: Months,
        part: &[Mark],
        course: Option<u16>,
    ) -> Months {
        let mut out = months & w.whole;
        if months & w.part != 0 {
            for m in part {
                if course.is_none_or(|c| c == m.course) {
                    out |= self.month_bit(m.day) & w.part;
                }
            }
        }
        out
    }
}

impl Person {
    /// The marks a period read as `w` needs: those of its days when it holds some of this
    /// person's months in part, else none.
    fn marks_of_part(&self, w: MonthsOf, lo: Day, hi: Day) -> &[Mark] {
        if self.months & w.part != 0 {
            self.marks_in(lo, hi)
        } else {
            &[]
        }
    }
}

/// A report's lines and years in month bits: each year's months, and the month line of each
/// bit (`usize::MAX` outside the report).
struct MonthLines<'a> {
    years: &'a [Months],
    lines: &'a [usize; MONTHS_HELD as usize],
}

impl MonthLines<'_> {
    /// Counts a person once in the total, and once per year of `months`.
    fn count_once(&self, tally: &mut Tally, months: Months) {
        tally.total += 1;
        for (y, mask) in self.years.iter().enumerate() {
            if months & mask != 0 {
                bump(&mut tally.by_year, y);
            }
        }
    }

    /// Counts one for each month of `months`, in the total and per year.
    fn count_times(&self, tally: &mut Tally, months: Months) {
        tally.total += u64::from(months.count_ones());
        for (y, mask) in self.years.iter().enumerate() {
            if let Some(n) = tally.by_year.get_mut(y) {
                *n += u64::from((months & mask).count_ones());
            }
        }
    }

    /// Counts a person once on `line`, and on that line once per year of `months`.
    fn count_line(&self, tally: &mut Tally, line: usize, months: Months) {
        bump(&mut tally.by_line, line);
        let years = self.years.len();
        for (y, mask) in self.years.iter().enumerate() {
            if months & mask != 0 {
                bump(&mut tally.by_line_year, line * years + y);
            }
        }
    }

    /// Counts on `line` one for each month of `months`, in all and per year.
    fn count_line_times(&self, tally: &mut Tally, line: usize, months: Months) {
        let years = self.years.len();
        if let Some(n) = tally.by_line.get_mut(line) {
            *n += u64::from(months.count_ones());
        }
        for (y, mask) in self.years.iter().enumerate() {
            if let Some(n) = tally.by_line_year.get_mut(line * years + y) {
                *n += u64::from((months & mask).count_ones());
            }
        }
    }

    /// Counts a person once on the line of each month of `months`.
    fn count_each(&self, tally: &mut Tally, months: Months) {
        let years = self.years.len();
        let mut bits = months;
        while bits != 0 {
            let bit = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if let Some(&line) = self.lines.get(bit)
                && line != usize::MAX
            {
                bump(&mut tally.by_line, line);
                bump(&mut tally.by_line_year, line * years + line / 12);
            }
        }
    }
}

/// One measure's counts: in total, per year, per line, per line and year.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Tally {
    total: u64,
    by_year: Vec<u64>,
    by_line: Vec<u64>,
    /// `line * years + year`.
    by_line_year: Vec<u64>,
}

impl Tally {
    fn new(lines: usize, years: usize) -> Tally {
        Tally {
            total: 0,
            by_year: vec![0; years],
            by_line: vec![0; lines],
            by_line_year: vec![0; lines * years],
        }
    }

    fn add(&mut self, other: &Tally) {
        self.total += other.total;
        for (a, b) in [
            (&mut self.by_year, &other.by_year),
            (&mut self.by_line, &other.by_line),
            (&mut self.by_line_year, &other.by_line_year),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }
}

/// The stamps of a distinct-people tally: who was counted last in each cell.
#[derive(Default)]
struct Stamps {
    total: u32,
    by_year: Vec<u32>,
    by_line: Vec<u32>,
    by_line_year: Vec<u32>,
}

impl Stamps {
    fn new(lines: usize, years: usize) -> Stamps {
        Stamps {
            total: 0,
            by_year: vec![0; years],
            by_line: vec![0; lines],
            by_line_year: vec![0; lines * years],
        }
    }
}

/// Counts one hit in `year` for person `stamp`, in the total and per year: once per person for
/// distinct people (`stamps`), every time otherwise.
fn count_hit(tally: &mut Tally, stamps: Option<&mut Stamps>, stamp: u32, year: usize) {
    match stamps {
        None => {
            tally.total += 1;
            bump(&mut tally.by_year, year);
        }
        Some(s) => {
            if s.total != stamp {
                s.total = stamp;
                tally.total += 1;
            }
            count_once(&mut tally.by_year, &mut s.by_year, stamp, year);
        }
    }
}

/// Counts one hit on `line` in `year` for person `stamp`, per line and per line and year.
fn count_line(
    tally: &mut Tally,
    stamps: Option<&mut Stamps>,
    stamp: u32,
    (line, year, years): (usize, usize, usize),
) {
    let cell = line * years + year;
    match stamps {
        None => {
            bump(&mut tally.by_line, line);
            bump(&mut tally.by_line_year, cell);
        }
        Some(s) => {
            count_once(&mut tally.by_line, &mut s.by_line, stamp, line);
            count_once(&mut tally.by_line_year, &mut s.by_line_year, stamp, cell);
        }
    }
}

/// Counts person `stamp` in `counts[at]` unless they were already.
fn count_once(counts: &mut [u64], seen: &mut [u32], stamp: u32, at: usize) {
    if let Some(last) = seen.get_mut(at)
        && *last != stamp
    {
        *last = stamp;
        bump(counts, at);
    }
}

fn bump(counts: &mut [u64], at: usize) {
    if let Some(n) = counts.get_mut(at) {
        *n += 1;
    }
}

/// Every count of a reach report by one dimension's lines (see [`Counter::tally`]).
pub(crate) struct Tallies {
    pub(crate) lines: Dimension,
    first_year: i32,
    years: usize,
    /// The stored value (key) of each line code; `None` is SQL NULL. Lines that name nothing
    /// (a course or mechanism not in the catalog) are never counted.
    names: Vec<Option<String>>,
    /// Reached, trained, completions, as [`Source::ALL`].
    sources: [Tally; 3],
    countries_reached: u64,
}

impl Tallies {
    /// The counts of `source` in the shape of the tables' query: grouped by the key of `lines`
    /// (when given; it must be this tally's) and by year (the first key without lines).
    pub(crate) fn grouped(
        &self,
        source: Source,
        lines: Option<Dimension>,
        by_year: bool,
    ) -> Vec<sql::Grouped> {
        let tally = match source {
            Source::Reached => &self.sources[0],
            Source::Trained => &self.sources[1],
            Source::Completions => &self.sources[2],
        };
        let year = |y: usize| Some(format!("{:04}", self.first_year + y as i32));
        let mut out = Vec::new();
        let mut push = |key, key2, count| {
            if count > 0 {
                out.push(sql::Grouped { key, key2, count });
            }
        };
        match (lines.is_some(), by_year) {
            (false, false) => push(None, None, tally.total),
            (false, true) => {
                for (y, n) in tally.by_year.iter().enumerate() {
                    push(year(y), None, *n);
                }
            }
            (true, false) => {
                for (line, n) in tally.by_line.iter().enumerate() {
                    push(self.names.get(line).cloned().flatten(), None, *n);
                }
            }
            (true, true) => {
                for (cell, n) in tally.by_line_year.iter().enumerate() {
                    let (line, y) = (cell / self.years.max(1), cell % self.years.max(1));
                    push(self.names.get(line).cloned().flatten(), year(y), *n);
                }
            }
        }
        out
    }

    pub(crate) fn countries_reached(&self) -> u64 {
        self.countries_reached
    }
}

impl Counter<'_> {
    /// Every count a reach report of `period` by `lines` needs, in one pass: for each measure
    /// the total, per year, per line and per line and year; and the countries reached (a
    /// stated country other than `not_said`).
    pub(crate) fn tally(
        &self,
        catalog: &Catalog,
        period: &Period,
        lines: Dimension,
        not_said: &str,
    ) -> Tallies {
        let first_year = period.from().year();
        let years = usize::try_from(period.to().year() - first_year + 1)
            .unwrap_or(1)
            .max(1);
        let texts = &self.index.texts;
        let most_course = catalog.slugs.keys().copied().max().map_or(0, usize::from);
        // The line codes and their names.
        let names: Vec<Option<String>> = match lines {
            Dimension::Month => (0..years * 12)
                .map(|m| {
                    Some(format!(
                        "{:04}-{:02}",
                        first_year + (m / 12) as i32,
                        m % 12 + 1
                    ))
                })
                .collect(),
            Dimension::Course => (0..=most_course)
                .map(|c| {
                    u16::try_from(c)
                        .ok()
                        .and_then(|c| catalog.slugs.get(&c).cloned())
                })
                .collect(),
            Dimension::Mechanism => catalog.mechanism_names.iter().cloned().map(Some).collect(),
            _ => std::iter::once(None)
                .chain(texts.values.iter().cloned().map(Some))
                .collect(),
        };
        let no_mechanisms: Vec<u32> = Vec::new();
        let mechanisms: Vec<&Vec<u32>> = (0..=most_course)
            .map(|c| {
                u16::try_from(c)
                    .ok()
                    .and_then(|c| catalog.mechanisms.get(&c))
                    .unwrap_or(&no_mechanisms)
            })
            .collect();
        let n_lines = names.len().max(1);
        let Some((lo, hi)) = days_of(period) else {
            return Tallies {
                lines,
                first_year,
                years,
                names,
                sources: [
                    Tally::new(n_lines, years),
                    Tally::new(n_lines, years),
                    Tally::new(n_lines, years),
                ],
                countries_reached: 0,
            };
        };
        // The year and month codes of every day of the period.
        let calendar: Vec<(usize, usize)> = (lo..=hi)
            .map(|d| {
                let date = epoch() + chrono::Days::new(u64::from(d));
                let y = usize::try_from(date.year() - first_year).unwrap_or(0);
                (y, y * 12 + date.month0() as usize)
            })
            .collect();
        let named = |line: usize| names.get(line).is_some_and(Option::is_some);
        // Whole months are counted from the month bits when the index's months hold the period.
        let by_months = self.index.months_of(lo, hi).filter(|_| self.whole_months);
        let first_line = (i32::from(self.index.first_month) - (first_year - 2000) * 12) as i64;
        let mut year_masks: Vec<Months> = vec![0; years];
        let mut month_lines = [usize::MAX; MONTHS_HELD as usize];
        for (bit, line) in month_lines.iter_mut().enumerate() {
            let Ok(at) = usize::try_from(first_line + bit as i64) else {
                continue;
            };
            if let Some(mask) = year_masks.get_mut(at / 12) {
                *mask |= 1 << bit;
                *line = at;
            }
        }
        let months = MonthLines {
            years: &year_masks,
            lines: &month_lines,
        };
        let parts = in_parallel(&self.index.people, |people, first| {
            let mut tallies = [
                Tally::new(n_lines, years),
                Tally::new(n_lines, years),
                Tally::new(n_lines, years),
            ];
            let mut by_mechanism: Vec<Months> = vec![0; catalog.mechanism_names.len()];
            let mut reached_stamps = Stamps::new(n_lines, years);
            let mut trained_stamps = Stamps::new(n_lines, years);
            let mut countries = vec![false; texts.values.len() + 1];
            for (i, person) in people.iter().enumerate() {
                let stamp = u32::try_from(first + i + 1).unwrap_or(u32::MAX);
                // The line codes of a hit on `day` in `course`.
                let mut hit = |source: usize, day: Day, course: u16, tallies: &mut [Tally; 3]| {
                    let (year, month) = calendar
                        .get(usize::from(day - lo))
                        .copied()
                        .unwrap_or_default();
                    let Some(tally) = tallies.get_mut(source) else {
                        return;
                    };
                    let mut stamps = match source {
                        0 => Some(&mut reached_stamps),
                        1 => Some(&mut trained_stamps),
                        _ => None,
                    };
                    count_hit(tally, stamps.as_deref_mut(), stamp, year);
                    let mut one = |line: usize, tally: &mut Tally| {
                        count_line(tally, stamps.as_deref_mut(), stamp, (line, year, years));
                    };
                    match lines {
                        Dimension::Month => one(month, tally),
                        Dimension::Course => {
                            if named(usize::from(course)) {
                                one(usize::from(course), tally);
                            }
                        }
                        Dimension::Mechanism => {
                            for m in mechanisms
                                .get(usize::from(course))
                                .copied()
                                .unwrap_or(&no_mechanisms)
                            {
                                one(*m as usize, tally);
                            }
                        }
                        other => one(person.attribute(other) as usize, tally),
                    }
                };
                if let Some(w) = by_months {
                    // People reached, from the months of their activity in the period.
                    let part = person.marks_of_part(w, lo, hi);
                    let all = self.index.period_months(w, person.months, part, None);
                    if all != 0 {
                        if let Some(seen) = countries.get_mut(person.country as usize) {
                            *seen = true;
                        }
                        let [reached, ..] = &mut tallies;
                        months.count_once(reached, all);
                        match lines {
                            Dimension::Month => months.count_each(reached, all),
                            Dimension::Course => {
                                for c in self.index.courses_of(person) {
                                    let line = usize::from(c.course);
                                    let m =
                                        self.index.period_months(w, c.months, part, Some(c.course));
                                    if m != 0 && named(line) {
                                        months.count_line(reached, line, m);
                                    }
                                }
                            }
                            Dimension::Mechanism => {
                                for c in self.index.courses_of(person) {
                                    let m =
                                        self.index.period_months(w, c.months, part, Some(c.course));
                                    if m == 0 {
                                        continue;
                                    }
                                    for code in mechanisms
                                        .get(usize::from(c.course))
                                        .copied()
                                        .unwrap_or(&no_mechanisms)
                                    {
                                        if let Some(acc) = by_mechanism.get_mut(*code as usize) {
                                            *acc |= m;
                                        }
                                    }
                                }
                                for (line, m) in by_mechanism.iter_mut().enumerate() {
                                    if *m != 0 {
                                        months.count_line(reached, line, *m);
                                        *m = 0;
                                    }
                                }
                            }
                            other => {
                                months.count_line(reached, person.attribute(other) as usize, all);
                            }
                        }
                    }
                } else {
                    let active = person.marks_in(lo, hi);
                    if !active.is_empty()
                        && let Some(seen) = countries.get_mut(person.country as usize)
                    {
                        *seen = true;
                    }
                    for m in active {
                        hit(0, m.day, m.course, &mut tallies);
                    }
                }
                if !person.completions.meets(lo, hi) {
                    continue;
                }
                // Completions from the month bits, when they tell them all: one completion
                // per month at most, the months the period holds in part left out, and lines
                // that are not courses.
                if let Some(w) = by_months
                    && !person.completions_stacked
                    && person.completed_months & w.part == 0
                    && !matches!(lines, Dimension::Course | Dimension::Mechanism)
                {
                    let done = person.completed_months & w.whole;
                    if done == 0 {
                        continue;
                    }
                    let [_, trained, completions] = &mut tallies;
                    months.count_once(trained, done);
                    months.count_times(completions, done);
                    if lines == Dimension::Month {
                        months.count_each(trained, done);
                        months.count_each(completions, done);
                    } else {
                        let line = person.attribute(lines) as usize;
                        months.count_line(trained, line, done);
                        months.count_line_times(completions, line, done);
                    }
                    continue;
                }
                for c in self.index.courses_of(person) {
                    if let Some(day) = c.completed.filter(|d| (lo..=hi).contains(d)) {
                        hit(1, day, c.course, &mut tallies);
                        hit(2, day, c.course, &mut tallies);
                    }
                }
            }
            (tallies, countries)
        });
        let mut sources = [
            Tally::new(n_lines, years),
            Tally::new(n_lines, years),
            Tally::new(n_lines, years),
        ];
        let mut countries = vec![false; texts.values.len() + 1];
        for (part, seen) in &parts {
            for (total, p) in sources.iter_mut().zip(part) {
                total.add(p);
            }
            for (a, b) in countries.iter_mut().zip(seen) {
                *a |= *b;
            }
        }
        let countries_reached = countries
            .iter()
            .enumerate()
            .filter(|(code, seen)| {
                **seen && texts.text(*code as u32).is_some_and(|t| t != not_said)
            })
            .count() as u64;
        Tallies {
            lines,
            first_year,
            years,
            names,
            sources,
            countries_reached,
        }
    }

    /// The course report's counts: per course slug and in total, people enrolled (active),
    /// active in `month`, who completed it (ever); and per course slug a histogram of current
    /// lessons completed → people enrolled. One pass, dense per course id.
    pub(crate) fn courses(&self, catalog: &Catalog, month: &Period) -> CourseCounts {
        let (lo, hi) = days_of(month).unwrap_or((1, 0));
        let most = catalog.slugs.keys().copied().max().map_or(0, usize::from);
        let n = most + 1;
        // Per course id: the bits of its current lessons.
        let mut masks = vec![0u64; n];
        for (course, slugs) in &catalog.lessons {
            let bits = self.index.lesson_slugs.get(course);
            if let Some(mask) = masks.get_mut(usize::from(*course)) {
                *mask = slugs
                    .iter()
                    .filter_map(|s| bits?.iter().position(|b| b == s))
                    .fold(0u64, |m, at| m | (1u64 << at));
            }
        }
        let by_months = self.index.months_of(lo, hi).filter(|_| self.whole_months);
        let parts = in_parallel(&self.index.people, |people, first| {
            let mut counts = vec![[0u64; 3]; n];
            let mut histograms = vec![[0u64; 65]; n];
            let mut active_stamps = vec![0u32; n];
            let mut totals = [0u64; 3];
            for (i, p) in people.iter().enumerate() {
                let stamp = u32::try_from(first + i + 1).unwrap_or(u32::MAX);
                let mut any = [false; 3];
                for c in self.index.courses_of(p) {
                    let at = usize::from(c.course);
                    let (Some(counted), Some(histogram)) =
                        (counts.get_mut(at), histograms.get_mut(at))
                    else {
                        continue;
                    };
                    if c.enrolled {
                        counted[0] += 1;
                        any[0] = true;
                        let mask = masks.get(at).copied().unwrap_or(0);
                        bump(histogram, (c.lessons & mask).count_ones() as usize);
                    }
                    if c.completed.is_some() {
                        counted[2] += 1;
                        any[2] = true;
                    }
                }
                if let Some(w) = by_months {
                    let part = p.marks_of_part(w, lo, hi);
                    for c in self.index.courses_of(p) {
                        if self.index.period_months(w, c.months, part, Some(c.course)) != 0
                            && let Some(counted) = counts.get_mut(usize::from(c.course))
                        {
                            counted[1] += 1;
                            any[1] = true;
                        }
                    }
                } else {
                    for m in p.marks_in(lo, hi) {
                        let at = usize::from(m.course);
                        if let (Some(last), Some(counted)) =
                            (active_stamps.get_mut(at), counts.get_mut(at))
                            && *last != stamp
                        {
                            *last = stamp;
                            counted[1] += 1;
                            any[1] = true;
                        }
                    }
                }
                for (total, counted) in totals.iter_mut().zip(any) {
                    *total += u64::from(counted);
                }
            }
            (counts, histograms, totals)
        });
        let mut counts = vec![[0u64; 3]; n];
        let mut histograms = vec![[0u64; 65]; n];
        let mut totals = [0u64; 3];
        for (c, h, t) in &parts {
            for (a, b) in counts.iter_mut().zip(c) {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
            }
            for (a, b) in histograms.iter_mut().zip(h) {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
            }
            for (x, y) in totals.iter_mut().zip(t) {
                *x += y;
            }
        }
        let slug = |course: usize| {
            u16::try_from(course)
                .ok()
                .and_then(|c| catalog.slugs.get(&c).cloned())
        };
        CourseCounts {
            per_course: counts
                .iter()
                .enumerate()
                .filter(|(_, c)| c.iter().any(|n| *n > 0))
                .filter_map(|(c, counted)| Some((slug(c)?, *counted)))
                .collect(),
            totals,
            histograms: histograms
                .iter()
                .enumerate()
                .filter(|(_, h)| h.iter().any(|n| *n > 0))
                .filter_map(|(c, h)| {
                    let histogram = h
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| **n > 0)
                        .map(|(done, n)| (done as i64, *n))
                        .collect();
                    Some((slug(c)?, histogram))
                })
                .collect(),
            lessons: catalog
                .lessons
                .iter()
                .filter_map(|(c, slugs)| Some((slug(usize::from(*c))?, slugs.len() as i64)))
                .collect(),
        }
    }
}

/// The course report's counts out of the index (see [`Counter::courses`]).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CourseCounts {
    /// Per course slug: enrolled, active this month, completed.
    pub per_course: BTreeMap<String, [u64; 3]>,
    /// Distinct people: enrolled anywhere, active anywhere this month, completed any.
    pub totals: [u64; 3],
    /// Per course slug: current lessons completed → people enrolled.
    pub histograms: BTreeMap<String, BTreeMap<i64, u64>>,
    /// Per course slug: how many current lessons it has.
    pub lessons: BTreeMap<String, i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_count_from_2000() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN);
        assert_eq!(day_of(d(2000, 1, 1)), Some(0));
        assert_eq!(day_of(d(2026, 12, 3)), Some(9833));
        assert_eq!(day_of(d(1999, 12, 31)), None);
        let period = Period::new(d(1995, 1, 1), d(2000, 1, 2)).unwrap_or_else(|_| unreachable!());
        assert_eq!(days_of(&period), Some((0, 1)));
        let period = Period::new(d(1990, 1, 1), d(1995, 1, 2)).unwrap_or_else(|_| unreachable!());
        assert_eq!(days_of(&period), None);
    }

    #[test]
    fn marks_stay_sorted_and_distinct() {
        let mut index = Index::default();
        for (day, course) in [(5, 2), (3, 1), (5, 2), (5, 1)] {
            index.add_mark(7, day, course, true);
        }
        let marks: Vec<(Day, u16)> = index
            .people
            .get(7)
            .map(|p| p.marks.iter().map(|m| (m.day, m.course)).collect())
            .unwrap_or_default();
        assert_eq!(marks, [(3, 1), (5, 1), (5, 2)]);
        let active = index.people.get(7).map(|p| p.active);
        assert_eq!(active, Some(Span { first: 3, last: 5 }));
        assert!(index.person_mut(-1).is_none());
    }

    #[test]
    fn courses_stay_in_one_run_per_person_as_they_grow_and_after_compacting() {
        let mut index = Index::default();
        let mut expected: BTreeMap<i32, BTreeSet<u16>> = BTreeMap::new();
        // People take courses in turn, so every run but the last one moves as it grows.
        for (n, (id, course)) in [
            (1, 5),
            (2, 3),
            (1, 2),
            (3, 9),
            (2, 1),
            (1, 7),
            (2, 3),
            (1, 5),
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(c) = index.course_mut(id, course) {
                c.lessons |= 1 << n;
            }
            expected.entry(id).or_default().insert(course);
        }
        index.forget(3);
        expected.remove(&3);
        let runs = |index: &Index| -> BTreeMap<i32, Vec<u16>> {
            (0..index.people.len())
                .filter_map(|i| {
                    let p = index.people.get(i)?;
                    let run: Vec<u16> = index.courses_of(p).iter().map(|c| c.course).collect();
                    (!run.is_empty()).then_some((i32::try_from(i).ok()?, run))
                })
                .collect()
        };
        let want: BTreeMap<i32, Vec<u16>> = expected
            .iter()
            .map(|(id, set)| (*id, set.iter().copied().collect()))
            .collect();
        assert_eq!(runs(&index), want);
        assert!(index.loose > 0);
        let lessons = |index: &Index| {
            index.people.get(1).map(|p| {
                index
                    .courses_of(p)
                    .iter()
                    .map(|c| c.lessons)
                    .collect::<Vec<_>>()
            })
        };
        // Course 2 got bit 2; course 5 bits 0 and 7; course 7 bit 5.
        assert_eq!(lessons(&index), Some(vec![1 << 2, 1 | 1 << 7, 1 << 5]));
        index.compact(true);
        assert_eq!(runs(&index), want);
        assert_eq!((index.loose, index.courses.len()), (0, 5));
        assert_eq!(lessons(&index), Some(vec![1 << 2, 1 | 1 << 7, 1 << 5]));
    }

    #[test]
    fn a_span_meets_the_periods_its_days_may_lie_in() {
        let mut span = Span::default();
        assert!(!span.meets(0, Day::MAX));
        span.add(10);
        span.add(20);
        assert!(span.meets(20, 30) && span.meets(0, 10) && span.meets(12, 14));
        assert!(!span.meets(21, 30) && !span.meets(0, 9));
    }

    #[test]
    fn whole_months_count_from_their_bits_as_the_days_count() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN);
        let now = d(2026, 11, 20);
        let mut index = Index {
            first_month: first_month(now.and_time(chrono::NaiveTime::MIN).and_utc()),
            ..Index::default()
        };
        // A small xorshift, so that a failure replays.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut draw = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let (from, to) = (
            day_of(d(2016, 10, 1)).unwrap_or(0),
            day_of(now).unwrap_or(0),
        );
        for id in 1..=400 {
            let profile = Profile {
                id,
                values: [
                    Some(["KE", "BR", "IN", "FR"][draw(4) as usize].to_owned()),
                    Some(["woman", "man"][draw(2) as usize].to_owned()),
                    None,
                    Some(["en", "fr"][draw(2) as usize].to_owned()),
                ],
                erased: false,
            };
            index.set_profile(profile);
            for _ in 0..draw(12) {
                let day = from + draw(u64::from(to - from) + 1) as Day;
                let course = 1 + draw(4) as u16;
                index.add_mark(id, day, course, true);
                if draw(5) == 0
                    && let Some(c) = index.course_mut(id, course)
                {
                    c.enrolled = true;
                    c.completed = Some(day);
                    if let Some(p) = index.person_mut(id) {
                        p.completions.add(day);
                    }
                    index.settle_completions(id);
                }
            }
        }
        let catalog = Catalog {
            slugs: (1..=4).map(|c| (c, format!("course-{c}"))).collect(),
            mechanisms: [(1, vec![0]), (2, vec![0, 1]), (3, vec![1])]
                .into_iter()
                .collect(),
            mechanism_names: vec!["upr".to_owned(), "treaty-bodies".to_owned()],
            lessons: HashMap::new(),
        };
        let periods = [
            (d(2025, 1, 1), d(2025, 12, 31)),
            (d(2026, 1, 1), d(2026, 12, 31)),
            (d(2023, 1, 1), d(2026, 12, 31)),
            (d(2024, 2, 14), d(2024, 3, 2)),
            (d(2025, 5, 3), d(2025, 5, 20)),
            (d(2026, 3, 1), d(2026, 11, 10)),
            (d(2017, 1, 1), d(2018, 6, 30)),
            // Reaching before the months held: counted from the days alone.
            (d(2016, 6, 1), d(2024, 6, 30)),
        ];
        let by_days = Counter {
            index: &index,
            whole_months: false,
        };
        let by_months = Counter {
            index: &index,
            whole_months: true,
        };
        for (from, to) in periods {
            let period = Period::new(from, to).unwrap_or_else(|_| unreachable!());
            let (lo, hi) = days_of(&period).unwrap_or((1, 0));
            assert_eq!(
                index.months_of(lo, hi).is_some(),
                from.year() >= 2017,
                "{period:?}"
            );
            for lines in Dimension::ALL {
                let a = by_days.tally(&catalog, &period, lines, "prefer_not_to_say");
                let b = by_months.tally(&catalog, &period, lines, "prefer_not_to_say");
                assert!(a.sources[0].total > 0, "{period:?}");
                assert_eq!(a.sources, b.sources, "{period:?} by {lines:?}");
                assert_eq!(a.countries_reached, b.countries_reached, "{period:?}");
            }
            assert_eq!(
                by_days.courses(&catalog, &period),
                by_months.courses(&catalog, &period),
                "{period:?}"
            );
        }
    }

    #[test]
    fn the_overlap_reads_recent_ids_again_on_postgres_only() {
        let mut w = Watermark::new(10);
        w.advance(50);
        assert_eq!(w.start(DatabaseBackend::Sqlite), 50);
        // Nothing is older than the overlap yet: from the first id kept.
        assert_eq!(w.start(DatabaseBackend::Postgres), 10);
    }
}
