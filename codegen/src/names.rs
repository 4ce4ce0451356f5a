//! Rust names for GraphQL names. The GraphQL name is always emitted explicitly next to the Rust
//! one (`name = "..."`), so these rules only need to give readable, warning-free identifiers.

/// Splits `MUCRoomDesc` into `MUC`, `Room`, `Desc`; `getLastMessages` into `get`, `Last`,
/// `Messages`; `muc_light` into `muc`, `light`; `X400` into `X400`.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            // A new word starts at a capital after a lowercase letter or digit
            // (`getLast`), or at the last capital of an acronym (`MUC|Room`).
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

fn capitalize(word: &str) -> String {
    let lower = word.to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `MUCRoomDesc` → `MucRoomDesc`, `JID` → `Jid`, `DOMAIN_ADMIN` → `DomainAdmin`.
pub fn upper_camel(name: &str) -> String {
    words(name).iter().map(|w| capitalize(w)).collect()
}

/// `getLastMessages` → `get_last_messages`; Rust keywords get a trailing underscore.
pub fn snake(name: &str) -> String {
    let s = words(name)
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    if is_keyword(&s) { format!("{s}_") } else { s }
}

fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "as" | "async"
            | "await"
            | "box"
            | "break"
            | "const"
            | "continue"
            | "crate"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "gen"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "priv"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "try"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "yield"
            | "ctx"
            | "api"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names() {
        assert_eq!(upper_camel("MUCRoomDesc"), "MucRoomDesc");
        assert_eq!(upper_camel("JID"), "Jid");
        assert_eq!(upper_camel("BareJID"), "BareJid");
        assert_eq!(upper_camel("MUCLightUserQuery"), "MucLightUserQuery");
        assert_eq!(upper_camel("XmlElement"), "XmlElement");
        assert_eq!(upper_camel("DOMAIN_ADMIN"), "DomainAdmin");
        assert_eq!(upper_camel("X400"), "X400");
        assert_eq!(upper_camel("IN"), "In");
    }

    #[test]
    fn field_names() {
        assert_eq!(snake("getLastMessages"), "get_last_messages");
        assert_eq!(snake("muc_light"), "muc_light");
        assert_eq!(snake("stanza_id"), "stanza_id");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("httpUpload"), "http_upload");
        assert_eq!(snake("checkAuth"), "check_auth");
        assert_eq!(snake("ctx"), "ctx_");
    }
}
