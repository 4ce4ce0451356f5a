//! XML elements as the API carries them (`XmlElement`): parsed with roxmltree into a small owned
//! tree and serialised the way the reference does (single-quoted attributes, self-closed empty
//! elements, no declaration, no indentation).

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

const WRAPPER: &str = "mimql-wrapper";

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
        Ok(convert(first))
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

fn qualified(node: roxmltree::Node<'_, '_>, ns: Option<&str>, local: &str, attr: bool) -> String {
    match ns {
        // Unprefixed attributes have no namespace; an element in the default namespace has
        // no prefix either.
        Some(uri) => match node.lookup_prefix(uri) {
            Some(p) if !p.is_empty() => format!("{p}:{local}"),
            _ if attr && uri == "http://www.w3.org/XML/1998/namespace" => format!("xml:{local}"),
            _ => local.to_string(),
        },
        None => local.to_string(),
    }
}

fn convert(node: roxmltree::Node<'_, '_>) -> Element {
    let tag = node.tag_name();
    let mut el = Element::new(qualified(node, tag.namespace(), tag.name(), false));
    let parent_ns: Vec<(Option<&str>, &str)> = node
        .parent_element()
        .map(|p| p.namespaces().map(|n| (n.name(), n.uri())).collect())
        .unwrap_or_default();
    for ns in node.namespaces() {
        if ns.name() == Some("xml") || parent_ns.contains(&(ns.name(), ns.uri())) {
            continue;
        }
        match ns.name() {
            Some(prefix) => el
                .attrs
                .push((format!("xmlns:{prefix}"), ns.uri().to_string())),
            None => el.attrs.push(("xmlns".into(), ns.uri().to_string())),
        }
    }
    let parent_default = parent_ns.iter().any(|(p, _)| p.is_none());
    if parent_default && !node.namespaces().any(|n| n.name().is_none()) {
        el.attrs.push(("xmlns".into(), String::new()));
    }
    for a in node.attributes() {
        el.attrs.push((
            qualified(node, a.namespace(), a.name(), true),
            a.value().to_string(),
        ));
    }
    let has_element_child = node.children().any(|c| c.is_element());
    for child in node.children() {
        if child.is_element() {
            el.children.push(Node::Element(convert(child)));
        } else if let Some(text) = child.text()
            && child.is_text()
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

fn escape_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

fn escape_attr(out: &mut String, s: &str, quote: char) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' if quote == '\'' => out.push_str("&apos;"),
            '"' if quote == '"' => out.push_str("&quot;"),
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
}
