//! The `vcard` category (spec: semantics-rooms-roster-vcard 2).

mod common;

use common::{server, server_without_modules};
use mimql_client::user::vcard::{self, *};
use serde_json::{Value, json};

fn s(v: &str) -> String {
    v.to_string()
}

fn nested() -> VcardInput {
    VcardInput {
        formatted_name: s("Agent Smith"),
        name_components: NameComponentsInput {
            family: Some(s("Smith")),
            ..Default::default()
        },
        email: Some(vec![EmailInput {
            tags: Some(vec![EmailTags::Work]),
            user_id: s("smith@example.com"),
        }]),
        ..Default::default()
    }
}

/// Every field, two entries per list, each union entry with one alternative.
fn full() -> VcardInput {
    VcardInput {
        formatted_name: s("Alice Liddell"),
        name_components: NameComponentsInput {
            family: Some(s("Liddell")),
            given_name: Some(s("Alice")),
            middle_name: Some(s("Pleasance")),
            prefix: Some(s("Ms")),
            suffix: Some(s("Jr")),
        },
        nickname: Some(vec![Some(s("ali")), Some(s("liddy"))]),
        photo: Some(vec![
            ImageInput {
                type_: Some(s("image/png")),
                bin_value: Some(s("iVBORw0KGgo=")),
                ext_value: None,
            },
            ImageInput {
                ext_value: Some(s("http://example.com/a.png")),
                ..Default::default()
            },
        ]),
        birthday: Some(vec![s("1852-05-04"), s("1852-05-05")]),
        address: Some(vec![
            AddressInput {
                tags: Some(vec![AddressTags::Home, AddressTags::Pref]),
                pobox: Some(s("1")),
                extadd: Some(s("flat 2")),
                street: Some(s("Christ Church")),
                locality: Some(s("Oxford")),
                region: Some(s("Oxfordshire")),
                pcode: Some(s("OX1")),
                country: Some(s("UK")),
            },
            AddressInput {
                tags: Some(vec![AddressTags::Work]),
                street: Some(s("Rabbit Hole 1")),
                ..Default::default()
            },
        ]),
        label: Some(vec![
            LabelInput {
                tags: Some(vec![AddressTags::Postal]),
                line: vec![s("line 1"), s("line 2")],
            },
            LabelInput {
                tags: None,
                line: vec![s("only line")],
            },
        ]),
        telephone: Some(vec![
            TelephoneInput {
                tags: Some(vec![TelephoneTags::Home, TelephoneTags::Voice]),
                number: s("+44 1"),
            },
            TelephoneInput {
                tags: Some(vec![TelephoneTags::Cell]),
                number: s("+44 2"),
            },
        ]),
        email: Some(vec![
            EmailInput {
                tags: Some(vec![EmailTags::Internet, EmailTags::Pref]),
                user_id: s("alice@example.com"),
            },
            EmailInput {
                tags: Some(vec![EmailTags::X400]),
                user_id: s("alice@x400"),
            },
        ]),
        jabber_id: Some(vec![s("alice@localhost"), s("alice@example.com")]),
        mailer: Some(vec![s("mutt"), s("pine")]),
        time_zone: Some(vec![s("GMT"), s("BST")]),
        geo: Some(vec![
            GeographicalPositionInput {
                lat: s("51.75"),
                lon: s("-1.25"),
            },
            GeographicalPositionInput {
                lat: s("0"),
                lon: s("0"),
            },
        ]),
        title: Some(vec![s("Muse"), s("Girl")]),
        role: Some(vec![s("Protagonist"), s("Dreamer")]),
        logo: Some(vec![
            ImageInput {
                type_: Some(s("image/gif")),
                bin_value: Some(s("R0lGOD==")),
                ext_value: None,
            },
            ImageInput {
                ext_value: Some(s("http://example.com/logo")),
                ..Default::default()
            },
        ]),
        agent: Some(vec![
            AgentInput {
                vcard: Some(Box::new(nested())),
                ext_value: None,
            },
            AgentInput {
                ext_value: Some(s("http://example.com/agent.vcf")),
                vcard: None,
            },
        ]),
        org: Some(vec![
            OrganizationInput {
                orgname: s("Wonderland"),
                orgunit: Some(vec![s("Tea"), s("Croquet")]),
            },
            OrganizationInput {
                orgname: s("Looking Glass"),
                orgunit: None,
            },
        ]),
        categories: Some(vec![
            KeywordInput {
                keyword: Some(vec![s("fiction"), s("classic")]),
            },
            KeywordInput {
                keyword: Some(vec![s("victorian")]),
            },
        ]),
        note: Some(vec![s("curiouser"), s("and curiouser")]),
        prod_id: Some(vec![s("mimql"), s("tests")]),
        rev: Some(vec![s("2022-04-17T12:58:30Z"), s("2022-04-18T12:58:30Z")]),
        sort_string: Some(vec![s("Liddell"), s("Alice")]),
        sound: Some(vec![
            SoundInput {
                phonetic: Some(s("AL-iss")),
                ..Default::default()
            },
            SoundInput {
                bin_value: Some(s("UklGRg==")),
                ..Default::default()
            },
        ]),
        uid: Some(vec![s("uid-1"), s("uid-2")]),
        url: Some(vec![
            s("http://example.com/alice"),
            s("http://example.com/liddell"),
        ]),
        desc: Some(vec![s("Fell down"), s("a rabbit hole")]),
        class: Some(vec![
            PrivacyInput {
                tags: Some(vec![PrivacyClassificationTags::Public]),
            },
            PrivacyInput {
                tags: Some(vec![
                    PrivacyClassificationTags::Confidential,
                    PrivacyClassificationTags::Private,
                ]),
            },
        ]),
        key: Some(vec![
            KeyInput {
                type_: Some(s("PGP")),
                credential: s("ABCDEF"),
            },
            KeyInput {
                type_: None,
                credential: s("123456"),
            },
        ]),
    }
}

