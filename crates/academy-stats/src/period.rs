//! The period a report covers: whole days, UTC, both ends included, at most ten years.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// The longest period a report may cover, in years.
pub const MOST_YEARS: i32 = 10;

/// A period of whole days (UTC), `from` and `to` included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    from: NaiveDate,
    to: NaiveDate,
}

/// Why a period is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PeriodError {
    #[error("`{0}` is not a date of the form YYYY-MM-DD")]
    NotADate(String),
    #[error("`from` ({from}) is after `to` ({to})")]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("the period from {from} to {to} is longer than {MOST_YEARS} years")]
    TooLong { from: NaiveDate, to: NaiveDate },
}

/// Parses a `YYYY-MM-DD` date (years 1000 to 9999).
pub fn parse_date(text: &str) -> Result<NaiveDate, PeriodError> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| PeriodError::NotADate(text.chars().take(40).collect()))?;
    if !(1000..=9999).contains(&date.year()) || text.len() != 10 {
        return Err(PeriodError::NotADate(text.chars().take(40).collect()));
    }
    Ok(date)
}

impl Period {
    /// The period from `from` to `to`, both included: `from` not after `to`, at most
    /// [`MOST_YEARS`] years.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, PeriodError> {
        if from > to {
            return Err(PeriodError::Reversed { from, to });
        }
        let limit = from
            .with_year(from.year() + MOST_YEARS)
            // 29 February: ten years on, 1 March.
            .or_else(|| NaiveDate::from_ymd_opt(from.year() + MOST_YEARS, 3, 1))
            .ok_or(PeriodError::TooLong { from, to })?;
        if to >= limit {
            return Err(PeriodError::TooLong { from, to });
        }
        Ok(Period { from, to })
    }

    /// The calendar year `year`.
    pub fn year(year: i32) -> Option<Period> {
        let from = NaiveDate::from_ymd_opt(year, 1, 1)?;
        let to = NaiveDate::from_ymd_opt(year, 12, 31)?;
        Some(Period { from, to })
    }

    /// The calendar year of `now`.
    pub fn this_year(now: DateTime<Utc>) -> Period {
        let year = now.year();
        Period::year(year).unwrap_or(Period {
            from: now.date_naive(),
            to: now.date_naive(),
        })
    }

    /// The calendar month of `now`.
    pub fn this_month(now: DateTime<Utc>) -> Period {
        let today = now.date_naive();
        let from = today.with_day(1).unwrap_or(today);
        let next = if from.month() == 12 {
            NaiveDate::from_ymd_opt(from.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(from.year(), from.month() + 1, 1)
        };
        let to = next.and_then(|n| n.pred_opt()).unwrap_or(today);
        Period { from, to }
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// The first instant of the period.
    pub fn start(&self) -> DateTime<Utc> {
        self.from.and_time(chrono::NaiveTime::MIN).and_utc()
    }

    /// The first instant after the period.
    pub fn end(&self) -> DateTime<Utc> {
        let next = self.to.succ_opt().unwrap_or(self.to);
        next.and_time(chrono::NaiveTime::MIN).and_utc()
    }

    /// The months the period touches, as `YYYY-MM`, in order.
    pub fn months(&self) -> Vec<String> {
        let mut out = Vec::new();
        let (mut y, mut m) = (self.from.year(), self.from.month());
        while (y, m) <= (self.to.year(), self.to.month()) {
            out.push(format!("{y:04}-{m:02}"));
            if m == 12 {
                (y, m) = (y + 1, 1);
            } else {
                m += 1;
            }
        }
        out
    }

    /// The years the period touches, as `YYYY`, in order.
    pub fn years(&self) -> Vec<String> {
        (self.from.year()..=self.to.year())
            .map(|y| format!("{y:04}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn date(text: &str) -> NaiveDate {
        parse_date(text).unwrap()
    }

    #[test]
    fn a_period_is_ordered_and_at_most_ten_years() {
        assert!(Period::new(date("2026-01-01"), date("2035-12-31")).is_ok());
        assert!(matches!(
            Period::new(date("2026-01-01"), date("2036-01-01")),
            Err(PeriodError::TooLong { .. })
        ));
        assert!(matches!(
            Period::new(date("2026-02-01"), date("2026-01-31")),
            Err(PeriodError::Reversed { .. })
        ));
        assert!(Period::new(date("2024-02-29"), date("2034-02-28")).is_ok());
        assert!(Period::new(date("9999-12-31"), date("9999-12-31")).is_ok());
    }

    #[test]
    fn dates_are_whole_iso_dates() {
        for bad in ["2026-1-1", "26-01-01", "2026-02-30", "", "0999-01-01", "x"] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn months_and_years_cover_the_period() {
        let p = Period::new(date("2025-11-15"), date("2026-02-01")).unwrap();
        assert_eq!(p.months(), ["2025-11", "2025-12", "2026-01", "2026-02"]);
        assert_eq!(p.years(), ["2025", "2026"]);
        assert_eq!(p.end().to_rfc3339(), "2026-02-02T00:00:00+00:00");
        let m = Period::this_month(date("2026-12-09").and_hms_opt(1, 0, 0).unwrap().and_utc());
        assert_eq!((m.from(), m.to()), (date("2026-12-01"), date("2026-12-31")));
    }
}
