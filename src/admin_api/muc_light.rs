//! `muc_light` on the admin API: any MUC Light room and any user's blocking list, through the
//! same service as the user API. Reading a room and deleting it act as the server's
//! administrator ([`Actor::Admin`]); the other operations act as the user they name, with its
//! rights (`kickUser` is the user leaving, as in the reference).

// The user API's MUC Light mapping, compiled a second time against the admin's generated types.
#[allow(clippy::duplicate_mod)]
#[path = "../api/muc_light/mapping.rs"]
mod mapping;

use async_graphql::{Context, Result, Value};

use super::AdminApi;
use crate::api::codes;
/// The generated types `mapping` converts.
use crate::generated::admin as schema_types;
use crate::generated::admin::*;
use crate::jid::Jid as CoreJid;
use crate::muc_light::MucLightError;
use crate::muc_light::room::Actor;
use mapping::*;

fn err(ext: Vec<(&'static str, Value)>) -> impl FnOnce(MucLightError) -> async_graphql::Error {
    move |e| codes::muc_light(e, ext).into()
}

fn room_ext(room: &BareJid) -> Vec<(&'static str, Value)> {
    vec![("room", Value::from(room.0.to_string()))]
}

impl AdminApi {
    /// The user acted for must exist: `user_not_found` (`Given user does not exist`).
    async fn light_user(&self, user: &CoreJid, ext: &[(&'static str, Value)]) -> Result<()> {
        if self.account_exists(user).await? {
            Ok(())
        } else {
            Err(err(ext.to_vec())(MucLightError::UserNotFound))
        }
    }
}

impl MucLightAdminMutationResolver for AdminApi {
    #[allow(clippy::too_many_arguments)]
    async fn create_room(
        &self,
        _ctx: &Context<'_>,
        muc_domain: DomainName,
        name: Option<String>,
        owner: Jid,
        subject: Option<String>,
        id: Option<RoomName>,
        options: Option<Vec<RoomConfigDictEntryInput>>,
    ) -> Result<Option<Room>> {
        let pairs = config_pairs(name, subject, options);
        let id = id.map(|i| i.0);
        let ext = vec![
            ("mucDomain", Value::from(muc_domain.0.clone())),
            ("id", id.clone().map_or(Value::Null, Value::from)),
            ("creator", Value::from(owner.0.to_string())),
        ];
        self.light_user(&owner.0, &ext).await?;
        let view = self
            .state
            .muc_light
            .create(&owner.0, &muc_domain.0, id.as_deref(), &pairs)
            .await
            .map_err(err(ext))?;
        Ok(Some(room(view)))
    }

    async fn change_room_configuration(
        &self,
        _ctx: &Context<'_>,
        room_jid: BareJid,
        owner: Jid,
        name: Option<String>,
        subject: Option<String>,
        options: Option<Vec<RoomConfigDictEntryInput>>,
    ) -> Result<Option<Room>> {
        let mut ext = room_ext(&room_jid);
        ext.push(("owner", Value::from(owner.0.to_string())));
        self.light_user(&owner.0, &ext).await?;
        let pairs = config_pairs(name, subject, options);
        let view = self
            .state
            .muc_light
            .configure(&owner.0, &room_jid.0, &pairs)
            .await
            .map_err(err(ext))?;
        Ok(Some(room(view)))
    }

    async fn invite_user(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
        sender: Jid,
        recipient: Jid,
    ) -> Result<Option<String>> {
        let mut ext = room_ext(&room);
        ext.push(("sender", Value::from(sender.0.to_string())));
        ext.push(("recipient", Value::from(recipient.0.to_string())));
        self.light_user(&sender.0, &ext).await?;
        self.state
            .muc_light
            .invite(&sender.0, &room.0, &recipient.0)
            .await
            .map_err(err(ext))?;
        Ok(Some("User invited successfully".into()))
    }

    async fn delete_room(&self, _ctx: &Context<'_>, room: BareJid) -> Result<Option<String>> {
        self.state
            .muc_light
            .delete(Actor::Admin, &room.0)
            .await
            .map_err(err(room_ext(&room)))?;
        Ok(Some("Room deleted successfully".into()))
    }

    async fn kick_user(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
        user: Jid,
    ) -> Result<Option<String>> {
        let ext = vec![("user", Value::from(user.0.to_string()))];
        self.light_user(&user.0, &ext).await?;
        self.state
            .muc_light
            .kick(&user.0, &room.0, &user.0)
            .await
            .map_err(err(ext))?;
        Ok(Some("Affiliation change request sent successfully".into()))
    }

    async fn send_message_to_room(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
        from: Jid,
        body: String,
    ) -> Result<Option<String>> {
        let mut ext = room_ext(&room);
        ext.push(("from", Value::from(from.0.to_string())));
        self.light_user(&from.0, &ext).await?;
        self.state
            .muc_light
            .send(&from.0, &room.0, &body)
            .await
            .map_err(err(ext))?;
        Ok(Some("Message sent successfully".into()))
    }

    async fn set_blocking_list(
        &self,
        _ctx: &Context<'_>,
        user: Jid,
        items: Vec<BlockingInput>,
    ) -> Result<Option<String>> {
        let ext = vec![("user", Value::from(user.0.to_string()))];
        self.light_user(&user.0, &ext).await?;
        self.state
            .muc_light
            .set_blocking(&user.0, &blocking_changes(items))
            .await
            .map_err(err(ext))?;
        Ok(Some("User blocking list updated successfully".into()))
    }
}

impl MucLightAdminQueryResolver for AdminApi {
    async fn get_room_messages(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
        page_size: Option<PosInt>,
        before: Option<DateTime>,
    ) -> Result<Option<StanzasPayload>> {
        super::stanza::room_messages(
            page_size,
            before,
            |before, limit| {
                self.state
                    .muc_light
                    .messages(Actor::Admin, &room.0, before, limit)
            },
            |e| codes::muc_light_messages(e, &room.0).into(),
        )
        .await
    }

    async fn get_room_config(&self, _ctx: &Context<'_>, room_jid: BareJid) -> Result<Option<Room>> {
        let view = self
            .state
            .muc_light
            .room(Actor::Admin, &room_jid.0)
            .await
            .map_err(err(room_ext(&room_jid)))?;
        Ok(Some(room(view)))
    }

    async fn list_room_users(
        &self,
        _ctx: &Context<'_>,
        room: BareJid,
    ) -> Result<Option<Vec<RoomUser>>> {
        let view = self
            .state
            .muc_light
            .room(Actor::Admin, &room.0)
            .await
            .map_err(err(room_ext(&room)))?;
        Ok(Some(view.occupants.iter().map(room_user).collect()))
    }

    async fn list_user_rooms(&self, _ctx: &Context<'_>, user: Jid) -> Result<Option<Vec<Jid>>> {
        let ext = vec![("user", Value::from(user.0.to_string()))];
        self.light_user(&user.0, &ext).await?;
        let rooms = self
            .state
            .muc_light
            .rooms_of(&user.0)
            .await
            .map_err(err(ext))?;
        Ok(Some(rooms.into_iter().map(Jid).collect()))
    }

    async fn get_blocking_list(
        &self,
        _ctx: &Context<'_>,
        user: Jid,
    ) -> Result<Option<Vec<BlockingItem>>> {
        let ext = vec![("user", Value::from(user.0.to_string()))];
        self.light_user(&user.0, &ext).await?;
        let list = self
            .state
            .muc_light
            .blocking_list(&user.0)
            .await
            .map_err(err(ext))?;
        Ok(Some(list.into_iter().map(blocking_item).collect()))
    }
}
