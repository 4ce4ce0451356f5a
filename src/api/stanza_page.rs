//! A page of an archive (a user's or a room's) as the GraphQL `StanzasPayload`. The user and
//! admin APIs generate their own (identical) types; each includes this file as its `page`
//! module beside a `schema_types` alias of its generated module.

use async_graphql::Result;

use super::schema_types::*;
use crate::api::stanza::{MAX_RESULT_LIMIT, archived, page_size_of};
use crate::archive::Archived;
use crate::errors::ApiError;

/// A page of an archive (personal or a room's) as `StanzasPayload`.
pub(crate) fn payload(rows: Vec<Archived>, limit: i64) -> Result<StanzasPayload, ApiError> {
    let mut stanzas = Vec::with_capacity(rows.len());
    for row in rows {
        let m = archived(&row)?;
        stanzas.push(Some(StanzaMap {
            sender: Some(Jid(m.sender)),
            timestamp: Some(DateTime(m.time)),
            stanza_id: Some(m.id),
            stanza: Some(XmlElement(m.stanza)),
        }));
    }
    Ok(StanzasPayload {
        stanzas: Some(stanzas),
        limit: Some(limit as i32),
    })
}

/// `getRoomMessages` of MUC and MUC Light: a page of a room's archive, read by `fetch` (given
/// `before` in microseconds and the page size), its errors mapped by `err`.
pub(crate) async fn room_messages<E, Fut>(
    requested: Option<PosInt>,
    before: Option<DateTime>,
    fetch: impl FnOnce(Option<i64>, u64) -> Fut,
    err: impl FnOnce(E) -> async_graphql::Error,
) -> Result<Option<StanzasPayload>>
where
    Fut: std::future::Future<Output = Result<Vec<Archived>, E>>,
{
    let limit = page_size_of(requested.map(|l| l.0), MAX_RESULT_LIMIT);
    let rows = fetch(before.map(|b| b.0.timestamp_micros()), limit as u64)
        .await
        .map_err(err)?;
    Ok(Some(payload(rows, limit)?))
}
