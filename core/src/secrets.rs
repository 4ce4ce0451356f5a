//! Server-wide random secrets kept in the database, so that every node using it signs and
//! verifies with the same key. The first node to need one creates it; a concurrent creator
//! loses the insert race and reads the winner's.

use mimql_entities::server_secret;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

/// The secret called `name`, created with `len` random bytes if it does not exist yet.
pub async fn load_or_create<C: ConnectionTrait>(
    c: &C,
    name: &str,
    len: usize,
) -> Result<Vec<u8>, DbErr> {
    let fresh: Vec<u8> = (0..len).map(|_| rand::random::<u8>()).collect();
    let row = server_secret::ActiveModel {
        name: Set(name.to_string()),
        value: Set(hex(&fresh)),
    };
    server_secret::Entity::insert(row)
        .on_conflict(
            OnConflict::column(server_secret::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(c)
        .await?;
    let stored = server_secret::Entity::find_by_id(name.to_string())
        .one(c)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("secret {name}")))?;
    unhex(&stored.value)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| DbErr::Custom(format!("stored secret {name} is not hex")))
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Decodes hex (either case); `None` for odd lengths or other characters.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert_eq!(unhex("000fFF"), Some(vec![0, 15, 255]));
        assert_eq!(unhex("0"), None);
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex("+f"), None);
    }
}
