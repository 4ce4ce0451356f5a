//! JIDs as the reference parses them: `[node@]domain[/resource]`, each part stringprepped
//! (nodeprep and resourceprep through the `jid` crate, nameprep for the domain, which keeps
//! Unicode domains in Unicode as the reference does instead of turning them into punycode).

use std::fmt;

/// Why a JID was rejected; `as_str` is the reason the API reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JidError {
    Parse,
    NoLocalPart,
    HasResource,
    NoResource,
}

impl JidError {
    pub fn as_str(self) -> &'static str {
        match self {
            JidError::Parse => "failed_to_parse_jid",
            JidError::NoLocalPart => "jid_without_local_part",
            JidError::HasResource => "jid_with_resource",
            JidError::NoResource => "jid_without_resource",
        }
    }
}

/// A parsed, normalised JID. `node` may be empty only for domain JIDs, which the API's
/// scalars reject; `resource` is empty for a bare JID.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Jid {
    node: String,
    domain: String,
    resource: String,
}

/// Longest accepted input, as in the reference.
const MAX_INPUT: usize = 3071;

impl Jid {
    /// Parses any JID, with or without a local part or resource.
    pub fn parse_any(input: &str) -> Result<Jid, JidError> {
        if input.is_empty() || input.len() >= MAX_INPUT {
            return Err(JidError::Parse);
        }
        // The first `/` ends the domain; an `@` after it belongs to the resource.
        let (user_domain, resource) = match input.find('/') {
            Some(i) => (&input[..i], &input[i + 1..]),
            None => (input, ""),
        };
        let (node, domain) = match user_domain.find('@') {
            Some(i) => (&user_domain[..i], &user_domain[i + 1..]),
            None => ("", user_domain),
        };
        if domain.contains('@') || (user_domain.contains('@') && node.is_empty()) {
            return Err(JidError::Parse);
        }
        let node = if node.is_empty() {
            String::new()
        } else {
            prep_node(node)?
        };
        let domain = prep_domain(domain)?;
        let resource = if resource.is_empty() {
            String::new()
        } else {
            prep_resource(resource)?
        };
        Ok(Jid {
            node,
            domain,
            resource,
        })
    }

    /// A JID with a local part (the `JID` scalar).
    pub fn parse(input: &str) -> Result<Jid, JidError> {
        let jid = Self::parse_any(input)?;
        if jid.node.is_empty() {
            return Err(JidError::NoLocalPart);
        }
        Ok(jid)
    }

    /// A JID with a local part and no resource (`BareJID`).
    pub fn parse_bare(input: &str) -> Result<Jid, JidError> {
        let jid = Self::parse(input)?;
        if !jid.resource.is_empty() {
            return Err(JidError::HasResource);
        }
        Ok(jid)
    }

    /// A JID with a local part and a resource (`FullJID`).
    pub fn parse_full(input: &str) -> Result<Jid, JidError> {
        let jid = Self::parse(input)?;
        if jid.resource.is_empty() {
            return Err(JidError::NoResource);
        }
        Ok(jid)
    }

    /// Builds a bare JID from parts that are already normalised (e.g. read from storage).
    pub fn from_normalized(node: &str, domain: &str) -> Jid {
        Jid {
            node: node.to_string(),
            domain: domain.to_string(),
            resource: String::new(),
        }
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The same JID without its resource.
    pub fn to_bare(&self) -> Jid {
        Jid {
            node: self.node.clone(),
            domain: self.domain.clone(),
            resource: String::new(),
        }
    }

    /// The bare JID with `resource` (resourceprepped).
    pub fn with_resource(&self, resource: &str) -> Result<Jid, JidError> {
        Ok(Jid {
            node: self.node.clone(),
            domain: self.domain.clone(),
            resource: prep_resource(resource)?,
        })
    }

    /// `node@domain`, without the resource.
    pub fn bare_string(&self) -> String {
        if self.node.is_empty() {
            self.domain.clone()
        } else {
            format!("{}@{}", self.node, self.domain)
        }
    }
}

impl fmt::Display for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.node.is_empty() {
            write!(f, "{}@", self.node)?;
        }
        f.write_str(&self.domain)?;
        if !self.resource.is_empty() {
            write!(f, "/{}", self.resource)?;
        }
        Ok(())
    }
}