/// Drops nulls, so that an input and what is read back compare field by field.
fn without_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

const SELECTION: &str = "formattedName nameComponents { family givenName middleName prefix suffix } nickname \
    photo { ... on ImageData { type binValue } ... on External { extValue } } birthday \
    address { tags pobox extadd street locality region pcode country } label { tags line } \
    telephone { tags number } email { tags userId } jabberId mailer timeZone geo { lat lon } title role \
    logo { ... on ImageData { type binValue } ... on External { extValue } } \
    agent { ... on AgentVcard { vcard { formattedName nameComponents { family } email { tags userId } } } ... on External { extValue } } \
    org { orgname orgunit } categories { keyword } note prodId rev sortString \
    sound { ... on Phonetic { phonetic } ... on BinValue { binValue } ... on External { extValue } } \
    uid url desc class { tags } key { type credential }";

#[test]
fn a_full_vcard_reads_back_field_by_field() {
    let srv = server();
    let alice = srv.new_user("alice");
    let c = srv.client(&alice);
    let input = full();
    let expected = without_nulls(serde_json::to_value(&input).unwrap());

    // The typed client decodes what setVcard answers...
    let resp = c.run(vcard::set_vcard(input.clone())).unwrap();
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    let typed = resp.data.unwrap().vcard.unwrap().set_vcard.unwrap();
    assert_eq!(typed.formatted_name.as_deref(), Some("Alice Liddell"));
    assert!(
        matches!(&typed.photo.as_ref().unwrap()[0], Some(Image::ImageData(d)) if d.type_.as_deref() == Some("image/png"))
    );
    assert!(matches!(
        &typed.agent.as_ref().unwrap()[0],
        Some(Agent::AgentVcard(_))
    ));
    assert_eq!(
        c.run(vcard::get_vcard(None))
            .unwrap()
            .into_data()
            .unwrap()
            .vcard
            .unwrap()
            .get_vcard
            .unwrap(),
        typed
    );

    // ...and every field equals the input, from setVcard and from getVcard.
    let (_, set) = srv.post(&c, json!({
        "query": format!("mutation($v: VcardInput!) {{ vcard {{ setVcard(vcard: $v) {{ {SELECTION} }} }} }}"),
        "variables": {"v": serde_json::to_value(&input).unwrap()},
    }));
    assert_eq!(
        without_nulls(set["data"]["vcard"]["setVcard"].clone()),
        expected
    );
    let (_, got) = srv.post(
        &c,
        json!({"query": format!("{{ vcard {{ getVcard {{ {SELECTION} }} }} }}")}),
    );
    assert_eq!(
        without_nulls(got["data"]["vcard"]["getVcard"].clone()),
        expected
    );

    // Another user reads the same card.
    let bob = srv.new_user("bob");
    let (_, other) = srv.post(&srv.client(&bob), json!({
        "query": format!("query($u: JID) {{ vcard {{ getVcard(user: $u) {{ {SELECTION} }} }} }}"),
        "variables": {"u": format!("{}/anyres", alice.jid)},
    }));
    assert_eq!(
        without_nulls(other["data"]["vcard"]["getVcard"].clone()),
        expected
    );
}

