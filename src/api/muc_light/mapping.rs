//! The GraphQL MUC Light types ↔ the domain's rooms, occupants and blocking lists. The user
//! and admin APIs generate their own (identical) types; each includes this file as its
//! `mapping` module beside a `schema_types` alias of its generated module.

use super::schema_types::*;
use crate::muc_light::RoomView;
use crate::muc_light::blocking::{self, Change, Denial};
use crate::muc_light::room::{Affiliation as Aff, Occupant};

pub(super) fn room_user(o: &Occupant) -> RoomUser {
    RoomUser {
        jid: Jid(o.jid.clone()),
        affiliation: match o.affiliation {
            Aff::Owner => Affiliation::Owner,
            Aff::Member => Affiliation::Member,
        },
    }
}

/// `name` and `subject` are the `roomname` and `subject` keys (null when the room has none);
/// `options` every key given, sorted.
pub(super) fn room(view: RoomView) -> Room {
    Room {
        name: view.config.get("roomname").cloned(),
        subject: view.config.get("subject").cloned(),
        participants: view.occupants.iter().map(room_user).collect(),
        options: view
            .config
            .into_iter()
            .map(|(key, value)| RoomConfigDictEntry { key, value })
            .collect(),
        jid: BareJid(view.jid),
    }
}

/// The configuration a request sets: `options` (later duplicates win), then `name` as
/// `roomname` and `subject` over them.
pub(super) fn config_pairs(
    name: Option<String>,
    subject: Option<String>,
    options: Option<Vec<RoomConfigDictEntryInput>>,
) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = options
        .unwrap_or_default()
        .into_iter()
        .map(|o| (o.key, o.value))
        .collect();
    pairs.extend(name.map(|n| ("roomname".to_string(), n)));
    pairs.extend(subject.map(|s| ("subject".to_string(), s)));
    pairs
}

/// The changes `setBlockingList` applies, in order.
pub(super) fn blocking_changes(items: Vec<BlockingInput>) -> Vec<Change> {
    items
        .into_iter()
        .map(|i| Change {
            kind: match i.entity_type {
                BlockedEntityType::User => blocking::Kind::User,
                BlockedEntityType::Room => blocking::Kind::Room,
            },
            action: match i.action {
                BlockingAction::Allow => blocking::Action::Allow,
                BlockingAction::Deny => blocking::Action::Deny,
            },
            entity: i.entity.0.to_bare(),
        })
        .collect()
}

pub(super) fn blocking_item(d: Denial) -> BlockingItem {
    BlockingItem {
        entity_type: match d.kind {
            blocking::Kind::User => BlockedEntityType::User,
            blocking::Kind::Room => BlockedEntityType::Room,
        },
        action: BlockingAction::Deny,
        entity: Jid(d.entity),
    }
}