/// Applies a stringprep profile until its result no longer changes. One pass is not always
/// enough: characters Unicode 3.2 (stringprep's version) did not have are mapped by NFKC after
/// case folding, so `ᴿ` (U+1D3F) nameprepped is `R`, which nameprepped is `r`. Without this the
/// stored form of a JID would not parse back to itself (found by fuzzing).
fn stable(
    input: &str,
    prep: impl Fn(&str) -> Result<String, JidError>,
) -> Result<String, JidError> {
    let mut current = prep(input)?;
    for _ in 0..4 {
        let next = prep(&current)?;
        if next == current {
            return Ok(current);
        }
        current = next;
    }
    Err(JidError::Parse)
}

fn prep_node(node: &str) -> Result<String, JidError> {
    stable(node, |n| {
        jid::NodePart::new(n)
            .map(|p| p.as_str().to_string())
            .map_err(|_| JidError::Parse)
    })
}

fn prep_resource(resource: &str) -> Result<String, JidError> {
    stable(resource, |r| {
        jid::ResourcePart::new(r)
            .map(|p| p.as_str().to_string())
            .map_err(|_| JidError::Parse)
    })
}

/// Nameprep plus the host-name character rules; the error is a plain parse failure.
pub fn prep_domain(domain: &str) -> Result<String, JidError> {
    stable(domain, prep_domain_once)
}

fn prep_domain_once(domain: &str) -> Result<String, JidError> {
    let prepped = stringprep::nameprep(domain).map_err(|_| JidError::Parse)?;
    let ok = !prepped.is_empty()
        && prepped.len() < 1024
        && !prepped.starts_with('.')
        && !prepped.contains("..")
        && prepped
            .chars()
            .all(|c| !c.is_ascii() || c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if ok {
        Ok(prepped.into_owned())
    } else {
        Err(JidError::Parse)
    }
}

/// Nodeprep of a user or room name on its own.
pub fn prep_user_name(name: &str) -> Option<String> {
    prep_node(name).ok()
}

/// Resourceprep of a resource on its own.
pub fn prep_resource_name(name: &str) -> Option<String> {
    prep_resource(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preparation_is_idempotent() {
        // U+1D3F MODIFIER LETTER CAPITAL R and U+1D2C MODIFIER LETTER CAPITAL A.
        let j = Jid::parse("\u{1d2c}lice@\u{1d3f}/x").unwrap();
        assert_eq!(j.to_string(), "alice@r/x");
        assert_eq!(Jid::parse(&j.to_string()).unwrap(), j);
    }

    #[test]
    fn normalises_parts() {
        let j = Jid::parse("ALICE@LocalHost/Res").unwrap();
        assert_eq!(j.to_string(), "alice@localhost/Res");
        assert_eq!(j.bare_string(), "alice@localhost");
    }

    #[test]
    fn splits_like_the_reference() {
        assert_eq!(Jid::parse("a@b/c@d").unwrap().resource(), "c@d");
        assert_eq!(Jid::parse("a@b/").unwrap().to_string(), "a@b");
        assert_eq!(Jid::parse("test@"), Err(JidError::Parse));
        assert_eq!(Jid::parse("@localhost"), Err(JidError::Parse));
        assert_eq!(Jid::parse("/res"), Err(JidError::Parse));
        assert_eq!(Jid::parse("a@b@c"), Err(JidError::Parse));
        assert_eq!(Jid::parse("a@/r"), Err(JidError::Parse));
        assert_eq!(Jid::parse(""), Err(JidError::Parse));
        assert_eq!(Jid::parse("al ice@localhost"), Err(JidError::Parse));
        assert_eq!(Jid::parse("localhost"), Err(JidError::NoLocalPart));
        assert_eq!(Jid::parse_bare("a@b/r"), Err(JidError::HasResource));
        assert_eq!(Jid::parse_full("a@b"), Err(JidError::NoResource));
    }

    #[test]
    fn limits_length() {
        let long = format!("{}@localhost", "a".repeat(1024));
        assert_eq!(Jid::parse(&long), Err(JidError::Parse));
        assert_eq!(Jid::parse(&"a".repeat(4000)), Err(JidError::Parse));
    }

    #[test]
    fn unicode_domains_stay_unicode() {
        assert_eq!(
            Jid::parse("zaż@ŁÓDŹ.pl").unwrap().to_string(),
            "zaż@łódź.pl"
        );
    }
}
