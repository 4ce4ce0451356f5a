//! XML elements as the API carries them (`XmlElement`): parsed with roxmltree into a small owned
//! tree and serialised the way the reference does (single-quoted attributes, self-closed empty
//! elements, no declaration, no indentation). The serialiser is the only way XML leaves mimql
//! (storage, replies), and it round-trips every value XML can carry: parsing its output gives
//! back the same names, attribute values and text. Values XML cannot carry are refused when they
//! come in ([`check_chars`]), never discovered when stored XML is read back.

use std::collections::HashSet;
use std::fmt::{self, Write};

/// An owned element. Namespace declarations are kept as ordinary `xmlns`/`xmlns:p` attributes so
/// that serialisation reproduces what the client sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
}

/// Largest number of nodes accepted in one document: a bound on memory, far above any stanza.
const NODES_LIMIT: u32 = 100_000;

/// Deepest element nesting accepted: conversion and serialisation recurse per level.
pub const MAX_DEPTH: usize = 256;

// roxmltree checks an element's attributes for duplicates pairwise (comparing namespace URIs
// and names), resolves each prefix by scanning the namespaces in scope, and copies the scope
// into every element that declares a namespace. The bounds below make each of those steps cost
// at most a constant per byte of input, so parsing stays linear; all are far above what XMPP
// payloads use. They are checked by one scan of the input before roxmltree runs.

/// Most attributes (namespace declarations included) one element may have.
pub const MAX_ATTRIBUTES: usize = 64;

/// Most attributes in a namespace (`p:name`, `xml:lang`) one element may have.
pub const MAX_NAMESPACED_ATTRIBUTES: usize = 8;

/// Most namespace declarations (`xmlns`, `xmlns:p`) one document may make.
pub const MAX_NAMESPACE_DECLARATIONS: usize = 64;

/// Longest element or attribute name, prefix included, in bytes.
pub const MAX_NAME_BYTES: usize = 256;

/// Longest namespace bound to a prefix (`xmlns:p='…'`), in bytes as written. Attributes can
/// only be in prefixed namespaces, so this bounds the cost of comparing their names; a default
/// namespace (`xmlns='…'`, a private-storage key) may be as long as the document.
pub const MAX_PREFIXED_NAMESPACE_BYTES: usize = 256;

/// A character XML 1.0 cannot carry (`Char` production): C0 controls other than TAB, LF and
/// CR, and U+FFFE/U+FFFF. Rust strings hold no surrogates, so nothing else is left out.
pub fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The first character of a value that XML cannot carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidChar(pub char);

impl fmt::Display for InvalidChar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "U+{:04X}", u32::from(self.0))
    }
}

/// Refuses a value XML cannot carry. Everything mimql stores ends up in XML (vCards, private
/// storage, and over XMPP roster items and last activity too), so domain code checks every
/// stored string with this before writing it. It also keeps NUL, which PostgreSQL text cannot
/// hold, out of both databases alike.
pub fn check_chars(s: &str) -> Result<(), InvalidChar> {
    match s.chars().find(|c| !is_xml_char(*c)) {
        Some(c) => Err(InvalidChar(c)),
        None => Ok(()),
    }
}

/// A character XML cannot carry inside an element: `path` names where (`vCard/N/FAMILY`,
/// `el/@attr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidCharAt {
    pub path: String,
    pub ch: InvalidChar,
}

/// `a/b/c` for element `i` of a visit list of (element, parent index), `a/b/c/@k` for an
/// attribute of it.
fn path_of(seen: &[(&Element, Option<usize>)], i: usize, attr: Option<&str>) -> String {
    let mut names = Vec::new();
    let mut cur = Some(i);
    while let Some(j) = cur {
        names.push(seen[j].0.name.as_str());
        cur = seen[j].1;
    }
    names.reverse();
    let mut path = names.join("/");
    if let Some(k) = attr {
        let _ = write!(path, "/@{k}");
    }
    path
}

