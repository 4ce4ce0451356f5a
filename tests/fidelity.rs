//! Data fidelity (issue 13): what a user stores comes back exactly, or is refused with a clear
//! client error, on SQLite and PostgreSQL alike. The issue's reproductions, then a property
//! test per stored category: random valid values (any Unicode, XML specials, white space of
//! every kind, long values) round-trip through the API, and values with a character XML cannot
//! carry get `invalid_character` (or a 400 for an XML argument) and change nothing.

mod common;

use common::{TestServer, User, server};
use mimql_client::user::{last, private, roster, vcard};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;

// ---- values ----

/// XML 1.0's `Char` production, written out here so the test does not rely on the server's.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Characters XML cannot carry: C0 controls but TAB, LF, CR; U+FFFE; U+FFFF.
const INVALID: [char; 8] = [
    '\0', '\u{1}', '\u{8}', '\u{B}', '\u{C}', '\u{1F}', '\u{FFFE}', '\u{FFFF}',
];

/// One character a stored string may hold, weighted towards the troublesome ones.
fn any_valid_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => proptest::char::range(' ', '~'),
        2 => prop::sample::select(vec!['<', '>', '&', '\'', '"', ';', '#', ']', '/', '=']),
        2 => prop::sample::select(vec![
            '\t', '\n', '\r', ' ', '\u{85}', '\u{A0}', '\u{2028}', '\u{2029}', '\u{3000}',
            '\u{FEFF}', '\u{200B}',
        ]),
        1 => prop::sample::select(vec![
            '\u{D7FF}', '\u{E000}', '\u{FFFD}', '\u{10000}', '\u{10FFFF}', 'ł', 'Ż', '語', '😀',
            '\u{301}',
        ]),
        2 => any::<char>().prop_filter("XML character", |c| xml_char(*c)),
    ]
}

fn string_of(len: impl Into<prop::collection::SizeRange>) -> impl Strategy<Value = String> {
    prop::collection::vec(any_valid_char(), len).prop_map(|v| v.into_iter().collect())
}

/// A valid value: mostly short, sometimes a few thousand characters.
fn valid(min: usize) -> impl Strategy<Value = String> {
    valid_weighted(min, 4)
}

/// A valid value, `short_weight` times likelier short than long.
fn valid_weighted(min: usize, short_weight: u32) -> impl Strategy<Value = String> {
    prop_oneof![short_weight => string_of(min..24), 1 => string_of(2000..4000)]
}

/// A valid value with one character XML cannot carry somewhere in it.
fn invalid() -> impl Strategy<Value = String> {
    (
        string_of(0..16),
        prop::sample::select(INVALID.to_vec()),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(s, bad, at)| {
            let mut chars: Vec<char> = s.chars().collect();
            chars.insert(at.index(chars.len() + 1), bad);
            chars.into_iter().collect()
        })
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// A value as XML text or attribute content: everything but ASCII letters and digits as a
/// character reference, so the input does not depend on the server's serialiser.
fn char_refs(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_string()
            } else {
                format!("&#{};", u32::from(c))
            }
        })
        .collect()
}

// ---- the reproductions ----

fn set_vcard(
    s: &TestServer,
    user: &User,
    v: vcard::VcardInput,
) -> mimql_client::Response<vcard::SetVcard> {
    s.client(user).run(vcard::set_vcard(v)).unwrap()
}

fn get_vcard(s: &TestServer, user: &User) -> Option<vcard::Vcard> {
    s.client(user)
        .run(vcard::get_vcard(None))
        .unwrap()
        .data
        .and_then(|d| d.vcard)
        .and_then(|v| v.get_vcard)
}

fn minimal_vcard(formatted_name: &str) -> vcard::VcardInput {
    vcard::VcardInput {
        formatted_name: formatted_name.into(),
        name_components: Default::default(),
        ..Default::default()
    }
}

