//! Notifications: in-app, always; by e-mail too when the applicant gave a contact address and
//! SMTP is configured, through the outbox, written in the same transaction as the change it
//! tells of (so a change is never told without happening, nor happens untold). Messages are in
//! the application's language (English, French or Spanish; English otherwise).

use academy_courses::vocab::Language;
use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::Expr,
};
use serde::{Deserialize, Serialize};

use crate::{
    EnrollmentError, Workflow,
    entity::{application, application_secret, notification, outbox_message},
    programme::Edition,
};
use academy_identity::Page;

/// What a notification tells of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    ApplicationReceived,
    OfferMade,
    OfferReminder,
    OfferExpired,
    Waitlisted,
    WaitlistMoved,
    Rejected,
    PlaceConfirmed,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::ApplicationReceived,
        Kind::OfferMade,
        Kind::OfferReminder,
        Kind::OfferExpired,
        Kind::Waitlisted,
        Kind::WaitlistMoved,
        Kind::Rejected,
        Kind::PlaceConfirmed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ApplicationReceived => "application_received",
            Kind::OfferMade => "offer_made",
            Kind::OfferReminder => "offer_reminder",
            Kind::OfferExpired => "offer_expired",
            Kind::Waitlisted => "waitlisted",
            Kind::WaitlistMoved => "waitlist_moved",
            Kind::Rejected => "rejected",
            Kind::PlaceConfirmed => "place_confirmed",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// The particulars of a notification.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    /// The offer's reply deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DateTime<Utc>>,
    /// The position on the waitlist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i32>,
}

/// A notification as shown to its recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub id: i32,
    pub kind: Kind,
    pub programme: Option<String>,
    pub detail: Detail,
    /// The message in the language asked for.
    pub subject: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// The languages messages are written in; others get English.
