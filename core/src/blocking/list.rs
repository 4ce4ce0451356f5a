//! The pure rules of a blocklist (XEP-0191 §3, matching as XEP-0016 §2.1 does for JIDs): what an
//! item blocks, and how a request changes a list.

use crate::jid::Jid;

/// A user's blocklist: normalised JIDs, in the order they were blocked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockList {
    items: Vec<String>,
}

impl BlockList {
    pub fn new(items: Vec<String>) -> BlockList {
        BlockList { items }
    }

    pub fn items(&self) -> &[String] {
        &self.items
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether an item blocks `other`: an item names `other` itself, its bare JID, its domain,
    /// or its domain with its resource (XEP-0016 §2.1's order of JID matching).
    pub fn blocks(&self, other: &Jid) -> bool {
        if self.items.is_empty() {
            return false;
        }
        candidates(other)
            .iter()
            .any(|c| self.items.iter().any(|i| i == c))
    }

    /// Whether an item can block some JID of the user `bare`: it names the user's bare JID,
    /// one of its full JIDs, its domain, or its domain with a resource.
    pub fn may_block_user(&self, bare: &Jid) -> bool {
        self.items.iter().any(|i| {
            Jid::parse_any(i).is_ok_and(|j| {
                j.domain() == bare.domain() && (j.node().is_empty() || j.node() == bare.node())
            })
        })
    }
}

/// The forms of `jid` an item can name to block it.
fn candidates(jid: &Jid) -> Vec<String> {
    let mut c = vec![jid.to_string()];
    if !jid.resource().is_empty() {
        c.push(jid.bare_string());
        if !jid.node().is_empty() {
            c.push(format!("{}/{}", jid.domain(), jid.resource()));
        }
    }
    if !jid.node().is_empty() {
        c.push(jid.domain().to_string());
    }
    c
}

/// An `<item/>` without a `jid`, or whose `jid` is not a JID (XEP-0191: `<jid-malformed/>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an item's jid is missing or malformed")]
pub struct BadItem;

/// The JIDs of a request's `<item jid/>`s, normalised and without repeats (in the order given).
pub fn parse_items<'a>(
    jids: impl Iterator<Item = Option<&'a str>>,
) -> Result<Vec<String>, BadItem> {
    let mut out: Vec<String> = Vec::new();
    for j in jids {
        let jid = Jid::parse_any(j.ok_or(BadItem)?).map_err(|_| BadItem)?;
        let s = jid.to_string();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> BlockList {
        BlockList::new(items.iter().map(|s| s.to_string()).collect())
    }

    fn jid(s: &str) -> Jid {
        Jid::parse_any(s).unwrap()
    }

    #[test]
    fn a_bare_item_blocks_every_resource() {
        let l = list(&["bob@example.com"]);
        assert!(l.blocks(&jid("bob@example.com")));
        assert!(l.blocks(&jid("bob@example.com/phone")));
        assert!(!l.blocks(&jid("carol@example.com")));
        assert!(!l.blocks(&jid("example.com")));
    }

    #[test]
    fn a_full_item_blocks_that_resource_only() {
        let l = list(&["bob@example.com/phone"]);
        assert!(l.blocks(&jid("bob@example.com/phone")));
        assert!(!l.blocks(&jid("bob@example.com/laptop")));
        assert!(!l.blocks(&jid("bob@example.com")));
    }

    #[test]
    fn a_domain_item_blocks_the_domain_and_its_users() {
        let l = list(&["example.com"]);
        assert!(l.blocks(&jid("example.com")));
        assert!(l.blocks(&jid("bob@example.com")));
        assert!(l.blocks(&jid("bob@example.com/phone")));
        assert!(!l.blocks(&jid("bob@example.org")));
        let l = list(&["example.com/bot"]);
        assert!(l.blocks(&jid("bob@example.com/bot")));
        assert!(l.blocks(&jid("example.com/bot")));
        assert!(!l.blocks(&jid("bob@example.com/phone")));
    }

    #[test]
    fn items_that_may_block_a_user() {
        let bob = jid("bob@example.com");
        assert!(list(&["bob@example.com"]).may_block_user(&bob));
        assert!(list(&["bob@example.com/phone"]).may_block_user(&bob));
        assert!(list(&["example.com"]).may_block_user(&bob));
        assert!(list(&["example.com/bot"]).may_block_user(&bob));
        assert!(!list(&["carol@example.com", "example.org"]).may_block_user(&bob));
        assert!(!list(&[]).may_block_user(&bob));
    }

    #[test]
    fn items_are_normalised_and_checked() {
        let items = ["Bob@Example.COM", "bob@example.com", "example.com/r"];
        assert_eq!(
            parse_items(items.iter().map(|s| Some(*s))),
            Ok(vec![
                "bob@example.com".to_string(),
                "example.com/r".to_string()
            ])
        );
        assert_eq!(parse_items([Some("a@b@c")].into_iter()), Err(BadItem));
        assert_eq!(parse_items([None].into_iter()), Err(BadItem));
        assert_eq!(parse_items([Some("")].into_iter()), Err(BadItem));
    }
}
