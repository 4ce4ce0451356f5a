//! Rosters: items with names and groups, and subscription changes applied to both users'
//! rosters in one transaction. The state machine itself is in [`state`].

pub mod state;

use std::sync::Arc;

use mimql_entities::{key_hash, roster_group, roster_item, user};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::db::begin_write;

use crate::accounts::{lock_users, user_id, user_ids};
use crate::jid::Jid;
use crate::sessions::{SessionInfo, SessionRegistry, push_to_clients};
use crate::xml::{Element, InvalidChar, Node, check_chars};
use state::{Ask, Change, Presence, State, Sub};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub contact: String,
    pub name: String,
    pub groups: Vec<String>,
    pub state: State,
}

/// One side of a mutual subscription: the user, and the name and groups the other side's item
/// for it gets.
#[derive(Clone, Debug)]
pub struct Mutual<'a> {
    pub jid: &'a Jid,
    pub name: String,
    pub groups: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    /// The named user (the owner or the contact) has no account here.
    #[error("the user {0} does not exist")]
    UserNotExist(String),
    #[error("no such contact")]
    ContactNotFound,
    /// A name or group holds a character XML (and so XMPP) cannot carry.
    #[error("the {0} contains {1}, which XML cannot carry")]
    InvalidChar(&'static str, InvalidChar),
    /// A new item would take the roster past its quota.
    #[error("a roster is limited to {0} contacts")]
    RosterFull(usize),
    /// A subscription request would add an item to the contact's roster, which is full.
    #[error("the contact's roster is full ({0} contacts)")]
    ContactRosterFull(usize),
    /// An item may be in at most this many groups.
    #[error("a contact is limited to {0} groups")]
    TooManyGroups(usize),
    /// A roster may name at most this many distinct groups.
    #[error("a roster is limited to {0} groups")]
    TooManyRosterGroups(usize),
    /// A contact's name or a group name is longer than this many bytes.
    #[error("the {0} is longer than {1} bytes")]
    TooLong(&'static str, usize),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// The XML namespace of roster items (RFC 6121 §2).
pub const NS: &str = "jabber:iq:roster";

/// The items a transaction changed, per owner: each owner's roster version is bumped once, and
/// each item is pushed to the owner's XMPP sessions once the transaction has committed.
#[derive(Default)]
struct Touched(Vec<(i64, Jid, String)>, Vec<Notice>);

impl Touched {
    fn add(&mut self, user: i64, owner: &Jid, contact: &str) {
        if !self.0.iter().any(|(u, _, c)| *u == user && c == contact) {
            self.0.push((user, owner.to_bare(), contact.to_string()));
        }
    }
}

/// A subscription presence a local user receives (RFC 6121 §3): the request, approval or
/// cancellation that changed the recipient's item, or the automatic answer of the recipient's
/// server. Delivered to the recipient's available XMPP sessions once committed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// Bare JIDs.
    pub to: Jid,
    pub from: Jid,
    pub presence: Presence,
}

/// What a committed change hands to the XMPP sessions: roster pushes and subscription
/// presences.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub pushes: Vec<Push>,
    pub notices: Vec<Notice>,
}

/// A subscription presence as the router carries it to a session.
pub fn notice_element(n: &Notice) -> Element {
    Element::new("presence")
        .with_attr("type", n.presence.as_str())
        .with_attr("from", n.from.to_string())
        .with_attr("to", n.to.to_string())
}

/// A change to one item of a user's roster, made at roster version `version`: what a roster
/// push (RFC 6121 §2.1.6) carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Push {
    /// The bare JID of the roster's owner.
    pub owner: Jid,
    pub version: i64,
    pub contact: String,
    /// `None`: the item was removed.
    pub item: Option<Item>,
}

