//! Disclosure control: what of a table of distinct-person counts may be published. Pure
//! functions, the same for the API, CSV, SVG and the CLI.
//!
//! The rules, in the order they apply ([`protect`]):
//! 1. A count of 1 to k-1 people is suppressed ([`Shown::Fewer`], shown as `"<5"`), and so is
//!    every entry of a line whose total is (a zero beside a small count would pin it).
//! 2. A one-way table whose people all share one value (a single non-zero cell among several)
//!    shows only its total: the zeros would tell everyone's value.
//! 3. Complementary suppression: while a line (a row, a column, or a margin with the grand
//!    total) with people in it has exactly one suppressed entry, the smallest other non-zero entry of the line is
//!    withheld ([`Shown::Withheld`], shown as `"x"`), so that no suppressed value can be worked
//!    out by subtraction.
//! 4. Every count published is rounded to the nearest 5, never to a value below k; totals are
//!    computed from the unrounded counts.
//!
//! A percentage is published only where its base is at least [`PERCENT_BASE`] people, and it
//! is computed from the published (rounded) counts, so it tells nothing they do not.

use std::collections::BTreeSet;

/// The smallest threshold allowed.
pub const MIN_THRESHOLD: u64 = 3;
/// The threshold when none is configured.
pub const DEFAULT_THRESHOLD: u64 = 5;
/// The smallest base (true number of people) a percentage may be computed on.
pub const PERCENT_BASE: u64 = 23;
/// The label of the pooled small and hidden countries.
pub const OTHER_COUNTRIES: &str = "other_countries";

/// What may be published: the threshold and the countries never shown on their own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    k: u64,
    hidden: BTreeSet<String>,
}

/// A policy that is not allowed.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("the minimum cell size must be at least {MIN_THRESHOLD}, not {0}")]
    ThresholdTooLow(u64),
    #[error("`{0}` is not an ISO 3166-1 alpha-2 country code")]
    NotACountry(String),
}

impl Policy {
    /// A policy with threshold `k` (at least [`MIN_THRESHOLD`]) and the ISO 3166-1 alpha-2
    /// codes of the countries always pooled.
    pub fn new(
        k: u64,
        hidden: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Result<Policy, PolicyError> {
        if k < MIN_THRESHOLD {
            return Err(PolicyError::ThresholdTooLow(k));
        }
        let mut codes = BTreeSet::new();
        for code in hidden {
            let code = code.as_ref().trim();
            if code.is_empty() {
                continue;
            }
            let upper = code.to_ascii_uppercase();
            if upper.len() != 2 || !upper.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(PolicyError::NotACountry(code.to_owned()));
            }
            codes.insert(upper);
        }
        Ok(Policy { k, hidden: codes })
    }

    /// The threshold k: counts of 1 to k-1 people are never published.
    pub fn threshold(&self) -> u64 {
        self.k
    }

    /// How a suppressed small count is shown: `"<5"` for k = 5.
    pub fn fewer_label(&self) -> String {
        format!("<{}", self.k)
    }

    /// Whether people from `country` (a code) counted `people` are pooled into
    /// [`OTHER_COUNTRIES`]: fewer than k of them, or a hidden country.
    pub fn pools(&self, country: &str, people: u64) -> bool {
        people < self.k || self.hidden.contains(country)
    }

    /// Whether `country` is one of the hidden countries.
    pub fn is_hidden(&self, country: &str) -> bool {
        self.hidden.contains(country)
    }

    /// The published form of a count that is not suppressed: rounded to the nearest 5 (half
    /// up), and never below k (a 7 with k = 7 is published as 10, not 5).
    pub fn round(&self, count: u64) -> u64 {
        if count == 0 {
            return 0;
        }
        let rounded = (count + 2) / 5 * 5;
        rounded.max(self.k.div_ceil(5) * 5)
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            k: DEFAULT_THRESHOLD,
            hidden: BTreeSet::new(),
        }
    }
}

/// One published entry of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// A count, rounded.
    Count(u64),
    /// 1 to k-1 people.
    Fewer,
    /// Withheld so that a small count cannot be worked out (or everyone's value told).
    Withheld,
}

impl Shown {
    /// The count, if published.
    pub fn count(self) -> Option<u64> {
        match self {
            Shown::Count(n) => Some(n),
            Shown::Fewer | Shown::Withheld => None,
        }
    }

    /// The entry as text: the count, `"<5"` or `"x"`.
    pub fn text(self, policy: &Policy) -> String {
        match self {
            Shown::Count(n) => n.to_string(),
            Shown::Fewer => policy.fewer_label(),
            Shown::Withheld => "x".to_owned(),
        }
    }