#[test]
fn cr_in_a_vcard_comes_back_as_cr() {
    let s = server();
    let alice = s.new_user("alice");
    let set = set_vcard(s, &alice, minimal_vcard("a\rb"))
        .into_data()
        .unwrap();
    assert_eq!(
        set.vcard
            .unwrap()
            .set_vcard
            .unwrap()
            .formatted_name
            .as_deref(),
        Some("a\rb")
    );
    let got = get_vcard(s, &alice).unwrap();
    assert_eq!(got.formatted_name.as_deref(), Some("a\rb"));
    // CR LF too, which an XML parser would turn into LF.
    set_vcard(s, &alice, minimal_vcard("x\r\ny"))
        .into_data()
        .unwrap();
    assert_eq!(
        get_vcard(s, &alice).unwrap().formatted_name.as_deref(),
        Some("x\r\ny")
    );
}

fn set_private(
    s: &TestServer,
    user: &User,
    xml: &str,
) -> mimql_client::Response<private::SetPrivate> {
    s.client(user).run(private::set_private(xml)).unwrap()
}

fn get_private(
    s: &TestServer,
    user: &User,
    element: &str,
    ns: &str,
) -> mimql_client::Response<private::GetPrivate> {
    s.client(user)
        .run(private::get_private(element, ns))
        .unwrap()
}

fn private_xml<T>(resp: mimql_client::Response<T>, f: impl FnOnce(T) -> Option<String>) -> String {
    f(resp.into_data().unwrap()).expect("an element")
}

fn stored(s: &TestServer, user: &User, ns: &str) -> String {
    private_xml(get_private(s, user, "el", ns), |d| {
        d.private.and_then(|p| p.get_private).map(|x| x.0)
    })
}

#[test]
fn private_storage_keeps_white_space_in_attributes_text_and_namespaces() {
    let s = server();
    let alice = s.new_user("alice");
    let input = "<el xmlns='ns:x' a='1&#10;2&#9;3'>a&#13;b</el>";
    let expected = "<el xmlns='ns:x' a='1&#10;2&#9;3'>a&#13;b</el>";
    let set = private_xml(set_private(s, &alice, input), |d| {
        d.private.and_then(|p| p.set_private).map(|x| x.0)
    });
    assert_eq!(set, expected);
    assert_eq!(stored(s, &alice, "ns:x"), expected);

    let set = private_xml(
        set_private(s, &alice, "<el xmlns='ns:tab&#9;'>v</el>"),
        |d| d.private.and_then(|p| p.set_private).map(|x| x.0),
    );
    assert_eq!(set, "<el xmlns='ns:tab&#9;'>v</el>");
    assert_eq!(stored(s, &alice, "ns:tab\t"), set);
    // A different namespace: nothing stored under it.
    assert_eq!(stored(s, &alice, "ns:tab "), "<el xmlns='ns:tab '/>");
}

/// Parts of up to 1,023 bytes each (spec §2): far more than PostgreSQL can put in a btree row.
fn long_jid(node: usize, domain: usize, resource: usize) -> String {
    format!(
        "{}@{}/{}",
        "n".repeat(node),
        "d".repeat(domain),
        "R".repeat(resource)
    )
}

#[test]
fn a_long_contact_jid_is_a_valid_roster_key() {
    let s = server();
    let alice = s.new_user("alice");
    let c = s.client(&alice);
    let jid = long_jid(1020, 1020, 1020);
    let resp = c
        .run(roster::subscription(&jid, roster::SubAction::Invite))
        .unwrap();
    assert_eq!(resp.code(), None, "{:?}", resp.errors);
    let item = common::contact(&c, &jid).expect("the item");
    assert_eq!(item.jid.0, jid);
    assert_eq!(
        (item.subscription, item.ask),
        (
            Some(roster::ContactSub::None),
            Some(roster::ContactAsk::Out)
        )
    );
    // The same key again finds the same item.
    let resp = c
        .run(roster::subscription(&jid, roster::SubAction::Cancel))
        .unwrap();
    assert_eq!(resp.code(), None);
    assert_eq!(
        common::contact(&c, &jid).map(|i| i.ask),
        Some(Some(roster::ContactAsk::None))
    );
    assert_eq!(common::contacts(&c).len(), 1);
}

