//! SCRAM-SHA-1 (RFC 5802) and SCRAM-SHA-256 (RFC 7677), server side, without channel binding:
//! the keys kept per user, and the messages of one exchange. Only the message syntax is
//! written here; Hi() is PBKDF2-HMAC (`pbkdf2`), HMAC and the hashes are RustCrypto's, and the
//! proof is compared in constant time (`subtle`). Transport-neutral: the c2s listener decodes
//! base64 and carries the messages.

use base64::Engine;
use hmac::{EagerHash, Hmac, KeyInit, Mac};
use sha2::Digest;
use subtle::ConstantTimeEq;

/// The hash of a SCRAM mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScramHash {
    Sha1,
    Sha256,
}

impl ScramHash {
    /// Strongest first: the order mechanisms are offered in.
    pub const ALL: [ScramHash; 2] = [ScramHash::Sha256, ScramHash::Sha1];

    /// The SASL mechanism name.
    pub fn mechanism(self) -> &'static str {
        match self {
            ScramHash::Sha1 => "SCRAM-SHA-1",
            ScramHash::Sha256 => "SCRAM-SHA-256",
        }
    }

    pub fn from_mechanism(name: &str) -> Option<ScramHash> {
        ScramHash::ALL.into_iter().find(|h| h.mechanism() == name)
    }

    /// The hash's output length (also the length of the keys and the proof).
    pub fn output_len(self) -> usize {
        match self {
            ScramHash::Sha1 => 20,
            ScramHash::Sha256 => 32,
        }
    }
}

/// What the server keeps of a password for one hash (RFC 5802 §3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    pub salt: Vec<u8>,
    pub iterations: u32,
    pub stored_key: Vec<u8>,
    pub server_key: Vec<u8>,
}

fn hmac<D: EagerHash + Digest>(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<D> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn salted_with<D: EagerHash + Digest>(password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
    let mut salted = vec![0u8; <D as Digest>::output_size()];
    pbkdf2::pbkdf2_hmac::<D>(password, salt, iterations, &mut salted);
    salted
}

/// SaltedPassword: Hi(password, salt, iterations), which is PBKDF2-HMAC.
fn salted(hash: ScramHash, password: &str, salt: &[u8], iterations: u32) -> Vec<u8> {
    let password = password.as_bytes();
    match hash {
        ScramHash::Sha1 => salted_with::<sha1::Sha1>(password, salt, iterations),
        ScramHash::Sha256 => salted_with::<sha2::Sha256>(password, salt, iterations),
    }
}

/// The keys of `password` (already SASLprepped) with `salt` and `iterations` (CPU-bound: run
/// it off the async threads).
pub fn derive(hash: ScramHash, password: &str, salt: &[u8], iterations: u32) -> Keys {
    let salted = salted(hash, password, salt, iterations);
    Keys {
        salt: salt.to_vec(),
        iterations,
        stored_key: digest(hash, &mac(hash, &salted, b"Client Key")),
        server_key: mac(hash, &salted, b"Server Key"),
    }
}

/// The password as SCRAM clients normalise it (SASLprep, RFC 4013); a password SASLprep
/// refuses is used as it is (no client can log in with it over SCRAM, PLAIN still works).
pub fn normalize(password: &str) -> std::borrow::Cow<'_, str> {
    stringprep::saslprep(password).unwrap_or(std::borrow::Cow::Borrowed(password))
}

fn mac(hash: ScramHash, key: &[u8], data: &[u8]) -> Vec<u8> {
    match hash {
        ScramHash::Sha1 => hmac::<sha1::Sha1>(key, data),
        ScramHash::Sha256 => hmac::<sha2::Sha256>(key, data),
    }
}

fn digest(hash: ScramHash, data: &[u8]) -> Vec<u8> {
    match hash {
        ScramHash::Sha1 => sha1::Sha1::digest(data).to_vec(),
        ScramHash::Sha256 => sha2::Sha256::digest(data).to_vec(),
    }
}

/// Why an exchange failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScramError {
    /// A message that does not follow RFC 5802's syntax, or a nonce other than the one the
    /// server sent.
    #[error("malformed SCRAM message")]
    Malformed,
    /// The client asked for channel binding (`p=`); none is offered (no `-PLUS` mechanism).
    #[error("channel binding is not supported")]
    ChannelBindingNotSupported,
    /// The `c=` attribute does not repeat the GS2 header.
    #[error("channel bindings do not match")]
    ChannelBindingsDontMatch,
    /// A mandatory extension (`m=`).
    #[error("extensions are not supported")]
    ExtensionsNotSupported,
    /// An authorization identity other than the authentication identity.
    #[error("invalid authorization identity")]
    InvalidAuthzid,
    /// The proof is not the password's (or the user is unknown).
    #[error("wrong proof")]
    NotAuthorized,
}

