//! The `Authorization` header as the reference reads it: Basic credentials are checked, other
//! well-formed schemes leave the request unauthenticated, a malformed header is an error.
//! Beyond the reference, `Bearer <token>` carries an access token from `requestToken`.

use base64::Engine;

#[derive(Debug, PartialEq, Eq)]
pub enum Header {
    Absent,
    /// A well-formed header with a scheme other than Basic.
    OtherScheme,
    Basic {
        user: String,
        password: String,
    },
    /// `Bearer <token>`: the token exactly as sent (verified by `token::Tokens`).
    Bearer(String),
    Malformed,
}

pub fn parse(value: Option<&[u8]>) -> Header {
    let Some(raw) = value else {
        return Header::Absent;
    };
    let Ok(value) = std::str::from_utf8(raw) else {
        return Header::Malformed;
    };
    let value = value.trim();
    let (scheme, rest) = match value.split_once(' ') {
        Some((s, r)) => (s, r.trim()),
        None => return Header::Malformed,
    };
    if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
        return Header::Bearer(rest.to_string());
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        let token_ok = !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~+/".contains(c));
        return if token_ok && !rest.is_empty() {
            Header::OtherScheme
        } else {
            Header::Malformed
        };
    }
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(rest) else {
        return Header::Malformed;
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return Header::Malformed;
    };
    match decoded.split_once(':') {
        Some((user, password)) => Header::Basic {
            user: user.to_string(),
            password: password.to_string(),
        },
        None => Header::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn parses_headers() {
        assert_eq!(parse(None), Header::Absent);
        assert_eq!(
            parse(Some(
                format!("Basic {}", b64("alice@localhost:p:w")).as_bytes()
            )),
            Header::Basic {
                user: "alice@localhost".into(),
                password: "p:w".into()
            }
        );
        assert_eq!(
            parse(Some(b"Bearer abc.def")),
            Header::Bearer("abc.def".into())
        );
        assert_eq!(parse(Some(b"bearer  YWJj ")), Header::Bearer("YWJj".into()));
        assert_eq!(parse(Some(b"Bearer")), Header::Malformed);
        assert_eq!(parse(Some(b"Digest x=1")), Header::OtherScheme);
        assert_eq!(parse(Some(b"Basic !!!")), Header::Malformed);
        assert_eq!(parse(Some(b"Basic")), Header::Malformed);
        assert_eq!(
            parse(Some(format!("Basic {}", b64("nocolon")).as_bytes())),
            Header::Malformed
        );
    }
}