#[test]
fn a_long_private_namespace_is_a_valid_key() {
    let s = server();
    let alice = s.new_user("alice");
    let ns = format!("urn:{}", "n".repeat(3000));
    let xml = format!("<el xmlns='{ns}'>v</el>");
    let set = private_xml(set_private(s, &alice, &xml), |d| {
        d.private.and_then(|p| p.set_private).map(|x| x.0)
    });
    assert_eq!(set, xml);
    assert_eq!(stored(s, &alice, &ns), xml);
    // Replacing it keeps one element under the key.
    let xml2 = format!("<other xmlns='{ns}'/>");
    set_private(s, &alice, &xml2).into_data().unwrap();
    assert_eq!(stored(s, &alice, &ns), xml2);
}

#[test]
fn nul_is_refused_alike_on_every_database() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let c = s.client(&alice);

    let resp = c
        .run(roster::add_contact(&bob.jid, Some("nul\u{0}inside"), None))
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.code(), Some("invalid_character"));
    assert_eq!(
        resp.message(),
        Some("The name contains U+0000, a character XML cannot carry")
    );
    assert_eq!(resp.errors[0].extensions["contact"], json!(bob.jid));
    assert_eq!(common::contact(&c, &bob.jid), None);

    let resp = c
        .run(roster::add_contact(&bob.jid, None, Some(&["ok", "g\u{0}"])))
        .unwrap();
    assert_eq!(resp.code(), Some("invalid_character"));
    assert_eq!(
        resp.message(),
        Some("The group contains U+0000, a character XML cannot carry")
    );

    let resp = c.run(last::set_last(None, "nul\u{0}status")).unwrap();
    assert_eq!(resp.code(), Some("invalid_character"));
    assert_eq!(
        resp.message(),
        Some("The status contains U+0000, a character XML cannot carry")
    );
    assert_eq!(
        c.run(last::get_last(None)).unwrap().code(),
        Some("last_not_found")
    );

    let mut v = minimal_vcard("ok");
    v.name_components.family = Some("a\u{0}".into());
    let resp = set_vcard(s, &alice, v);
    assert_eq!(resp.code(), Some("invalid_character"));
    assert_eq!(
        resp.message(),
        Some("The vCard's N/FAMILY contains U+0000, a character XML cannot carry")
    );
    assert_eq!(resp.errors[0].extensions["user"], json!(alice.jid));
    assert!(get_vcard(s, &alice).is_none());

    let resp = get_private(s, &alice, "el", "ns\u{0}x");
    assert_eq!(resp.code(), Some("invalid_character"));
    assert_eq!(
        resp.message(),
        Some("The namespace contains U+0000, a character XML cannot carry")
    );
    // In an XML argument it is an input error, as any malformed XML.
    let resp = set_private(s, &alice, "<el xmlns='ns:x'>\u{0}</el>");
    assert_eq!((resp.status, resp.code()), (400, Some("input_coercion")));
    let resp = set_private(s, &alice, "<el xmlns='ns:x'>&#0;</el>");
    assert_eq!((resp.status, resp.code()), (400, Some("input_coercion")));
}

