//! The profile: every field optional, each a typed value built only by parsing, and every field
//! that staff statistics may count also accepting `prefer_not_to_say`. The field list is
//! written once, in [`profile_fields!`]: reading, changing, exporting and erasing a profile all
//! follow it, so a new field cannot be forgotten by the erasure.

use std::str::FromStr;

use academy_vocab::vocabulary;
use jurisdiction::{Jurisdiction, region::Region};
use sea_orm::Set;

use crate::entity::user;

/// The answer that is always allowed and never counted as anything else.
pub const PREFER_NOT_TO_SAY: &str = "prefer_not_to_say";

/// A profile value that is not allowed.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidField {
    /// The field's name in the API.
    pub field: &'static str,
    /// What is allowed.
    pub message: String,
}

/// A value of a profile field: parsed from and stored as text.
pub trait ProfileValue: Sized {
    /// Parses what a person sent (or what was stored); the error says what is allowed.
    fn parse(value: &str) -> Result<Self, String>;
    /// The value as stored and shown.
    fn as_str(&self) -> &str;
}

macro_rules! profile_vocabulary {
    ($name:ident) => {
        impl ProfileValue for $name {
            fn parse(value: &str) -> Result<Self, String> {
                $name::parse(value).ok_or_else(|| format!("must be one of {}", $name::expected()))
            }

            fn as_str(&self) -> &str {
                $name::as_str(*self)
            }
        }
    };
}

vocabulary!(
    /// Gender, as the person describes it.
    pub Gender, "gender" {
        Woman => "woman",
        Man => "man",
        NonBinary => "non_binary",
        Another => "another",
        PreferNotToSay => "prefer_not_to_say",
    }
);
profile_vocabulary!(Gender);

vocabulary!(
    /// The kind of organisation the person works with.
    pub OrganisationType, "organisation type" {
        Ngo => "ngo",
        CommunityGroup => "community_group",
        NationalHumanRightsInstitution => "national_human_rights_institution",
        Academic => "academic",
        Media => "media",
        LegalProfession => "legal_profession",
        Individual => "individual",
        Other => "other",
        PreferNotToSay => "prefer_not_to_say",
    }
);
profile_vocabulary!(OrganisationType);

vocabulary!(
    /// The person's main thematic focus.
    pub ThematicFocus, "thematic focus" {
        CivilAndPoliticalRights => "civil_and_political_rights",
        EconomicSocialAndCulturalRights => "economic_social_and_cultural_rights",
        WomenAndGender => "women_and_gender",
        Lgbti => "lgbti",
        Children => "children",
        IndigenousPeoples => "indigenous_peoples",
        Minorities => "minorities",
        MigrantsAndRefugees => "migrants_and_refugees",
        EnvironmentAndClimate => "environment_and_climate",
        BusinessAndHumanRights => "business_and_human_rights",
        Other => "other",
        PreferNotToSay => "prefer_not_to_say",
    }
);
profile_vocabulary!(ThematicFocus);

vocabulary!(
    /// The UN M49 regions, for statistics by region.
    pub M49Region, "region" {
        Africa => "africa",
        Americas => "americas",
        Asia => "asia",
        Europe => "europe",
        Oceania => "oceania",
    }
);

/// A country (ISO 3166-1 alpha-2, upper case), or `prefer_not_to_say`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CountryAnswer {
    Country(String),
    PreferNotToSay,
}

impl CountryAnswer {
    /// The UN M49 region of the country, if it is one and has a region.
    pub fn region(&self) -> Option<M49Region> {
        let CountryAnswer::Country(code) = self else {
            return None;
        };
        match Jurisdiction::from_str(code).ok()?.region() {
            Region::Africa => Some(M49Region::Africa),
            Region::Americas => Some(M49Region::Americas),
            Region::Asia => Some(M49Region::Asia),
            Region::Europe => Some(M49Region::Europe),
            Region::Oceania => Some(M49Region::Oceania),
            Region::Undefined => None,
        }
    }
}