/// Why a document was refused before roxmltree saw it.
fn too_many(what: &str, limit: usize) -> String {
    format!("more than {limit} {what}")
}

/// The end of the first `pat` at or after `from` (or the input's end): a forward scan.
fn skip_past(b: &[u8], from: usize, pat: &[u8]) -> usize {
    b.get(from..)
        .and_then(|rest| rest.windows(pat.len()).position(|w| w == pat))
        .map_or(b.len(), |i| from + i + pat.len())
}

/// One forward pass over the markup that checks the bounds above, so that documents which
/// would make the parser's per-element checks quadratic are refused before it runs. The
/// position only moves forward, so the scan is linear. Comments, CDATA and processing
/// instructions are skipped; the scan stops at anything malformed, because the parser stops
/// there too.
fn prescan(input: &str) -> Result<(), String> {
    let b = input.as_bytes();
    let is_space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    let name_end = |c: u8| is_space(c) || matches!(c, b'=' | b'>' | b'/');
    let skip = |mut i: usize, f: &dyn Fn(u8) -> bool| {
        while i < b.len() && f(b[i]) {
            i += 1;
        }
        i
    };
    let long_name = || format!("a name longer than {MAX_NAME_BYTES} bytes");
    let mut declarations = 0usize;
    let mut i = 0usize;
    while let Some(off) = b[i..].iter().position(|&c| c == b'<') {
        i += off + 1;
        let rest = &b[i..];
        if rest.starts_with(b"!--") {
            i = skip_past(b, i + 3, b"-->");
            continue;
        } else if rest.starts_with(b"![CDATA[") {
            i = skip_past(b, i + 8, b"]]>");
            continue;
        } else if rest.starts_with(b"?") {
            i = skip_past(b, i + 1, b"?>");
            continue;
        } else if rest.starts_with(b"!") {
            // A DTD, which the parser refuses.
            return Ok(());
        } else if rest.starts_with(b"/") {
            continue;
        }
        // A start tag: its name, then `name = 'value'` pairs up to `>` or `/>`.
        let tag_start = i;
        i = skip(i, &|c| !name_end(c));
        if i - tag_start > MAX_NAME_BYTES {
            return Err(long_name());
        }
        let (mut attributes, mut namespaced) = (0usize, 0usize);
        loop {
            i = skip(i, &is_space);
            if i >= b.len() || matches!(b[i], b'>' | b'/') {
                break;
            }
            let name_start = i;
            i = skip(i, &|c| !name_end(c));
            let name = &b[name_start..i];
            if name.len() > MAX_NAME_BYTES {
                return Err(long_name());
            }
            attributes += 1;
            if attributes > MAX_ATTRIBUTES {
                return Err(too_many("attributes on one element", MAX_ATTRIBUTES));
            }
            let prefixed_declaration = name.starts_with(b"xmlns:");
            if name == b"xmlns" || prefixed_declaration {
                declarations += 1;
                if declarations > MAX_NAMESPACE_DECLARATIONS {
                    return Err(too_many(
                        "namespace declarations",
                        MAX_NAMESPACE_DECLARATIONS,
                    ));
                }
            } else if name.contains(&b':') {
                namespaced += 1;
                if namespaced > MAX_NAMESPACED_ATTRIBUTES {
                    return Err(too_many(
                        "namespaced attributes on one element",
                        MAX_NAMESPACED_ATTRIBUTES,
                    ));
                }
            }
            i = skip(i, &is_space);
            if b.get(i) != Some(&b'=') {
                return Ok(());
            }
            i = skip(i + 1, &is_space);
            let Some(&quote @ (b'\'' | b'"')) = b.get(i) else {
                return Ok(());
            };
            let Some(len) = b[i + 1..].iter().position(|&c| c == quote) else {
                return Ok(());
            };
            if prefixed_declaration && len > MAX_PREFIXED_NAMESPACE_BYTES {
                return Err(format!(
                    "a namespace bound to a prefix longer than {MAX_PREFIXED_NAMESPACE_BYTES} bytes"
                ));
            }
            i += len + 2;
        }
    }
    Ok(())
}

