//! Reach statistics for staff: how many people the Academy reached, trained and where from,
//! read live from the learning records, and published only through the disclosure control of
//! [`disclosure`] (small cells suppressed, complementary suppression, pooled countries,
//! rounding). No HTTP types here; no per-person output anywhere: every report is a
//! [`table::Table`] of published entries.

pub mod courses;
pub mod dimension;
pub mod disclosure;
pub mod live;
pub mod period;
pub mod privacy;
pub mod programme;
pub mod reach;
pub mod render;
mod sql;
pub mod table;

pub use courses::{CourseReport, courses};
pub use dimension::Dimension;
pub use live::Live;
pub use period::{Period, PeriodError};
pub use programme::{ProgrammeReport, ProgrammeStatsError, programme};
pub use reach::{ReachReport, Reader, reach};
