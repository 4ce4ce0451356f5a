//! The reference's token format (`mod_auth_token`): fields separated by NUL bytes,
//!
//! * access: `access␀<jid>␀<expiry>␀<mac>`
//! * refresh: `refresh␀<jid>␀<expiry>␀<seq_no>␀<mac>`
//!
//! where `<expiry>` is in Gregorian seconds (seconds since year 0) and `<mac>` is the lowercase
//! hex HMAC-SHA384 of everything before the last separator. As ruling 7 asks, the API hands the
//! whole string out base64-encoded, which is also what Bearer authentication takes.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha384;

use crate::secrets::{hex, unhex};

/// Seconds from 0000-01-01 to the Unix epoch (Erlang's `calendar` base).
pub const GREGORIAN_OFFSET: i64 = 62_167_219_200;

/// Gregorian seconds of a Unix time in seconds.
pub fn gregorian(unix_secs: i64) -> i64 {
    unix_secs + GREGORIAN_OFFSET
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Access,
    Refresh,
}

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::Access => "access",
            Kind::Refresh => "refresh",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    /// The owner's normalised JID (with the login's resource, if any).
    pub jid: String,
    /// Gregorian seconds after which the token is expired.
    pub expiry: i64,
    /// Refresh tokens only: the sequence number they were issued under.
    pub seq_no: Option<i64>,
}

/// Why a token string was refused (all end as the same `wrong_credentials`).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("not base64")]
    Encoding,
    #[error("not a token")]
    Shape,
    #[error("bad signature")]
    Signature,
}

fn mac(secret: &[u8]) -> Hmac<Sha384> {
    // HMAC accepts keys of any length.
    Hmac::<Sha384>::new_from_slice(secret).expect("HMAC takes any key length")
}

fn body(t: &Token) -> String {
    let mut fields = vec![
        t.kind.tag().to_string(),
        t.jid.clone(),
        t.expiry.to_string(),
    ];
    if let Some(seq) = t.seq_no {
        fields.push(seq.to_string());
    }
    fields.join("\0")
}

/// The raw NUL-separated token, signed.
pub fn serialize(secret: &[u8], t: &Token) -> String {
    let body = body(t);
    let mut m = mac(secret);
    m.update(body.as_bytes());
    format!("{body}\0{}", hex(&m.finalize().into_bytes()))
}

/// The token as the API hands it out: base64 of the raw form.
pub fn encode(secret: &[u8], t: &Token) -> String {
    base64::engine::general_purpose::STANDARD.encode(serialize(secret, t))
}

/// Decodes a base64 token and checks its signature; expiry and revocation are the caller's.
pub fn decode(secret: &[u8], text: &str) -> Result<Token, Invalid> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| Invalid::Encoding)?;
    let raw = String::from_utf8(raw).map_err(|_| Invalid::Shape)?;
    let (body, mac_hex) = raw.rsplit_once('\0').ok_or(Invalid::Shape)?;
    let tag = unhex(mac_hex).ok_or(Invalid::Shape)?;
    let mut m = mac(secret);
    m.update(body.as_bytes());
    m.verify_slice(&tag).map_err(|_| Invalid::Signature)?;
    let fields: Vec<&str> = body.split('\0').collect();
    let number = |s: &str| s.parse::<i64>().map_err(|_| Invalid::Shape);
    match fields.as_slice() {
        ["access", jid, expiry] => Ok(Token {
            kind: Kind::Access,
            jid: jid.to_string(),
            expiry: number(expiry)?,
            seq_no: None,
        }),
        ["refresh", jid, expiry, seq] => Ok(Token {
            kind: Kind::Refresh,
            jid: jid.to_string(),
            expiry: number(expiry)?,
            seq_no: Some(number(seq)?),
        }),
        _ => Err(Invalid::Shape),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"token_secret";

    fn access() -> Token {
        Token {
            kind: Kind::Access,
            jid: "alice@localhost".into(),
            expiry: 63_900_000_000,
            seq_no: None,
        }
    }

    #[test]
    fn access_tokens_have_the_reference_layout() {
        let raw = serialize(SECRET, &access());
        let fields: Vec<&str> = raw.split('\0').collect();
        assert_eq!(fields[..3], ["access", "alice@localhost", "63900000000"]);
        assert_eq!(fields.len(), 4);
        // Lowercase hex HMAC-SHA384 of the body (checked against Python's hmac module:
        // hmac.new(b"token_secret", b"access\0alice@localhost\063900000000", "sha384")).
        assert_eq!(fields[3].len(), 96);
        assert_eq!(
            fields[3],
            "ef9d307e09976d887a3888382ff86509230de4a15dc15bb00815240c20e371747e74250796b8091c58f2082540e43360"
        );
    }

    #[test]
    fn refresh_tokens_carry_the_sequence_number() {
        let t = Token {
            kind: Kind::Refresh,
            seq_no: Some(7),
            ..access()
        };
        let raw = serialize(SECRET, &t);
        assert!(raw.starts_with("refresh\x00alice@localhost\x0063900000000\x007\x00"));
        assert_eq!(decode(SECRET, &encode(SECRET, &t)), Ok(t));
    }

    #[test]
    fn round_trip_and_tampering() {
        let t = access();
        let text = encode(SECRET, &t);
        assert_eq!(decode(SECRET, &text), Ok(t.clone()));
        assert_eq!(decode(b"other", &text), Err(Invalid::Signature));
        let forged = Token {
            expiry: t.expiry + 1,
            ..t.clone()
        };
        let mut raw = serialize(SECRET, &forged);
        // Keep the forged body with the genuine signature.
        let genuine = serialize(SECRET, &t);
        raw.replace_range(
            raw.rfind('\0').unwrap()..,
            &genuine[genuine.rfind('\0').unwrap()..],
        );
        let forged_text = base64::engine::general_purpose::STANDARD.encode(raw);
        assert_eq!(decode(SECRET, &forged_text), Err(Invalid::Signature));
        assert_eq!(decode(SECRET, "not base64!"), Err(Invalid::Encoding));
        let unsigned = base64::engine::general_purpose::STANDARD.encode("access\x00a@b\x001");
        assert_eq!(decode(SECRET, &unsigned), Err(Invalid::Shape));
        // Raw (not base64) tokens are refused: Bearer takes exactly what requestToken returned.
        assert!(decode(SECRET, &serialize(SECRET, &t)).is_err());
    }
}
