//! Reach statistics for staff: how many people the Academy reached, trained and where from,
//! kept live as learning happens, and published only through the disclosure control of
//! [`disclosure`] (small cells suppressed, complementary suppression, pooled countries,
//! rounding). No HTTP types here; no per-person output anywhere.

pub mod disclosure;