    /// Whether the entry is suppressed.
    pub fn is_suppressed(self) -> bool {
        !matches!(self, Shown::Count(_))
    }
}

/// A table of distinct-person counts: rows × columns, the total of each column, of each row
/// (for two-way tables), and the grand total. Totals are given rather than summed, because a
/// person can be in several cells (active in two years, in two courses): a total counts them
/// once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counts {
    pub cells: Vec<Vec<u64>>,
    /// `None` for a one-way table (one column).
    pub row_totals: Option<Vec<u64>>,
    pub col_totals: Vec<u64>,
    pub total: u64,
}

impl Counts {
    /// A one-way table: one count per row and the total.
    pub fn one_way(cells: Vec<u64>, total: u64) -> Counts {
        Counts {
            cells: cells.into_iter().map(|c| vec![c]).collect(),
            row_totals: None,
            col_totals: vec![total],
            total,
        }
    }

    /// A two-way table whose totals are the sums of its cells (a partition of people).
    pub fn additive(cells: Vec<Vec<u64>>) -> Counts {
        let width = cells.first().map_or(0, Vec::len);
        let row_totals = cells.iter().map(|r| r.iter().sum()).collect::<Vec<u64>>();
        let col_totals = (0..width)
            .map(|j| cells.iter().filter_map(|r| r.get(j)).sum())
            .collect();
        let total = row_totals.iter().sum();
        Counts {
            cells,
            row_totals: Some(row_totals),
            col_totals,
            total,
        }
    }

    fn width(&self) -> usize {
        self.col_totals.len()
    }
}

/// What may be published of a [`Counts`], entry for entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub cells: Vec<Vec<Shown>>,
    pub row_totals: Option<Vec<Shown>>,
    pub col_totals: Vec<Shown>,
    pub total: Shown,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Fewer,
    Withheld,
}

/// The entries of a table in one flat list, and its lines (each ends with its total).
struct Grid {
    values: Vec<u64>,
    states: Vec<State>,
    lines: Vec<Vec<usize>>,
    rows: usize,
    width: usize,
    two_way: bool,
}

impl Grid {
    fn new(counts: &Counts) -> Grid {
        let rows = counts.cells.len();
        let width = counts.width();
        let two_way = counts.row_totals.is_some();
        let mut values = Vec::with_capacity(rows * width + rows + width + 1);
        for row in &counts.cells {
            for j in 0..width {
                values.push(row.get(j).copied().unwrap_or(0));
            }
        }
        let row_total_at = values.len();
        if let Some(totals) = &counts.row_totals {
            for i in 0..rows {
                values.push(totals.get(i).copied().unwrap_or(0));
            }
        }
        let col_total_at = values.len();
        values.extend(counts.col_totals.iter().copied());
        let total_at = values.len();
        values.push(counts.total);

        let mut lines = Vec::new();
        for j in 0..width {
            let mut line: Vec<usize> = (0..rows).map(|i| i * width + j).collect();
            line.push(col_total_at + j);
            lines.push(line);
        }
        if two_way {
            for i in 0..rows {
                let mut line: Vec<usize> = (0..width).map(|j| i * width + j).collect();
                line.push(row_total_at + i);
                lines.push(line);
            }
            let mut margin: Vec<usize> = (0..width).map(|j| col_total_at + j).collect();
            margin.push(total_at);
            lines.push(margin);
            let mut margin: Vec<usize> = (0..rows).map(|i| row_total_at + i).collect();
            margin.push(total_at);
            lines.push(margin);
        }
        let states = vec![State::Open; values.len()];
        Grid {
            values,
            states,
            lines,
            rows,
            width,
            two_way,
        }
    }

    fn value(&self, at: usize) -> u64 {
        self.values.get(at).copied().unwrap_or(0)
    }

    fn state(&self, at: usize) -> State {
        self.states.get(at).copied().unwrap_or(State::Open)
    }

    fn set(&mut self, at: usize, state: State) {
        if let Some(s) = self.states.get_mut(at) {
            *s = state;
        }
    }
}

