//! vCards: one per user, stored as its vcard-temp element (XEP-0054). The API maps its own
//! types to and from this element; the domain only sees XML.

use mimql_entities::vcard;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::accounts::{lock_user, user_id};
use crate::jid::Jid;
use crate::xml::{Element, InvalidCharAt};

/// The namespace of the stored element.
pub const NS: &str = "vcard-temp";

#[derive(Debug, thiserror::Error)]
pub enum VcardError {
    /// The user's domain is not served here.
    #[error("the user's domain does not exist")]
    DomainNotFound,
    #[error("the user does not exist")]
    UserNotFound,
    /// The user has no vCard stored.
    #[error("no vCard stored")]
    NotFound,
    /// A field holds a character XML cannot carry; the path names its element.
    #[error("{} contains {}, which XML cannot carry", .0.path, .0.ch)]
    InvalidChar(InvalidCharAt),
    /// The vCard, as XML, is longer than the per-user quota.
    #[error("a vCard is limited to {0} bytes")]
    TooLarge(usize),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// The vCard service: owns its transactions and the size quota (`[limits] max_vcard_bytes`).
pub struct Vcards {
    db: DatabaseConnection,
    hosts: Vec<String>,
    max_bytes: usize,
}

impl Vcards {
    pub fn new(db: DatabaseConnection, hosts: Vec<String>, max_bytes: usize) -> Vcards {
        Vcards {
            db,
            hosts,
            max_bytes,
        }
    }

    /// Replaces the user's vCard and answers it as stored, read back in the same transaction
    /// (as the reference does).
    pub async fn set(&self, user: &Jid, el: &Element) -> Result<Element, VcardError> {
        let txn = crate::db::begin_write(&self.db).await?;
        // Locked: a removal of the account waits, or has happened (no foreign-key failure).
        let id = lock_user(&txn, user)
            .await?
            .ok_or(VcardError::UserNotFound)?;
        store(&txn, id, el, self.max_bytes).await?;
        let stored = load(&txn, id).await?.ok_or(VcardError::NotFound)?;
        txn.commit().await?;
        Ok(stored)
    }

    /// Any local user's vCard.
    pub async fn get(&self, user: &Jid) -> Result<Element, VcardError> {
        if !self.hosts.iter().any(|h| h == user.domain()) {
            return Err(VcardError::DomainNotFound);
        }
        let id = user_id(&self.db, user)
            .await?
            .ok_or(VcardError::UserNotFound)?;
        load(&self.db, id).await?.ok_or(VcardError::NotFound)
    }
}

/// Part of removing an account (the caller holds the user's lock).
pub async fn remove_user<C: ConnectionTrait>(c: &C, user_id: i64) -> Result<(), DbErr> {
    vcard::Entity::delete_many()
        .filter(vcard::Column::UserId.eq(user_id))
        .exec(c)
        .await?;
    Ok(())
}

/// Stores (replaces) the user's vCard; refuses one XML cannot carry, or longer than
/// `max_bytes` as XML, before writing anything.
async fn store<C: ConnectionTrait>(
    c: &C,
    user_id: i64,
    el: &Element,
    max_bytes: usize,
) -> Result<(), VcardError> {
    el.check_chars().map_err(VcardError::InvalidChar)?;
    let xml = el.to_string();
    if xml.len() > max_bytes {
        return Err(VcardError::TooLarge(max_bytes));
    }
    let row = vcard::ActiveModel {
        user_id: Set(user_id),
        xml: Set(xml),
        updated_at: Set(crate::db::now_micros()),
    };
    vcard::Entity::insert(row)
        .on_conflict(
            OnConflict::column(vcard::Column::UserId)
                .update_columns([vcard::Column::Xml, vcard::Column::UpdatedAt])
                .to_owned(),
        )
        .exec(c)
        .await?;
    Ok(())
}

/// The user's stored vCard element, if any.
async fn load<C: ConnectionTrait>(c: &C, user_id: i64) -> Result<Option<Element>, DbErr> {
    let Some(row) = vcard::Entity::find_by_id(user_id).one(c).await? else {
        return Ok(None);
    };
    Element::parse(&row.xml)
        .map(Some)
        .map_err(|e| DbErr::Custom(format!("stored vCard of user {user_id} is not XML: {e}")))
}
