//! What the identity endpoints send and take: accounts, profiles, sessions, the data export
//! and the audit log.

use academy_identity::{
    Account, Profile, ProfileUpdate, audit, privacy::IdentityExport, session::SessionInfo,
};
use poem_openapi::{Object, types::MaybeUndefined};

use crate::{api::json_string::JsonString, privacy::DataExport};

fn text<T: academy_identity::profile::ProfileValue>(value: &Option<T>) -> Option<String> {
    value.as_ref().map(|v| v.as_str().to_owned())
}

/// A profile. Every field is optional; those staff statistics count also accept
/// `prefer_not_to_say`.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ProfileView {
    /// A pseudonym is fine.
    pub display_name: Option<String>,
    /// Preferred language (BCP 47 tag, e.g. `fr`).
    pub language: Option<String>,
    /// ISO 3166-1 alpha-2 code (e.g. `KE`) or `prefer_not_to_say`.
    pub country: Option<String>,
    /// `woman`, `man`, `non_binary`, `another` or `prefer_not_to_say`.
    pub gender: Option<String>,
    /// `ngo`, `community_group`, `national_human_rights_institution`, `academic`, `media`,
    /// `legal_profession`, `individual`, `other` or `prefer_not_to_say`.
    pub organisation_type: Option<String>,
    /// `civil_and_political_rights`, `economic_social_and_cultural_rights`, `women_and_gender`,
    /// `lgbti`, `children`, `indigenous_peoples`, `minorities`, `migrants_and_refugees`,
    /// `environment_and_climate`, `business_and_human_rights`, `other` or `prefer_not_to_say`.
    pub thematic_focus: Option<String>,
}

impl From<&Profile> for ProfileView {
    fn from(p: &Profile) -> Self {
        ProfileView {
            display_name: text(&p.display_name),
            language: text(&p.language),
            country: text(&p.country),
            gender: text(&p.gender),
            organisation_type: text(&p.organisation_type),
            thematic_focus: text(&p.thematic_focus),
        }
    }
}

/// An account.
#[derive(Debug, Object)]
pub struct AccountView {
    pub id: i32,
    #[oai(flatten)]
    pub profile: ProfileView,
    /// `learner` (everyone), and any of `trainer`, `staff`, `admin`.
    pub roles: Vec<String>,
    /// When the account was created (RFC 3339).
    pub created_at: String,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        AccountView {
            id: a.id,
            profile: (&a.profile).into(),
            roles: a.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            created_at: a.created_at.to_rfc3339(),
        }
    }
}

/// The caller's account, with what a browser needs for unsafe requests.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Me {
    #[oai(flatten)]
    pub account: AccountView,
    /// For browsers signed in with the session cookie: send it as `X-CSRF-Token` on POST,
    /// PATCH, PUT and DELETE. Absent for bearer tokens, which need none.
    pub csrf_token: Option<String>,
}

/// A change to the profile: an absent field stays, `null` clears it, a value sets it.
#[derive(Debug, Object)]
pub struct ProfilePatch {
    #[oai(nullable)]
    display_name: MaybeUndefined<JsonString>,
    #[oai(nullable)]
    language: MaybeUndefined<JsonString>,
    #[oai(nullable)]
    country: MaybeUndefined<JsonString>,
    #[oai(nullable)]
    gender: MaybeUndefined<JsonString>,
    #[oai(nullable)]
    organisation_type: MaybeUndefined<JsonString>,
    #[oai(nullable)]
    thematic_focus: MaybeUndefined<JsonString>,
}

fn patch(value: MaybeUndefined<JsonString>) -> Option<Option<String>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v.into_inner())),
    }
}

impl From<ProfilePatch> for ProfileUpdate {
    fn from(p: ProfilePatch) -> Self {
        ProfileUpdate {
            display_name: patch(p.display_name),
            language: patch(p.language),
            country: patch(p.country),
            gender: patch(p.gender),
            organisation_type: patch(p.organisation_type),
            thematic_focus: patch(p.thematic_focus),
        }
    }
}

/// A signed-in session or API token (the token itself is never shown again).
#[derive(Debug, Object)]
pub struct SessionView {
    pub id: String,
    /// `browser` (signed in through a provider) or `token` (issued with the CLI).
    pub kind: String,
    /// Whether this is the session making this request.
    pub current: bool,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
}

