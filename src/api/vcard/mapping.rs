//! The GraphQL `VcardInput`/`Vcard` ↔ vcard-temp XML mapping (XEP-0054), which is also
//! the stored form. Each list entry is one element; tags are empty child elements named like
//! the enum value. Pure functions, tested below and end to end.
//!
//! Where the reference loses data mimql keeps it: `binValue` without `type` (or `type` alone)
//! reads back as `ImageData`, and `sortString` uses the standard `SORT-STRING` element (the
//! reference's `SOR` is read too).
//!
//! The user and admin APIs generate their own (identical) vCard types; each includes this file
//! as its `mapping` module beside a `schema_types` alias of its generated module.

use async_graphql::{InputType, Name, Value};

use super::schema_types::*;
use crate::vcard::NS;
use crate::xml::{Element, Node};

fn text_el(name: &str, text: &str) -> Element {
    let el = Element::new(name);
    if text.is_empty() {
        el
    } else {
        el.with_text(text)
    }
}

fn opt_child(parent: &mut Element, name: &str, value: &Option<String>) {
    if let Some(v) = value {
        parent.children.push(Node::Element(text_el(name, v)));
    }
}

fn child(parent: &mut Element, name: &str, value: &str) {
    parent.children.push(Node::Element(text_el(name, value)));
}

fn enum_name<T: InputType>(v: &T) -> String {
    match v.to_value() {
        Value::Enum(n) => n.to_string(),
        other => other.to_string(),
    }
}

fn tags<T: InputType>(parent: &mut Element, tags: &Option<Vec<T>>) {
    for t in tags.iter().flatten() {
        parent
            .children
            .push(Node::Element(Element::new(enum_name(t))));
    }
}

fn image(name: &str, i: &ImageInput) -> Element {
    let mut el = Element::new(name);
    opt_child(&mut el, "TYPE", &i.type_);
    opt_child(&mut el, "BINVAL", &i.bin_value);
    opt_child(&mut el, "EXTVAL", &i.ext_value);
    el
}

fn texts<'a>(out: &mut Element, name: &str, values: impl IntoIterator<Item = &'a String>) {
    for v in values {
        child(out, name, v);
    }
}

