//! `muc_light`: MUC Light rooms (creation, configuration, occupants, messages) and the caller's
//! blocking list. The rules are in [`crate::muc_light`]; here arguments become domain values
//! and rooms become `Room` objects.

use async_graphql::{Context, Result, Value};

mod mapping;

use super::{UserApi, caller, codes};
/// The generated types `mapping` converts (see there).
use crate::generated::user as schema_types;
use crate::generated::user::*;
use crate::muc_light::MucLightError;
use mapping::*;

fn room_ext(room: &BareJid) -> Vec<(&'static str, Value)> {
    vec![("room", Value::from(room.0.to_string()))]
}

fn err(ext: Vec<(&'static str, Value)>) -> impl FnOnce(MucLightError) -> async_graphql::Error {
    move |e| codes::muc_light(e, ext).into()
}

impl MucLightUserMutationResolver for UserApi {
    async fn create_room(
        &self,
        ctx: &Context<'_>,
        muc_domain: DomainName,
        name: Option<String>,
        subject: Option<String>,
        id: Option<RoomName>,
        options: Option<Vec<RoomConfigDictEntryInput>>,
    ) -> Result<Option<Room>> {
        let user = caller(ctx)?;
        let pairs = config_pairs(name, subject, options);
        let id = id.map(|i| i.0);
        let ext = vec![
            ("mucDomain", Value::from(muc_domain.0.clone())),
            ("id", id.clone().map_or(Value::Null, Value::from)),
        ];
        let view = self
            .state
            .muc_light
            .create(user, &muc_domain.0, id.as_deref(), &pairs)
            .await
            .map_err(err(ext))?;
        Ok(Some(room(view)))
    }

    async fn change_room_configuration(
        &self,
        ctx: &Context<'_>,
        room_jid: BareJid,
        name: Option<String>,
        subject: Option<String>,
        options: Option<Vec<RoomConfigDictEntryInput>>,
    ) -> Result<Option<Room>> {
        let user = caller(ctx)?;
        let pairs = config_pairs(name, subject, options);
        let view = self
            .state
            .muc_light
            .configure(user, &room_jid.0, &pairs)
            .await
            .map_err(err(room_ext(&room_jid)))?;
        Ok(Some(room(view)))
    }

    async fn invite_user(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
        recipient: Jid,
    ) -> Result<Option<String>> {
        let user = caller(ctx)?;
        let mut ext = room_ext(&room);
        ext.push(("recipient", Value::from(recipient.0.to_string())));
        self.state
            .muc_light
            .invite(user, &room.0, &recipient.0)
            .await
            .map_err(err(ext))?;
        Ok(Some("User invited successfully".into()))
    }

    async fn delete_room(&self, ctx: &Context<'_>, room: BareJid) -> Result<Option<String>> {
        let user = caller(ctx)?;
        self.state
            .muc_light
            .delete(user, &room.0)
            .await
            .map_err(err(room_ext(&room)))?;
        Ok(Some("Room deleted successfully".into()))
    }

    async fn kick_user(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
        target: Option<Jid>,
    ) -> Result<Option<String>> {
        let user = caller(ctx)?;
        // No `user`: the caller leaves. The errors name only the affected user, as in the
        // reference.
        let target = target.map_or_else(|| user.clone(), |t| t.0);
        let ext = vec![("user", Value::from(target.to_string()))];
        self.state
            .muc_light
            .kick(user, &room.0, &target)
            .await
            .map_err(err(ext))?;
        Ok(Some("Affiliation change request sent successfully".into()))
    }

    async fn send_message_to_room(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
        body: String,
    ) -> Result<Option<String>> {
        let user = caller(ctx)?;
        self.state
            .muc_light
            .send(user, &room.0, &body)
            .await
            .map_err(err(room_ext(&room)))?;
        Ok(Some("Message sent successfully".into()))
    }

    async fn set_blocking_list(
        &self,
        ctx: &Context<'_>,
        items: Vec<BlockingInput>,
    ) -> Result<Option<String>> {
        let user = caller(ctx)?;
        let changes = blocking_changes(items);
        let ext = vec![("user", Value::from(user.to_string()))];
        self.state
            .muc_light
            .set_blocking(user, &changes)
            .await
            .map_err(err(ext))?;
        Ok(Some("User blocking list updated successfully".into()))
    }
}

impl MucLightUserQueryResolver for UserApi {
    async fn get_room_messages(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
        page_size: Option<PosInt>,
        before: Option<DateTime>,
    ) -> Result<Option<StanzasPayload>> {
        let user = caller(ctx)?;
        super::stanza::room_messages(
            page_size,
            before,
            |before, limit| self.state.muc_light.messages(user, &room.0, before, limit),
            |e| codes::muc_light_messages(e, &room.0).into(),
        )
        .await
    }

    async fn get_room_config(&self, ctx: &Context<'_>, room_jid: BareJid) -> Result<Option<Room>> {
        let user = caller(ctx)?;
        let view = self
            .state
            .muc_light
            .room(user, &room_jid.0)
            .await
            .map_err(err(room_ext(&room_jid)))?;
        Ok(Some(room(view)))
    }

    async fn list_room_users(
        &self,
        ctx: &Context<'_>,
        room: BareJid,
    ) -> Result<Option<Vec<RoomUser>>> {
        let user = caller(ctx)?;
        let view = self
            .state
            .muc_light
            .room(user, &room.0)
            .await
            .map_err(err(room_ext(&room)))?;
        Ok(Some(view.occupants.iter().map(room_user).collect()))
    }

    async fn list_rooms(&self, ctx: &Context<'_>) -> Result<Option<Vec<Jid>>> {
        let user = caller(ctx)?;
        let rooms = self
            .state
            .muc_light
            .rooms_of(user)
            .await
            .map_err(err(vec![("user", Value::from(user.to_string()))]))?;
        Ok(Some(rooms.into_iter().map(Jid).collect()))
    }

    async fn get_blocking_list(&self, ctx: &Context<'_>) -> Result<Option<Vec<BlockingItem>>> {
        let user = caller(ctx)?;
        let list = self
            .state
            .muc_light
            .blocking_list(user)
            .await
            .map_err(err(vec![("user", Value::from(user.to_string()))]))?;
        Ok(Some(list.into_iter().map(blocking_item).collect()))
    }
}