impl ProfileValue for CountryAnswer {
    fn parse(value: &str) -> Result<Self, String> {
        if value == PREFER_NOT_TO_SAY {
            return Ok(CountryAnswer::PreferNotToSay);
        }
        let upper = value.to_ascii_uppercase();
        // Only two-letter codes: the crate also reads three-letter ones.
        if upper.len() == 2
            && upper.bytes().all(|b| b.is_ascii_uppercase())
            && Jurisdiction::from_str(&upper).is_ok()
        {
            Ok(CountryAnswer::Country(upper))
        } else {
            Err("must be an ISO 3166-1 alpha-2 code such as `KE` or `prefer_not_to_say`".to_owned())
        }
    }

    fn as_str(&self) -> &str {
        match self {
            CountryAnswer::Country(code) => code,
            CountryAnswer::PreferNotToSay => PREFER_NOT_TO_SAY,
        }
    }
}

/// A preferred language: a valid BCP 47 tag such as `en`, `fr` or `es-419`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LanguageTag(String);

impl ProfileValue for LanguageTag {
    fn parse(value: &str) -> Result<Self, String> {
        language_tags::LanguageTag::parse(value)
            .ok()
            .filter(|tag| tag.is_valid() && value.len() <= 35)
            .map(|tag| LanguageTag(tag.as_str().to_owned()))
            .ok_or_else(|| "must be a language tag such as `en`, `fr` or `es-419`".to_owned())
    }

    fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: a pseudonym is fine. 1 to 80 characters, without control characters or
/// invisible formatting characters (which could make one name look like another).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

/// Invisible and bidirectional-override characters (Unicode format characters, category Cf).
fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{061c}' | '\u{06dd}' | '\u{070f}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{110bd}' | '\u{e0001}'
        | '\u{e0020}'..='\u{e007f}')
}

impl ProfileValue for DisplayName {
    fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        let length = value.chars().count();
        if length == 0 || length > 80 {
            return Err("must be 1 to 80 characters".to_owned());
        }
        if value.chars().any(char::is_control) {
            return Err("must not contain control characters".to_owned());
        }
        if value.chars().any(is_format_char) {
            return Err("must not contain invisible or text-direction characters".to_owned());
        }
        Ok(DisplayName(value.to_owned()))
    }

    fn as_str(&self) -> &str {
        &self.0
    }
}

impl DisplayName {
    /// Checks a display name given outside the API (the CLI).
    pub fn new(value: &str) -> Result<DisplayName, InvalidField> {
        <DisplayName as ProfileValue>::parse(value).map_err(|message| InvalidField {
            field: "display_name",
            message,
        })
    }
}

/// A change to one field: `None` keeps it, `Some(None)` clears it, `Some(Some(text))` sets it
/// (once the text parses).
pub type Patch = Option<Option<String>>;