#[test]
fn setting_again_replaces_the_whole_card() {
    let srv = server();
    let alice = srv.new_user("alice");
    let c = srv.client(&alice);
    c.run(vcard::set_vcard(full())).unwrap();
    let small = VcardInput {
        formatted_name: s(""),
        name_components: NameComponentsInput::default(),
        nickname: Some(vec![Some(s("x"))]),
        ..Default::default()
    };
    let card = c
        .run(vcard::set_vcard(small))
        .unwrap()
        .into_data()
        .unwrap()
        .vcard
        .unwrap()
        .set_vcard
        .unwrap();
    assert_eq!(
        card.formatted_name, None,
        "an empty formatted name reads back as absent"
    );
    assert_eq!(
        card.name_components,
        Some(NameComponents {
            family: None,
            given_name: None,
            middle_name: None,
            prefix: None,
            suffix: None
        })
    );
    assert_eq!(card.nickname, Some(vec![Some(s("x"))]));
    assert_eq!(card.photo, None);
    assert_eq!(card.key, None);
}

#[test]
fn missing_cards_users_and_domains() {
    let srv = server();
    let alice = srv.new_user("alice");
    let c = srv.client(&alice);
    let resp = c.run(vcard::get_vcard(None)).unwrap();
    assert_eq!(resp.code(), Some("vcard_not_found"));
    assert_eq!(resp.message(), Some("Vcard for user not found"));
    assert_eq!(resp.errors[0].extensions["user"], alice.jid);

    let bob = srv.new_user("bob");
    let resp = c.run(vcard::get_vcard(Some(&bob.jid))).unwrap();
    assert_eq!(resp.code(), Some("vcard_not_found"));
    assert_eq!(resp.errors[0].extensions["user"], bob.jid);

    let resp = c
        .run(vcard::get_vcard(Some("eddie_q@localhost/res")))
        .unwrap();
    assert_eq!(resp.code(), Some("user_not_found"));
    assert_eq!(resp.message(), Some("Given user does not exist"));
    assert_eq!(resp.errors[0].extensions["user"], "eddie_q@localhost/res");
    let resp = c.run(vcard::get_vcard(Some("eddie@otherhost"))).unwrap();
    assert_eq!(resp.code(), Some("user_not_found"));
    assert_eq!(resp.message(), Some("User's domain does not exist"));
    assert_eq!(resp.errors[0].extensions["user"], "eddie@otherhost");
}

#[test]
fn vcard_without_its_module() {
    let srv = server_without_modules();
    let alice = srv.new_user("alice");
    let c = srv.client(&alice);
    let resp = c.run(vcard::get_vcard(None)).unwrap();
    assert_eq!(resp.code(), Some("vcard_not_configured_error"));
    assert_eq!(
        resp.message(),
        Some("Mod_vcard is not loaded for this host")
    );
    let resp = c.run(vcard::get_vcard(Some(&alice.jid))).unwrap();
    assert_eq!(resp.code(), Some("deps_not_loaded"));
    let resp = c.run(vcard::set_vcard(nested())).unwrap();
    assert_eq!(resp.code(), Some("deps_not_loaded"));
    assert_eq!(
        resp.errors[0].extensions["not_loaded_modules"],
        json!(["mod_vcard"])
    );
}

#[test]
fn required_input_fields_are_validated() {
    let srv = server();
    let alice = srv.new_user("alice");
    let (status, body) = srv.post(&srv.client(&alice), json!({"query": "mutation { vcard { setVcard(vcard: {formattedName: \"x\"}) { formattedName } } }"}));
    assert_eq!(status, 400, "{body}");
}