impl SessionView {
    pub fn new(s: SessionInfo, current: &str) -> SessionView {
        SessionView {
            current: s.id == current,
            id: s.id,
            kind: s.kind,
            created_at: s.created_at.to_rfc3339(),
            last_seen_at: s.last_seen_at.to_rfc3339(),
            expires_at: s.expires_at.to_rfc3339(),
        }
    }
}

/// The caller's sessions.
#[derive(Debug, Object)]
pub struct Sessions {
    pub sessions: Vec<SessionView>,
}

/// One audit log entry: who did what to whose data, when.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditEntry {
    pub id: i32,
    /// When (RFC 3339).
    pub at: String,
    /// The account that acted.
    pub actor_id: Option<i32>,
    /// `role_granted`, `role_revoked`, `accounts_listed`, `account_read` or `account_erased`.
    pub action: String,
    /// The account concerned.
    pub subject_id: Option<i32>,
    /// E.g. the role granted or revoked.
    pub detail: Option<String>,
}

impl From<audit::Entry> for AuditEntry {
    fn from(e: audit::Entry) -> Self {
        AuditEntry {
            id: e.id,
            at: e.at.to_rfc3339(),
            actor_id: e.actor_id,
            action: e.action,
            subject_id: e.subject_id,
            detail: e.detail,
        }
    }
}

/// A role held, and since when.
#[derive(Debug, Object)]
pub struct ExportedRole {
    pub role: String,
    pub granted_at: String,
}

/// A link to an identity provider, as stored: only a hash of the provider's identifier.
#[derive(Debug, Object)]
pub struct ExportedSignInLink {
    pub provider: String,
    pub subject_hash: String,
    pub linked_at: String,
}

/// The account's part of the export.
#[derive(Debug, Object)]
pub struct ExportedAccount {
    pub id: i32,
    #[oai(flatten)]
    pub profile: ProfileView,
    pub created_at: String,
}

/// Everything the Academy holds about the caller, by area.
#[derive(Debug, Object)]
pub struct DataExportView {
    pub account: ExportedAccount,
    pub roles: Vec<ExportedRole>,
    pub sign_in_links: Vec<ExportedSignInLink>,
    /// Sessions and API tokens (never the tokens themselves; the current one is marked).
    pub sessions: Vec<SessionView>,
    /// Audit entries by or about the account, oldest first.
    pub audit_log: Vec<AuditEntry>,
    /// Enrolments, programme applications (every answer), reviews written, notifications.
    pub programmes: crate::api::programmes::views::ExportedProgrammes,
    /// Every learning event recorded and every quiz attempt.
    pub progress: crate::api::progress::views::ExportedProgress,
    /// Certificates awarded, with their signed credentials.
    pub certificates: Vec<crate::api::certificates::views::ExportedCertificate>,
    /// When something the reach statistics count about the account last changed (a profile
    /// value, an enrolment, a completion), as kept for an hour so every server updates its
    /// counts; RFC 3339.
    pub statistics_changes: Vec<String>,
}

impl DataExportView {
    pub fn new(export: DataExport, current_session: &str) -> DataExportView {
        let IdentityExport {
            id,
            profile,
            created_at,
            roles,
            sign_in_links,
            sessions,
            audit_log,
        } = export.identity;
        let programmes = export.enrollment.into();
        let progress = export.progress.into();
        let certificates = export.certificates.into_iter().map(Into::into).collect();
        let statistics_changes = export
            .statistics_changes
            .iter()
            .map(|at| at.to_rfc3339())
            .collect();
        DataExportView {
            account: ExportedAccount {
                id,
                profile: (&profile).into(),
                created_at: created_at.to_rfc3339(),
            },
            roles: roles
                .into_iter()
                .map(|r| ExportedRole {
                    role: r.role.as_str().to_owned(),
                    granted_at: r.granted_at.to_rfc3339(),
                })
                .collect(),
            sign_in_links: sign_in_links
                .into_iter()
                .map(|l| ExportedSignInLink {
                    provider: l.provider,
                    subject_hash: l.subject_hash,
                    linked_at: l.linked_at.to_rfc3339(),
                })
                .collect(),
            sessions: sessions
                .into_iter()
                .map(|s| SessionView::new(s, current_session))
                .collect(),
            audit_log: audit_log.into_iter().map(AuditEntry::from).collect(),
            programmes,
            progress,
            certificates,
            statistics_changes,
        }
    }
}
