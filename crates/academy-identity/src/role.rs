//! Roles. Everyone is a learner; trainer, staff and admin are granted by an admin.

use std::{fmt, str::FromStr};

/// What a person may do beyond learning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Everyone with an account (never stored: implied).
    Learner,
    /// Runs HRDAP cohorts: reviews applications, follows participants.
    Trainer,
    /// Reads reach statistics.
    Staff,
    /// Manages accounts and roles, reads the audit log; may do what every other role may.
    Admin,
}

impl Role {
    /// Every role, in order of increasing power.
    pub const ALL: [Role; 4] = [Role::Learner, Role::Trainer, Role::Staff, Role::Admin];

    /// The stable name used in the API, the CLI and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Learner => "learner",
            Role::Trainer => "trainer",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of `learner`, `trainer`, `staff`, `admin`.
#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}: expected learner, trainer, staff or admin")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip_and_typos_are_rejected() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().ok(), Some(role));
        }
        assert!("Admin".parse::<Role>().is_err());
    }
}