/// The vcard-temp element for an input vCard.
pub fn to_xml(v: &VcardInput) -> Element {
    let mut out = Element::new("vCard").with_attr("xmlns", NS);
    child(&mut out, "FN", &v.formatted_name);
    let n = &v.name_components;
    let mut n_el = Element::new("N");
    opt_child(&mut n_el, "FAMILY", &n.family);
    opt_child(&mut n_el, "GIVEN", &n.given_name);
    opt_child(&mut n_el, "MIDDLE", &n.middle_name);
    opt_child(&mut n_el, "PREFIX", &n.prefix);
    opt_child(&mut n_el, "SUFFIX", &n.suffix);
    out.children.push(Node::Element(n_el));
    texts(&mut out, "NICKNAME", v.nickname.iter().flatten().flatten());
    for p in v.photo.iter().flatten() {
        out.children.push(Node::Element(image("PHOTO", p)));
    }
    texts(&mut out, "BDAY", v.birthday.iter().flatten());
    for a in v.address.iter().flatten() {
        let mut el = Element::new("ADR");
        tags(&mut el, &a.tags);
        opt_child(&mut el, "POBOX", &a.pobox);
        opt_child(&mut el, "EXTADD", &a.extadd);
        opt_child(&mut el, "STREET", &a.street);
        opt_child(&mut el, "LOCALITY", &a.locality);
        opt_child(&mut el, "REGION", &a.region);
        opt_child(&mut el, "PCODE", &a.pcode);
        opt_child(&mut el, "CTRY", &a.country);
        out.children.push(Node::Element(el));
    }
    for l in v.label.iter().flatten() {
        let mut el = Element::new("LABEL");
        tags(&mut el, &l.tags);
        texts(&mut el, "LINE", &l.line);
        out.children.push(Node::Element(el));
    }
    for t in v.telephone.iter().flatten() {
        let mut el = Element::new("TEL");
        tags(&mut el, &t.tags);
        child(&mut el, "NUMBER", &t.number);
        out.children.push(Node::Element(el));
    }
    for e in v.email.iter().flatten() {
        let mut el = Element::new("EMAIL");
        tags(&mut el, &e.tags);
        child(&mut el, "USERID", &e.user_id);
        out.children.push(Node::Element(el));
    }
    texts(&mut out, "JABBERID", v.jabber_id.iter().flatten());
    texts(&mut out, "MAILER", v.mailer.iter().flatten());
    texts(&mut out, "TZ", v.time_zone.iter().flatten());
    for g in v.geo.iter().flatten() {
        let mut el = Element::new("GEO");
        child(&mut el, "LAT", &g.lat);
        child(&mut el, "LON", &g.lon);
        out.children.push(Node::Element(el));
    }
    texts(&mut out, "TITLE", v.title.iter().flatten());
    texts(&mut out, "ROLE", v.role.iter().flatten());
    for l in v.logo.iter().flatten() {
        out.children.push(Node::Element(image("LOGO", l)));
    }
    for a in v.agent.iter().flatten() {
        let mut el = Element::new("AGENT");
        if let Some(nested) = &a.vcard {
            el.children.push(Node::Element(to_xml(nested)));
        }
        opt_child(&mut el, "EXTVAL", &a.ext_value);
        out.children.push(Node::Element(el));
    }
    for o in v.org.iter().flatten() {
        let mut el = Element::new("ORG");
        child(&mut el, "ORGNAME", &o.orgname);
        texts(&mut el, "ORGUNIT", o.orgunit.iter().flatten());
        out.children.push(Node::Element(el));
    }
    for c in v.categories.iter().flatten() {
        let mut el = Element::new("CATEGORIES");
        texts(&mut el, "KEYWORD", c.keyword.iter().flatten());
        out.children.push(Node::Element(el));
    }
    texts(&mut out, "NOTE", v.note.iter().flatten());
    texts(&mut out, "PRODID", v.prod_id.iter().flatten());
    texts(&mut out, "REV", v.rev.iter().flatten());
    texts(&mut out, "SORT-STRING", v.sort_string.iter().flatten());
    for s in v.sound.iter().flatten() {
        let mut el = Element::new("SOUND");
        opt_child(&mut el, "PHONETIC", &s.phonetic);
        opt_child(&mut el, "BINVAL", &s.bin_value);
        opt_child(&mut el, "EXTVAL", &s.ext_value);
        out.children.push(Node::Element(el));
    }
    texts(&mut out, "UID", v.uid.iter().flatten());
    texts(&mut out, "URL", v.url.iter().flatten());
    texts(&mut out, "DESC", v.desc.iter().flatten());
    for c in v.class.iter().flatten() {
        let mut el = Element::new("CLASS");
        tags(&mut el, &c.tags);
        out.children.push(Node::Element(el));
    }
    for k in v.key.iter().flatten() {
        let mut el = Element::new("KEY");
        opt_child(&mut el, "TYPE", &k.type_);
        child(&mut el, "CRED", &k.credential);
        out.children.push(Node::Element(el));
    }
    out
}

/// Non-empty text of the last child named `name`; an empty element reads back as null.
fn sub(el: &Element, name: &str) -> Option<String> {
    el.elements()
        .filter(|e| e.name == name)
        .last()
        .map(Element::text)
        .filter(|t| !t.is_empty())
}

fn subs(el: &Element, name: &str) -> Option<Vec<Option<String>>> {
    let v: Vec<Option<String>> = el
        .elements()
        .filter(|e| e.name == name)
        .map(|e| Some(e.text()).filter(|t| !t.is_empty()))
        .collect();
    (!v.is_empty()).then_some(v)
}

/// Text elements of a list field; empty ones are dropped, as in the reference.
fn text_list(v: &Element, name: &str) -> Option<Vec<Option<String>>> {
    let items: Vec<Option<String>> = v
        .elements()
        .filter(|e| e.name == name)
        .map(Element::text)
        .filter(|t| !t.is_empty())
        .map(Some)
        .collect();
    (!items.is_empty()).then_some(items)
}

fn list<T>(
    v: &Element,
    names: &[&str],
    f: impl Fn(&Element) -> Option<T>,
) -> Option<Vec<Option<T>>> {
    let items: Vec<Option<T>> = v
        .elements()
        .filter(|e| names.contains(&e.name.as_str()))
        .map(f)
        .collect();
    (!items.is_empty()).then_some(items)
}