const WRAPPER: &str = "mimql-wrapper";

/// The namespace the `xml` prefix is bound to by definition.
const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";

/// Rejects documents nested deeper than [`MAX_DEPTH`], without recursing.
fn check_depth(root: roxmltree::Node<'_, '_>) -> Result<(), String> {
    let mut stack = vec![(root, 1usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(format!("elements nested deeper than {MAX_DEPTH} levels"));
        }
        stack.extend(
            node.children()
                .filter(|c| c.is_element())
                .map(|c| (c, depth + 1)),
        );
    }
    Ok(())
}

impl Element {
    pub fn new(name: impl Into<String>) -> Element {
        Element {
            name: name.into(),
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Parses one element, as the reference does: leading white space and an XML declaration
    /// are skipped, the first top-level element is kept (later elements are ignored), text
    /// after it is an error. The error is the reason reported to the client, in the reference's
    /// words for the common cases (`"expected <"`, `"expected >"`).
    pub fn parse(input: &str) -> Result<Element, String> {
        Self::parse_counted(input).map(|(el, _)| el)
    }

    /// [`Element::parse`], also answering the [`Converter`]'s work count (and how often it fell
    /// back to comparing URIs as strings, for tests).
    fn parse_counted(input: &str) -> Result<(Element, (usize, usize)), String> {
        let trimmed = input.trim_start();
        let body = if trimmed.starts_with("<?xml") {
            trimmed
                .find("?>")
                .map(|i| trimmed[i + 2..].trim_start())
                .unwrap_or(trimmed)
        } else {
            trimmed
        };
        if !body.starts_with('<') {
            return Err("expected <".into());
        }
        prescan(body)?;
        // A synthetic root lets roxmltree read several top-level nodes (only its first element
        // child is used, so a client element of the same name does no harm).
        let wrapped = format!("<{WRAPPER}>{body}</{WRAPPER}>");
        let options = roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: NODES_LIMIT,
            ..Default::default()
        };
        let doc = roxmltree::Document::parse_with_options(&wrapped, options).map_err(|e| {
            if body.trim_end().ends_with('>') {
                e.to_string()
            } else {
                "expected >".to_string()
            }
        })?;
        let wrapper = doc.root_element();
        let mut children = wrapper.children();
        let first = children.find(|c| c.is_element()).ok_or("expected <")?;
        if children.any(|c| c.is_text() && c.text().is_some_and(|t| !t.trim().is_empty())) {
            return Err("expected <".into());
        }
        check_depth(first)?;
        let mut converter = Converter::default();
        let el = converter.element(first, &Scope::of(wrapper));
        Ok((el, (converter.work, converter.fallbacks)))
    }

    /// The first character anywhere in the element (names, attribute values, text) that XML
    /// cannot carry, and where it is.
    pub fn check_chars(&self) -> Result<(), InvalidCharAt> {
        // Elements in visiting order with their parent's index, to name the path on failure.
        let mut seen: Vec<(&Element, Option<usize>)> = vec![(self, None)];
        let mut next = 0;
        while let Some(&(el, _)) = seen.get(next) {
            let at = |ch, attr: Option<&str>| InvalidCharAt {
                path: path_of(&seen, next, attr),
                ch,
            };
            check_chars(&el.name).map_err(|c| at(c, None))?;
            for (k, v) in &el.attrs {
                check_chars(k)
                    .and_then(|()| check_chars(v))
                    .map_err(|c| at(c, Some(k)))?;
            }
            for child in &el.children {
                if let Node::Text(t) = child {
                    check_chars(t).map_err(|c| at(c, None))?;
                }
            }
            let parent = next;
            seen.extend(el.elements().map(|e| (e, Some(parent))));
            next += 1;
        }
        Ok(())
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn set_attr(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.attrs.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.attrs.push((name.to_string(), value)),
        }
    }

    pub fn with_attr(mut self, name: &str, value: impl Into<String>) -> Element {
        self.set_attr(name, value);
        self
    }

    pub fn with_text(mut self, text: impl Into<String>) -> Element {
        self.children.push(Node::Text(text.into()));
        self
    }

    pub fn with_child(mut self, child: Element) -> Element {
        self.children.push(Node::Element(child));
        self
    }

    /// Child elements, in document order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The concatenated text children.
    pub fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }
}