/// Bumps the version of every roster `touched` changed and reads the changed items back, in
/// the transaction that changed them.
async fn finish<C: ConnectionTrait>(c: &C, touched: Touched) -> Result<Changes, DbErr> {
    let mut versions: Vec<(i64, i64)> = Vec::new();
    let mut pushes = Vec::with_capacity(touched.0.len());
    for (user_id, owner, contact) in touched.0 {
        let version = match versions.iter().find(|(u, _)| *u == user_id) {
            Some((_, v)) => *v,
            None => {
                let v = bump_version(c, user_id).await?;
                versions.push((user_id, v));
                v
            }
        };
        let item = items_where(c, item_key(user_id, &contact)).await?.pop();
        pushes.push(Push {
            owner,
            version,
            contact,
            item,
        });
    }
    Ok(Changes {
        pushes,
        notices: touched.1,
    })
}

/// Increments the user's roster version; answers the new one.
async fn bump_version<C: ConnectionTrait>(c: &C, user_id: i64) -> Result<i64, DbErr> {
    user::Entity::update_many()
        .col_expr(
            user::Column::RosterVersion,
            Expr::col(user::Column::RosterVersion).add(1),
        )
        .filter(user::Column::Id.eq(user_id))
        .exec(c)
        .await?;
    read_version(c, user_id).await
}

async fn read_version<C: ConnectionTrait>(c: &C, user_id: i64) -> Result<i64, DbErr> {
    let v: Option<i64> = user::Entity::find_by_id(user_id)
        .select_only()
        .column(user::Column::RosterVersion)
        .into_tuple()
        .one(c)
        .await?;
    Ok(v.unwrap_or(0))
}

async fn items_where<C: ConnectionTrait>(c: &C, filter: Condition) -> Result<Vec<Item>, DbErr> {
    let rows = roster_item::Entity::find()
        .filter(filter)
        .find_with_related(roster_group::Entity)
        .order_by_asc(roster_item::Column::Id)
        .all(c)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(item, mut groups)| {
            groups.sort_by_key(|g| g.position);
            Item {
                state: state_of(&item),
                groups: groups.into_iter().map(|g| g.name).collect(),
                contact: item.contact,
                name: item.name,
            }
        })
        .collect())
}

/// An item as XMPP carries it (RFC 6121 §2.1.2): `jid`, `name` when set, `subscription`,
/// `ask='subscribe'` while the owner's request is pending, and the groups.
pub fn item_element(item: &Item) -> Element {
    let mut e = Element::new("item").with_attr("jid", item.contact.clone());
    if !item.name.is_empty() {
        e.set_attr("name", item.name.clone());
    }
    e.set_attr("subscription", sub_to_str(item.state.sub));
    if matches!(item.state.ask, Ask::Out | Ask::Both) {
        e.set_attr("ask", "subscribe");
    }
    for g in &item.groups {
        e.children
            .push(Node::Element(Element::new("group").with_text(g.clone())));
    }
    e
}

/// A roster push (RFC 6121 §2.1.6) as the router carries it to a session: an iq set with the
/// changed item (`subscription='remove'` when it went) and the roster version.
pub fn push_element(p: &Push) -> Element {
    let item = match &p.item {
        Some(item) => item_element(item),
        None => Element::new("item")
            .with_attr("jid", p.contact.clone())
            .with_attr("subscription", "remove"),
    };
    let mut query = Element::new("query")
        .with_attr("xmlns", NS)
        .with_attr("ver", p.version.to_string());
    query.children.push(Node::Element(item));
    let mut iq = Element::new("iq")
        .with_attr("type", "set")
        .with_attr("id", format!("push-{}", crate::stanza::new_id()));
    iq.children.push(Node::Element(query));
    iq
}

/// Whether a routed element is a roster push.
pub fn is_push(e: &Element) -> bool {
    e.name == "iq"
        && e.attr("type") == Some("set")
        && e.elements()
            .next()
            .is_some_and(|q| q.name == "query" && q.attr("xmlns") == Some(NS))
}

/// Per-user bounds (`[limits] max_roster_size`, `max_groups_per_contact`,
/// `max_groups_per_roster`, `max_roster_name_bytes`).
#[derive(Clone, Copy, Debug)]
pub struct Quota {
    pub max_items: usize,
    /// Groups of one item.
    pub max_groups: usize,
    /// Distinct group names over the whole roster.
    pub max_roster_groups: usize,
    /// Bytes of a contact's name or of one group name.
    pub max_name_bytes: usize,
}