/// Empty children that are not one of the element's sub-fields, as enum values (`None` for a
/// name the enum does not have).
fn tag_list<T: InputType>(el: &Element, fields: &[&str]) -> Option<Vec<Option<T>>> {
    let tags: Vec<Option<T>> = el
        .elements()
        .filter(|e| e.children.is_empty() && !fields.contains(&e.name.as_str()))
        .map(|e| T::parse(Some(Value::Enum(Name::new(&e.name)))).ok())
        .collect();
    (!tags.is_empty()).then_some(tags)
}

/// TYPE and BINVAL make `ImageData`; else EXTVAL makes `External` (spec 2.4); else BINVAL or
/// TYPE alone still read back as `ImageData` (the reference had no member for those).
fn read_image(el: &Element) -> Option<Image> {
    let (ty, bin, ext) = (sub(el, "TYPE"), sub(el, "BINVAL"), sub(el, "EXTVAL"));
    let data = |type_, bin_value| Some(Image::ImageData(Box::new(ImageData { type_, bin_value })));
    match (ty, bin, ext) {
        (Some(ty), Some(bin), _) => data(Some(ty), Some(bin)),
        (_, _, Some(ext)) => Some(Image::External(Box::new(External {
            ext_value: Some(ext),
        }))),
        (None, None, None) => None,
        (ty, bin, None) => data(ty, bin),
    }
}

const ADR_FIELDS: [&str; 7] = [
    "POBOX", "EXTADD", "STREET", "LOCALITY", "REGION", "PCODE", "CTRY",
];

