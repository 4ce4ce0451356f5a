//! The admin API's `private` category: the admin writes and reads any user's private XML
//! storage; the user reads the same through the user API.

mod common;

use common::{refused, server, server_without_modules};
use mimql_client::admin::private;
use serde_json::json;

fn admin_get(s: &common::TestServer, user: &str, element: &str, ns: &str) -> String {
    common::ok(
        s.admin()
            .run(private::get_private(user, element, ns))
            .unwrap(),
    )
    .private
    .unwrap()
    .get_private
    .unwrap()
    .0
}

fn user_get(s: &common::TestServer, user: &common::User, element: &str, ns: &str) -> String {
    common::ok(
        s.client(user)
            .run(mimql_client::user::private::get_private(element, ns))
            .unwrap(),
    )
    .private
    .unwrap()
    .get_private
    .unwrap()
    .0
}

const STORED: &str = "<my_element xmlns='alice:private:ns'>DATA</my_element>";

#[test]
fn the_admin_sets_and_reads_the_users_storage() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let set = common::ok(
        s.admin()
            .run(private::set_private(
                &alice.jid,
                "<my_element xmlns=\"alice:private:ns\">DATA</my_element>",
            ))
            .unwrap(),
    )
    .private
    .unwrap()
    .set_private
    .unwrap();
    assert_eq!(set.0, STORED);
    assert_eq!(
        admin_get(s, &alice.jid, "my_element", "alice:private:ns"),
        STORED
    );
    assert_eq!(
        user_get(s, &alice, "my_element", "alice:private:ns"),
        STORED
    );
    // Only Alice's.
    assert_eq!(
        admin_get(s, &bob.jid, "my_element", "alice:private:ns"),
        "<my_element xmlns='alice:private:ns'/>"
    );

    // What the user stores, the admin reads.
    s.client(&bob)
        .run(mimql_client::user::private::set_private(
            "<prefs xmlns='bob:ns'><a b='c'/></prefs>",
        ))
        .unwrap();
    assert_eq!(
        admin_get(s, &bob.jid, "prefs", "bob:ns"),
        "<prefs xmlns='bob:ns'><a b='c'/></prefs>"
    );
}

#[test]
fn private_errors() {
    let s = server();
    let admin = s.admin();
    let alice = s.new_user("alice");
    // No such user, or a domain not served.
    for user in [
        format!("{}@localhost", common::unique("eddie")),
        "eddie@otherhost".to_string(),
    ] {
        let ext = refused(
            admin
                .run(private::set_private(&user, "<a xmlns='x'/>"))
                .unwrap(),
            "not_found",
            &format!("User {user} does not exist"),
        );
        assert_eq!(ext["user"], user.as_str());
        let ext = refused(
            admin.run(private::get_private(&user, "a", "x")).unwrap(),
            "not_found",
            &format!("User {user} does not exist"),
        );
        assert_eq!(ext["subElement"], "x");
    }
    refused(
        admin.run(private::set_private(&alice.jid, "<a/>")).unwrap(),
        "missing_namespace",
        "The element has no xmlns attribute; private storage is keyed by namespace",
    );
    refused(
        admin
            .run(private::set_private(
                &alice.jid,
                "<q xmlns='jabber:iq:roster'/>",
            ))
            .unwrap(),
        "reserved_namespace",
        "The namespace jabber:iq:roster is reserved and cannot be used for private storage",
    );
    let ext = refused(
        admin
            .run(private::get_private(&alice.jid, "a:b", "ns:x"))
            .unwrap(),
        "invalid_element",
        "\"a:b\" is not a valid XML element name",
    );
    assert_eq!(ext["user"], alice.jid.as_str());
    assert_eq!(ext["element"], "a:b");
    // An empty namespace is refused before execution.
    let resp = admin.run(private::get_private(&alice.jid, "", "")).unwrap();
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
    let set = s
        .admin()
        .run(private::set_private(&alice.jid, "<a xmlns='x'/>"))
        .unwrap();
    let get = s
        .admin()
        .run(private::get_private(&alice.jid, "a", "x"))
        .unwrap();
    for errors in [&set.errors, &get.errors] {
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code.as_deref(), Some("deps_not_loaded"));
        assert_eq!(
            errors[0].extensions["not_loaded_modules"],
            json!(["mod_private"])
        );
    }
}
