//! An application's status.

use std::fmt;

/// Where an application stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Saved, not submitted: only its author sees it.
    Draft,
    /// Submitted, waiting for a decision.
    Submitted,
    /// Offered a place, with a reply deadline.
    Offered,
    /// On the waitlist, with a rank.
    Waitlisted,
    Rejected,
    /// Accepted the offer: a participant of the cohort.
    Participant,
    /// Declined the offer.
    Declined,
    /// Let the offer's deadline pass.
    Expired,
    /// Withdrawn by its author.
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Draft,
        Status::Submitted,
        Status::Offered,
        Status::Waitlisted,
        Status::Rejected,
        Status::Participant,
        Status::Declined,
        Status::Expired,
        Status::Withdrawn,
    ];

    /// The stable name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::Offered => "offered",
            Status::Waitlisted => "waitlisted",
            Status::Rejected => "rejected",
            Status::Participant => "participant",
            Status::Declined => "declined",
            Status::Expired => "expired",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Statuses whose application is kept after the selection is final (the others are
    /// unsuccessful and deleted after the retention period).
    pub fn successful(self) -> bool {
        matches!(self, Status::Participant | Status::Offered)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