/// The output vCard for a stored vcard-temp element; unknown elements are ignored.
pub fn from_xml(v: &Element) -> Vcard {
    Vcard {
        formatted_name: sub(v, "FN"),
        name_components: v
            .elements()
            .filter(|e| e.name == "N")
            .last()
            .map(|n| NameComponents {
                family: sub(n, "FAMILY"),
                given_name: sub(n, "GIVEN"),
                middle_name: sub(n, "MIDDLE"),
                prefix: sub(n, "PREFIX"),
                suffix: sub(n, "SUFFIX"),
            }),
        nickname: text_list(v, "NICKNAME"),
        photo: list(v, &["PHOTO"], read_image),
        birthday: text_list(v, "BDAY"),
        address: list(v, &["ADR"], |a| {
            Some(Address {
                tags: tag_list(a, &ADR_FIELDS),
                pobox: sub(a, "POBOX"),
                extadd: sub(a, "EXTADD"),
                street: sub(a, "STREET"),
                locality: sub(a, "LOCALITY"),
                region: sub(a, "REGION"),
                pcode: sub(a, "PCODE"),
                country: sub(a, "CTRY"),
            })
        }),
        label: list(v, &["LABEL"], |l| {
            Some(Label {
                tags: tag_list(l, &["LINE"]),
                line: subs(l, "LINE"),
            })
        }),
        telephone: list(v, &["TEL"], |t| {
            Some(Telephone {
                tags: tag_list(t, &["NUMBER"]),
                number: sub(t, "NUMBER"),
            })
        }),
        email: list(v, &["EMAIL"], |e| {
            Some(Email {
                tags: tag_list(e, &["USERID"]),
                user_id: sub(e, "USERID"),
            })
        }),
        jabber_id: text_list(v, "JABBERID"),
        mailer: text_list(v, "MAILER"),
        time_zone: text_list(v, "TZ"),
        geo: list(v, &["GEO"], |g| {
            Some(GeographicalPosition {
                lat: sub(g, "LAT"),
                lon: sub(g, "LON"),
            })
        }),
        title: text_list(v, "TITLE"),
        role: text_list(v, "ROLE"),
        logo: list(v, &["LOGO"], read_image),
        agent: list(v, &["AGENT"], |a| {
            if let Some(ext) = sub(a, "EXTVAL") {
                return Some(Agent::External(Box::new(External {
                    ext_value: Some(ext),
                })));
            }
            a.elements().find(|e| e.name == "vCard").map(|nested| {
                Agent::AgentVcard(Box::new(AgentVcard {
                    vcard: Some(from_xml(nested)),
                }))
            })
        }),
        org: list(v, &["ORG"], |o| {
            Some(Organization {
                orgname: sub(o, "ORGNAME"),
                orgunit: subs(o, "ORGUNIT"),
            })
        }),
        categories: list(v, &["CATEGORIES"], |c| {
            Some(Keyword {
                keyword: subs(c, "KEYWORD"),
            })
        }),
        note: text_list(v, "NOTE"),
        prod_id: text_list(v, "PRODID"),
        rev: text_list(v, "REV"),
        sort_string: {
            let mut all = text_list(v, "SORT-STRING").unwrap_or_default();
            all.extend(text_list(v, "SOR").unwrap_or_default());
            (!all.is_empty()).then_some(all)
        },
        sound: list(v, &["SOUND"], |s| {
            if let Some(ext) = sub(s, "EXTVAL") {
                Some(Sound::External(Box::new(External {
                    ext_value: Some(ext),
                })))
            } else if let Some(p) = sub(s, "PHONETIC") {
                Some(Sound::Phonetic(Box::new(Phonetic { phonetic: Some(p) })))
            } else {
                sub(s, "BINVAL").map(|b| Sound::BinValue(Box::new(BinValue { bin_value: Some(b) })))
            }
        }),
        uid: text_list(v, "UID"),
        url: text_list(v, "URL"),
        desc: text_list(v, "DESC"),
        class: list(v, &["CLASS"], |c| {
            Some(Privacy {
                tags: tag_list(c, &[]),
            })
        }),
        key: list(v, &["KEY"], |k| {
            Some(Key {
                type_: sub(k, "TYPE"),
                credential: sub(k, "CRED"),
            })
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> VcardInput {
        VcardInput {
            formatted_name: "Alice".into(),
            name_components: NameComponentsInput {
                family: Some("Liddell".into()),
                given_name: None,
                middle_name: None,
                prefix: None,
                suffix: None,
            },
            nickname: None,
            photo: None,
            birthday: None,
            address: None,
            label: None,
            telephone: None,
            email: None,
            jabber_id: None,
            mailer: None,
            time_zone: None,
            geo: None,
            title: None,
            role: None,
            logo: None,
            agent: None,
            org: None,
            categories: None,
            note: None,
            prod_id: None,
            rev: None,
            sort_string: None,
            sound: None,
            uid: None,
            url: None,
            desc: None,
            class: None,
            key: None,
        }
    }

    #[test]
    fn writes_vcard_temp() {
        let mut v = minimal();
        v.telephone = Some(vec![TelephoneInput {
            tags: Some(vec![TelephoneTags::Home, TelephoneTags::Cell]),
            number: "+48".into(),
        }]);
        assert_eq!(
            to_xml(&v).to_string(),
            "<vCard xmlns='vcard-temp'><FN>Alice</FN><N><FAMILY>Liddell</FAMILY></N>\
             <TEL><HOME/><CELL/><NUMBER>+48</NUMBER></TEL></vCard>"
        );
    }

    #[test]
    fn reads_unions_and_tags() {
        let xml = Element::parse(
            "<vCard xmlns='vcard-temp'><FN></FN><PHOTO><TYPE>image/png</TYPE><BINVAL>AAA</BINVAL></PHOTO>\
             <PHOTO><TYPE>x</TYPE><EXTVAL>http://e</EXTVAL></PHOTO><PHOTO><BINVAL>B</BINVAL></PHOTO><PHOTO/>\
             <ADR><HOME/><home/><STREET/><CTRY>PL</CTRY></ADR><SOUND><BINVAL>b</BINVAL><PHONETIC>p</PHONETIC></SOUND>\
             <SOR>s</SOR><VERSION>2.0</VERSION></vCard>",
        )
        .unwrap();
        let v = from_xml(&xml);
        assert_eq!(v.formatted_name, None, "empty text reads back as absent");
        let photos = v.photo.unwrap();
        assert!(
            matches!(&photos[0], Some(Image::ImageData(d)) if d.type_.as_deref() == Some("image/png"))
        );
        assert!(
            matches!(&photos[1], Some(Image::External(e)) if e.ext_value.as_deref() == Some("http://e"))
        );
        assert!(
            matches!(&photos[2], Some(Image::ImageData(d)) if d.bin_value.as_deref() == Some("B") && d.type_.is_none())
        );
        assert!(photos[3].is_none());
        let adr = v.address.unwrap()[0].clone().unwrap();
        assert_eq!(adr.tags, Some(vec![Some(AddressTags::Home), None]));
        assert_eq!(adr.street, None);
        assert_eq!(adr.country.as_deref(), Some("PL"));
        assert!(matches!(&v.sound.unwrap()[0], Some(Sound::Phonetic(_))));
        assert_eq!(v.sort_string, Some(vec![Some("s".into())]));
        assert!(v.nickname.is_none(), "absent lists are null, not empty");
    }
}