#[test]
fn lone_surrogates_are_refused_as_input() {
    // A Rust string cannot hold one, so they are refused where the request is decoded.
    let s = server();
    let alice = s.new_user("alice");
    let c = s.client(&alice);
    let set_last = "mutation($s: String!) { last { setLast(status: $s) { status } } }";
    let body = format!(r#"{{"query": "{set_last}", "variables": {{"s": "a\ud800b"}}}}"#);
    let (status, json) = c.post_raw("application/json", body.as_bytes()).unwrap();
    assert_eq!((status, common::code(&json)), (400, "invalid_json_body"));
    // Escaped inside the document, the GraphQL parser refuses it.
    let (status, json) = s.post(
        &c,
        json!({"query": r#"mutation { last { setLast(status: "a\udfffb") { status } } }"#}),
    );
    assert_eq!((status, common::code(&json)), (400, "parser_error"));
}

#[test]
fn an_element_with_too_many_attributes_is_refused_as_input() {
    // Issue 12's 65,000 attributes: refused by a linear scan before the XML parser runs.
    let s = server();
    let alice = s.new_user("alice");
    let attrs: String = (0..65_000).map(|i| format!(" a{i}='v'")).collect();
    let resp = set_private(s, &alice, &format!("<el xmlns='ns:x'{attrs}/>"));
    assert_eq!((resp.status, resp.code()), (400, Some("input_coercion")));
    assert!(
        resp.message()
            .unwrap()
            .ends_with("\"more than 64 attributes on one element\""),
        "{:?}",
        resp.message()
    );
}

// ---- roster ----

/// The default bound on a roster name or group name, in bytes (`max_roster_name_bytes`).
const ROSTER_NAME_BYTES: usize = 1024;

/// A valid name or group name: mostly short, sometimes up to the bound.
fn roster_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => string_of(0..24),
        1 => string_of(200..1000).prop_map(|s| {
            let mut out = String::new();
            for ch in s.chars() {
                if out.len() + ch.len_utf8() > ROSTER_NAME_BYTES {
                    break;
                }
                out.push(ch);
            }
            out
        }),
    ]
}

#[test]
fn roster_names_and_groups_round_trip() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let c = s.client(&alice);
    let values = (
        prop::option::of(roster_text()),
        prop::option::of(prop::collection::vec(roster_text(), 0..4)),
    );
    runner(24)
        .run(&values, |(name, groups)| {
            let group_refs: Option<Vec<&str>> = groups
                .as_ref()
                .map(|g| g.iter().map(String::as_str).collect());
            let resp = c
                .run(roster::add_contact(
                    &bob.jid,
                    name.as_deref(),
                    group_refs.as_deref(),
                ))
                .unwrap();
            prop_assert_eq!(resp.code(), None, "{:?}", resp.errors);
            let item = common::contact(&c, &bob.jid).unwrap();
            prop_assert_eq!(item.name, Some(name.unwrap_or_default()));
            prop_assert_eq!(item.groups, Some(groups.unwrap_or_default()));
            Ok(())
        })
        .unwrap();

    // Invalid names or groups change nothing.
    c.run(roster::add_contact(&bob.jid, Some("kept"), Some(&["kept"])))
        .unwrap()
        .into_data()
        .unwrap();
    let before = common::contact(&c, &bob.jid);
    runner(24)
        .run(&(invalid(), any::<bool>()), |(bad, in_group)| {
            let resp = if in_group {
                c.run(roster::add_contact(
                    &bob.jid,
                    Some("x"),
                    Some(&["ok", &bad]),
                ))
            } else {
                c.run(roster::add_contact(&bob.jid, Some(&bad), None))
            }
            .unwrap();
            prop_assert_eq!(resp.status, 200);
            prop_assert_eq!(resp.code(), Some("invalid_character"));
            prop_assert_eq!(common::contact(&c, &bob.jid), before.clone());
            Ok(())
        })
        .unwrap();
    // One byte over the bound is refused, and changes nothing either.
    let long = "ł".repeat(ROSTER_NAME_BYTES / 2) + "x";
    for (name, groups) in [(Some(long.as_str()), None), (None, Some(vec!["ok", &long]))] {
        let resp = c
            .run(roster::add_contact(&bob.jid, name, groups.as_deref()))
            .unwrap();
        assert_eq!(resp.code(), Some("roster_name_too_long"));
        assert_eq!(common::contact(&c, &bob.jid), before);
    }
}