/// The namespaces in scope at an element. roxmltree stores each distinct (prefix, URI) binding
/// once and hands out references to it, so bindings are compared by address: however long a
/// URI is, comparing two costs nothing.
struct Scope<'a, 'i> {
    bindings: Vec<&'a roxmltree::Namespace<'i>>,
    addresses: HashSet<*const roxmltree::Namespace<'i>>,
    has_default: bool,
}

impl<'a, 'i> Scope<'a, 'i> {
    fn of(node: roxmltree::Node<'a, 'i>) -> Self {
        let bindings: Vec<_> = node.namespaces().collect();
        Scope {
            addresses: bindings.iter().map(|n| *n as *const _).collect(),
            has_default: bindings.iter().any(|n| n.name().is_none()),
            bindings,
        }
    }
}

/// Converts roxmltree nodes into [`Element`]s. `work` counts the namespace bindings looked at,
/// the only part of the conversion that is not plainly one step per node, attribute or byte.
#[derive(Default)]
struct Converter {
    work: usize,
    /// Names resolved by comparing URIs as strings (none are expected; tests check).
    fallbacks: usize,
}

impl Converter {
    /// The prefix `uri` is bound to in `scope`: the binding whose URI is the very string the
    /// parser resolved the name to.
    fn prefix<'a>(&mut self, scope: &Scope<'a, '_>, uri: &str) -> Option<&'a str> {
        for ns in &scope.bindings {
            self.work += 1;
            if std::ptr::eq(ns.uri(), uri) {
                return ns.name();
            }
        }
        // `xml` is bound without a declaration; anything else is found above, and the string
        // comparison is only a safety net.
        if uri == XML_NAMESPACE {
            return Some("xml");
        }
        self.fallbacks += 1;
        scope
            .bindings
            .iter()
            .find(|ns| ns.uri() == uri)
            .and_then(|ns| ns.name())
    }

    fn qualified(&mut self, scope: &Scope<'_, '_>, ns: Option<&str>, local: &str) -> String {
        // Unprefixed attributes have no namespace; an element in the default namespace has no
        // prefix either.
        match ns.and_then(|uri| self.prefix(scope, uri)) {
            Some(p) => format!("{p}:{local}"),
            None => local.to_string(),
        }
    }

    /// Converts `node`, whose parent has `parent` in scope. An element that declares nothing
    /// shares its parent's scope; only declaring elements (at most
    /// [`MAX_NAMESPACE_DECLARATIONS`]) build one of their own.
    fn element(&mut self, node: roxmltree::Node<'_, '_>, parent: &Scope<'_, '_>) -> Element {
        let bindings = node.namespaces();
        self.work += bindings.len();
        let same = bindings.len() == parent.bindings.len()
            && bindings
                .zip(&parent.bindings)
                .all(|(a, b)| std::ptr::eq(a, *b));
        let own = (!same).then(|| Scope::of(node));
        let scope = own.as_ref().unwrap_or(parent);
        let tag = node.tag_name();
        let mut el = Element::new(self.qualified(scope, tag.namespace(), tag.name()));
        if let Some(own) = &own {
            self.work += own.bindings.len();
            for ns in &own.bindings {
                if ns.name() == Some("xml") || parent.addresses.contains(&(*ns as *const _)) {
                    continue;
                }
                match ns.name() {
                    Some(prefix) => el
                        .attrs
                        .push((format!("xmlns:{prefix}"), ns.uri().to_string())),
                    None => el.attrs.push(("xmlns".into(), ns.uri().to_string())),
                }
            }
            if parent.has_default && !own.has_default {
                el.attrs.push(("xmlns".into(), String::new()));
            }
        }
        for a in node.attributes() {
            let name = self.qualified(scope, a.namespace(), a.name());
            el.attrs.push((name, a.value().to_string()));
        }
        let has_element_child = node.children().any(|c| c.is_element());
        for child in node.children() {
            if child.is_element() {
                el.children.push(Node::Element(self.element(child, scope)));
            } else if let Some(text) = child.text()
                && child.is_text()
                // An empty CDATA section is no text at all (else `<a><![CDATA[]]></a>` would
                // hold an empty text node that its serialisation `<a></a>` does not; found by
                // fuzzing).
                && !text.is_empty()
                && !(has_element_child && text.trim().is_empty())
            {
                match el.children.last_mut() {
                    Some(Node::Text(prev)) => prev.push_str(text),
                    _ => el.children.push(Node::Text(text.to_string())),
                }
            }
        }
        el
    }
}