impl Default for Quota {
    fn default() -> Self {
        Quota {
            max_items: usize::MAX,
            max_groups: usize::MAX,
            max_roster_groups: usize::MAX,
            max_name_bytes: usize::MAX,
        }
    }
}

fn sub_to_str(s: Sub) -> &'static str {
    match s {
        Sub::None => "none",
        Sub::To => "to",
        Sub::From => "from",
        Sub::Both => "both",
    }
}

fn ask_to_str(a: Ask) -> &'static str {
    match a {
        Ask::None => "none",
        Ask::In => "in",
        Ask::Out => "out",
        Ask::Both => "both",
    }
}

fn state_of(m: &roster_item::Model) -> State {
    let sub = match m.subscription.as_str() {
        "to" => Sub::To,
        "from" => Sub::From,
        "both" => Sub::Both,
        _ => Sub::None,
    };
    let ask = match m.ask.as_str() {
        "in" => Ask::In,
        "out" => Ask::Out,
        "both" => Ask::Both,
        _ => Ask::None,
    };
    State { sub, ask }
}

/// The item of `user` for `contact`: found through the hash index, matched on the full key.
fn item_key(user: i64, contact: &str) -> Condition {
    Condition::all()
        .add(roster_item::Column::UserId.eq(user))
        .add(roster_item::Column::ContactHash.eq(key_hash(contact)))
        .add(roster_item::Column::Contact.eq(contact))
}

async fn find_item<C: ConnectionTrait>(
    c: &C,
    user: i64,
    contact: &str,
) -> Result<Option<roster_item::Model>, DbErr> {
    roster_item::Entity::find()
        .filter(item_key(user, contact))
        .one(c)
        .await
}

/// Everything `addContact` stores must be carried by XML: roster items travel as XML.
fn check_item(name: Option<&str>, groups: &[String], quota: Quota) -> Result<(), RosterError> {
    if groups.len() > quota.max_groups {
        return Err(RosterError::TooManyGroups(quota.max_groups));
    }
    let texts = name
        .map(|n| ("name", n))
        .into_iter()
        .chain(groups.iter().map(|g| ("group", g.as_str())));
    for (what, text) in texts {
        if text.len() > quota.max_name_bytes {
            return Err(RosterError::TooLong(what, quota.max_name_bytes));
        }
        check_chars(text).map_err(|c| RosterError::InvalidChar(what, c))?;
    }
    Ok(())
}

async fn replace_groups<C: ConnectionTrait>(
    c: &C,
    item: i64,
    groups: &[String],
) -> Result<(), DbErr> {
    roster_group::Entity::delete_many()
        .filter(roster_group::Column::ItemId.eq(item))
        .exec(c)
        .await?;
    if groups.is_empty() {
        return Ok(());
    }
    let rows = groups
        .iter()
        .enumerate()
        .map(|(i, g)| roster_group::ActiveModel {
            item_id: Set(item),
            position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
            name: Set(g.clone()),
            ..Default::default()
        });
    roster_group::Entity::insert_many(rows).exec(c).await?;
    Ok(())
}

async fn delete_item<C: ConnectionTrait>(c: &C, item: i64) -> Result<(), DbErr> {
    roster_group::Entity::delete_many()
        .filter(roster_group::Column::ItemId.eq(item))
        .exec(c)
        .await?;
    roster_item::Entity::delete_by_id(item).exec(c).await?;
    Ok(())
}

/// Applies a state change to `user`'s item for `contact` (creating it with no name or groups).
async fn apply<C: ConnectionTrait>(
    c: &C,
    owner: Party<'_>,
    contact: &str,
    change: Change,
    touched: &mut Touched,
) -> Result<(), DbErr> {
    let Some(user) = owner.id else {
        return Ok(());
    };
    let existing = find_item(c, user, contact).await?;
    if !matches!(
        (change, &existing),
        (Change::Keep, _) | (Change::Delete, None)
    ) {
        touched.add(user, owner.jid, contact);
    }
    match (change, existing) {
        (Change::Keep, _) | (Change::Delete, None) => Ok(()),
        (Change::Delete, Some(item)) => delete_item(c, item.id).await,
        (Change::Set(s), Some(item)) => {
            let mut am: roster_item::ActiveModel = item.into();
            am.subscription = Set(sub_to_str(s.sub).into());
            am.ask = Set(ask_to_str(s.ask).into());
            am.update(c).await.map(drop)
        }
        (Change::Set(s), None) => roster_item::ActiveModel {
            user_id: Set(user),
            contact: Set(contact.to_string()),
            contact_hash: Set(key_hash(contact)),
            name: Set(String::new()),
            subscription: Set(sub_to_str(s.sub).into()),
            ask: Set(ask_to_str(s.ask).into()),
            ..Default::default()
        }
        .insert(c)
        .await
        .map(drop),
    }
}

