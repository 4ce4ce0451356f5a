//! SASL PLAIN (RFC 4616) as XMPP clients send it (SCRAM's exchange is the domain's,
//! `mimql_core::auth::scram`; its identity rules are these): `[authzid] NUL authcid NUL passwd`, base64.
//! The authentication identity is the account's local part (or its bare JID); both it and the
//! password go through SASLprep (RFC 4013) before the usual JID preparation and the same
//! credential check as HTTP Basic.

use base64::Engine;

use crate::jid::Jid;

/// A decoded PLAIN message: who logs in, with which password.
#[derive(Debug, PartialEq, Eq)]
pub struct Plain {
    pub jid: Jid,
    pub password: String,
}

/// Why a PLAIN message is refused (each answered `<failure/>` with the condition named).
#[derive(Debug, PartialEq, Eq)]
pub enum PlainError {
    /// Not base64, not three fields, not UTF-8: `<incorrect-encoding/>`.
    Encoding,
    /// An identity that is not a local user of this host, or an authorization identity other
    /// than the authentication identity: `<invalid-authzid/>` / `<not-authorized/>`.
    InvalidAuthzid,
    NotAuthorized,
}

/// Decodes the base64 payload of `<auth mechanism='PLAIN'>` for the stream's host `domain`.
pub fn plain(payload: &str, domain: &str) -> Result<Plain, PlainError> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .map_err(|_| PlainError::Encoding)?;
    let text = String::from_utf8(raw).map_err(|_| PlainError::Encoding)?;
    let mut fields = text.split('\0');
    let (Some(authzid), Some(authcid), Some(password), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(PlainError::Encoding);
    };
    let authcid = stringprep::saslprep(authcid).map_err(|_| PlainError::NotAuthorized)?;
    let password = stringprep::saslprep(password).map_err(|_| PlainError::NotAuthorized)?;
    let jid = identity(&authcid, domain)?;
    check_authzid(authzid, &jid)?;
    Ok(Plain {
        jid,
        password: password.into_owned(),
    })
}

/// The account an authentication identity (already SASLprepped) names: its local part, or its
/// bare JID on the stream's host `domain`.
pub fn identity(authcid: &str, domain: &str) -> Result<Jid, PlainError> {
    let jid = if authcid.contains('@') {
        Jid::parse_bare(authcid)
    } else {
        Jid::parse_bare(&format!("{authcid}@{domain}"))
    }
    .map_err(|_| PlainError::NotAuthorized)?;
    if jid.domain() != domain || jid.node().is_empty() {
        return Err(PlainError::NotAuthorized);
    }
    Ok(jid)
}

/// An authorization identity is allowed only when it is empty or the authenticated account.
pub fn check_authzid(authzid: &str, jid: &Jid) -> Result<(), PlainError> {
    if !authzid.is_empty() {
        match Jid::parse_bare(authzid) {
            Ok(z) if z == *jid => {}
            _ => return Err(PlainError::InvalidAuthzid),
        }
    }
    Ok(())
}

/// Decodes a base64 SASL payload into UTF-8 text (SCRAM messages).
pub fn decode(payload: &str) -> Option<String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .ok()?;
    String::from_utf8(raw).ok()
}

pub fn encode(text: &str) -> String {
    encode_bytes(text.as_bytes())
}

pub fn encode_bytes(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn local_part_or_bare_jid() {
        for msg in [
            "\0alice\0pw",
            "\0alice@localhost\0pw",
            "alice@localhost\0Alice\0pw",
        ] {
            let p = plain(&b64(msg), "localhost").unwrap();
            assert_eq!(p.jid.to_string(), "alice@localhost", "{msg:?}");
            assert_eq!(p.password, "pw");
        }
    }

    #[test]
    fn saslprep_applies_to_the_password() {
        // U+00A0 (no-break space) maps to a space; U+00AD (soft hyphen) to nothing.
        let p = plain(&b64("\0alice\0a\u{a0}b\u{ad}c"), "localhost").unwrap();
        assert_eq!(p.password, "a bc");
        // Prohibited output (a control character).
        assert_eq!(
            plain(&b64("\0alice\0a\u{7}b"), "localhost"),
            Err(PlainError::NotAuthorized)
        );
    }

    #[test]
    fn refused() {
        assert_eq!(plain("!!", "localhost"), Err(PlainError::Encoding));
        assert_eq!(
            plain(&b64("alice\0pw"), "localhost"),
            Err(PlainError::Encoding)
        );
        assert_eq!(
            plain(&b64("\0a\0b\0c"), "localhost"),
            Err(PlainError::Encoding)
        );
        assert_eq!(
            plain(&b64("\0alice@other.org\0pw"), "localhost"),
            Err(PlainError::NotAuthorized)
        );
        assert_eq!(
            plain(&b64("bob@localhost\0alice\0pw"), "localhost"),
            Err(PlainError::InvalidAuthzid)
        );
    }
}