/// Text: the reference's five entities, and CR as a character reference (a parser turns a raw
/// CR, or CR LF, into LF).
fn escape_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

/// Attribute values: as text, but only the enclosing quote is escaped, and TAB, LF and CR are
/// character references (attribute-value normalisation turns raw ones into spaces).
fn escape_attr(out: &mut String, s: &str, quote: char) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' if quote == '\'' => out.push_str("&apos;"),
            '"' if quote == '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

fn write_element(out: &mut String, el: &Element) {
    out.push('<');
    out.push_str(&el.name);
    for (k, v) in &el.attrs {
        let quote = if v.contains('\'') { '"' } else { '\'' };
        let _ = write!(out, " {k}={quote}");
        escape_attr(out, v, quote);
        out.push(quote);
    }
    if el.children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for child in &el.children {
        match child {
            Node::Element(e) => write_element(out, e),
            Node::Text(t) => escape_text(out, t),
        }
    }
    let _ = write!(out, "</{}>", el.name);
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        write_element(&mut out, self);
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(s: &str) -> String {
        Element::parse(s).unwrap().to_string()
    }

    #[test]
    fn serialises_like_the_reference() {
        assert_eq!(
            roundtrip("<my_element xmlns=\"alice:private:ns\">DATA</my_element>"),
            "<my_element xmlns='alice:private:ns'>DATA</my_element>"
        );
        assert_eq!(roundtrip("<?xml version='1.0'?>\n <a></a>"), "<a/>");
        assert_eq!(
            roundtrip("<a b=\"it's\">x &amp; 'y'</a>"),
            "<a b=\"it's\">x &amp; &apos;y&apos;</a>"
        );
        assert_eq!(roundtrip("<a>\n  <b/>\n</a>"), "<a><b/></a>");
        assert_eq!(
            roundtrip("<x:a xmlns:x='u' x:k='v'><x:b/></x:a>"),
            "<x:a xmlns:x='u' x:k='v'><x:b/></x:a>"
        );
        assert_eq!(
            roundtrip("<a xmlns='u'><b xmlns=''/></a>"),
            "<a xmlns='u'><b xmlns=''/></a>"
        );
        assert_eq!(
            roundtrip("<a xml:lang='en'><b xml:lang='pl'/></a>"),
            "<a xml:lang='en'><b xml:lang='pl'/></a>"
        );
        // The prefix the input used, even when two are bound to the same URI.
        assert_eq!(
            roundtrip("<x:a xmlns:x='u' xmlns:y='u'><y:b y:k='1'/></x:a>"),
            "<x:a xmlns:x='u' xmlns:y='u'><y:b y:k='1'/></x:a>"
        );
        assert_eq!(
            roundtrip("<a xmlns:x='u'><b xmlns:x='v'><x:c/></b></a>"),
            "<a xmlns:x='u'><b xmlns:x='v'><x:c/></b></a>"
        );
    }

    #[test]
    fn reports_reference_reasons() {
        assert_eq!(Element::parse("AAAABBBB").unwrap_err(), "expected <");
        assert_eq!(Element::parse("<test").unwrap_err(), "expected >");
        assert!(Element::parse("<a><b></a>").is_err());
        assert!(Element::parse("").is_err());
        assert_eq!(Element::parse("<a/>xyz").unwrap_err(), "expected <");
        assert_eq!(Element::parse("<!-- c -->").unwrap_err(), "expected <");
    }

    #[test]
    fn keeps_the_first_element_and_skips_the_declaration() {
        assert_eq!(roundtrip("<a/><b/>"), "<a/>");
        assert_eq!(roundtrip(" <?xml version='1.0'?><a x='1'/>"), "<a x='1'/>");
        assert_eq!(roundtrip("<a/>  \n"), "<a/>");
    }

    #[test]
    fn refuses_deep_nesting_without_overflowing() {
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(Element::parse(&ok).is_ok());
        let deep = format!("{}{}", "<a>".repeat(50_000), "</a>".repeat(50_000));
        assert!(Element::parse(&deep).unwrap_err().contains("nested deeper"));
    }

    /// Every character XML can carry comes back from a serialise → parse round trip, in
    /// attribute values and in text alike.
    #[test]
    fn serialisation_round_trips_every_value() {
        let value = "a\tb\nc\rd\r\ne  f<g>h&i'j\"k ł 😀 \u{FFFD} \u{E000} end ";
        let el = Element::new("x")
            .with_attr("xmlns", "ns:tab\t")
            .with_attr("double_quoted", value)
            .with_attr("single_quoted", value.replace('\'', ""))
            .with_text(value);
        let out = el.to_string();
        assert!(!out.contains('\r'), "{out}");
        assert_eq!(Element::parse(&out).unwrap(), el);
        assert_eq!(Element::parse(&out).unwrap().to_string(), out);
    }

    #[test]
    fn whitespace_references_are_kept() {
        let input = "<el xmlns='ns:x' a='1&#10;2&#9;3'>a&#13;b</el>";
        let out = roundtrip(input);
        assert_eq!(out, "<el xmlns='ns:x' a='1&#10;2&#9;3'>a&#13;b</el>");
        assert_eq!(roundtrip(&out), out);
        let el = Element::parse(&out).unwrap();
        assert_eq!(el.attr("a"), Some("1\n2\t3"));
        assert_eq!(el.text(), "a\rb");
    }

    #[test]
    fn characters_xml_cannot_carry() {
        for c in [
            '\0', '\u{1}', '\u{8}', '\u{B}', '\u{C}', '\u{E}', '\u{1F}', '\u{FFFE}', '\u{FFFF}',
        ] {
            assert_eq!(check_chars(&format!("a{c}b")), Err(InvalidChar(c)));
            assert!(Element::parse(&format!("<a>{c}</a>")).is_err(), "{c:?}");
            let el = Element::new("a").with_attr("k", format!("{c}"));
            assert_eq!(
                el.check_chars(),
                Err(InvalidCharAt {
                    path: "a/@k".into(),
                    ch: InvalidChar(c)
                })
            );
        }
        for c in [
            '\t',
            '\n',
            '\r',
            ' ',
            '\u{D7FF}',
            '\u{E000}',
            '\u{FFFD}',
            '\u{10000}',
            '\u{10FFFF}',
        ] {
            assert_eq!(check_chars(&format!("a{c}b")), Ok(()));
        }
        assert_eq!(InvalidChar('\0').to_string(), "U+0000");
        assert_eq!(InvalidChar('\u{FFFE}').to_string(), "U+FFFE");
        let mut n = Element::new("N");
        n.children
            .push(Node::Element(Element::new("GIVEN").with_text("ok")));
        n.children
            .push(Node::Element(Element::new("FAMILY").with_text("x\u{2}")));
        let mut v = Element::new("vCard").with_text("ok");
        v.children
            .push(Node::Element(Element::new("FN").with_text("ok")));
        v.children.push(Node::Element(n));
        assert_eq!(
            v.check_chars(),
            Err(InvalidCharAt {
                path: "vCard/N/FAMILY".into(),
                ch: InvalidChar('\u{2}')
            })
        );
    }

    fn with_attributes(n: usize, prefix: &str) -> String {
        let attrs: String = (0..n).map(|i| format!(" {prefix}{i}='v'")).collect();
        format!("<a{attrs}/>")
    }

    /// The parser's duplicate-attribute check is pairwise per element and its prefix lookup
    /// scans the namespaces in scope: with both counts bounded, its work is at most a constant
    /// times the input's length. The bounds are checked by a linear scan before it runs.
    #[test]
    fn attribute_and_namespace_counts_are_bounded() {
        assert!(Element::parse(&with_attributes(MAX_ATTRIBUTES, "a")).is_ok());
        assert_eq!(
            Element::parse(&with_attributes(MAX_ATTRIBUTES + 1, "a")).unwrap_err(),
            "more than 64 attributes on one element"
        );
        // The document (65,000 attributes, about 900 KB), refused by the scan.
        let big = with_attributes(65_000, "attr");
        assert!(big.len() > 850_000);
        assert_eq!(
            prescan(&big),
            Err("more than 64 attributes on one element".to_string())
        );
        // Many elements with many attributes each are fine.
        let many = format!(
            "<r>{}</r>",
            with_attributes(MAX_ATTRIBUTES, "a").repeat(1000)
        );
        assert!(Element::parse(&many).is_ok());
        // Namespace declarations count over the whole document.
        let decls = |n: usize| {
            let inner: String = (0..n)
                .map(|i| format!("<c xmlns:p{i}='urn:{i}' p{i}:k='v'/>"))
                .collect();
            format!("<r xmlns='urn:r'>{inner}</r>")
        };
        assert!(Element::parse(&decls(MAX_NAMESPACE_DECLARATIONS - 1)).is_ok());
        assert_eq!(
            Element::parse(&decls(MAX_NAMESPACE_DECLARATIONS)).unwrap_err(),
            format!("more than {MAX_NAMESPACE_DECLARATIONS} namespace declarations")
        );
        // Attributes in a namespace, per element.
        let namespaced = |n: usize| {
            let attrs: String = (0..n).map(|i| format!(" p:a{i}='v'")).collect();
            format!("<r xmlns:p='urn:p' xml:lang='en'{attrs}/>")
        };
        assert!(Element::parse(&namespaced(MAX_NAMESPACED_ATTRIBUTES - 1)).is_ok());
        assert_eq!(
            Element::parse(&namespaced(MAX_NAMESPACED_ATTRIBUTES)).unwrap_err(),
            format!("more than {MAX_NAMESPACED_ATTRIBUTES} namespaced attributes on one element")
        );
        // Names, and namespaces bound to prefixes; a default namespace may be long.
        let name = "n".repeat(MAX_NAME_BYTES);
        assert!(Element::parse(&format!("<{name} {name}='v'/>")).is_ok());
        for doc in [format!("<{name}x/>"), format!("<a {name}x='v'/>")] {
            assert_eq!(
                Element::parse(&doc).unwrap_err(),
                format!("a name longer than {MAX_NAME_BYTES} bytes")
            );
        }
        let uri = "u".repeat(MAX_PREFIXED_NAMESPACE_BYTES);
        assert!(Element::parse(&format!("<p:a xmlns:p='{uri}'/>")).is_ok());
        assert_eq!(
            Element::parse(&format!("<p:a xmlns:p='{uri}x'/>")).unwrap_err(),
            format!(
                "a namespace bound to a prefix longer than {MAX_PREFIXED_NAMESPACE_BYTES} bytes"
            )
        );
        let long_default = "u".repeat(500_000);
        assert!(Element::parse(&format!("<a xmlns='{long_default}'/>")).is_ok());
    }

    /// The conversion's namespace work grows with the document, not with the document times
    /// the namespaces in scope or the length of their URIs: the worst a document can do within
    /// the bounds is a constant number of bindings looked at per element and attribute.
    #[test]
    fn namespace_work_is_linear() {
        // Every binding the bounds allow, with the longest URIs (long default namespaces
        // sharing a prefix, so that comparing them as strings would be slow), and `n` children
        // using the namespaces, each redeclaring one (so it gets a scope of its own) or not.
        let doc = |n: usize| {
            let common = "x".repeat(100_000);
            let mut decls: String = (0..MAX_NAMESPACE_DECLARATIONS - 10)
                .map(|i| format!(" xmlns:p{i}='{}{i}'", "u".repeat(250)))
                .collect();
            decls.push_str(&format!(" xmlns='{common}'"));
            let children: String = (0..n)
                .map(|i| {
                    let q = MAX_NAMESPACE_DECLARATIONS - 12;
                    if i < 8 {
                        format!("<p{q}:c xmlns='{common}{i}' p{q}:a='1' p0:b='2'/>")
                    } else {
                        format!("<p{q}:c p{q}:a='1' p0:b='2' c='3'>t</p{q}:c>")
                    }
                })
                .collect();
            format!("<r{decls}>{children}</r>")
        };
        let (small, large) = (doc(2_000), doc(8_000));
        let (_, (w_small, _)) = Element::parse_counted(&small).unwrap();
        let (el, (w_large, fallbacks)) = Element::parse_counted(&large).unwrap();
        // Every prefix was found by address.
        assert_eq!(fallbacks, 0);
        assert_eq!(el.elements().count(), 8_000);
        // Four times the children, about four times the work.
        assert!(w_large <= 4 * w_small + 10_000, "{w_small} -> {w_large}");
        // And at most the bindings in scope per element and per attribute.
        let per_item = MAX_NAMESPACE_DECLARATIONS + 2;
        assert!(w_large <= 8_001 * 4 * per_item, "{w_large}");
        // It round-trips.
        assert_eq!(Element::parse(&el.to_string()).unwrap(), el);
    }

    #[test]
    fn the_scan_reads_markup_like_the_parser() {
        let attrs = |n: usize| -> String { (0..n).map(|i| format!(" a{i}='v'")).collect() };
        // Markup-like text inside comments, CDATA, PIs and attribute values is not counted.
        let hidden = attrs(MAX_ATTRIBUTES + 1);
        let hidden_ns: String = (0..=MAX_NAMESPACE_DECLARATIONS)
            .map(|i| format!(" xmlns:p{i}='u'"))
            .collect();
        for doc in [
            format!("<a><!-- <b{hidden}/> --></a>"),
            format!("<a><!-- <b{hidden_ns}/> --></a>"),
            format!("<a><![CDATA[<b{hidden}/>]]></a>"),
            format!("<a><?pi <b{hidden}/> ?></a>"),
            format!("<a k=\"&lt;b{hidden}&gt;\"/>"),
            format!("<a k='>{}'/>", hidden.replace('\'', "\"")),
        ] {
            assert_eq!(prescan(&doc), Ok(()), "{doc}");
        }
        // White space around `=` and both quote kinds.
        let spaced: String = (0..=MAX_ATTRIBUTES)
            .map(|i| format!(" a{i} =\n\"v\""))
            .collect();
        assert!(prescan(&format!("<a{spaced}/>")).is_err());
        // Malformed input ends the scan; the parser reports it.
        for doc in [
            "<a b",
            "<a b=",
            "<a b='",
            "<",
            "<!--",
            "<![CDATA[",
            "<?",
            "<!DOCTYPE a>",
        ] {
            assert_eq!(prescan(doc), Ok(()), "{doc}");
            assert!(Element::parse(doc).is_err(), "{doc}");
        }
    }
}