async fn current<C: ConnectionTrait>(
    c: &C,
    user: i64,
    contact: &str,
) -> Result<Option<State>, DbErr> {
    Ok(find_item(c, user, contact).await?.as_ref().map(state_of))
}

/// One side of a subscription exchange: a bare JID and, for a local account, its id.
#[derive(Clone, Copy)]
struct Party<'j> {
    jid: &'j Jid,
    id: Option<i64>,
}

/// Delivers a subscription presence from `from` to `to`: the recipient's item for the sender
/// changes per the inbound table, and an automatic reply goes back the same way. Recipients
/// without an account here (remote or unknown users) are left alone.
async fn deliver<C: ConnectionTrait>(
    c: &C,
    from: Party<'_>,
    to: Party<'_>,
    p: Presence,
    quota: Quota,
    touched: &mut Touched,
) -> Result<(), RosterError> {
    let Some(to_id) = to.id else {
        return Ok(());
    };
    let sender = from.jid.bare_string();
    let before = current(c, to_id, &sender).await?;
    let (change, reply) = state::inbound(before, p);
    // A request creates an item in the recipient's roster, which must have room for it.
    if before.is_none()
        && matches!(change, Change::Set(_))
        && !room_for_one(c, to_id, quota).await?
    {
        return Err(RosterError::ContactRosterFull(quota.max_items));
    }
    apply(c, to, &sender, change, touched).await?;
    // The recipient is told of what changed its item (a repeated request, or one its server
    // answers by itself, is not delivered: RFC 6121 §3.1.3).
    if change != Change::Keep && reply.is_none() {
        touched.1.push(Notice {
            to: to.jid.to_bare(),
            from: from.jid.to_bare(),
            presence: p,
        });
    }
    if let (Some(reply), Some(from_id)) = (reply, from.id) {
        touched.1.push(Notice {
            to: from.jid.to_bare(),
            from: to.jid.to_bare(),
            presence: reply,
        });
        // Replies are `subscribed`/`unsubscribed`, which never answer back.
        let recipient = to.jid.bare_string();
        let (change, _) = state::inbound(current(c, from_id, &recipient).await?, reply);
        apply(c, from, &recipient, change, touched).await?;
    }
    Ok(())
}

/// The presences that end what an item in state `s` carried when the item goes: `unsubscribe`
/// for the owner's subscription (and, with `withdraw_requests`, for a pending request of the
/// owner's), `unsubscribed` for the contact's subscription.
fn cancelling(s: State, withdraw_requests: bool) -> impl Iterator<Item = Presence> {
    let to = matches!(s.sub, Sub::To | Sub::Both)
        || (withdraw_requests && matches!(s.ask, Ask::Out | Ask::Both));
    let from = matches!(s.sub, Sub::From | Sub::Both);
    [(to, Presence::Unsubscribe), (from, Presence::Unsubscribed)]
        .into_iter()
        .filter_map(|(send, p)| send.then_some(p))
}

/// Whether the roster of `owner` can take one more item.
async fn room_for_one<C: ConnectionTrait>(c: &C, owner: i64, quota: Quota) -> Result<bool, DbErr> {
    if quota.max_items == usize::MAX {
        return Ok(true);
    }
    let items = roster_item::Entity::find()
        .filter(roster_item::Column::UserId.eq(owner))
        .count(c)
        .await?;
    Ok(usize::try_from(items).unwrap_or(usize::MAX) < quota.max_items)
}

