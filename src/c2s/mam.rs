//! XEP-0313 (`urn:xmpp:mam:2`) queries of the user's own archive: the query's data form and
//! XEP-0059 set read into the domain's [`Query`], and the page written back as `<result/>`
//! messages and a `<fin/>`. The archive reads (the rows and ids `getLastMessages` reports,
//! paged in SQL) are the domain's ([`crate::archive::Archive::query`]).

use tokio_xmpp::minidom::Element as Xml;

use crate::archive::{Archived, MamId, Query, QueryPage};
use crate::config::MamOptions;
use crate::jid::Jid;
use crate::xml::Element;

pub const MAM: &str = "urn:xmpp:mam:2";
const DATA: &str = "jabber:x:data";
const RSM: &str = "http://jabber.org/protocol/rsm";
const FORWARD: &str = "urn:xmpp:forward:0";
const DELAY: &str = "urn:xmpp:delay";
const CLIENT: &str = "jabber:client";

/// Why a query is refused with `<bad-request/>`.
#[derive(Debug, PartialEq, Eq)]
pub struct BadRequest(pub String);

fn bad(text: impl Into<String>) -> BadRequest {
    BadRequest(text.into())
}

fn ns_is(e: &Element, ns: &str) -> bool {
    e.attr("xmlns") == Some(ns)
}

/// A XEP-0082 date-time, in microseconds since the epoch.
fn datetime(field: &str, s: &str) -> Result<i64, BadRequest> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.timestamp_micros())
        .map_err(|_| bad(format!("{field} is not a XEP-0082 date-time")))
}

/// An archive id as clients see it (base 32); one that cannot be an id names no message.
fn id(s: &str) -> Result<MamId, String> {
    MamId::from_base32(s.trim()).ok_or_else(|| s.trim().to_string())
}

/// The query as asked: `Err(Ok(bad request))` for a malformed one, `Err(Err(id))` for an id
/// that cannot name a message (`<item-not-found/>`).
pub fn parse(query: &Element, options: &MamOptions) -> Result<Query, Result<BadRequest, String>> {
    let mut q = Query {
        max: options.default_page_size.min(options.max_page_size),
        ..Query::default()
    };
    for child in query.elements() {
        if child.name == "x" && ns_is(child, DATA) {
            if !matches!(child.attr("type"), None | Some("submit")) {
                return Err(Ok(bad("the form must be submitted")));
            }
            for field in child.elements().filter(|f| f.name == "field") {
                let var = field.attr("var").unwrap_or_default();
                let values: Vec<String> = field
                    .elements()
                    .filter(|v| v.name == "value")
                    .map(|v| v.text())
                    .collect();
                if values.len() > 1 {
                    return Err(Ok(bad(format!("{var} takes one value"))));
                }
                let Some(value) = values.into_iter().next() else {
                    continue;
                };
                match var {
                    "FORM_TYPE" if value.trim() == MAM => {}
                    "FORM_TYPE" => return Err(Ok(bad("FORM_TYPE must be urn:xmpp:mam:2"))),
                    "with" => {
                        let with = Jid::parse_any(value.trim())
                            .map_err(|_| Ok(bad("with is not a JID")))?;
                        q.with = Some(with);
                    }
                    "start" => q.start_micros = Some(datetime("start", &value).map_err(Ok)?),
                    "end" => q.end_micros = Some(datetime("end", &value).map_err(Ok)?),
                    "after-id" => q.after_id = Some(id(&value).map_err(Err)?),
                    "before-id" => q.before_id = Some(id(&value).map_err(Err)?),
                    other => return Err(Ok(bad(format!("unknown field {other:?}")))),
                }
            }
        } else if child.name == "set" && ns_is(child, RSM) {
            for item in child.elements() {
                let text = item.text();
                match item.name.as_str() {
                    "max" => {
                        let max: u64 = text
                            .trim()
                            .parse()
                            .map_err(|_| Ok(bad("max is not a number")))?;
                        q.max = max.min(options.max_page_size);
                    }
                    "after" => q.page_after = Some(id(&text).map_err(Err)?),
                    "before" => {
                        q.backward = true;
                        if !text.trim().is_empty() {
                            q.page_before = Some(id(&text).map_err(Err)?);
                        }
                    }
                    // XEP-0059 index paging is optional; not offered.
                    "index" => return Err(Ok(bad("index is not supported"))),
                    _ => {}
                }
            }
        }
    }
    if q.page_after.is_some() && q.backward {
        return Err(Ok(bad("after and before in one set")));
    }
    if let (Some(start), Some(end)) = (q.start_micros, q.end_micros)
        && start > end
    {
        return Err(Ok(bad("start is after end")));
    }
    Ok(q)
}