#[test]
fn contact_jids_of_any_valid_length_are_roster_keys() {
    let s = server();
    let alice = s.new_user("alice");
    let c = s.client(&alice);
    // Already normalised parts, so the JID reads back as it was sent; lengths up to the
    // 1,023-byte limit of each part (the whole input stays under 3,071 bytes).
    let len = || prop_oneof![1..16usize, 1000..=1020usize];
    let part = |alphabet: &'static str| {
        len().prop_flat_map(move |n| {
            prop::collection::vec(
                prop::sample::select(alphabet.chars().collect::<Vec<_>>()),
                n,
            )
            .prop_map(|v| {
                // At most 1,020 bytes, whatever the characters' widths.
                let mut s = String::new();
                for c in v {
                    if s.len() + c.len_utf8() > 1020 {
                        break;
                    }
                    s.push(c);
                }
                s
            })
        })
    };
    let jids = (
        part("abcdefghijklmnopqrstuvwxyz0123456789._-"),
        part("abcdefghijklmnopqrstuvwxyz0123456789-"),
        prop::option::of(part("ABCxyz019 ._-@/łŻ")),
    )
        .prop_map(|(node, domain, resource)| match resource {
            Some(r) => format!("{node}@{domain}/{r}"),
            None => format!("{node}@{domain}"),
        });
    runner(16)
        .run(&jids, |jid| {
            let resp = c
                .run(roster::subscription(&jid, roster::SubAction::Invite))
                .unwrap();
            prop_assert_eq!(resp.code(), None, "{:?}", resp.errors);
            let item = common::contact(&c, &jid);
            prop_assert_eq!(item.map(|i| i.jid.0), Some(jid.clone()));
            Ok(())
        })
        .unwrap();
}

// ---- vCard ----

fn vcard_input() -> impl Strategy<Value = vcard::VcardInput> {
    // A vCard has a few dozen values: about two of them long.
    let text = || valid_weighted(1, 15);
    let opt = || prop::option::of(text());
    let list = || prop::collection::vec(text(), 0..3);
    (
        (text(), opt(), opt(), opt(), opt(), opt()),
        (list(), list(), list()),
        (
            prop::collection::vec(prop::collection::vec(text(), 1..3), 0..2),
            prop::collection::vec((text(), list()), 0..2),
            prop::collection::vec((opt(), text()), 0..2),
            prop::collection::vec((text(), text()), 0..2),
        ),
    )
        .prop_map(
            |((fname, family, given, middle, prefix, suffix), (nick, note, email), rest)| {
                let (labels, orgs, keys, geos) = rest;
                let some = |v: Vec<String>| (!v.is_empty()).then_some(v);
                vcard::VcardInput {
                    formatted_name: fname,
                    name_components: vcard::NameComponentsInput {
                        family,
                        given_name: given,
                        middle_name: middle,
                        prefix,
                        suffix,
                    },
                    nickname: some(nick).map(|v| v.into_iter().map(Some).collect()),
                    note: some(note),
                    email: some(email).map(|v| {
                        v.into_iter()
                            .map(|user_id| vcard::EmailInput {
                                tags: None,
                                user_id,
                            })
                            .collect()
                    }),
                    label: (!labels.is_empty()).then(|| {
                        labels
                            .into_iter()
                            .map(|line| vcard::LabelInput { tags: None, line })
                            .collect()
                    }),
                    org: (!orgs.is_empty()).then(|| {
                        orgs.into_iter()
                            .map(|(orgname, units)| vcard::OrganizationInput {
                                orgname,
                                orgunit: some(units),
                            })
                            .collect()
                    }),
                    key: (!keys.is_empty()).then(|| {
                        keys.into_iter()
                            .map(|(type_, credential)| vcard::KeyInput { type_, credential })
                            .collect()
                    }),
                    geo: (!geos.is_empty()).then(|| {
                        geos.into_iter()
                            .map(|(lat, lon)| vcard::GeographicalPositionInput { lat, lon })
                            .collect()
                    }),
                    ..Default::default()
                }
            },
        )
}

