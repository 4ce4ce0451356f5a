//! vCards: one per user, stored as its vcard-temp element ([`mapping`] converts to and from
//! the GraphQL types).

pub mod mapping;

use mimql_entities::vcard;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

use crate::xml::{Element, InvalidCharAt};

#[derive(Debug, thiserror::Error)]
pub enum VcardError {
    /// A field holds a character XML cannot carry; the path names its element.
    #[error("{} contains {}, which XML cannot carry", .0.path, .0.ch)]
    InvalidChar(InvalidCharAt),
    /// The vCard, as XML, is longer than the per-user quota.
    #[error("a vCard is limited to {0} bytes")]
    TooLarge(usize),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// Stores (replaces) the user's vCard; refuses one XML cannot carry, or longer than
/// `max_bytes` as XML, before writing anything.
pub async fn store<C: ConnectionTrait>(
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
pub async fn load<C: ConnectionTrait>(c: &C, user_id: i64) -> Result<Option<Element>, DbErr> {
    let Some(row) = vcard::Entity::find_by_id(user_id).one(c).await? else {
        return Ok(None);
    };
    Element::parse(&row.xml)
        .map(Some)
        .map_err(|e| DbErr::Custom(format!("stored vCard of user {user_id} is not XML: {e}")))
}