fn message_language(language: &str) -> Language {
    match Language::parse(language.get(..2).unwrap_or(language)) {
        Some(l @ (Language::French | Language::Spanish)) => l,
        _ => Language::English,
    }
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The subject and text of a notification about edition `title`, in `language`.
pub fn render(kind: Kind, title: &str, detail: &Detail, language: &str) -> (String, String) {
    let deadline = detail.deadline.map(when).unwrap_or_default();
    let position = detail.position.unwrap_or_default();
    let (subject, body) = match (message_language(language), kind) {
        (Language::French, Kind::ApplicationReceived) => (
            format!("Candidature reçue : {title}"),
            format!(
                "Nous avons bien reçu votre candidature à {title}. Les formateurs l'examineront après la clôture de l'appel."
            ),
        ),
        (Language::French, Kind::OfferMade) => (
            format!("Une place vous est offerte : {title}"),
            format!(
                "Une place vous est offerte dans {title}. Acceptez-la ou déclinez-la avant le {deadline}."
            ),
        ),
        (Language::French, Kind::OfferReminder) => (
            format!("Rappel : votre offre pour {title} expire bientôt"),
            format!(
                "Votre offre de place dans {title} expire le {deadline}. Merci d'y répondre avant cette date."
            ),
        ),
        (Language::French, Kind::OfferExpired) => (
            format!("Offre expirée : {title}"),
            format!(
                "Le délai de réponse de votre offre pour {title} est passé ; la place a été proposée à une autre personne."
            ),
        ),
        (Language::French, Kind::Waitlisted) => (
            format!("Liste d'attente : {title}"),
            format!(
                "Votre candidature à {title} est sur la liste d'attente, en position {position}. Nous vous écrirons si une place se libère."
            ),
        ),
        (Language::French, Kind::WaitlistMoved) => (
            format!("Liste d'attente : {title}"),
            format!(
                "Vous êtes maintenant en position {position} sur la liste d'attente de {title}."
            ),
        ),
        (Language::French, Kind::Rejected) => (
            format!("Votre candidature : {title}"),
            format!(
                "Merci pour votre candidature à {title}. Nous ne pouvons malheureusement pas vous offrir de place cette année."
            ),
        ),
        (Language::French, Kind::PlaceConfirmed) => (
            format!("Place confirmée : {title}"),
            format!(
                "Votre place dans {title} est confirmée. Le cours à distance vous est maintenant ouvert."
            ),
        ),
        (Language::Spanish, Kind::ApplicationReceived) => (
            format!("Solicitud recibida: {title}"),
            format!(
                "Hemos recibido su solicitud para {title}. El equipo de formación la examinará al cierre de la convocatoria."
            ),
        ),
        (Language::Spanish, Kind::OfferMade) => (
            format!("Se le ofrece una plaza: {title}"),
            format!(
                "Se le ofrece una plaza en {title}. Acéptela o rechácela antes del {deadline}."
            ),
        ),
        (Language::Spanish, Kind::OfferReminder) => (
            format!("Recordatorio: su oferta para {title} vence pronto"),
            format!(
                "Su oferta de plaza en {title} vence el {deadline}. Le rogamos que responda antes de esa fecha."
            ),
        ),
        (Language::Spanish, Kind::OfferExpired) => (
            format!("Oferta vencida: {title}"),
            format!(
                "El plazo para responder a su oferta para {title} ha pasado; la plaza se ha ofrecido a otra persona."
            ),
        ),
        (Language::Spanish, Kind::Waitlisted) => (
            format!("Lista de espera: {title}"),
            format!(
                "Su solicitud para {title} está en la lista de espera, en el puesto {position}. Le escribiremos si se libera una plaza."
            ),
        ),
        (Language::Spanish, Kind::WaitlistMoved) => (
            format!("Lista de espera: {title}"),
            format!("Ahora ocupa el puesto {position} en la lista de espera de {title}."),
        ),
        (Language::Spanish, Kind::Rejected) => (
            format!("Su solicitud: {title}"),
            format!(
                "Gracias por su solicitud para {title}. Lamentablemente, este año no podemos ofrecerle una plaza."
            ),
        ),
        (Language::Spanish, Kind::PlaceConfirmed) => (
            format!("Plaza confirmada: {title}"),
            format!(
                "Su plaza en {title} está confirmada. El curso a distancia ya está abierto para usted."
            ),
        ),
        (_, Kind::ApplicationReceived) => (
            format!("Application received: {title}"),
            format!(
                "We have received your application to {title}. The trainers will review it after the call closes."
            ),
        ),
        (_, Kind::OfferMade) => (
            format!("You are offered a place: {title}"),
            format!(
                "You are offered a place in {title}. Please accept or decline it by {deadline}."
            ),
        ),
        (_, Kind::OfferReminder) => (
            format!("Reminder: your offer for {title} expires soon"),
            format!(
                "Your offer of a place in {title} expires on {deadline}. Please reply before then."
            ),
        ),
        (_, Kind::OfferExpired) => (
            format!("Offer expired: {title}"),
            format!(
                "The reply deadline of your offer for {title} has passed; the place was offered to someone else."
            ),
        ),
        (_, Kind::Waitlisted) => (
            format!("Waitlist: {title}"),
            format!(
                "Your application to {title} is on the waitlist, at position {position}. We will write if a place becomes free."
            ),
        ),
        (_, Kind::WaitlistMoved) => (
            format!("Waitlist: {title}"),
            format!("You are now at position {position} on the waitlist of {title}."),
        ),
        (_, Kind::Rejected) => (
            format!("Your application: {title}"),
            format!(
                "Thank you for applying to {title}. We are sorry that we cannot offer you a place this year."
            ),
        ),
        (_, Kind::PlaceConfirmed) => (
            format!("Place confirmed: {title}"),
            format!("Your place in {title} is confirmed. The distance course is now open to you."),
        ),
    };
    (subject, body)
}

/// The edition's title in `language`, or in English, or in any language it has.
pub fn title(edition: &Edition, language: &str) -> String {
    let wanted = message_language(language);
    edition
        .texts
        .get(&wanted)
        .or_else(|| edition.texts.get(&Language::English))
        .or_else(|| edition.texts.values().next())
        .map(|t| t.title.clone())
        .unwrap_or_else(|| edition.slug.clone())
}

/// Whether `application` holds an answer to the form's e-mail question.
async fn has_contact(
    db: &impl ConnectionTrait,
    edition: &Edition,
    application: &application::Model,
) -> anyhow::Result<bool> {
    let Some(question) = edition.form.contact_question() else {
        return Ok(false);
    };
    if question.sensitive {
        let found = application_secret::Entity::find()
            .filter(application_secret::Column::ApplicationId.eq(application.id))
            .filter(application_secret::Column::QuestionId.eq(question.id.as_str()))
            .one(db)
            .await
            .context("looking for a contact address")?;
        Ok(found.is_some())
    } else {
        let answers: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&application.answers).unwrap_or_default();
        Ok(answers.contains_key(&question.id))
    }
}

