//! The `private` category (spec: semantics-core 4.11).

mod common;

use common::{server, server_without_modules};
use mimql_client::user::private;
use serde_json::json;

fn get(
    c: &mimql_client::Client,
    element: &str,
    ns: &str,
) -> mimql_client::Response<private::GetPrivate> {
    c.run(private::get_private(element, ns)).unwrap()
}

fn value(r: mimql_client::Response<private::GetPrivate>) -> String {
    r.into_data()
        .unwrap()
        .private
        .unwrap()
        .get_private
        .unwrap()
        .0
}

#[test]
fn set_then_get_by_namespace() {
    let s = server();
    let alice = s.new_user("alice");
    let c = s.client(&alice);
    let resp = c
        .run(private::set_private(
            "<my_element xmlns=\"alice:private:ns\">DATA</my_element>",
        ))
        .unwrap();
    assert_eq!(
        resp.into_data()
            .unwrap()
            .private
            .unwrap()
            .set_private
            .unwrap()
            .0,
        "<my_element xmlns='alice:private:ns'>DATA</my_element>"
    );
    assert_eq!(
        value(get(&c, "my_element", "alice:private:ns")),
        "<my_element xmlns='alice:private:ns'>DATA</my_element>"
    );
    // The element name is not part of the key.
    assert_eq!(
        value(get(&c, "other", "alice:private:ns")),
        "<my_element xmlns='alice:private:ns'>DATA</my_element>"
    );

    c.run(private::set_private(
        "<replaced xmlns='alice:private:ns'><a b='c'/></replaced>",
    ))
    .unwrap();
    assert_eq!(
        value(get(&c, "x", "alice:private:ns")),
        "<replaced xmlns='alice:private:ns'><a b='c'/></replaced>"
    );
}

#[test]
fn nothing_stored_gives_the_empty_element() {
    let s = server();
    let alice = s.new_user("alice");
    assert_eq!(
        value(get(&s.client(&alice), "my_element", "alice:private:ns")),
        "<my_element xmlns='alice:private:ns'/>"
    );
    let resp = get(&s.client(&alice), "", "alice:private:ns");
    assert_eq!(resp.code(), Some("invalid_element"));
}

#[test]
fn storage_is_per_user() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    s.client(&alice)
        .run(private::set_private("<n xmlns='shared:ns'>alice's</n>"))
        .unwrap();
    assert_eq!(
        value(get(&s.client(&bob), "n", "shared:ns")),
        "<n xmlns='shared:ns'/>"
    );
}

/// Ruling 4: the reference reports success without storing an element that has no namespace.
#[test]
fn elements_without_namespace_or_with_a_reserved_one_are_refused() {
    let s = server();
    let alice = s.new_user("alice");
    let c = s.client(&alice);
    let resp = c.run(private::set_private("<plain>x</plain>")).unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.code(), Some("missing_namespace"));
    assert_eq!(resp.errors[0].extensions["element"], "<plain>x</plain>");
    assert_eq!(resp.errors[0].extensions["user"], alice.jid);
    for ns in [
        "jabber:iq:roster",
        "http://jabber.org/protocol/disco#info",
        "vcard-temp",
    ] {
        let resp = c
            .run(private::set_private(&format!("<q xmlns='{ns}'/>")))
            .unwrap();
        assert_eq!(resp.code(), Some("reserved_namespace"), "{ns}");
    }
}

#[test]
fn bad_xml_and_empty_namespaces_are_400() {
    let s = server();
    let alice = s.new_user("alice");
    let c = s.client(&alice);
    let resp = c.run(private::set_private("AAAABBBB")).unwrap();
    assert_eq!(resp.status, 400);
    assert_eq!(resp.code(), Some("input_coercion"));
    assert_eq!(
        resp.message(),
        Some(
            "Input coercion failed for type XmlElement with value \"AAAABBBB\". The reason it failed is: \"expected <\""
        )
    );
    let resp = get(&c, "my_element", "");
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.message(),
        Some(
            "Input coercion failed for type NonEmptyString with value \"\". The reason it failed is: \"Given string is empty\""
        )
    );
}

#[test]
fn private_without_its_module() {
    let s = server_without_modules();
    let alice = s.new_user("alice");
    let c = s.client(&alice);
    let set = c.run(private::set_private("<a xmlns='x'/>")).unwrap();
    let get = get(&c, "a", "x");
    for (code, errors) in [(set.code(), &set.errors), (get.code(), &get.errors)] {
        assert_eq!(code, Some("deps_not_loaded"));
        assert_eq!(
            errors[0].extensions["not_loaded_modules"],
            json!(["mod_private"])
        );
    }
}

#[test]
fn invalid_element_names_carry_the_context() {
    let s = server();
    let alice = s.new_user("alice");
    let resp = get(&s.client(&alice), "a:b", "ns:x");
    assert_eq!(resp.code(), Some("invalid_element"));
    assert_eq!(resp.errors[0].extensions["user"], alice.jid);
    assert_eq!(resp.errors[0].extensions["element"], "a:b");
    assert_eq!(resp.errors[0].extensions["subElement"], "ns:x");
}