/// The fields of `v` that `vcard_input` sets, as `getVcard` must answer them.
fn check_vcard(v: &vcard::VcardInput, out: &vcard::Vcard) -> Result<(), TestCaseError> {
    let items = |l: &Option<Vec<String>>| {
        l.as_ref()
            .map(|l| l.iter().cloned().map(Some).collect::<Vec<_>>())
    };
    prop_assert_eq!(out.formatted_name.as_ref(), Some(&v.formatted_name));
    let n = &v.name_components;
    prop_assert_eq!(
        out.name_components.clone(),
        Some(vcard::NameComponents {
            family: n.family.clone(),
            given_name: n.given_name.clone(),
            middle_name: n.middle_name.clone(),
            prefix: n.prefix.clone(),
            suffix: n.suffix.clone(),
        })
    );
    prop_assert_eq!(out.nickname.clone(), v.nickname.clone());
    prop_assert_eq!(out.note.clone(), items(&v.note));
    prop_assert_eq!(
        out.email.clone(),
        v.email.as_ref().map(|l| l
            .iter()
            .map(|e| Some(vcard::Email {
                tags: None,
                user_id: Some(e.user_id.clone())
            }))
            .collect::<Vec<_>>())
    );
    prop_assert_eq!(
        out.label.clone(),
        v.label.as_ref().map(|l| l
            .iter()
            .map(|e| Some(vcard::Label {
                tags: None,
                line: items(&Some(e.line.clone()))
            }))
            .collect::<Vec<_>>())
    );
    prop_assert_eq!(
        out.org.clone(),
        v.org.as_ref().map(|l| l
            .iter()
            .map(|o| Some(vcard::Organization {
                orgname: Some(o.orgname.clone()),
                orgunit: items(&o.orgunit)
            }))
            .collect::<Vec<_>>())
    );
    prop_assert_eq!(
        out.key.clone(),
        v.key.as_ref().map(|l| l
            .iter()
            .map(|k| Some(vcard::Key {
                type_: k.type_.clone(),
                credential: Some(k.credential.clone())
            }))
            .collect::<Vec<_>>())
    );
    prop_assert_eq!(
        out.geo.clone(),
        v.geo.as_ref().map(|l| l
            .iter()
            .map(|g| Some(vcard::GeographicalPosition {
                lat: Some(g.lat.clone()),
                lon: Some(g.lon.clone())
            }))
            .collect::<Vec<_>>())
    );
    Ok(())
}

#[test]
fn vcard_fields_round_trip() {
    let s = server();
    let alice = s.new_user("alice");
    runner(16)
        .run(&vcard_input(), |v| {
            let resp = set_vcard(s, &alice, v.clone());
            prop_assert_eq!(resp.code(), None, "{:?}", resp.errors);
            let set = resp.data.unwrap().vcard.unwrap().set_vcard.unwrap();
            check_vcard(&v, &set)?;
            check_vcard(&v, &get_vcard(s, &alice).unwrap())?;
            Ok(())
        })
        .unwrap();

    set_vcard(s, &alice, minimal_vcard("kept"))
        .into_data()
        .unwrap();
    let before = get_vcard(s, &alice);
    let cases = (vcard_input(), invalid(), 0..4usize);
    runner(16)
        .run(&cases, |(mut v, bad, field)| {
            match field {
                0 => v.formatted_name = bad,
                1 => v.name_components.suffix = Some(bad),
                2 => v.note = Some(vec!["ok".into(), bad]),
                _ => {
                    v.org = Some(vec![vcard::OrganizationInput {
                        orgname: "ok".into(),
                        orgunit: Some(vec![bad]),
                    }])
                }
            }
            let resp = set_vcard(s, &alice, v);
            prop_assert_eq!(resp.status, 200);
            prop_assert_eq!(resp.code(), Some("invalid_character"));
            prop_assert_eq!(get_vcard(s, &alice), before.clone());
            Ok(())
        })
        .unwrap();
}