/// Decodes a `saslname` (`=2C` is `,`, `=3D` is `=`, no other `=`).
fn saslname(s: &str) -> Result<String, ScramError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('=') {
        out.push_str(&rest[..i]);
        match rest.get(i + 1..i + 3) {
            Some("2C") => out.push(','),
            Some("3D") => out.push('='),
            _ => return Err(ScramError::Malformed),
        }
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

fn printable_nonce(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b',')
}

/// The client's first message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientFirst {
    /// The GS2 header as sent (`n,,`, `y,,`, `n,a=...,`), repeated in the final message.
    gs2_header: String,
    /// `client-first-message-bare`, part of the signed AuthMessage.
    bare: String,
    /// The authentication identity, SASLprepped.
    pub username: String,
    /// The authorization identity, if one was named (decoded, not prepared).
    pub authzid: Option<String>,
    nonce: String,
}

impl ClientFirst {
    pub fn parse(message: &str) -> Result<ClientFirst, ScramError> {
        let (flag, rest) = message.split_once(',').ok_or(ScramError::Malformed)?;
        match flag {
            "n" | "y" => {}
            f if f.starts_with("p=") => return Err(ScramError::ChannelBindingNotSupported),
            _ => return Err(ScramError::Malformed),
        }
        let (authzid, bare) = rest.split_once(',').ok_or(ScramError::Malformed)?;
        let authzid = match authzid {
            "" => None,
            a => Some(saslname(
                a.strip_prefix("a=").ok_or(ScramError::Malformed)?,
            )?),
        };
        let gs2_header = message[..message.len() - bare.len()].to_string();
        let mut attrs = bare.split(',');
        let user = attrs.next().unwrap_or_default();
        if user.starts_with("m=") {
            return Err(ScramError::ExtensionsNotSupported);
        }
        let user = saslname(user.strip_prefix("n=").ok_or(ScramError::Malformed)?)?;
        let username = stringprep::saslprep(&user)
            .map_err(|_| ScramError::NotAuthorized)?
            .into_owned();
        if username.is_empty() {
            return Err(ScramError::Malformed);
        }
        let nonce = attrs
            .next()
            .and_then(|r| r.strip_prefix("r="))
            .filter(|n| printable_nonce(n))
            .ok_or(ScramError::Malformed)?;
        // Optional extensions: `attr=value` each.
        if !attrs.all(|a| {
            let b = a.as_bytes();
            b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b'='
        }) {
            return Err(ScramError::Malformed);
        }
        Ok(ClientFirst {
            gs2_header,
            bare: bare.to_string(),
            username,
            authzid,
            nonce: nonce.to_string(),
        })
    }
}

/// An exchange after the server's first message: what checking the final one needs.
#[derive(Debug)]
pub struct Exchange {
    hash: ScramHash,
    keys: Keys,
    gs2_header: String,
    /// The client's and the server's nonce.
    nonce: String,
    /// `client-first-message-bare "," server-first-message`.
    messages: String,
    server_first: String,
}

impl Exchange {
    /// Starts the exchange with the user's `keys` (or fake ones for an unknown user) and the
    /// server's part of the nonce.
    pub fn new(hash: ScramHash, first: &ClientFirst, keys: Keys, server_nonce: &str) -> Exchange {
        let b64 = base64::engine::general_purpose::STANDARD;
        let nonce = format!("{}{server_nonce}", first.nonce);
        let server_first = format!(
            "r={nonce},s={},i={}",
            b64.encode(&keys.salt),
            keys.iterations
        );
        Exchange {
            hash,
            keys,
            gs2_header: first.gs2_header.clone(),
            nonce,
            messages: format!("{},{server_first}", first.bare),
            server_first,
        }
    }

    /// The server's first message (`r=...,s=...,i=...`).
    pub fn server_first(&self) -> &str {
        &self.server_first
    }

