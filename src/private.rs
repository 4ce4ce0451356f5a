//! XEP-0049 private XML storage: one element per (user, namespace), replaced on every set.

use mimql_entities::{key_hash, private_item};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};

use crate::accounts::user_id;
use crate::jid::Jid;
use crate::xml::{Element, InvalidChar, InvalidCharAt, check_chars};

#[derive(Debug, thiserror::Error)]
pub enum PrivateError {
    #[error("user does not exist")]
    UserNotFound,
    /// Storage is keyed by namespace, so an element without one cannot be stored.
    #[error("the element has no xmlns")]
    NoNamespace,
    #[error("namespace {0} is reserved")]
    ReservedNamespace(String),
    /// The element holds a character XML cannot carry (a parsed element cannot; this guards
    /// elements built otherwise).
    #[error("{} contains {}, which XML cannot carry", .0.path, .0.ch)]
    InvalidChar(InvalidCharAt),
    /// The namespace asked for holds a character XML cannot carry, so nothing can be stored
    /// under it.
    #[error("the namespace contains {0}, which XML cannot carry")]
    InvalidNamespace(InvalidChar),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// XEP-0049 §3: these namespaces belong to the protocol and are refused.
pub fn is_reserved(ns: &str) -> bool {
    ns.starts_with("jabber:") || ns.starts_with("http://jabber.org/") || ns == "vcard-temp"
}

pub async fn set(db: &DatabaseConnection, user: &Jid, el: &Element) -> Result<(), PrivateError> {
    el.check_chars().map_err(PrivateError::InvalidChar)?;
    let ns = match el.attr("xmlns") {
        Some(ns) if !ns.is_empty() => ns.to_string(),
        _ => return Err(PrivateError::NoNamespace),
    };
    if is_reserved(&ns) {
        return Err(PrivateError::ReservedNamespace(ns));
    }
    let id = user_id(db, user).await?.ok_or(PrivateError::UserNotFound)?;
    let row = private_item::ActiveModel {
        user_id: Set(id),
        namespace_hash: Set(key_hash(&ns)),
        namespace: Set(ns),
        xml: Set(el.to_string()),
        ..Default::default()
    };
    private_item::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                private_item::Column::UserId,
                private_item::Column::NamespaceHash,
            ])
            .update_column(private_item::Column::Xml)
            .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The element stored under `ns`, if any.
pub async fn get(
    db: &DatabaseConnection,
    user: &Jid,
    ns: &str,
) -> Result<Option<Element>, PrivateError> {
    check_chars(ns).map_err(PrivateError::InvalidNamespace)?;
    let id = user_id(db, user).await?.ok_or(PrivateError::UserNotFound)?;
    // Found through the hash index, matched on the full namespace.
    let Some(row) = private_item::Entity::find()
        .filter(private_item::Column::UserId.eq(id))
        .filter(private_item::Column::NamespaceHash.eq(key_hash(ns)))
        .filter(private_item::Column::Namespace.eq(ns))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Element::parse(&row.xml)
        .map(Some)
        .map_err(|e| PrivateError::Db(DbErr::Custom(format!("stored element is not XML: {e}"))))
}
