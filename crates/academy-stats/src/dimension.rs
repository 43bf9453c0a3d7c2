//! The fixed dimensions a reach report is broken down by. There are no free filters: a reader
//! who could combine filters could single people out by differencing.

use std::fmt;

/// What a reach report's lines are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// Calendar months (UTC) of the period.
    Month,
    /// The country in the person's profile; small and hidden countries pooled.
    Country,
    /// The UN M49 region of that country.
    Region,
    Gender,
    OrganisationType,
    /// The course the activity or completion was in.
    Course,
    /// The UN mechanisms of that course.
    Mechanism,
    /// The preferred language in the person's profile (primary subtag).
    Language,
    /// Countries × calendar years.
    CountryYear,
    /// Genders × calendar years.
    GenderYear,
}

impl Dimension {
    pub const ALL: [Dimension; 10] = [
        Dimension::Month,
        Dimension::Country,
        Dimension::Region,
        Dimension::Gender,
        Dimension::OrganisationType,
        Dimension::Course,
        Dimension::Mechanism,
        Dimension::Language,
        Dimension::CountryYear,
        Dimension::GenderYear,
    ];

    /// The stable name used in the API, CSV and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Month => "month",
            Dimension::Country => "country",
            Dimension::Region => "region",
            Dimension::Gender => "gender",
            Dimension::OrganisationType => "organisation_type",
            Dimension::Course => "course",
            Dimension::Mechanism => "mechanism",
            Dimension::Language => "language",
            Dimension::CountryYear => "country_year",
            Dimension::GenderYear => "gender_year",
        }
    }

    pub fn parse(name: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.as_str() == name)
    }

    /// For a two-way dimension, its lines (the columns are years).
    pub fn lines(self) -> Dimension {
        match self {
            Dimension::CountryYear => Dimension::Country,
            Dimension::GenderYear => Dimension::Gender,
            other => other,
        }
    }

    /// Whether the columns are calendar years.
    pub fn by_year(self) -> bool {
        matches!(self, Dimension::CountryYear | Dimension::GenderYear)
    }

    /// Whether each person is in exactly one line (a profile value), so that lines add up.
    pub fn partitions_people(self) -> bool {
        matches!(
            self.lines(),
            Dimension::Country
                | Dimension::Region
                | Dimension::Gender
                | Dimension::OrganisationType
                | Dimension::Language
        )
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