/// The roster service: owns its transactions, and the quota it holds every user's roster to.
pub struct Roster {
    db: DatabaseConnection,
    quota: Quota,
    /// Where roster pushes go (the XMPP sessions of the owner, on every node).
    sessions: Option<Arc<dyn SessionRegistry>>,
    /// The presence that follows a subscription change, on the same registry.
    presences: Option<crate::presence::Presences>,
    /// XEP-0191: subscription presences between a user and a JID one of them blocks are not
    /// delivered.
    blocking: Option<Arc<crate::blocking::Blocking>>,
}

impl Roster {
    pub fn new(db: DatabaseConnection, quota: Quota) -> Roster {
        Roster {
            db,
            quota,
            sessions: None,
            presences: None,
            blocking: None,
        }
    }

    /// Applies the users' blocklists to subscription presences.
    pub fn with_blocking(mut self, blocking: Arc<crate::blocking::Blocking>) -> Roster {
        self.presences = self.presences.map(|p| p.with_blocking(blocking.clone()));
        self.blocking = Some(blocking);
        self
    }

    /// Whether a presence from `from` to `to` is stopped by a blocklist (either's).
    pub async fn blocked(&self, from: &Jid, to: &Jid) -> Result<bool, DbErr> {
        match &self.blocking {
            Some(b) => Ok(b.between(from, to).await?.is_some()),
            None => Ok(false),
        }
    }

    /// Pushes every committed change to the owners' XMPP sessions through `sessions`.
    pub fn with_pushes(mut self, sessions: Arc<dyn SessionRegistry>) -> Roster {
        let presences = crate::presence::Presences::new(sessions.clone());
        self.presences = Some(match &self.blocking {
            Some(b) => presences.with_blocking(b.clone()),
            None => presences,
        });
        self.sessions = Some(sessions);
        self
    }

    /// Hands committed changes to the XMPP sessions of their owners, wherever they are (each
    /// session forwards the pushes once its client has asked for the roster). A registry that
    /// cannot be reached loses the pushes, not the change: the client catches up from the
    /// roster version at its next login.
    pub async fn push(&self, changes: Changes) {
        let Some(sessions) = &self.sessions else {
            return;
        };
        for n in changes.notices {
            match self.blocked(&n.from, &n.to).await {
                Ok(false) => {}
                Ok(true) => continue,
                Err(err) => {
                    tracing::warn!(%err, "cannot read a blocklist; a subscription presence is not delivered");
                    continue;
                }
            }
            // Not delivered now (no available session): kept as the item's pending state,
            // delivered at the next login.
            let element = notice_element(&n);
            let available = |s: &SessionInfo| s.priority >= 0;
            push_to_clients(
                &**sessions,
                &n.to,
                &n.from,
                element,
                available,
                "a subscription presence",
            )
            .await;
            if let Some(presences) = &self.presences {
                presences
                    .after_subscription(&n.from, &n.to, n.presence)
                    .await;
            }
        }
        for p in changes.pushes {
            let element = push_element(&p);
            push_to_clients(
                &**sessions,
                &p.owner,
                &p.owner,
                element,
                |_| true,
                "a roster push",
            )
            .await;
        }
    }

    /// The user's current roster version.
    pub async fn version(&self, owner: &Jid) -> Result<i64, RosterError> {
        let owner_id = Self::owner(&self.db, owner).await?;
        Ok(read_version(&self.db, owner_id).await?)
    }

    /// The roster version, then the whole roster (at that version or newer: a change made in
    /// between is pushed as well).
    pub async fn list_versioned(&self, owner: &Jid) -> Result<(i64, Vec<Item>), RosterError> {
        let owner_id = Self::owner(&self.db, owner).await?;
        let version = read_version(&self.db, owner_id).await?;
        let items = items_where(
            &self.db,
            Condition::all().add(roster_item::Column::UserId.eq(owner_id)),
        )
        .await?;
        Ok((version, items))
    }

    /// Refuses a new item in a roster that is full.
    async fn room_for_one<C: ConnectionTrait>(&self, c: &C, owner: i64) -> Result<(), RosterError> {
        if room_for_one(c, owner, self.quota).await? {
            Ok(())
        } else {
            Err(RosterError::RosterFull(self.quota.max_items))
        }
    }

