//! The admin API's `vcard` category: the admin sets and reads any user's vCard; the user (and
//! others) see it through the user API.

mod common;

use common::{refused, server, server_without_modules};
use mimql_client::admin::vcard::{self, *};
use serde_json::json;

fn s(v: &str) -> String {
    v.to_string()
}

fn card() -> VcardInput {
    VcardInput {
        formatted_name: s("Alice Liddell"),
        name_components: NameComponentsInput {
            family: Some(s("Liddell")),
            given_name: Some(s("Alice")),
            ..Default::default()
        },
        nickname: Some(vec![Some(s("ali"))]),
        address: Some(vec![AddressInput {
            tags: Some(vec![AddressTags::Home, AddressTags::Work]),
            pobox: Some(s("TESTPobox")),
            street: Some(s("TESTStreet")),
            country: Some(s("TESTCTRY")),
            ..Default::default()
        }]),
        email: Some(vec![EmailInput {
            tags: Some(vec![EmailTags::Work]),
            user_id: s("alice@example.com"),
        }]),
        ..Default::default()
    }
}

#[test]
fn the_admin_sets_a_card_the_user_reads_it() {
    let srv = server();
    let (alice, bob) = (srv.new_user("alice"), srv.new_user("bob"));
    let set = common::ok(
        srv.admin()
            .run(vcard::set_vcard(&alice.jid, card()))
            .unwrap(),
    )
    .vcard
    .unwrap()
    .set_vcard
    .unwrap();
    assert_eq!(set.formatted_name.as_deref(), Some("Alice Liddell"));
    let name = set.name_components.as_ref().unwrap();
    assert_eq!(name.family.as_deref(), Some("Liddell"));
    assert_eq!(name.given_name.as_deref(), Some("Alice"));
    let addr = set.address.as_ref().unwrap()[0].as_ref().unwrap();
    assert_eq!(addr.street.as_deref(), Some("TESTStreet"));
    assert_eq!(
        addr.tags,
        Some(vec![Some(AddressTags::Home), Some(AddressTags::Work)])
    );

    let got = common::ok(srv.admin().run(vcard::get_vcard(&alice.jid)).unwrap())
        .vcard
        .unwrap()
        .get_vcard
        .unwrap();
    assert_eq!(got, set);

    // The same card through the user API, as its owner and as another user.
    let doc = json!({"query": "{ vcard { getVcard { formattedName nameComponents { family givenName } nickname address { pobox street country tags } email { userId tags } } } }"});
    let (status, own) = srv.post(&srv.client(&alice), doc);
    assert_eq!(status, 200);
    assert_eq!(
        own["data"]["vcard"]["getVcard"],
        json!({
            "formattedName": "Alice Liddell",
            "nameComponents": {"family": "Liddell", "givenName": "Alice"},
            "nickname": ["ali"],
            "address": [{"pobox": "TESTPobox", "street": "TESTStreet", "country": "TESTCTRY",
                         "tags": ["HOME", "WORK"]}],
            "email": [{"userId": "alice@example.com", "tags": ["WORK"]}]
        })
    );
    let other = srv
        .client(&bob)
        .run(mimql_client::user::vcard::get_vcard(Some(&alice.jid)))
        .unwrap();
    let other = common::ok(other).vcard.unwrap().get_vcard.unwrap();
    assert_eq!(other.formatted_name.as_deref(), Some("Alice Liddell"));

    // Setting again replaces the whole card.
    let only_name = VcardInput {
        formatted_name: s("A. L."),
        ..Default::default()
    };
    let set = common::ok(
        srv.admin()
            .run(vcard::set_vcard(&alice.jid, only_name))
            .unwrap(),
    )
    .vcard
    .unwrap()
    .set_vcard
    .unwrap();
    assert_eq!(set.formatted_name.as_deref(), Some("A. L."));
    assert_eq!(set.address, None);
    let (_, own) = srv.post(
        &srv.client(&alice),
        json!({"query": "{ vcard { getVcard { formattedName address { street } } } }"}),
    );
    assert_eq!(
        own["data"]["vcard"]["getVcard"],
        json!({"formattedName": "A. L.", "address": null})
    );
}

#[test]
fn missing_cards_users_and_domains() {
    let srv = server();
    let admin = srv.admin();
    let alice = srv.new_user("alice");
    let ext = refused(
        admin.run(vcard::get_vcard(&alice.jid)).unwrap(),
        "vcard_not_found",
        "Vcard for user not found",
    );
    assert_eq!(ext["user"], alice.jid.as_str());
    let ghost = format!("{}@localhost", common::unique("eddie"));
    refused(
        admin.run(vcard::get_vcard(&ghost)).unwrap(),
        "user_not_found",
        "Given user does not exist",
    );
    refused(
        admin.run(vcard::set_vcard(&ghost, card())).unwrap(),
        "user_not_found",
        "Given user does not exist",
    );
    let ext = refused(
        admin.run(vcard::get_vcard("eddie@otherhost")).unwrap(),
        "user_not_found",
        "User's domain does not exist",
    );
    assert_eq!(ext["user"], "eddie@otherhost");
    refused(
        admin
            .run(vcard::set_vcard("eddie@otherhost", card()))
            .unwrap(),
        "user_not_found",
        "User's domain does not exist",
    );
    // A field XML cannot carry.
    let bad = VcardInput {
        formatted_name: s("nul\u{0}"),
        ..Default::default()
    };
    let resp = admin.run(vcard::set_vcard(&alice.jid, bad)).unwrap();
    assert_eq!(resp.code(), Some("invalid_character"));
    assert_eq!(resp.errors[0].extensions["user"], alice.jid.as_str());
    refused(
        admin.run(vcard::get_vcard(&alice.jid)).unwrap(),
        "vcard_not_found",
        "Vcard for user not found",
    );
}

#[test]
fn vcard_without_its_module() {
    let srv = server_without_modules();
    let alice = srv.new_user("alice");
    for resp in [
        srv.admin()
            .run(vcard::get_vcard(&alice.jid))
            .unwrap()
            .errors,
        srv.admin()
            .run(vcard::set_vcard(&alice.jid, card()))
            .unwrap()
            .errors,
    ] {
        assert_eq!(resp.len(), 1);
        assert_eq!(resp[0].code.as_deref(), Some("deps_not_loaded"));
        assert_eq!(
            resp[0].extensions["not_loaded_modules"],
            json!(["mod_vcard"])
        );
    }
}

#[test]
fn vcard_fields_need_the_admin() {
    let srv = server();
    let alice = srv.new_user("alice");
    let resp = mimql_client::Client::new(&srv.admin_url)
        .run(vcard::get_vcard(&alice.jid))
        .unwrap();
    assert_eq!(resp.status, 401);
    assert_eq!(resp.code(), Some("no_permissions"));
}