// ---- private storage ----

#[test]
fn private_elements_round_trip() {
    let s = server();
    let alice = s.new_user("alice");
    let values = (
        prop_oneof![4 => string_of(0..24), 1 => string_of(3000..4000)],
        valid(0),
        valid(0),
    );
    runner(24)
        .run(&values, |(ns_tail, attr, text)| {
            let ns = format!("urn:t:{ns_tail}");
            let input = format!(
                "<el xmlns='{}' a='{}'>{}</el>",
                char_refs(&ns),
                char_refs(&attr),
                char_refs(&text)
            );
            let resp = set_private(s, &alice, &input);
            prop_assert_eq!(resp.code(), None, "{:?}", resp.errors);
            let set = resp.data.unwrap().private.unwrap().set_private.unwrap().0;
            let got = stored(s, &alice, &ns);
            prop_assert_eq!(&set, &got);
            let doc = roxmltree::Document::parse(&got).unwrap();
            let el = doc.root_element();
            prop_assert_eq!(el.tag_name().namespace(), Some(ns.as_str()));
            prop_assert_eq!(el.attribute("a"), Some(attr.as_str()));
            prop_assert_eq!(el.text().unwrap_or_default(), text.as_str());
            Ok(())
        })
        .unwrap();

    let kept = "<el xmlns='urn:kept'>kept</el>";
    set_private(s, &alice, kept).into_data().unwrap();
    runner(24)
        .run(&(invalid(), 0..3usize), |(bad, how)| {
            let input = match how {
                0 => format!("<el xmlns='urn:kept'>{bad}</el>"),
                1 => format!("<el xmlns='urn:kept' a='{}'/>", char_refs(&bad)),
                _ => {
                    let resp = get_private(s, &alice, "el", &format!("urn:kept{bad}"));
                    prop_assert_eq!(resp.status, 200);
                    prop_assert_eq!(resp.code(), Some("invalid_character"));
                    return Ok(());
                }
            };
            let resp = set_private(s, &alice, &input);
            prop_assert_eq!((resp.status, resp.code()), (400, Some("input_coercion")));
            prop_assert_eq!(stored(s, &alice, "urn:kept"), kept);
            Ok(())
        })
        .unwrap();
}

// ---- last activity ----

#[test]
fn last_status_round_trips() {
    let s = server();
    let alice = s.new_user("alice");
    let c = s.client(&alice);
    // Any second of years 0001 to 9999.
    let seconds = -62_135_596_800i64..=253_402_300_799;
    runner(24)
        .run(&(seconds, valid(0)), |(secs, status)| {
            let t = chrono::DateTime::from_timestamp(secs, 0).unwrap();
            let sent = t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
            let expected = t.format("%Y-%m-%dT%H:%M:%S.000000Z").to_string();
            let resp = c.run(last::set_last(Some(&sent), &status)).unwrap();
            prop_assert_eq!(resp.code(), None, "{:?}", resp.errors);
            let set = resp.data.unwrap().last.unwrap().set_last.unwrap();
            let got = c
                .run(last::get_last(None))
                .unwrap()
                .into_data()
                .unwrap()
                .last
                .unwrap()
                .get_last
                .unwrap();
            prop_assert_eq!(&set, &got);
            prop_assert_eq!(&got.status, &status);
            prop_assert_eq!(&got.timestamp.0, &expected);
            Ok(())
        })
        .unwrap();

    let current = || {
        c.run(last::get_last(None))
            .unwrap()
            .into_data()
            .unwrap()
            .last
            .and_then(|l| l.get_last)
    };
    let before = current();
    runner(24)
        .run(&invalid(), |bad| {
            let resp = c.run(last::set_last(None, &bad)).unwrap();
            prop_assert_eq!(resp.status, 200);
            prop_assert_eq!(resp.code(), Some("invalid_character"));
            prop_assert_eq!(current(), before.clone());
            Ok(())
        })
        .unwrap();
}