    /// Refuses groups for `item` that would take the roster past its distinct groups.
    async fn room_for_groups<C: ConnectionTrait>(
        &self,
        c: &C,
        owner: i64,
        item: i64,
        groups: &[String],
    ) -> Result<(), RosterError> {
        let limit = self.quota.max_roster_groups;
        if groups.is_empty() || limit == usize::MAX {
            return Ok(());
        }
        let new: std::collections::HashSet<&str> = groups.iter().map(String::as_str).collect();
        // The other items' groups that are not among the new ones (this item's are being
        // replaced), counted by the database.
        let others: i64 = roster_group::Entity::find()
            .select_only()
            .expr(Expr::cust("COUNT(DISTINCT roster_groups.name)"))
            .inner_join(roster_item::Entity)
            .filter(roster_item::Column::UserId.eq(owner))
            .filter(roster_group::Column::ItemId.ne(item))
            .filter(roster_group::Column::Name.is_not_in(new.iter().copied()))
            .into_tuple()
            .one(c)
            .await?
            .unwrap_or(0);
        let names = usize::try_from(others)
            .unwrap_or(usize::MAX)
            .saturating_add(new.len());
        if names > limit {
            return Err(RosterError::TooManyRosterGroups(limit));
        }
        Ok(())
    }

    async fn owner<C: ConnectionTrait>(c: &C, owner: &Jid) -> Result<i64, RosterError> {
        user_id(c, owner)
            .await?
            .ok_or_else(|| RosterError::UserNotExist(owner.bare_string()))
    }

    /// Both rosters a subscription change touches stay locked until the transaction ends;
    /// answers the contact's account id, if it is local. An account removed while the locks
    /// were awaited is noticed here: the owner's is an error, the contact's is no longer local.
    async fn lock_pair<C: ConnectionTrait>(
        c: &C,
        owner: &Jid,
        owner_id: i64,
        contact: &Jid,
    ) -> Result<Option<i64>, RosterError> {
        let contact_id = user_id(c, contact).await?;
        let mut ids = vec![owner_id];
        ids.extend(contact_id);
        let locked = lock_users(c, &ids).await?;
        if !locked.contains(&owner_id) {
            return Err(RosterError::UserNotExist(owner.bare_string()));
        }
        Ok(contact_id.filter(|id| locked.contains(id)))
    }