macro_rules! profile_fields {
    ($($(#[$doc:meta])* $field:ident: $ty:ty),+ $(,)?) => {
        /// A person's profile. Every field is optional.
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct Profile {
            $($(#[$doc])* pub $field: Option<$ty>,)+
        }

        /// A change to a profile, field by field (see [`Patch`]).
        #[derive(Clone, Debug, Default)]
        pub struct ProfileUpdate {
            $(pub $field: Patch,)+
        }

        impl Profile {
            /// The fields' names, in the API's order.
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),+];

            /// The profile stored in `row` (a stored value that no longer parses reads as unset).
            pub(crate) fn from_row(row: &user::Model) -> Profile {
                Profile {
                    $($field: row.$field.as_deref().and_then(|v| <$ty as ProfileValue>::parse(v).ok()),)+
                }
            }

            /// Writes every field into `row`.
            pub(crate) fn write_to(&self, row: &mut user::ActiveModel) {
                $(row.$field = Set(self.$field.as_ref().map(|v| v.as_str().to_owned()));)+
            }

            /// Applies `update`; on an invalid value nothing is changed and the error names the
            /// first field at fault.
            pub fn apply(&self, update: ProfileUpdate) -> Result<Profile, InvalidField> {
                let mut next = self.clone();
                $(
                    if let Some(value) = update.$field {
                        next.$field = value
                            .as_deref()
                            .map(<$ty as ProfileValue>::parse)
                            .transpose()
                            .map_err(|message| InvalidField { field: stringify!($field), message })?;
                    }
                )+
                Ok(next)
            }

            /// Every field with its value as text, in the API's order (for exports).
            pub fn values(&self) -> Vec<(&'static str, Option<&str>)> {
                vec![$((stringify!($field), self.$field.as_ref().map(|v| v.as_str())),)+]
            }
        }
    };
}

profile_fields! {
    /// A pseudonym is fine.
    display_name: DisplayName,
    /// Preferred language.
    language: LanguageTag,
    country: CountryAnswer,
    gender: Gender,
    organisation_type: OrganisationType,
    thematic_focus: ThematicFocus,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: ProfileValue>(value: &str) -> Option<String> {
        T::parse(value).ok().map(|v| v.as_str().to_owned())
    }

    #[test]
    fn every_counted_field_accepts_prefer_not_to_say_and_rejects_unknown_values() {
        assert_eq!(
            parse::<CountryAnswer>(PREFER_NOT_TO_SAY).as_deref(),
            Some(PREFER_NOT_TO_SAY)
        );
        assert_eq!(
            parse::<Gender>(PREFER_NOT_TO_SAY).as_deref(),
            Some(PREFER_NOT_TO_SAY)
        );
        assert!(parse::<OrganisationType>(PREFER_NOT_TO_SAY).is_some());
        assert!(parse::<ThematicFocus>(PREFER_NOT_TO_SAY).is_some());
        assert!(parse::<Gender>("unknown").is_none());
        assert!(parse::<ThematicFocus>("").is_none());
    }

    #[test]
    fn countries_are_iso_codes_in_any_case_with_their_region() {
        assert_eq!(parse::<CountryAnswer>("ke").as_deref(), Some("KE"));
        assert!(parse::<CountryAnswer>("XX").is_none());
        assert!(parse::<CountryAnswer>("Kenya").is_none());
        assert!(parse::<CountryAnswer>("KEN").is_none(), "alpha-2 only");
        let region = |code: &str| CountryAnswer::parse(code).ok().and_then(|c| c.region());
        assert_eq!(region("KE"), Some(M49Region::Africa));
        assert_eq!(region("CO"), Some(M49Region::Americas));
        assert_eq!(region("FJ"), Some(M49Region::Oceania));
        assert_eq!(region(PREFER_NOT_TO_SAY), None);
    }

    #[test]
    fn display_names_and_languages_are_checked() {
        assert_eq!(parse::<DisplayName>("  Rosa  ").as_deref(), Some("Rosa"));
        assert!(parse::<DisplayName>("").is_none());
        assert!(parse::<DisplayName>(&"x".repeat(81)).is_none());
        assert!(parse::<DisplayName>("a\u{0}b").is_none());
        assert!(
            parse::<DisplayName>("Ros\u{202e}a").is_none(),
            "text-direction override"
        );
        assert!(
            parse::<DisplayName>("Ro\u{200b}sa").is_none(),
            "zero-width space"
        );
        assert!(parse::<LanguageTag>("es-419").is_some());
        assert!(parse::<LanguageTag>("english").is_none());
    }

    #[test]
    fn an_update_changes_only_the_fields_it_names_or_nothing_at_all() {
        let profile = Profile::default()
            .apply(ProfileUpdate {
                gender: Some(Some("woman".into())),
                country: Some(Some("ke".into())),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(profile.gender, Some(Gender::Woman));
        let refused = profile.apply(ProfileUpdate {
            country: Some(None),
            gender: Some(Some("nonsense".into())),
            ..Default::default()
        });
        assert_eq!(refused.unwrap_err().field, "gender");
        let cleared = profile
            .apply(ProfileUpdate {
                country: Some(None),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(cleared.country, None);
        assert_eq!(cleared.gender, Some(Gender::Woman));
        assert_eq!(Profile::FIELDS.len(), profile.values().len());
    }
}
