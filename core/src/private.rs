//! XEP-0049 private XML storage: one element per (user, namespace), replaced on every set.

use mimql_entities::{key_hash, private_item};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QuerySelect, Set,
};

use crate::accounts::{lock_user, user_id};
use crate::db::begin_write;
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
    /// Storing the element would take the user's private storage past its quota.
    #[error("private storage is limited to {0} bytes")]
    QuotaExceeded(usize),
    /// Nothing is stored and the element asked for is not an XML name, so the empty element
    /// cannot be answered.
    #[error("{0:?} is not a valid XML element name")]
    InvalidElement(String),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// A conservative XML name check (no prefix, which would need a declaration): the element is
/// only built from it when nothing is stored.
fn is_xml_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// XEP-0049 §3: these namespaces belong to the protocol and are refused.
pub fn is_reserved(ns: &str) -> bool {
    ns.starts_with("jabber:") || ns.starts_with("http://jabber.org/") || ns == "vcard-temp"
}

/// The private storage service: owns its transactions and the quota (`[limits]
/// max_private_bytes`, all of a user's namespaces together).
pub struct PrivateStorage {
    db: DatabaseConnection,
    quota: usize,
}

impl PrivateStorage {
    pub fn new(db: DatabaseConnection, quota: usize) -> PrivateStorage {
        PrivateStorage { db, quota }
    }

    /// Stores `el` under its namespace, replacing what was there, within the quota.
    pub async fn set(&self, user: &Jid, el: &Element) -> Result<(), PrivateError> {
        el.check_chars().map_err(PrivateError::InvalidChar)?;
        let ns = match el.attr("xmlns") {
            Some(ns) if !ns.is_empty() => ns.to_string(),
            _ => return Err(PrivateError::NoNamespace),
        };
        if is_reserved(&ns) {
            return Err(PrivateError::ReservedNamespace(ns));
        }
        let xml = el.to_string();
        if xml.len() > self.quota {
            return Err(PrivateError::QuotaExceeded(self.quota));
        }
        let txn = begin_write(&self.db).await?;
        let id = lock_user(&txn, user)
            .await?
            .ok_or(PrivateError::UserNotFound)?;
        let hash = key_hash(&ns);
        // What the other namespaces hold (the one being replaced does not count), in bytes of
        // UTF-8 as the new element is measured.
        let bytes = match txn.get_database_backend() {
            DbBackend::Sqlite => "CAST(LENGTH(CAST(xml AS BLOB)) AS BIGINT)",
            _ => "CAST(OCTET_LENGTH(xml) AS BIGINT)",
        };
        let others: Vec<(String, String, i64)> = private_item::Entity::find()
            .select_only()
            .column(private_item::Column::NamespaceHash)
            .column(private_item::Column::Namespace)
            .expr(Expr::cust(bytes))
            .filter(private_item::Column::UserId.eq(id))
            .into_tuple()
            .all(&txn)
            .await?;
        let used: usize = others
            .iter()
            .filter(|(h, n, _)| !(h == &hash && n == &ns))
            .map(|(_, _, len)| usize::try_from(*len).unwrap_or(usize::MAX))
            .fold(0, usize::saturating_add);
        if used.saturating_add(xml.len()) > self.quota {
            return Err(PrivateError::QuotaExceeded(self.quota));
        }
        let row = private_item::ActiveModel {
            user_id: Set(id),
            namespace_hash: Set(hash),
            namespace: Set(ns),
            xml: Set(xml),
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
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The element stored under `ns`, if any.
    /// What `getPrivate` answers (both APIs): the stored element of the namespace, or, when
    /// nothing is stored, the empty request element `<element xmlns='ns'/>`, as the reference
    /// answers.
    pub async fn get_or_empty(
        &self,
        user: &Jid,
        element: &str,
        ns: &str,
    ) -> Result<Element, PrivateError> {
        match self.get(user, ns).await? {
            Some(el) => Ok(el),
            None if is_xml_name(element) => Ok(Element::new(element).with_attr("xmlns", ns)),
            None => Err(PrivateError::InvalidElement(element.to_string())),
        }
    }

    pub async fn get(&self, user: &Jid, ns: &str) -> Result<Option<Element>, PrivateError> {
        check_chars(ns).map_err(PrivateError::InvalidNamespace)?;
        let id = user_id(&self.db, user)
            .await?
            .ok_or(PrivateError::UserNotFound)?;
        // Found through the hash index, matched on the full namespace.
        let Some(row) = private_item::Entity::find()
            .filter(private_item::Column::UserId.eq(id))
            .filter(private_item::Column::NamespaceHash.eq(key_hash(ns)))
            .filter(private_item::Column::Namespace.eq(ns))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        Element::parse(&row.xml)
            .map(Some)
            .map_err(|e| PrivateError::Db(DbErr::Custom(format!("stored element is not XML: {e}"))))
    }
}

/// Part of removing an account (the caller holds the user's lock).
pub async fn remove_user<C: ConnectionTrait>(c: &C, user_id: i64) -> Result<(), DbErr> {
    private_item::Entity::delete_many()
        .filter(private_item::Column::UserId.eq(user_id))
        .exec(c)
        .await?;
    Ok(())
}
