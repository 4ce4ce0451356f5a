//! The GDPR export (`retrievePersonalData`): everything stored about a user, one CSV file per
//! data group that has rows, zipped into a file on the server. Groups, file names and headers
//! are the reference's (`mod_*:get_personal_data`): `vcard`, `roster`, `private`, `inbox`,
//! `mam_pm` (the user's message archive), `mam_muc` (the messages the user sent to rooms) and
//! `offline`. The rows are read in one read transaction, so the export is consistent.

use std::io::Write;
use std::path::{Path, PathBuf};

use mimql_entities::{
    inbox_entry, mam_message, mam_room_message, offline_message, private_item, roster_group,
    roster_item, vcard,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};

use crate::archive::MamId;
use crate::jid::Jid;

/// One data group: its file is `<name>.csv`, its first line `header`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub name: &'static str,
    pub header: &'static [&'static str],
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum GdprError {
    #[error("user does not exist")]
    UserNotFound,
    /// The file cannot be created there: its directory does not exist, or the name is empty.
    #[error("cannot create the file")]
    WrongFilename(PathBuf),
    #[error("permission denied")]
    PermissionDenied(PathBuf),
    #[error("the location is a directory")]
    IsDirectory(PathBuf),
    #[error("cannot write the file: {0}")]
    Io(String),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

fn micros_rfc3339(micros: i64, fraction: bool) -> String {
    let t = chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default();
    if fraction {
        t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }
}

/// The user's data groups that have rows, in the order above.
pub async fn personal_data(
    db: &DatabaseConnection,
    user: &Jid,
    user_id: i64,
) -> Result<Vec<Group>, DbErr> {
    let txn = db.begin().await?;
    let mut groups = vec![
        vcard_group(&txn, user, user_id).await?,
        roster_group_rows(&txn, user_id).await?,
        private_group(&txn, user_id).await?,
        inbox_group(&txn, user_id).await?,
        mam_pm_group(&txn, user_id).await?,
        mam_muc_group(&txn, user).await?,
        offline_group(&txn, user, user_id).await?,
    ];
    txn.commit().await?;
    groups.retain(|g| !g.rows.is_empty());
    Ok(groups)
}

async fn vcard_group<C: ConnectionTrait>(c: &C, user: &Jid, id: i64) -> Result<Group, DbErr> {
    let rows = vcard::Entity::find_by_id(id)
        .one(c)
        .await?
        .map(|v| vec![user.bare_string(), v.xml])
        .into_iter()
        .collect();
    Ok(Group {
        name: "vcard",
        header: &["jid", "vcard"],
        rows,
    })
}

async fn roster_group_rows<C: ConnectionTrait>(c: &C, id: i64) -> Result<Group, DbErr> {
    let items = roster_item::Entity::find()
        .filter(roster_item::Column::UserId.eq(id))
        .order_by_asc(roster_item::Column::Id)
        .find_with_related(roster_group::Entity)
        .order_by_asc(roster_group::Column::Position)
        .all(c)
        .await?;
    let rows = items
        .into_iter()
        .map(|(item, groups)| {
            let groups: Vec<String> = groups.into_iter().map(|g| g.name).collect();
            vec![
                item.contact,
                item.name,
                item.subscription,
                item.ask,
                groups.join(", "),
                // mimql keeps neither a subscription request's message nor extra elements.
                String::new(),
                String::new(),
            ]
        })
        .collect();
    Ok(Group {
        name: "roster",
        header: &[
            "jid",
            "name",
            "subscription",
            "ask",
            "groups",
            "askmessage",
            "xs",
        ],
        rows,
    })
}

async fn private_group<C: ConnectionTrait>(c: &C, id: i64) -> Result<Group, DbErr> {
    let rows = private_item::Entity::find()
        .filter(private_item::Column::UserId.eq(id))
        .order_by_asc(private_item::Column::Namespace)
        .all(c)
        .await?
        .into_iter()
        .map(|p| vec![p.namespace, p.xml])
        .collect();
    Ok(Group {
        name: "private",
        header: &["ns", "xml"],
        rows,
    })
}

async fn inbox_group<C: ConnectionTrait>(c: &C, id: i64) -> Result<Group, DbErr> {
    let rows = inbox_entry::Entity::find()
        .filter(inbox_entry::Column::UserId.eq(id))
        .order_by_asc(inbox_entry::Column::Timestamp)
        .order_by_asc(inbox_entry::Column::Id)
        .all(c)
        .await?
        .into_iter()
        .map(|e| {
            vec![
                e.remote,
                e.content,
                e.unread.to_string(),
                micros_rfc3339(e.timestamp, true),
            ]
        })
        .collect();
    Ok(Group {
        name: "inbox",
        header: &["jid", "content", "unread_count", "timestamp"],
        rows,
    })
}

async fn mam_pm_group<C: ConnectionTrait>(c: &C, id: i64) -> Result<Group, DbErr> {
    let rows = mam_message::Entity::find()
        .filter(mam_message::Column::UserId.eq(id))
        .order_by_asc(mam_message::Column::Id)
        .all(c)
        .await?
        .into_iter()
        .map(|m| vec![m.id.to_string(), m.sender, m.stanza])
        .collect();
    Ok(Group {
        name: "mam_pm",
        header: &["id", "from", "message"],
        rows,
    })
}

async fn mam_muc_group<C: ConnectionTrait>(c: &C, user: &Jid) -> Result<Group, DbErr> {
    let rows = mam_room_message::Entity::find()
        .filter(mam_room_message::Column::Author.eq(user.bare_string()))
        .order_by_asc(mam_room_message::Column::Id)
        .all(c)
        .await?
        .into_iter()
        .map(|m| vec![m.id.to_string(), m.stanza])
        .collect();
    Ok(Group {
        name: "mam_muc",
        header: &["id", "message"],
        rows,
    })
}

async fn offline_group<C: ConnectionTrait>(c: &C, user: &Jid, id: i64) -> Result<Group, DbErr> {
    let rows = offline_message::Entity::find()
        .filter(offline_message::Column::UserId.eq(id))
        .order_by_asc(offline_message::Column::Id)
        .all(c)
        .await?
        .into_iter()
        .map(|m| {
            vec![
                micros_rfc3339(MamId(m.id).micros(), false),
                m.sender,
                user.bare_string(),
                m.stanza,
            ]
        })
        .collect();
    Ok(Group {
        name: "offline",
        header: &["timestamp", "from", "to", "packet"],
        rows,
    })
}

/// One group as CSV: the header, then the rows.
pub fn csv(group: &Group) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(group.header).map_err(|e| e.to_string())?;
    for row in &group.rows {
        w.write_record(row).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// Writes the groups as `<name>.csv` entries of a zip file at `path`, replacing any file
/// there. The directory must exist.
pub async fn write_zip(path: &Path, groups: &[Group]) -> Result<(), GdprError> {
    let mut files = Vec::with_capacity(groups.len());
    for g in groups {
        files.push((format!("{}.csv", g.name), csv(g).map_err(GdprError::Io)?));
    }
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let file = std::fs::File::create(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => GdprError::WrongFilename(path.clone()),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                GdprError::PermissionDenied(path.clone())
            }
            std::io::ErrorKind::IsADirectory => GdprError::IsDirectory(path.clone()),
            _ => GdprError::Io(e.to_string()),
        })?;
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in &files {
            zip.start_file(name.as_str(), options)
                .map_err(|e| GdprError::Io(e.to_string()))?;
            zip.write_all(bytes)
                .map_err(|e| GdprError::Io(e.to_string()))?;
        }
        zip.finish().map_err(|e| GdprError::Io(e.to_string()))?;
        Ok(())
    })
    .await
    .map_err(|e| GdprError::Io(e.to_string()))?
}