    /// Creates or updates an item without touching its subscription. Both users must exist.
    pub async fn add(
        &self,
        owner: &Jid,
        contact: &Jid,
        name: Option<String>,
        groups: Option<Vec<String>>,
    ) -> Result<(), RosterError> {
        check_item(
            name.as_deref(),
            groups.as_deref().unwrap_or_default(),
            self.quota,
        )?;
        let txn = begin_write(&self.db).await?;
        let owner_id = Self::owner(&txn, owner).await?;
        let Some(_) = Self::lock_pair(&txn, owner, owner_id, contact).await? else {
            return Err(RosterError::UserNotExist(contact.to_string()));
        };
        let key = contact.to_string();
        let item_id = match find_item(&txn, owner_id, &key).await? {
            Some(item) => {
                let id = item.id;
                let mut am: roster_item::ActiveModel = item.into();
                am.name = Set(name.unwrap_or_default());
                am.update(&txn).await?;
                id
            }
            None => {
                self.room_for_one(&txn, owner_id).await?;
                roster_item::ActiveModel {
                    user_id: Set(owner_id),
                    contact_hash: Set(key_hash(&key)),
                    contact: Set(key),
                    name: Set(name.unwrap_or_default()),
                    subscription: Set("none".into()),
                    ask: Set("none".into()),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
                .id
            }
        };
        let groups = groups.unwrap_or_default();
        self.room_for_groups(&txn, owner_id, item_id, &groups)
            .await?;
        replace_groups(&txn, item_id, &groups).await?;
        let mut touched = Touched::default();
        touched.add(owner_id, owner, &contact.to_string());
        let pushes = finish(&txn, touched).await?;
        txn.commit().await?;
        self.push(pushes).await;
        Ok(())
    }

    /// Removes an item; a subscription it carried is cancelled on the contact's side too.
    pub async fn delete(&self, owner: &Jid, contact: &Jid) -> Result<(), RosterError> {
        let txn = begin_write(&self.db).await?;
        let owner_id = Self::owner(&txn, owner).await?;
        let contact_id = Self::lock_pair(&txn, owner, owner_id, contact).await?;
        let Some(item) = find_item(&txn, owner_id, &contact.to_string()).await? else {
            return Err(RosterError::ContactNotFound);
        };
        delete_item(&txn, item.id).await?;
        let mut touched = Touched::default();
        touched.add(owner_id, owner, &item.contact);
        let (owner_jid, contact_jid) = (owner.to_bare(), contact.to_bare());
        let from = Party {
            jid: &owner_jid,
            id: Some(owner_id),
        };
        let to = Party {
            jid: &contact_jid,
            id: contact_id,
        };
        for p in cancelling(state_of(&item), false) {
            deliver(&txn, from, to, p, self.quota, &mut touched).await?;
        }
        let pushes = finish(&txn, touched).await?;
        txn.commit().await?;
        self.push(pushes).await;
        Ok(())
    }

    /// Sends a subscription presence: the owner's item changes per the outbound table, the
    /// contact's (if local) per the inbound one.
    pub async fn subscription(
        &self,
        owner: &Jid,
        contact: &Jid,
        p: Presence,
    ) -> Result<(), RosterError> {
        let blocked = self.blocked(owner, contact).await?;
        let txn = begin_write(&self.db).await?;
        let owner_id = Self::owner(&txn, owner).await?;
        let contact_id = Self::lock_pair(&txn, owner, owner_id, contact).await?;
        let key = contact.to_string();
        let before = current(&txn, owner_id, &key).await?;
        let change = state::outbound(before, p);
        if before.is_none() && matches!(change, Change::Set(_)) {
            self.room_for_one(&txn, owner_id).await?;
        }
        let (owner_jid, contact_jid) = (owner.to_bare(), contact.to_bare());
        let from = Party {
            jid: &owner_jid,
            id: Some(owner_id),
        };
        let mut touched = Touched::default();
        apply(&txn, from, &key, change, &mut touched).await?;
        // A presence a blocklist stops never reaches the contact's side (XEP-0191 §3.6, §3.7):
        // only the sender's item changes.
        if !blocked {
            deliver(
                &txn,
                from,
                Party {
                    jid: &contact_jid,
                    id: contact_id,
                },
                p,
                self.quota,
                &mut touched,
            )
            .await?;
        }
        let pushes = finish(&txn, touched).await?;
        txn.commit().await?;
        self.push(pushes).await;
        Ok(())
    }

    /// Mutual subscription between two users (the admin's `subscribeToAll`,
    /// `setMutualSubscription`): each adds the other with the given name and groups, both invite
    /// and both accept, as the two clients would have done. Each step is its own transaction; the
    /// first that fails stops the sequence and is the answer.
    pub async fn subscribe_both(&self, a: &Mutual<'_>, b: &Mutual<'_>) -> Result<(), RosterError> {
        self.add(a.jid, b.jid, Some(b.name.clone()), Some(b.groups.clone()))
            .await?;
        self.add(b.jid, a.jid, Some(a.name.clone()), Some(a.groups.clone()))
            .await?;
        self.subscription(a.jid, b.jid, Presence::Subscribe).await?;
        self.subscription(b.jid, a.jid, Presence::Subscribe).await?;
        self.subscription(a.jid, b.jid, Presence::Subscribed)
            .await?;
        self.subscription(b.jid, a.jid, Presence::Subscribed)
            .await?;
        Ok(())
    }

    /// Ends a mutual subscription: each user's item for the other goes (the admin's
    /// `setMutualSubscription(action: DISCONNECT)`). Stops at the first failure.
    pub async fn remove_mutual(&self, a: &Jid, b: &Jid) -> Result<(), RosterError> {
        self.delete(a, b).await?;
        self.delete(b, a).await
    }

    /// The whole roster, in the order items were created. Items and groups come from one
    /// query, so they are always of the same version.
    pub async fn list(&self, owner: &Jid) -> Result<Vec<Item>, RosterError> {
        let owner_id = Self::owner(&self.db, owner).await?;
        self.items(Condition::all().add(roster_item::Column::UserId.eq(owner_id)))
            .await
    }

    pub async fn get(&self, owner: &Jid, contact: &Jid) -> Result<Item, RosterError> {
        let owner_id = Self::owner(&self.db, owner).await?;
        let mut items = self.items(item_key(owner_id, &contact.to_string())).await?;
        items.pop().ok_or(RosterError::ContactNotFound)
    }

    async fn items(&self, filter: Condition) -> Result<Vec<Item>, RosterError> {
        Ok(items_where(&self.db, filter).await?)
    }
}

/// The account ids of the local users in `user`'s roster (the user itself excepted), sorted.
pub async fn local_contacts<C: ConnectionTrait>(
    c: &C,
    user: i64,
    jid: &Jid,
) -> Result<Vec<i64>, DbErr> {
    let contacts: Vec<String> = roster_item::Entity::find()
        .select_only()
        .column(roster_item::Column::Contact)
        .filter(roster_item::Column::UserId.eq(user))
        .into_tuple()
        .all(c)
        .await?;
    let bare = jid.to_bare();
    let jids: Vec<Jid> = contacts
        .iter()
        .filter_map(|c| Jid::parse(c).ok().map(|j| j.to_bare()))
        .filter(|j| *j != bare)
        .collect();
    let mut ids = Vec::with_capacity(jids.len());
    // In chunks: one query per few hundred contacts, within every database's parameter limit.
    for chunk in jids.chunks(200) {
        let refs: Vec<&Jid> = chunk.iter().collect();
        ids.extend(user_ids(c, &refs).await?.into_iter().flatten());
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Part of removing an account: subscriptions the user had are cancelled on the contacts'
/// side (as the reference does) and pending requests it sent are withdrawn; then its items go,
/// and so do its local contacts' items for it (the reference leaves them with subscription
/// `none`; issue 22 asks that they go).
/// The caller has locked the user's row and those of its local contacts
/// ([`local_contacts`]), in one sorted step. Answers the changes to the contacts' rosters, to
/// [`Roster::push`] once the removal has committed.
pub async fn remove_user<C: ConnectionTrait>(
    c: &C,
    user: i64,
    jid: &Jid,
) -> Result<Changes, DbErr> {
    let items = roster_item::Entity::find()
        .filter(roster_item::Column::UserId.eq(user))
        .all(c)
        .await?;
    let bare = jid.to_bare();
    // Each contact looked up once.
    let mut contacts = Vec::with_capacity(items.len());
    for item in &items {
        if let Ok(contact) = Jid::parse(&item.contact) {
            let contact = contact.to_bare();
            if contact != bare {
                let id = user_id(c, &contact).await?;
                contacts.push((contact, id, state_of(item)));
            }
        }
    }
    let from = Party {
        jid: &bare,
        id: Some(user),
    };
    let mut touched = Touched::default();
    for (contact, id, s) in &contacts {
        for p in cancelling(*s, true) {
            deliver(
                c,
                from,
                Party {
                    jid: contact,
                    id: *id,
                },
                p,
                // Cancellations never add items.
                Quota::default(),
                &mut touched,
            )
            .await
            .map_err(|e| match e {
                RosterError::Db(e) => e,
                e => DbErr::Custom(e.to_string()),
            })?;
        }
        // Then the contact's item for the account goes (pushed as `subscription='remove'`): a
        // roster must not list an account that no longer exists.
        let contact = Party {
            jid: contact,
            id: *id,
        };
        apply(
            c,
            contact,
            &bare.bare_string(),
            Change::Delete,
            &mut touched,
        )
        .await?;
    }
    let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    if !ids.is_empty() {
        roster_group::Entity::delete_many()
            .filter(roster_group::Column::ItemId.is_in(ids))
            .exec(c)
            .await?;
    }
    roster_item::Entity::delete_many()
        .filter(roster_item::Column::UserId.eq(user))
        .exec(c)
        .await?;
    // Only the contacts' rosters: the user's own goes with the account.
    touched.0.retain(|(u, _, _)| *u != user);
    touched.1.retain(|n| n.to != bare);
    finish(c, touched).await
}
