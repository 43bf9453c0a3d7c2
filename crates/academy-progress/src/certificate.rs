//! Certificates: awarded the moment a course is completed (in the completing transaction), then
//! claimed by their holder, who chooses the name printed on it (or none) and the language; the
//! claim signs the Open Badges 3.0 credential once and stores it sealed. Staff can revoke one
//! with a reason; revocations are published in a Bitstring Status List, which erasure also
//! uses: erasing a person deletes their certificates and sets their bits, in one transaction.

use academy_courses::{catalog::CourseEntry, vocab::Language};
use academy_credentials::{
    IssuerKey,
    badge::{self, Achievement, Badge, Issuer, Recipient},
    did, proof, status,
};
use academy_enrollment::DataKeys;
use academy_identity::audit;
use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, OnConflict, Query},
};
use serde_json::Value;
use uuid::Uuid;

use crate::entity::{certificate, certificate_status, issuer_key};

/// Why a certificate operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("there is no certificate with this id")]
    NotFound,
    #[error("this certificate was claimed already; its name and language are fixed")]
    AlreadyClaimed,
    #[error("this certificate was revoked")]
    Revoked,
    #[error("this certificate was revoked already")]
    AlreadyRevoked,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// The issuer: its key, its DID and what the credentials say about it.
#[derive(Clone, Debug)]
pub struct Issuing {
    pub key: IssuerKey,
    /// `did:web:…` of the public URL.
    pub did: String,
    pub name: String,
    /// The organisation's site.
    pub url: String,
    /// Where this site is reached, without a trailing `/`.
    pub public_url: String,
    /// The status lists signed last, by number, with the bits they were signed for: a list is
    /// signed again only when a revocation changed it. Shared by the clones.
    signed_lists: std::sync::Arc<quick_cache::sync::Cache<u64, (String, Value)>>,
}

/// How many signed status lists are kept.
const SIGNED_LISTS_KEPT: usize = 64;

impl Issuing {
    /// The issuer for a site at `public_url`; `None` when it is not an http(s) URL.
    pub fn new(key: IssuerKey, public_url: &str, name: &str, url: &str) -> Option<Issuing> {
        let public_url = public_url.trim_end_matches('/').to_owned();
        Some(Issuing {
            did: did::did_web(&public_url)?,
            key,
            name: name.to_owned(),
            url: url.to_owned(),
            public_url,
            signed_lists: std::sync::Arc::new(quick_cache::sync::Cache::new(SIGNED_LISTS_KEPT)),
        })
    }

    /// The verification method of the current key.
    pub fn method(&self) -> String {
        did::key_id(&self.did, &self.key.public_multibase())
    }

    /// The credential's URL (it answers the credential JSON).
    pub fn credential_url(&self, id: &str) -> String {
        format!("{}/api/certificates/{id}", self.public_url)
    }

    /// The URL of status list `list`.
    pub fn status_list_url(&self, list: u64) -> String {
        format!("{}/api/certificates/status/{list}", self.public_url)
    }

    /// The certificate's id if `url` is one of this issuer's credential URLs.
    pub fn certificate_id(&self, url: &str) -> Option<Uuid> {
        let rest = url.strip_prefix(&self.public_url)?;
        Uuid::parse_str(rest.strip_prefix("/api/certificates/")?).ok()
    }
}