/// Applies the rules of this module to `counts`.
pub fn protect(counts: &Counts, policy: &Policy) -> Published {
    let mut grid = Grid::new(counts);
    let k = policy.threshold();

    // 1. Small counts.
    for at in 0..grid.values.len() {
        let v = grid.value(at);
        if v > 0 && v < k {
            grid.set(at, State::Fewer);
        }
    }

    // 1b. In a line whose total is suppressed as small, every entry is small too: its zeros
    //     are shown as "<k" (which they are), or they would pin the small counts beside them;
    //     except the entries of a line that is empty as a whole, whose zeros its total tells.
    let zero_lines: BTreeSet<usize> = grid
        .lines
        .iter()
        .filter(|line| line.last().is_some_and(|&total| grid.value(total) == 0))
        .flatten()
        .copied()
        .collect();
    loop {
        let mut changed = false;
        for line in &grid.lines {
            let Some((&total, inner)) = line.split_last() else {
                continue;
            };
            if grid.state(total) != State::Fewer {
                continue;
            }
            for &at in inner {
                if zero_lines.contains(&at) {
                    continue;
                }
                if let Some(state) = grid.states.get_mut(at).filter(|s| **s == State::Open) {
                    *state = State::Fewer;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }

    // 2. A one-way table whose people all share one value shows only its total. (In a two-way
    //    table the zeros are left: withholding them would leave lines of withheld zeros that
    //    nothing can protect.)
    let one_way_lines = if grid.two_way {
        Vec::new()
    } else {
        grid.lines.clone()
    };
    for line in one_way_lines {
        let Some((&total, inner)) = line.split_last() else {
            continue;
        };
        if inner.len() < 2 || grid.value(total) == 0 {
            continue;
        }
        if inner.iter().filter(|&&at| grid.value(at) > 0).count() == 1 {
            for &at in inner {
                if grid.state(at) == State::Open {
                    grid.set(at, State::Withheld);
                }
            }
        }
    }

    // 3. Complementary suppression, until no line has exactly one suppressed entry, nor
    //    suppressed entries that what is published of the line pins to one value.
    loop {
        let mut changed = false;
        for line in &grid.lines {
            let suppressed = line
                .iter()
                .filter(|&&at| grid.state(at) != State::Open)
                .count();
            let (total, inner) = match line.split_last() {
                Some((total, inner)) => (*total, inner),
                None => continue,
            };
            // An empty line (its total is 0) has nothing to protect.
            if suppressed != 1 || grid.value(total) == 0 {
                continue;
            }
            let candidate = inner
                .iter()
                .copied()
                .filter(|&at| grid.state(at) == State::Open && grid.value(at) > 0)
                .min_by_key(|&at| (grid.value(at), at))
                .or_else(|| {
                    (grid.state(total) == State::Open && grid.value(total) > 0).then_some(total)
                });
            if let Some(state) = candidate.and_then(|at| grid.states.get_mut(at)) {
                *state = State::Withheld;
                changed = true;
            }
        }
        if !changed {
            // A suppressed entry still pinned (by the lines together): withhold the smallest
            // published entry of its line with the fewest suppressed entries.
            let Some(at) = pinned(&grid, policy) else {
                break;
            };
            let line = grid
                .lines
                .iter()
                .filter(|line| line.contains(&at))
                .filter(|line| {
                    line.iter()
                        .any(|&e| grid.state(e) == State::Open && grid.value(e) > 0)
                })
                .min_by_key(|line| {
                    line.iter()
                        .filter(|&&e| grid.state(e) != State::Open)
                        .count()
                })
                .cloned();
            let candidate = line.and_then(|line| {
                line.iter()
                    .copied()
                    .filter(|&e| grid.state(e) == State::Open && grid.value(e) > 0)
                    .min_by_key(|&e| (grid.value(e), e))
            });
            match candidate.and_then(|e| grid.states.get_mut(e)) {
                Some(state) => *state = State::Withheld,
                None => break,
            }
        }
    }

    // 4. Rounding.
    let shown = |at: usize| match grid.state(at) {
        State::Open => Shown::Count(policy.round(grid.value(at))),
        State::Fewer => Shown::Fewer,
        State::Withheld => Shown::Withheld,
    };
    let cells = (0..grid.rows)
        .map(|i| (0..grid.width).map(|j| shown(i * grid.width + j)).collect())
        .collect();
    let row_at = grid.rows * grid.width;
    let row_totals = grid
        .two_way
        .then(|| (0..grid.rows).map(|i| shown(row_at + i)).collect());
    let col_at = row_at + if grid.two_way { grid.rows } else { 0 };
    let col_totals: Vec<Shown> = (0..grid.width).map(|j| shown(col_at + j)).collect();
    let total = if grid.two_way {
        shown(col_at + grid.width)
    } else {
        // A one-way table's column total is its total.
        col_totals.first().copied().unwrap_or(Shown::Count(0))
    };
    Published {
        cells,
        row_totals,
        col_totals,
        total,
    }
}

/// A value no count reaches, for the open end of a range.
const UNBOUNDED: u64 = u64::MAX / 4;

/// The values a reader can tell each entry lies in: first from its published form alone, then
/// narrowed line by line (every line's entries sum to its total) until nothing changes.
fn ranges(grid: &Grid, policy: &Policy) -> Vec<(u64, u64)> {
    let k = policy.threshold();
    // Entries of a line whose total is small may be zeros shown as small.
    let small_lines: BTreeSet<usize> = grid
        .lines
        .iter()
        .filter(|l| l.last().is_some_and(|&t| grid.state(t) == State::Fewer))
        .flat_map(|l| {
            l.split_last()
                .map(|(_, inner)| inner.to_vec())
                .unwrap_or_default()
        })
        .collect();
    let mut ranges: Vec<(u64, u64)> = (0..grid.values.len())
        .map(|at| match grid.state(at) {
            State::Open => {
                let value = grid.value(at);
                if value == 0 {
                    return (0, 0);
                }
                let shown = policy.round(value);
                let low = if shown == policy.round(k) {
                    k
                } else {
                    shown - 2
                };
                (low, shown + 2)
            }
            State::Fewer => (u64::from(!small_lines.contains(&at)), k - 1),
            // A one-way table may withhold zeros (rule 2).
            State::Withheld if !grid.two_way => (0, UNBOUNDED),
            State::Withheld => (k, UNBOUNDED),
        })
        .collect();
    for _ in 0..64 {
        let mut changed = false;
        for line in &grid.lines {
            let Some((&total, inner)) = line.split_last() else {
                continue;
            };
            let get = |r: &Vec<(u64, u64)>, at: usize| r.get(at).copied().unwrap_or((0, 0));
            let low_sum: u64 = inner.iter().map(|&at| get(&ranges, at).0).sum();
            let high_sum: u64 = inner
                .iter()
                .map(|&at| get(&ranges, at).1)
                .fold(0, u64::saturating_add);
            let (total_low, total_high) = get(&ranges, total);
            let mut narrowed = Vec::new();
            for &at in inner {
                let (low, high) = get(&ranges, at);
                let others_low = low_sum - low;
                let others_high = high_sum.saturating_sub(high);
                let new_low = low.max(total_low.saturating_sub(others_high));
                let new_high = high.min(total_high.saturating_sub(others_low));
                if (new_low, new_high) != (low, high) && new_low <= new_high {
                    narrowed.push((at, (new_low, new_high)));
                }
            }
            let new_total = (total_low.max(low_sum), total_high.min(high_sum));
            if new_total != (total_low, total_high) && new_total.0 <= new_total.1 {
                narrowed.push((total, new_total));
            }
            for (at, range) in narrowed {
                if let Some(r) = ranges.get_mut(at) {
                    *r = range;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    ranges
}

/// A suppressed entry that what is published pins to one value, if any.
fn pinned(grid: &Grid, policy: &Policy) -> Option<usize> {
    let ranges = ranges(grid, policy);
    (0..grid.values.len()).find(|&at| {
        grid.state(at) != State::Open
            && grid.value(at) > 0
            && ranges.get(at).is_some_and(|(low, high)| high <= low)
    })
}

/// Pools the countries of a breakdown by country: each country with fewer than k people, and
/// every hidden country whatever its count, is counted in one [`OTHER_COUNTRIES`] line (last).
/// Lines that are not country codes (`prefer_not_to_say`, `not_stated`) are kept as they are.
/// People are in one country each, so the pooled line is the sum of the pooled ones.
pub fn pool_countries(lines: Vec<(String, u64)>, policy: &Policy) -> Vec<(String, u64)> {
    let is_country =
        |label: &str| label.len() == 2 && label.bytes().all(|b| b.is_ascii_uppercase());
    let mut kept = Vec::new();
    let mut other = 0;
    let mut pooled_any = false;
    for (label, people) in lines {
        if is_country(&label) && policy.pools(&label, people) {
            other += people;
            pooled_any = true;
        } else {
            kept.push((label, people));
        }
    }
    if pooled_any {
        kept.push((OTHER_COUNTRIES.to_owned(), other));
    }
    kept
}

/// The share `part` is of `base`, in whole percent, from the published counts; `None` when
/// either is suppressed or the base has fewer than [`PERCENT_BASE`] people (`true_base`).
pub fn percent(part: Shown, base: Shown, true_base: u64) -> Option<u64> {
    if true_base < PERCENT_BASE {
        return None;
    }
    match (part, base) {
        (Shown::Count(part), Shown::Count(base)) if base > 0 => {
            Some((part * 100 + base / 2) / base)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
