//! XEP-0049 private XML storage: one element per (user, namespace), replaced on every set.

use mimql_entities::private_item;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};

use crate::accounts::user_id;
use crate::jid::Jid;
use crate::xml::Element;

#[derive(Debug, thiserror::Error)]
pub enum PrivateError {
    #[error("user does not exist")]
    UserNotFound,
    /// Storage is keyed by namespace, so an element without one cannot be stored.
    #[error("the element has no xmlns")]
    NoNamespace,
    #[error("namespace {0} is reserved")]
    ReservedNamespace(String),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// XEP-0049 §3: these namespaces belong to the protocol and are refused.
pub fn is_reserved(ns: &str) -> bool {
    ns.starts_with("jabber:") || ns.starts_with("http://jabber.org/") || ns == "vcard-temp"
}

pub async fn set(db: &DatabaseConnection, user: &Jid, el: &Element) -> Result<(), PrivateError> {
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
        namespace: Set(ns),
        xml: Set(el.to_string()),
        ..Default::default()
    };
    private_item::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                private_item::Column::UserId,
                private_item::Column::Namespace,
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
    let id = user_id(db, user).await?.ok_or(PrivateError::UserNotFound)?;
    let Some(row) = private_item::Entity::find()
        .filter(private_item::Column::UserId.eq(id))
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