/// Records the current key among the issuer's keys (at start; idempotent).
pub async fn register_key(db: &impl ConnectionTrait, issuing: &Issuing) -> anyhow::Result<()> {
    issuer_key::Entity::insert(issuer_key::ActiveModel {
        public_key: Set(issuing.key.public_multibase()),
        added_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(issuer_key::Column::PublicKey)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .context("recording the issuer's key")?;
    Ok(())
}

/// Every public key certificates were signed with, the current one first.
pub async fn issuer_keys(
    db: &impl ConnectionTrait,
    issuing: &Issuing,
) -> anyhow::Result<Vec<String>> {
    let current = issuing.key.public_multibase();
    let mut keys = vec![current.clone()];
    keys.extend(
        issuer_key::Entity::find()
            .order_by_desc(issuer_key::Column::AddedAt)
            .all(db)
            .await
            .context("reading the issuer's keys")?
            .into_iter()
            .map(|k| k.public_key)
            .filter(|k| *k != current),
    );
    Ok(keys)
}

/// Awards the certificate of a course just completed (inside the completing transaction). Once
/// per person and course: a second award changes nothing.
pub async fn award(
    db: &impl ConnectionTrait,
    user: i32,
    course: i32,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let index = certificate_status::Entity::insert(certificate_status::ActiveModel {
        revoked_at: Set(None),
        ..Default::default()
    })
    .exec(db)
    .await
    .context("allocating a certificate status")?
    .last_insert_id;
    certificate::Entity::insert(certificate::ActiveModel {
        id: Set(Uuid::new_v4().to_string()),
        user_id: Set(user),
        course_id: Set(course),
        status_index: Set(index),
        recipient: Set(format!("urn:uuid:{}", Uuid::new_v4())),
        awarded_at: Set(at),
        claimed_at: Set(None),
        lang: Set(None),
        key_id: Set(None),
        credential: Set(None),
        revocation_reason: Set(None),
    })
    .on_conflict(
        OnConflict::columns([certificate::Column::UserId, certificate::Column::CourseId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .context("awarding a certificate")?;
    Ok(())
}

/// A certificate as its holder sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Held {
    pub id: String,
    pub course_id: i32,
    pub awarded_at: DateTime<Utc>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub lang: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revocation_reason: Option<String>,
    /// The value whose salted hash is the credential's subject: revealing it proves the
    /// certificate is one's own.
    pub recipient: String,
    /// The signed credential, once claimed.
    pub credential: Option<Value>,
}

fn open_credential(keys: &DataKeys, row: &certificate::Model) -> anyhow::Result<Option<Value>> {
    let (Some(key_id), Some(sealed)) = (&row.key_id, &row.credential) else {
        return Ok(None);
    };
    let plain = keys
        .open(key_id, row.id.as_bytes(), sealed)
        .map_err(|e| anyhow::anyhow!("opening a certificate: {e}"))?;
    Ok(Some(
        serde_json::from_slice(&plain).context("reading a stored credential")?,
    ))
}

/// The data keys that sealed stored credentials, which `keys` cannot open: a server must not
/// start with any (it would answer errors in place of certificates).
pub async fn missing_keys(
    db: &impl ConnectionTrait,
    keys: &DataKeys,
) -> anyhow::Result<Vec<String>> {
    let ids: Vec<Option<String>> = certificate::Entity::find()
        .select_only()
        .column(certificate::Column::KeyId)
        .distinct()
        .into_tuple()
        .all(db)
        .await
        .context("reading which data keys sealed the stored certificates")?;
    Ok(ids
        .into_iter()
        .flatten()
        .filter(|id| !keys.knows(id))
        .collect())
}

/// Re-seals with the current key every claimed credential sealed by another key, `batch` per
/// transaction; `on_batch(done)` reports progress. Interrupted, it resumes where it stopped.
/// Returns how many credentials were re-sealed.
pub async fn rotate(
    db: &sea_orm::DatabaseConnection,
    keys: &DataKeys,
    batch: u64,
    mut on_batch: impl FnMut(u64),
) -> anyhow::Result<u64> {
    use sea_orm::TransactionTrait;
    let mut done = 0;
    loop {
        let tx = db.begin().await.context("starting a key rotation batch")?;
        let rows = certificate::Entity::find()
            .filter(certificate::Column::KeyId.is_not_null())
            .filter(certificate::Column::KeyId.ne(keys.current_id()))
            .order_by_asc(certificate::Column::Id)
            .limit(batch.max(1))
            .all(&tx)
            .await
            .context("reading certificates to re-seal")?;
        if rows.is_empty() {
            tx.commit().await.context("ending key rotation")?;
            return Ok(done);
        }
        for row in rows {
            let (Some(key_id), Some(sealed)) = (&row.key_id, &row.credential) else {
                continue;
            };
            let plain = keys
                .open(key_id, row.id.as_bytes(), sealed)
                .map_err(|e| anyhow::anyhow!("opening a certificate: {e}"))?;
            let (key_id, sealed) = keys.seal(row.id.as_bytes(), &plain)?;
            // Conditional on the key it was read with: nothing else changes a sealed claim.
            certificate::Entity::update_many()
                .col_expr(certificate::Column::KeyId, Expr::value(Some(key_id)))
                .col_expr(certificate::Column::Credential, Expr::value(Some(sealed)))
                .filter(certificate::Column::Id.eq(row.id.clone()))
                .filter(certificate::Column::KeyId.eq(row.key_id.clone()))
                .exec(&tx)
                .await
                .context("re-sealing a certificate")?;
            done += 1;
        }
        tx.commit()
            .await
            .context("committing a key rotation batch")?;
        on_batch(done);
    }
}

async fn revoked_at(
    db: &impl ConnectionTrait,
    index: i32,
) -> anyhow::Result<Option<DateTime<Utc>>> {
    Ok(certificate_status::Entity::find_by_id(index)
        .one(db)
        .await
        .context("reading a certificate status")?
        .and_then(|s| s.revoked_at))
}

fn held(
    row: certificate::Model,
    keys: &DataKeys,
    revoked: Option<DateTime<Utc>>,
) -> anyhow::Result<Held> {
    let credential = open_credential(keys, &row)?;
    Ok(Held {
        id: row.id,
        course_id: row.course_id,
        awarded_at: row.awarded_at,
        claimed_at: row.claimed_at,
        lang: row.lang,
        revoked_at: revoked,
        revocation_reason: row.revocation_reason,
        recipient: row.recipient,
        credential,
    })
}

/// The person's certificates, newest first.
pub async fn mine(
    db: &impl ConnectionTrait,
    keys: &DataKeys,
    user: i32,
) -> anyhow::Result<Vec<Held>> {
    let rows = certificate::Entity::find()
        .filter(certificate::Column::UserId.eq(user))
        .order_by_desc(certificate::Column::AwardedAt)
        .all(db)
        .await
        .context("reading certificates")?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let revoked = revoked_at(db, row.status_index).await?;
        out.push(held(row, keys, revoked)?);
    }
    Ok(out)
}

/// The criteria, in words, in the certificate's language.
fn criteria(language: Language) -> &'static str {
    match language {
        Language::French => {
            "A suivi chaque leçon et réussi chaque quiz de ce cours de l'ISHR Academy."
        }
        Language::Spanish => {
            "Completó todas las lecciones y aprobó todos los cuestionarios de este curso de la ISHR Academy."
        }
        Language::Arabic => "أكمل جميع دروس هذه الدورة من أكاديمية ISHR ونجح في جميع اختباراتها.",
        Language::Russian => "Прошёл все уроки и успешно сдал все тесты этого курса ISHR Academy.",
        Language::Chinese => "完成了本 ISHR Academy 课程的全部课时并通过了全部测验。",
        Language::English => {
            "Completed every lesson and passed every quiz of this ISHR Academy course."
        }
    }
}

/// What the holder chose when claiming.
#[derive(Clone, Copy, Debug)]
pub struct Claim<'a> {
    /// The name to print, if any.
    pub name: Option<&'a str>,
    pub language: Language,
}

/// Signs the holder's certificate with the name and language they chose, once. Returns the
/// signed credential.
pub async fn claim(
    db: &impl ConnectionTrait,
    keys: &DataKeys,
    issuing: &Issuing,
    user: i32,
    id: Uuid,
    course: &CourseEntry,
    choice: Claim<'_>,
) -> Result<Value, CertificateError> {
    let id = id.to_string();
    let row = certificate::Entity::find_by_id(id.clone())
        .filter(certificate::Column::UserId.eq(user))
        .one(db)
        .await
        .context("reading a certificate")?
        .ok_or(CertificateError::NotFound)?;
    if row.claimed_at.is_some() {
        return Err(CertificateError::AlreadyClaimed);
    }
    if revoked_at(db, row.status_index).await?.is_some() {
        return Err(CertificateError::Revoked);
    }
    let language = if course.texts.contains_key(&choice.language) {
        choice.language
    } else {
        course.default_language
    };
    let text = course
        .texts
        .get(&language)
        .context("the course has no text in its default language")?;
    let now = Utc::now();
    let salt = Uuid::new_v4().simple().to_string();
    let index = u64::try_from(row.status_index).context("a negative status index")?;
    let (list, position) = status::position(index);
    let credential_url = issuing.credential_url(&id);
    let achievement_url = format!("{}/api/courses/{}", issuing.public_url, course.slug);
    let list_url = issuing.status_list_url(list);
    let title = format!("ISHR Academy: {}", text.title);
    let unsigned = badge::credential(&Badge {
        id: &credential_url,
        name: &title,
        issuer: Issuer {
            did: &issuing.did,
            name: &issuing.name,
            url: &issuing.url,
        },
        achievement: Achievement {
            id: &achievement_url,
            name: &text.title,
            description: &text.summary,
            criteria: criteria(language),
            language: language.as_str(),
        },
        recipient: Recipient {
            identity: &row.recipient,
            salt: &salt,
            name: choice.name,
        },
        awarded: row.awarded_at,
        issued: now,
        status_list: &list_url,
        status_index: position,
    });
    let signed = proof::sign(&unsigned, &issuing.key, &issuing.method(), now)
        .map_err(|e| anyhow::anyhow!("signing a certificate: {e}"))?;
    let (key_id, sealed) = keys.seal(id.as_bytes(), signed.to_string().as_bytes())?;
    // Conditional: of two claims at once, one signs.
    let claimed = certificate::Entity::update_many()
        .col_expr(certificate::Column::ClaimedAt, Expr::value(Some(now)))
        .col_expr(
            certificate::Column::Lang,
            Expr::value(Some(language.as_str())),
        )
        .col_expr(certificate::Column::KeyId, Expr::value(Some(key_id)))
        .col_expr(certificate::Column::Credential, Expr::value(Some(sealed)))
        .filter(certificate::Column::Id.eq(id.as_str()))
        .filter(certificate::Column::ClaimedAt.is_null())
        .exec(db)
        .await
        .context("storing a claimed certificate")?;
    if claimed.rows_affected == 0 {
        return Err(CertificateError::AlreadyClaimed);
    }
    Ok(signed)
}

/// A claimed certificate, as anyone with its address sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Published {
    pub id: String,
    pub course_id: i32,
    pub credential: Value,
    pub lang: String,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The claimed certificate `id`, if there is one.
pub async fn published(
    db: &impl ConnectionTrait,
    keys: &DataKeys,
    id: Uuid,
) -> anyhow::Result<Option<Published>> {
    let Some(row) = certificate::Entity::find_by_id(id.to_string())
        .one(db)
        .await
        .context("reading a certificate")?
    else {
        return Ok(None);
    };
    let Some(credential) = open_credential(keys, &row)? else {
        return Ok(None);
    };
    let revoked = revoked_at(db, row.status_index).await?;
    Ok(Some(Published {
        id: row.id,
        course_id: row.course_id,
        credential,
        lang: row.lang.unwrap_or_else(|| "en".to_owned()),
        revoked_at: revoked,
    }))
}

/// Whether the status bit at `index` (global) is set; `None` if no certificate ever had it.
pub async fn is_revoked(db: &impl ConnectionTrait, index: u64) -> anyhow::Result<Option<bool>> {
    let Ok(index) = i32::try_from(index) else {
        return Ok(None);
    };
    Ok(certificate_status::Entity::find_by_id(index)
        .one(db)
        .await
        .context("reading a certificate status")?
        .map(|s| s.revoked_at.is_some()))
}

/// Revokes certificate `id` (by staff `actor`, audited), with a reason shown to its holder.
pub async fn revoke(
    db: &impl ConnectionTrait,
    actor: i32,
    id: Uuid,
    reason: &str,
) -> Result<(), CertificateError> {
    let id = id.to_string();
    let row = certificate::Entity::find_by_id(id.clone())
        .one(db)
        .await
        .context("reading a certificate")?
        .ok_or(CertificateError::NotFound)?;
    let revoked = certificate_status::Entity::update_many()
        .col_expr(
            certificate_status::Column::RevokedAt,
            Expr::value(Some(Utc::now())),
        )
        .filter(certificate_status::Column::StatusIndex.eq(row.status_index))
        .filter(certificate_status::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .context("revoking a certificate")?;
    if revoked.rows_affected == 0 {
        return Err(CertificateError::AlreadyRevoked);
    }
    certificate::Entity::update_many()
        .col_expr(
            certificate::Column::RevocationReason,
            Expr::value(Some(reason.to_owned())),
        )
        .filter(certificate::Column::Id.eq(id.as_str()))
        .exec(db)
        .await
        .context("recording why a certificate was revoked")?;
    audit::record(
        db,
        Some(actor),
        audit::Action::CertificateRevoked,
        Some(row.user_id),
        Some(&id),
    )
    .await?;
    Ok(())
}

/// Sets the status bits of every certificate of `user` (inside an erasure's transaction).
pub(crate) async fn revoke_all_of(db: &impl ConnectionTrait, user: i32) -> anyhow::Result<()> {
    certificate_status::Entity::update_many()
        .col_expr(
            certificate_status::Column::RevokedAt,
            Expr::value(Some(Utc::now())),
        )
        .filter(certificate_status::Column::RevokedAt.is_null())
        .filter(
            certificate_status::Column::StatusIndex.in_subquery(
                Query::select()
                    .column(certificate::Column::StatusIndex)
                    .from(certificate::Entity)
                    .and_where(certificate::Column::UserId.eq(user))
                    .to_owned(),
            ),
        )
        .exec(db)
        .await
        .context("revoking an erased person's certificates")?;
    Ok(())
}

/// The signed status list credential of list `list` (1-based), as of now.
pub async fn status_list(
    db: &impl ConnectionTrait,
    issuing: &Issuing,
    list: u64,
) -> anyhow::Result<Value> {
    let first = (list.saturating_sub(1)) * status::LIST_SIZE;
    let last = first + status::LIST_SIZE;
    let set: Vec<i32> = certificate_status::Entity::find()
        .select_only()
        .column(certificate_status::Column::StatusIndex)
        .filter(certificate_status::Column::RevokedAt.is_not_null())
        .filter(
            certificate_status::Column::StatusIndex.gte(i64::try_from(first).unwrap_or(i64::MAX)),
        )
        .filter(certificate_status::Column::StatusIndex.lt(i64::try_from(last).unwrap_or(i64::MAX)))
        .into_tuple()
        .all(db)
        .await
        .context("reading revocations")?;
    let encoded = status::encode(
        set.into_iter()
            .filter_map(|i| u64::try_from(i).ok())
            .map(|i| status::position(i).1),
    );
    // Signing canonicalises the whole document: done once per content of the list (its
    // `validFrom` is then when the list last changed).
    if let Some((bits, signed)) = issuing.signed_lists.get(&list)
        && bits == encoded
    {
        return Ok(signed);
    }
    let now = Utc::now();
    let unsigned = badge::status_list(&issuing.status_list_url(list), &issuing.did, &encoded, now);
    let signed = proof::sign(&unsigned, &issuing.key, &issuing.method(), now)
        .map_err(|e| anyhow::anyhow!("signing a status list: {e}"))?;
    issuing.signed_lists.insert(list, (encoded, signed.clone()));
    Ok(signed)
}

/// The certificates of `user`, for the data export.
pub async fn export(
    db: &impl ConnectionTrait,
    keys: &DataKeys,
    user: i32,
) -> anyhow::Result<Vec<Held>> {
    mine(db, keys, user).await
}

/// Revokes and deletes every certificate of `user` (inside an erasure's transaction).
pub async fn erase(db: &impl ConnectionTrait, user: i32) -> anyhow::Result<()> {
    revoke_all_of(db, user).await?;
    certificate::Entity::delete_many()
        .filter(certificate::Column::UserId.eq(user))
        .exec(db)
        .await
        .context("erasing certificates")?;
    Ok(())
}