/// Tells the author of `application` about `kind`, in the app and (when possible) by e-mail,
/// inside the caller's transaction.
pub(crate) async fn tell(
    db: &impl ConnectionTrait,
    workflow: &Workflow,
    edition: &Edition,
    application: &application::Model,
    kind: Kind,
    detail: Detail,
) -> anyhow::Result<()> {
    let now = Utc::now();
    notification::ActiveModel {
        user_id: Set(application.user_id),
        kind: Set(kind.as_str().to_owned()),
        programme_id: Set(Some(edition.id)),
        detail: Set(serde_json::to_string(&detail).context("encoding a notification")?),
        created_at: Set(now),
        read_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("writing a notification")?;
    if workflow.mail && has_contact(db, edition, application).await? {
        let title = title(edition, &application.language);
        let (subject, body) = render(kind, &title, &detail, &application.language);
        outbox_message::ActiveModel {
            user_id: Set(application.user_id),
            application_id: Set(application.id),
            kind: Set(kind.as_str().to_owned()),
            language: Set(application.language.clone()),
            subject: Set(subject),
            body: Set(body),
            created_at: Set(now),
            next_attempt_at: Set(now),
            attempts: Set(0),
            claim: Set(None),
            claimed_until: Set(None),
            sent_at: Set(None),
            last_error: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await
        .context("queueing an e-mail")?;
    }
    Ok(())
}

/// One page of `user`'s notifications, newest first, older than `before` when given, with
/// messages in `language`.
pub async fn list(
    db: &impl ConnectionTrait,
    user: i32,
    before: Option<i32>,
    limit: u64,
    language: &str,
) -> anyhow::Result<Page<Notification>> {
    let mut query = notification::Entity::find()
        .filter(notification::Column::UserId.eq(user))
        .order_by_desc(notification::Column::Id);
    if let Some(before) = before {
        query = query.filter(notification::Column::Id.lt(before));
    }
    let mut rows = query
        .limit(limit + 1)
        .all(db)
        .await
        .context("listing notifications")?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let mut editions = std::collections::BTreeMap::new();
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let edition = match row.programme_id {
            Some(id) => {
                if let std::collections::btree_map::Entry::Vacant(slot) = editions.entry(id) {
                    slot.insert(crate::programme::by_id(db, id).await?);
                }
                editions.get(&id)
            }
            None => None,
        };
        let Some(kind) = Kind::parse(&row.kind) else {
            continue;
        };
        let detail: Detail = serde_json::from_str(&row.detail).unwrap_or_default();
        let title = edition.map(|e| title(e, language)).unwrap_or_default();
        let (subject, message) = render(kind, &title, &detail, language);
        items.push(Notification {
            id: row.id,
            kind,
            programme: edition.map(|e| e.slug.clone()),
            detail,
            subject,
            message,
            created_at: row.created_at,
            read_at: row.read_at,
        });
    }
    let next = more.then(|| items.last().map(|n| n.id)).flatten();
    Ok(Page { items, next })
}

/// Marks notification `id` of `user` read (again: no change).
pub async fn mark_read(
    db: &impl ConnectionTrait,
    user: i32,
    id: i32,
) -> Result<(), EnrollmentError> {
    let found = notification::Entity::find_by_id(id)
        .filter(notification::Column::UserId.eq(user))
        .one(db)
        .await
        .context("reading a notification")?;
    if found.is_none() {
        return Err(EnrollmentError::NotificationNotFound);
    }
    notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(Some(Utc::now())))
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::UserId.eq(user))
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await
        .context("marking a notification read")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_message_in_english_french_and_spanish() {
        let detail = Detail {
            deadline: Some(Utc::now()),
            position: Some(2),
        };
        for kind in Kind::ALL {
            let (en, _) = render(kind, "HRDAP 2027", &detail, "en");
            let (fr, _) = render(kind, "HRDAP 2027", &detail, "fr-CH");
            let (es, _) = render(kind, "HRDAP 2027", &detail, "es");
            assert!(en.contains("HRDAP 2027"));
            assert_ne!(en, fr, "{kind:?}");
            assert_ne!(en, es, "{kind:?}");
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(
            render(Kind::Rejected, "X", &detail, "ar").0,
            "Your application: X"
        );
    }
}