fn name(n: &'static str) -> tokio_xmpp::minidom::rxml::NcName {
    n.try_into().expect("a valid name")
}

/// One archived message as a `<message><result><forwarded/></result></message>` to `to`.
pub fn result(m: &Archived, queryid: Option<&str>, archive: &Jid, to: &Jid) -> Option<Xml> {
    let mut inner = Element::parse(&m.stanza).ok()?;
    if inner.attr("from").is_none() {
        inner.set_attr("from", m.sender.clone());
    }
    inner.attrs.retain(|(k, _)| k != "xmlns");
    inner
        .attrs
        .insert(0, ("xmlns".to_string(), CLIENT.to_string()));
    let inner: Xml = inner.to_string().parse().ok()?;
    let mut result = Xml::builder("result", MAM).attr(name("id"), m.id.to_base32());
    if let Some(q) = queryid {
        result = result.attr(name("queryid"), q.to_string());
    }
    let forwarded = Xml::builder("forwarded", FORWARD)
        .append(
            Xml::builder("delay", DELAY)
                .attr(name("stamp"), super::session::stamp(m.id.micros()))
                .build(),
        )
        .append(inner)
        .build();
    Some(
        Xml::builder("message", CLIENT)
            .attr(name("from"), archive.bare_string())
            .attr(name("to"), to.to_string())
            .attr(name("id"), crate::stanza::new_id())
            .append(result.append(forwarded).build())
            .build(),
    )
}

/// The `<fin/>` that ends the answer: `complete` and the page's XEP-0059 set.
pub fn fin(page: &QueryPage) -> Xml {
    let text = |n: &'static str, v: String| Xml::builder(n, RSM).append(v).build();
    let mut set = Xml::builder("set", RSM);
    if let (Some(first), Some(last)) = (page.messages.first(), page.messages.last()) {
        set = set
            .append(text("first", first.id.to_base32()))
            .append(text("last", last.id.to_base32()));
    }
    set = set.append(text("count", page.count.to_string()));
    Xml::builder("fin", MAM)
        .attr(
            name("complete"),
            if page.complete { "true" } else { "false" },
        )
        .append(set.build())
        .build()
}

/// The fields a query may use (an `iq get` of the query, XEP-0313 §5.1).
pub fn form() -> Xml {
    let field = |var: &'static str, ty: &'static str| {
        Xml::builder("field", DATA)
            .attr(name("var"), var)
            .attr(name("type"), ty)
    };
    let mut x = Xml::builder("x", DATA).attr(name("type"), "form").append(
        field("FORM_TYPE", "hidden")
            .append(Xml::builder("value", DATA).append(MAM).build())
            .build(),
    );
    for (var, ty) in [
        ("with", "jid-single"),
        ("start", "text-single"),
        ("end", "text-single"),
        ("after-id", "text-single"),
        ("before-id", "text-single"),
    ] {
        x = x.append(field(var, ty).build());
    }
    Xml::builder("query", MAM).append(x.build()).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Result<Query, Result<BadRequest, String>> {
        parse(&Element::parse(s).unwrap(), &MamOptions::default())
    }

    #[test]
    fn forms_and_sets() {
        let ok = q(
            "<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'>\
             <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>\
             <field var='with'><value>a@localhost</value></field>\
             <field var='start'><value>2010-06-07T00:00:00Z</value></field></x>\
             <set xmlns='http://jabber.org/protocol/rsm'><max>1000</max><before/></set></query>",
        )
        .unwrap();
        assert_eq!(ok.max, 250);
        assert!(ok.backward && ok.page_before.is_none());
        assert_eq!(ok.start_micros, Some(1_275_868_800_000_000));
        assert_eq!(q("<query xmlns='urn:xmpp:mam:2'/>").unwrap().max, 50);
        for bad in [
            "<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'>\
             <field var='start'><value>yesterday</value></field></x></query>",
            "<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'>\
             <field var='colour'><value>red</value></field></x></query>",
            "<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'>\
             <field var='with'><value>@@</value></field></x></query>",
            "<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'>\
             <max>-1</max></set></query>",
        ] {
            assert!(matches!(q(bad), Err(Ok(_))), "{bad}");
        }
        assert_eq!(
            q(
                "<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'>\
               <after>not-an-id!</after></set></query>"
            )
            .err(),
            Some(Err("not-an-id!".to_string()))
        );
    }
}