    /// Checks the client's final message; answers the server's final message (`v=...`).
    pub fn finish(&self, message: &str) -> Result<String, ScramError> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let (without_proof, proof) = message.rsplit_once(",p=").ok_or(ScramError::Malformed)?;
        let proof = b64.decode(proof).map_err(|_| ScramError::Malformed)?;
        let mut attrs = without_proof.split(',');
        let binding = attrs
            .next()
            .and_then(|c| c.strip_prefix("c="))
            .ok_or(ScramError::Malformed)?;
        let nonce = attrs
            .next()
            .and_then(|r| r.strip_prefix("r="))
            .ok_or(ScramError::Malformed)?;
        if nonce != self.nonce {
            return Err(ScramError::Malformed);
        }
        let binding = b64.decode(binding).map_err(|_| ScramError::Malformed)?;
        if binding != self.gs2_header.as_bytes() {
            return Err(ScramError::ChannelBindingsDontMatch);
        }
        if proof.len() != self.hash.output_len() {
            return Err(ScramError::NotAuthorized);
        }
        let auth_message = format!("{},{without_proof}", self.messages);
        let signature = mac(self.hash, &self.keys.stored_key, auth_message.as_bytes());
        let client_key: Vec<u8> = proof.iter().zip(&signature).map(|(p, s)| p ^ s).collect();
        let stored = digest(self.hash, &client_key);
        if !bool::from(stored.ct_eq(&self.keys.stored_key)) {
            return Err(ScramError::NotAuthorized);
        }
        let server_signature = mac(self.hash, &self.keys.server_key, auth_message.as_bytes());
        Ok(format!("v={}", b64.encode(server_signature)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client side of an exchange: the final message and the server
    /// signature it expects, from the password and both first messages.
    fn client_final(
        hash: ScramHash,
        password: &str,
        client_first_bare: &str,
        server_first: &str,
        gs2_header: &str,
    ) -> Result<(String, String), ScramError> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut nonce = None;
        let mut salt = None;
        let mut iterations = None;
        for attr in server_first.split(',') {
            match attr.split_at_checked(2) {
                Some(("r=", v)) => nonce = Some(v),
                Some(("s=", v)) => salt = b64.decode(v).ok(),
                Some(("i=", v)) => iterations = v.parse::<u32>().ok(),
                _ => {}
            }
        }
        let (Some(nonce), Some(salt), Some(iterations)) = (nonce, salt, iterations) else {
            return Err(ScramError::Malformed);
        };
        let salted = salted(hash, &normalize(password), &salt, iterations);
        let stored_key = digest(hash, &mac(hash, &salted, b"Client Key"));
        let server_key = mac(hash, &salted, b"Server Key");
        let without_proof = format!("c={},r={nonce}", b64.encode(gs2_header));
        let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
        let client_key = mac(hash, &salted, b"Client Key");
        let signature = mac(hash, &stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let server_signature = mac(hash, &server_key, auth_message.as_bytes());
        Ok((
            format!("{without_proof},p={}", b64.encode(proof)),
            format!("v={}", b64.encode(server_signature)),
        ))
    }

    fn b64(s: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD.decode(s).unwrap()
    }

    /// Replays an RFC's example exchange on the server side, with the server nonce it used.
    fn replay(hash: ScramHash, password: &str, first: &str, server_first: &str, final_: &str) {
        let first = ClientFirst::parse(first).unwrap();
        assert_eq!(first.username, "user");
        let (nonce, salt, iterations) = {
            let mut it = server_first.split(',');
            let r = it.next().unwrap().strip_prefix("r=").unwrap();
            let s = it.next().unwrap().strip_prefix("s=").unwrap();
            let i = it.next().unwrap().strip_prefix("i=").unwrap();
            (r.to_string(), b64(s), i.parse().unwrap())
        };
        let server_nonce = nonce.strip_prefix(&first.nonce).unwrap();
        let keys = derive(hash, password, &salt, iterations);
        let exchange = Exchange::new(hash, &first, keys.clone(), server_nonce);
        assert_eq!(exchange.server_first(), server_first);
        exchange.finish(final_).map(|v| (v, keys)).unwrap();
    }

    /// RFC 5802 §5.
    #[test]
    fn rfc5802_sha1_vector() {
        let first = "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL";
        let server_first = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
        let final_ = "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,\
                      p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=";
        replay(ScramHash::Sha1, "pencil", first, server_first, final_);
        let first_parsed = ClientFirst::parse(first).unwrap();
        let keys = derive(ScramHash::Sha1, "pencil", &b64("QSXCR+Q6sek8bf92"), 4096);
        let exchange = Exchange::new(ScramHash::Sha1, &first_parsed, keys, "3rfcNHYJY1ZVvWVs7j");
        assert_eq!(
            exchange.finish(final_).unwrap(),
            "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="
        );
        // The client side gives the RFC's final message and server signature.
        assert_eq!(
            client_final(
                ScramHash::Sha1,
                "pencil",
                "n=user,r=fyko+d2lbbFgONRv9qkxdawL",
                server_first,
                "n,,"
            )
            .unwrap(),
            (
                final_.to_string(),
                "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=".to_string()
            )
        );
    }

    /// RFC 7677 §3.
    #[test]
    fn rfc7677_sha256_vector() {
        let first = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
        let server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                            s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let final_ = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                      p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
        replay(ScramHash::Sha256, "pencil", first, server_first, final_);
        let keys = derive(
            ScramHash::Sha256,
            "pencil",
            &b64("W22ZaJ0SNY7soEsUEjb6gQ=="),
            4096,
        );
        let exchange = Exchange::new(
            ScramHash::Sha256,
            &ClientFirst::parse(first).unwrap(),
            keys,
            "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
        );
        assert_eq!(
            exchange.finish(final_).unwrap(),
            "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
        assert_eq!(
            client_final(
                ScramHash::Sha256,
                "pencil",
                "n=user,r=rOprNGfwEbeRWgbNEkqO",
                server_first,
                "n,,"
            )
            .unwrap()
            .0,
            final_
        );
    }

    #[test]
    fn a_wrong_password_or_a_changed_message_is_refused() {
        let first = ClientFirst::parse("n,,n=user,r=abc").unwrap();
        let keys = derive(ScramHash::Sha256, "right", b"saltsalt", 4096);
        let exchange = Exchange::new(ScramHash::Sha256, &first, keys, "xyz");
        let (wrong, _) = client_final(
            ScramHash::Sha256,
            "wrong",
            "n=user,r=abc",
            exchange.server_first(),
            "n,,",
        )
        .unwrap();
        assert_eq!(exchange.finish(&wrong), Err(ScramError::NotAuthorized));
        let (right, signature) = client_final(
            ScramHash::Sha256,
            "right",
            "n=user,r=abc",
            exchange.server_first(),
            "n,,",
        )
        .unwrap();
        assert_eq!(exchange.finish(&right).unwrap(), signature);
        // Another nonce, another binding, a truncated proof.
        let other_nonce = right.replace("r=abcxyz", "r=abcxyZ");
        assert_eq!(exchange.finish(&other_nonce), Err(ScramError::Malformed));
        let other_binding = right.replace("c=biws", "c=eSws");
        assert_eq!(
            exchange.finish(&other_binding),
            Err(ScramError::ChannelBindingsDontMatch)
        );
        let (head, _) = right.rsplit_once(",p=").unwrap();
        assert_eq!(
            exchange.finish(&format!("{head},p=AAAA")),
            Err(ScramError::NotAuthorized)
        );
        assert_eq!(exchange.finish("garbage"), Err(ScramError::Malformed));
    }

    #[test]
    fn client_first_messages() {
        let f = ClientFirst::parse("y,a=al=2Cice,n=a=3Db=2Cc,r=n0nce,x=ext").unwrap();
        assert_eq!(f.username, "a=b,c");
        assert_eq!(f.authzid.as_deref(), Some("al,ice"));
        assert_eq!(f.gs2_header, "y,a=al=2Cice,");
        assert_eq!(f.bare, "n=a=3Db=2Cc,r=n0nce,x=ext");
        for (bad, e) in [
            (
                "p=tls-unique,,n=user,r=abc",
                ScramError::ChannelBindingNotSupported,
            ),
            ("n,,m=ext,n=user,r=abc", ScramError::ExtensionsNotSupported),
            ("x,,n=user,r=abc", ScramError::Malformed),
            ("n,,n=us=er,r=abc", ScramError::Malformed),
            ("n,,n=user,r=a,bc", ScramError::Malformed),
            ("n,,n=user", ScramError::Malformed),
            ("n,,n=,r=abc", ScramError::Malformed),
            ("n,b=x,n=user,r=abc", ScramError::Malformed),
            ("", ScramError::Malformed),
            ("n,,n=a\u{7}b,r=abc", ScramError::NotAuthorized),
        ] {
            assert_eq!(ClientFirst::parse(bad), Err(e), "{bad}");
        }
    }
}
