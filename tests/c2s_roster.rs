//! The user's data over XMPP, shared with GraphQL: the roster (RFC 6121 §2) with pushes and
//! versioning (XEP-0237), vcard-temp (XEP-0054) and private XML storage (XEP-0049), through a
//! real XMPP client over TLS (`tests/xmpp`) and the typed GraphQL client, each read back
//! through the other API.

mod common;
mod xmpp;

use common::{TestServer, User, contact, contacts, ok, server, server_with};
use mimql_client::user::roster::{self as groster, ContactAsk, ContactSub, SubAction};
use mimql_client::user::vcard::{self as gvcard, *};
use tokio_xmpp::minidom::Element as Xml;
use xmpp::{CLIENT, Endpoint, Xmpp};

const ROSTER: &str = "jabber:iq:roster";
const VCARD: &str = "vcard-temp";
const PRIVATE: &str = "jabber:iq:private";
const STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";
const DISCO_INFO: &str = "http://jabber.org/protocol/disco#info";

async fn connect(s: &TestServer, u: &User, resource: &str) -> Xmpp {
    let at = Endpoint::new(s.c2s_addr.expect("c2s enabled"), &s.c2s_cert);
    xmpp::login(&at, &u.jid, &u.password, resource).await
}

fn bare(u: &User) -> &str {
    &u.jid
}

fn is_push(el: &Xml) -> bool {
    el.is("iq", CLIENT) && el.attr("type") == Some("set") && el.get_child("query", ROSTER).is_some()
}

/// Sends an iq with id `id`; answers its result or error, and the roster pushes that came
/// meanwhile (answered, as a client does).
async fn answer(c: &mut Xmpp, id: &str, iq: &str) -> (Xml, Vec<Xml>) {
    c.answer(id, iq, is_push).await
}

/// The next roster push.
async fn push(c: &mut Xmpp) -> Xml {
    c.push(is_push).await
}

/// The pushed item and the push's version.
fn pushed(push: &Xml) -> (&Xml, String) {
    let q = push.get_child("query", ROSTER).unwrap();
    let items: Vec<&Xml> = q.children().collect();
    assert_eq!(items.len(), 1, "{}", String::from(push));
    (items[0], q.attr("ver").expect("a version").to_string())
}

fn groups(item: &Xml) -> Vec<String> {
    item.children()
        .filter(|g| g.is("group", ROSTER))
        .map(|g| g.text())
        .collect()
}

/// The error condition of an iq error.
fn condition(el: &Xml) -> (String, String) {
    assert_eq!(el.attr("type"), Some("error"), "{}", String::from(el));
    let error = el.get_child("error", CLIENT).expect("an error");
    let cond = error
        .children()
        .find(|c| c.ns() == STANZAS)
        .expect("a defined condition");
    (
        error.attr("type").unwrap_or_default().to_string(),
        cond.name().to_string(),
    )
}

async fn roster_get(c: &mut Xmpp, id: &str, ver: Option<&str>) -> (Xml, Vec<Xml>) {
    let ver = ver.map(|v| format!(" ver='{v}'")).unwrap_or_default();
    answer(
        c,
        id,
        &format!("<iq xmlns='{CLIENT}' type='get' id='{id}'><query xmlns='{ROSTER}'{ver}/></iq>"),
    )
    .await
}

async fn roster_set(c: &mut Xmpp, id: &str, item: &str) -> (Xml, Vec<Xml>) {
    answer(
        c,
        id,
        &format!(
            "<iq xmlns='{CLIENT}' type='set' id='{id}'><query xmlns='{ROSTER}'>{item}</query></iq>"
        ),
    )
    .await
}

fn items(result: &Xml) -> Vec<&Xml> {
    result
        .get_child("query", ROSTER)
        .map(|q| q.children().collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_set_and_remove_over_xmpp_are_graphql_contacts_and_pushed() {
    let s = server();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let mut c = connect(s, &alice, "phone").await;
    let (r, _) = roster_get(&mut c, "g1", None).await;
    assert_eq!(r.attr("type"), Some("result"));
    assert!(items(&r).is_empty(), "{}", String::from(&r));

    let (r, mut pushes) = roster_set(
        &mut c,
        "s1",
        &format!(
            "<item jid='{}' name='Bobby'><group>Friends</group><group>Work</group></item>",
            bare(&bob)
        ),
    )
    .await;
    assert_eq!(r.attr("type"), Some("result"), "{}", String::from(&r));
    if pushes.is_empty() {
        pushes.push(push(&mut c).await);
    }
    let (item, _) = pushed(&pushes[0]);
    assert_eq!(item.attr("jid"), Some(bare(&bob)));
    assert_eq!(item.attr("name"), Some("Bobby"));
    assert_eq!(item.attr("subscription"), Some("none"));
    assert_eq!(groups(item), ["Friends", "Work"]);
    assert_eq!(pushes[0].attr("from"), Some(bare(&alice)));

    // Seen through GraphQL at once.
    let seen = contact(&s.client(&alice), bare(&bob)).expect("the contact");
    assert_eq!(seen.name.as_deref(), Some("Bobby"));
    assert_eq!(
        seen.groups,
        Some(vec!["Friends".to_string(), "Work".to_string()])
    );
    assert_eq!(seen.subscription, Some(ContactSub::None));
    assert_eq!(seen.ask, Some(ContactAsk::None));

    // And back through XMPP.
    let (r, _) = roster_get(&mut c, "g2", None).await;
    let listed = items(&r);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].attr("name"), Some("Bobby"));
    assert_eq!(groups(listed[0]), ["Friends", "Work"]);

    // An update without a name or groups clears them.
    let (r, mut pushes) = roster_set(&mut c, "s2", &format!("<item jid='{}'/>", bare(&bob))).await;
    assert_eq!(r.attr("type"), Some("result"));
    if pushes.is_empty() {
        pushes.push(push(&mut c).await);
    }
    let (item, _) = pushed(&pushes[0]);
    assert_eq!(item.attr("name"), None);
    assert!(groups(item).is_empty());
    let seen = contact(&s.client(&alice), bare(&bob)).unwrap();
    assert_eq!(seen.groups, Some(vec![]));

    let (r, mut pushes) = roster_set(
        &mut c,
        "s3",
        &format!("<item jid='{}' subscription='remove'/>", bare(&bob)),
    )
    .await;
    assert_eq!(r.attr("type"), Some("result"));
    if pushes.is_empty() {
        pushes.push(push(&mut c).await);
    }
    let (item, _) = pushed(&pushes[0]);
    assert_eq!(item.attr("subscription"), Some("remove"));
    assert_eq!(item.attr("jid"), Some(bare(&bob)));
    assert!(contact(&s.client(&alice), bare(&bob)).is_none());
    assert!(contacts(&s.client(&alice)).is_empty());

    // Removing what is not there (RFC 6121 §2.5.3).
    let (r, _) = roster_set(
        &mut c,
        "s4",
        &format!("<item jid='{}' subscription='remove'/>", bare(&bob)),
    )
    .await;
    assert_eq!(condition(&r), ("cancel".into(), "item-not-found".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_changes_push_to_the_sessions_that_asked_for_the_roster() {
    let s = server();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let carol = s.new_user("carol");
    let mut asked = connect(s, &alice, "laptop").await;
    let mut quiet = connect(s, &alice, "phone").await;
    roster_get(&mut asked, "g1", None).await;

    ok(s.client(&alice)
        .run(groster::add_contact(
            bare(&bob),
            Some("Bob"),
            Some(&["Pals"]),
        ))
        .unwrap());
    let p = push(&mut asked).await;
    let (item, _) = pushed(&p);
    assert_eq!(item.attr("jid"), Some(bare(&bob)));
    assert_eq!(item.attr("name"), Some("Bob"));
    assert_eq!(groups(item), ["Pals"]);

    // The session that did not ask got no push: it answers a ping and then its own roster
    // get with nothing pushed in between.
    let (_, pushes) = answer(
        &mut quiet,
        "p1",
        &format!("<iq xmlns='{CLIENT}' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"),
    )
    .await;
    assert!(pushes.is_empty());
    let (r, pushes) = roster_get(&mut quiet, "g2", None).await;
    assert!(pushes.is_empty());
    assert_eq!(items(&r).len(), 1);

    // Interested now: both get the next change (addContacts), then a deletion.
    ok(s.client(&alice)
        .run(groster::add_contacts(vec![groster::ContactInput {
            jid: bare(&carol).into(),
            name: "Carol".into(),
            groups: None,
        }]))
        .unwrap());
    for c in [&mut asked, &mut quiet] {
        let p = push(c).await;
        let (item, _) = pushed(&p);
        assert_eq!(item.attr("jid"), Some(bare(&carol)));
        assert_eq!(item.attr("name"), Some("Carol"));
    }
    ok(s.client(&alice)
        .run(groster::delete_contact(bare(&bob)))
        .unwrap());
    for c in [&mut asked, &mut quiet] {
        let p = push(c).await;
        let (item, _) = pushed(&p);
        assert_eq!(item.attr("jid"), Some(bare(&bob)));
        assert_eq!(item.attr("subscription"), Some("remove"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_subscriptions_push_both_rosters() {
    let s = server();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let mut a = connect(s, &alice, "a").await;
    let mut b = connect(s, &bob, "b").await;
    roster_get(&mut a, "g", None).await;
    roster_get(&mut b, "g", None).await;

    ok(s.client(&alice)
        .run(groster::subscription(bare(&bob), SubAction::Invite))
        .unwrap());
    let p = push(&mut a).await;
    let (item, _) = pushed(&p);
    assert_eq!(item.attr("jid"), Some(bare(&bob)));
    assert_eq!(item.attr("subscription"), Some("none"));
    assert_eq!(item.attr("ask"), Some("subscribe"));
    let p = push(&mut b).await;
    let (item, _) = pushed(&p);
    assert_eq!(item.attr("jid"), Some(bare(&alice)));
    assert_eq!(item.attr("subscription"), Some("none"));
    assert_eq!(item.attr("ask"), None);

    ok(s.client(&bob)
        .run(groster::subscription(bare(&alice), SubAction::Accept))
        .unwrap());
    let p = push(&mut b).await;
    let (item, _) = pushed(&p);
    assert_eq!(item.attr("subscription"), Some("from"));
    let p = push(&mut a).await;
    let (item, _) = pushed(&p);
    assert_eq!(item.attr("subscription"), Some("to"));
    assert_eq!(item.attr("ask"), None);
    assert_eq!(
        s.subscription_state(&alice, bare(&bob)),
        Some((ContactSub::To, ContactAsk::None))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_versioning_answers_only_what_changed() {
    let s = server();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let carol = s.new_user("carol");
    let mut c = connect(s, &alice, "r").await;
    assert!(
        c.features
            .others
            .iter()
            .any(|f| f.is("ver", "urn:xmpp:features:rosterver")),
        "roster versioning is advertised"
    );
    ok(s.client(&alice)
        .run(groster::add_contact(bare(&bob), None, None))
        .unwrap());

    // A client without a cached roster: everything, with the version.
    let (r, _) = roster_get(&mut c, "g1", Some("")).await;
    let ver = r
        .get_child("query", ROSTER)
        .and_then(|q| q.attr("ver"))
        .expect("a version")
        .to_string();
    assert_eq!(items(&r).len(), 1);

    // Nothing changed: an empty result.
    let (r, _) = roster_get(&mut c, "g2", Some(&ver)).await;
    assert_eq!(r.attr("type"), Some("result"));
    assert!(r.children().next().is_none(), "{}", String::from(&r));

    // A change is pushed with a new version, and a get with the old version answers the
    // whole roster at the pushed version.
    ok(s.client(&alice)
        .run(groster::add_contact(bare(&carol), None, None))
        .unwrap());
    let (_, pushed_ver) = pushed(&push(&mut c).await);
    assert_ne!(pushed_ver, ver);
    let mut reconnected = connect(s, &alice, "r2").await;
    let (r, _) = roster_get(&mut reconnected, "g3", Some(&ver)).await;
    assert_eq!(
        r.get_child("query", ROSTER).and_then(|q| q.attr("ver")),
        Some(pushed_ver.as_str())
    );
    assert_eq!(items(&r).len(), 2);
    let (r, _) = roster_get(&mut reconnected, "g4", Some(&pushed_ver)).await;
    assert!(r.children().next().is_none());

    // A change over XMPP bumps it too.
    let (_, mut pushes) = roster_set(
        &mut reconnected,
        "s1",
        &format!("<item jid='{}' name='C'/>", bare(&carol)),
    )
    .await;
    if pushes.is_empty() {
        pushes.push(push(&mut reconnected).await);
    }
    let (_, newest) = pushed(&pushes[0]);
    assert_ne!(newest, pushed_ver);
    let (r, _) = roster_get(&mut reconnected, "g5", Some(&pushed_ver)).await;
    assert_eq!(
        r.get_child("query", ROSTER).and_then(|q| q.attr("ver")),
        Some(newest.as_str())
    );
}

/// A server whose bounds are small enough to reach.
fn bounded() -> TestServer {
    server_with(|c| {
        c.limits.max_roster_size = 1;
        c.limits.max_roster_name_bytes = 8;
        c.limits.max_groups_per_contact = 2;
        c.limits.max_vcard_bytes = 512;
        c.limits.max_private_bytes = 256;
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_bounds_are_protocol_errors() {
    let s = bounded();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let carol = s.new_user("carol");
    let mut c = connect(&s, &alice, "r").await;
    let bob_jid = bare(&bob);
    let cases = [
        (
            format!("<item jid='{bob_jid}' name='a name too long'/>"),
            ("modify", "not-acceptable"),
        ),
        (
            format!("<item jid='{bob_jid}'><group>groupname too long</group></item>"),
            ("modify", "not-acceptable"),
        ),
        (
            format!(
                "<item jid='{bob_jid}'><group>a</group><group>b</group><group>c</group></item>"
            ),
            ("modify", "not-acceptable"),
        ),
        (
            format!("<item jid='{bob_jid}'><group></group></item>"),
            ("modify", "not-acceptable"),
        ),
        (
            format!("<item jid='{bob_jid}'><group>a</group><group>a</group></item>"),
            ("modify", "bad-request"),
        ),
        (
            format!("<item jid='{bob_jid}'/><item jid='{}'/>", bare(&carol)),
            ("modify", "bad-request"),
        ),
        (
            "<item jid='nobody_here_at_all@localhost'/>".to_string(),
            ("cancel", "item-not-found"),
        ),
        (
            "<item jid='a@b@c'/>".to_string(),
            ("modify", "jid-malformed"),
        ),
    ];
    for (i, (item, (ty, cond))) in cases.iter().enumerate() {
        let (r, _) = roster_set(&mut c, &format!("b{i}"), item).await;
        assert_eq!(condition(&r), (ty.to_string(), cond.to_string()), "{item}");
    }
    assert!(contacts(&s.client(&alice)).is_empty());

    let (r, _) = roster_set(&mut c, "ok", &format!("<item jid='{bob_jid}' name='Bob'/>")).await;
    assert_eq!(r.attr("type"), Some("result"));
    // The roster holds one contact.
    let (r, _) = roster_set(&mut c, "full", &format!("<item jid='{}'/>", bare(&carol))).await;
    assert_eq!(condition(&r), ("wait".into(), "resource-constraint".into()));
    assert_eq!(contacts(&s.client(&alice)).len(), 1);

    // Another user's roster is not this session's.
    let (r, _) = answer(
        &mut c,
        "other",
        &format!(
            "<iq xmlns='{CLIENT}' type='get' id='other' to='{}'><query xmlns='{ROSTER}'/></iq>",
            bare(&bob)
        ),
    )
    .await;
    assert_eq!(condition(&r), ("auth".into(), "forbidden".into()));
}

fn s(v: &str) -> String {
    v.to_string()
}

/// The same vCard as the XMPP client sends it below.
fn vcard_input() -> VcardInput {
    VcardInput {
        formatted_name: s("Alice Liddell"),
        name_components: NameComponentsInput {
            family: Some(s("Liddell")),
            given_name: Some(s("Alice")),
            ..Default::default()
        },
        nickname: Some(vec![Some(s("ali"))]),
        photo: Some(vec![ImageInput {
            type_: Some(s("image/png")),
            bin_value: Some(s(
                "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==",
            )),
            ext_value: None,
        }]),
        email: Some(vec![EmailInput {
            tags: Some(vec![EmailTags::Work]),
            user_id: s("alice@example.com"),
        }]),
        ..Default::default()
    }
}

const VCARD_XML: &str = "<vCard xmlns='vcard-temp'><FN>Alice Liddell</FN>\
    <N><FAMILY>Liddell</FAMILY><GIVEN>Alice</GIVEN></N><NICKNAME>ali</NICKNAME>\
    <PHOTO><TYPE>image/png</TYPE><BINVAL>iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==</BINVAL></PHOTO>\
    <EMAIL><WORK/><USERID>alice@example.com</USERID></EMAIL></vCard>";

fn graphql_vcard(s: &TestServer, asker: &User, of: Option<&str>) -> Vcard {
    ok(s.client(asker).run(gvcard::get_vcard(of)).unwrap())
        .vcard
        .and_then(|v| v.get_vcard)
        .expect("a vCard")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vcards_round_trip_between_xmpp_and_graphql() {
    let s = server();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let reference = s.new_user("ref");
    ok(s.client(&reference)
        .run(gvcard::set_vcard(vcard_input()))
        .unwrap());
    let expected = graphql_vcard(s, &reference, None);

    // Nothing stored yet: an empty vCard.
    let mut a = connect(s, &alice, "v").await;
    let (r, _) = answer(
        &mut a,
        "v0",
        &format!("<iq xmlns='{CLIENT}' type='get' id='v0'><vCard xmlns='{VCARD}'/></iq>"),
    )
    .await;
    let empty = r.get_child("vCard", VCARD).expect("a vCard");
    assert!(empty.children().next().is_none());

    // Set over XMPP → getVcard over GraphQL, field for field.
    let (r, _) = answer(
        &mut a,
        "v1",
        &format!("<iq xmlns='{CLIENT}' type='set' id='v1'>{VCARD_XML}</iq>"),
    )
    .await;
    assert_eq!(r.attr("type"), Some("result"), "{}", String::from(&r));
    assert_eq!(graphql_vcard(s, &alice, None), expected);
    assert_eq!(graphql_vcard(s, &bob, Some(bare(&alice))), expected);

    // setVcard over GraphQL → get over XMPP (own and another user's), with the photo.
    let mut b = connect(s, &bob, "v").await;
    ok(s.client(&bob)
        .run(gvcard::set_vcard(vcard_input()))
        .unwrap());
    for (id, to) in [
        ("v2", String::new()),
        ("v3", format!(" to='{}'", bare(&bob))),
    ] {
        let (r, _) = answer(
            &mut b,
            id,
            &format!("<iq xmlns='{CLIENT}' type='get' id='{id}'{to}><vCard xmlns='{VCARD}'/></iq>"),
        )
        .await;
        let v = r.get_child("vCard", VCARD).expect("a vCard");
        assert_eq!(v.get_child("FN", VCARD).unwrap().text(), "Alice Liddell");
        let photo = v.get_child("PHOTO", VCARD).unwrap();
        assert_eq!(
            photo.get_child("BINVAL", VCARD).unwrap().text(),
            vcard_input().photo.unwrap()[0].bin_value.clone().unwrap()
        );
        assert_eq!(photo.get_child("TYPE", VCARD).unwrap().text(), "image/png");
    }
    let (r, _) = answer(
        &mut a,
        "v4",
        &format!(
            "<iq xmlns='{CLIENT}' type='get' id='v4' to='{}'><vCard xmlns='{VCARD}'/></iq>",
            bare(&bob)
        ),
    )
    .await;
    // What XMPP read is what GraphQL stored: written back over XMPP, it reads the same.
    let read = r.get_child("vCard", VCARD).expect("bob's vCard").clone();
    let carol = s.new_user("carol");
    let mut c = connect(s, &carol, "v").await;
    let (r, _) = answer(
        &mut c,
        "v5",
        &format!(
            "<iq xmlns='{CLIENT}' type='set' id='v5'>{}</iq>",
            String::from(&read)
        ),
    )
    .await;
    assert_eq!(r.attr("type"), Some("result"));
    assert_eq!(graphql_vcard(s, &carol, None), expected);

    // Not another user's, nor a user that does not exist.
    let (r, _) = answer(
        &mut a,
        "v6",
        &format!(
            "<iq xmlns='{CLIENT}' type='set' id='v6' to='{}'>{VCARD_XML}</iq>",
            bare(&bob)
        ),
    )
    .await;
    assert_eq!(condition(&r), ("auth".into(), "forbidden".into()));
    let (r, _) = answer(
        &mut a,
        "v7",
        &format!(
            "<iq xmlns='{CLIENT}' type='get' id='v7' to='nobody_at_all@localhost'><vCard xmlns='{VCARD}'/></iq>"
        ),
    )
    .await;
    assert_eq!(
        condition(&r),
        ("cancel".into(), "service-unavailable".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_bounds_are_protocol_errors() {
    let s = bounded();
    let alice = s.new_user("alice");
    let mut a = connect(&s, &alice, "v").await;
    let big = "x".repeat(600);
    let (r, _) = answer(
        &mut a,
        "v1",
        &format!("<iq xmlns='{CLIENT}' type='set' id='v1'><vCard xmlns='{VCARD}'><FN>{big}</FN></vCard></iq>"),
    )
    .await;
    assert_eq!(condition(&r), ("modify".into(), "not-acceptable".into()));
    let resp = s.client(&alice).run(gvcard::get_vcard(None)).unwrap();
    assert!(
        resp.data
            .and_then(|d| d.vcard)
            .and_then(|v| v.get_vcard)
            .is_none()
    );

    let (r, _) = answer(
        &mut a,
        "p1",
        &format!("<iq xmlns='{CLIENT}' type='set' id='p1'><query xmlns='{PRIVATE}'><x xmlns='urn:test:big'>{}</x></query></iq>", "y".repeat(300)),
    )
    .await;
    assert_eq!(condition(&r), ("wait".into(), "resource-constraint".into()));
    // Within the quota alone, but not with what is stored already.
    let half = "z".repeat(150);
    let (r, _) = answer(
        &mut a,
        "p2",
        &format!("<iq xmlns='{CLIENT}' type='set' id='p2'><query xmlns='{PRIVATE}'><x xmlns='urn:test:one'>{half}</x></query></iq>"),
    )
    .await;
    assert_eq!(r.attr("type"), Some("result"));
    let (r, _) = answer(
        &mut a,
        "p3",
        &format!("<iq xmlns='{CLIENT}' type='set' id='p3'><query xmlns='{PRIVATE}'><x xmlns='urn:test:two'>{half}</x></query></iq>"),
    )
    .await;
    assert_eq!(condition(&r), ("wait".into(), "resource-constraint".into()));
}

fn graphql_private(s: &TestServer, u: &User, element: &str, ns: &str) -> String {
    let el = ok(s
        .client(u)
        .run(mimql_client::user::private::get_private(element, ns))
        .unwrap())
    .private
    .and_then(|p| p.get_private)
    .expect("an element");
    el.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_storage_round_trips_between_xmpp_and_graphql() {
    let s = server();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let mut a = connect(s, &alice, "p").await;

    // Nothing stored: the element as asked.
    let (r, _) = answer(
        &mut a,
        "p0",
        &format!("<iq xmlns='{CLIENT}' type='get' id='p0'><query xmlns='{PRIVATE}'><prefs xmlns='urn:test:prefs'/></query></iq>"),
    )
    .await;
    let q = r.get_child("query", PRIVATE).expect("a query");
    let asked = q.get_child("prefs", "urn:test:prefs").expect("the element");
    assert!(asked.children().next().is_none());

    // Set over XMPP → getPrivate over GraphQL: the same element.
    let stored = "<prefs xmlns='urn:test:prefs'><theme mode='dark'>solarized</theme><x:y xmlns:x='urn:test:other'>z</x:y></prefs>";
    let (r, _) = answer(
        &mut a,
        "p1",
        &format!(
            "<iq xmlns='{CLIENT}' type='set' id='p1'><query xmlns='{PRIVATE}'>{stored}</query></iq>"
        ),
    )
    .await;
    assert_eq!(r.attr("type"), Some("result"), "{}", String::from(&r));
    let via_graphql = graphql_private(s, &alice, "prefs", "urn:test:prefs");
    let parsed: Xml = via_graphql.parse().unwrap();
    assert_eq!(parsed, xmpp::xml(stored));
    let theme = parsed.get_child("theme", "urn:test:prefs").unwrap();
    assert_eq!(theme.attr("mode"), Some("dark"));
    assert_eq!(theme.text(), "solarized");

    // setPrivate over GraphQL → get over XMPP: the same element.
    let other = "<storage xmlns='storage:bookmarks'><conference jid='room@muc.localhost' autojoin='true'><nick>al</nick></conference></storage>";
    ok(s.client(&alice)
        .run(mimql_client::user::private::set_private(other))
        .unwrap());
    let (r, _) = answer(
        &mut a,
        "p2",
        &format!("<iq xmlns='{CLIENT}' type='get' id='p2'><query xmlns='{PRIVATE}'><storage xmlns='storage:bookmarks'/></query></iq>"),
    )
    .await;
    let got = r
        .get_child("query", PRIVATE)
        .and_then(|q| q.get_child("storage", "storage:bookmarks"))
        .expect("the stored element");
    assert_eq!(got, &xmpp::xml(other));
    assert_eq!(
        graphql_private(s, &alice, "storage", "storage:bookmarks")
            .parse::<Xml>()
            .unwrap(),
        xmpp::xml(other)
    );

    // Reserved namespaces (XEP-0049 §3), and another user's storage.
    for (id, ns) in [("r1", "jabber:iq:roster"), ("r2", "vcard-temp")] {
        let (r, _) = answer(
            &mut a,
            id,
            &format!("<iq xmlns='{CLIENT}' type='set' id='{id}'><query xmlns='{PRIVATE}'><x xmlns='{ns}'/></query></iq>"),
        )
        .await;
        assert_eq!(
            condition(&r),
            ("modify".into(), "not-acceptable".into()),
            "{ns}"
        );
    }
    let (r, _) = answer(
        &mut a,
        "r3",
        &format!(
            "<iq xmlns='{CLIENT}' type='get' id='r3' to='{}'><query xmlns='{PRIVATE}'><storage xmlns='storage:bookmarks'/></query></iq>",
            bare(&bob)
        ),
    )
    .await;
    assert_eq!(condition(&r), ("cancel".into(), "forbidden".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disco_info_advertises_the_data_features() {
    let s = server();
    let alice = s.new_user("alice");
    let mut a = connect(s, &alice, "d").await;
    for (id, to) in [("d1", "localhost".to_string()), ("d2", s_jid(&alice))] {
        let (r, _) = answer(
            &mut a,
            id,
            &format!("<iq xmlns='{CLIENT}' type='get' id='{id}' to='{to}'><query xmlns='{DISCO_INFO}'/></iq>"),
        )
        .await;
        let vars: Vec<String> = r
            .get_child("query", DISCO_INFO)
            .expect("a disco#info result")
            .children()
            .filter(|f| f.is("feature", DISCO_INFO))
            .filter_map(|f| f.attr("var").map(str::to_string))
            .collect();
        for ns in [ROSTER, VCARD, PRIVATE] {
            assert!(vars.iter().any(|v| v == ns), "{to}: {ns} in {vars:?}");
        }
    }
}

fn s_jid(u: &User) -> String {
    u.jid.clone()
}

/// Available (priority 0), once the server has taken the presence (a ping answered after it).
async fn available(c: &mut Xmpp) -> Vec<Xml> {
    c.presence(Some(0)).await;
    c.sync("avail").await
}

/// The next subscription presence.
async fn subscription_presence(c: &mut Xmpp) -> Xml {
    loop {
        let el = c.recv().await.expect("stream open");
        if el.is("presence", CLIENT)
            && matches!(
                el.attr("type"),
                Some("subscribe" | "subscribed" | "unsubscribe" | "unsubscribed")
            )
        {
            return el;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xmpp_subscription_presences_change_both_rosters() {
    let s = server();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let mut a = connect(s, &alice, "a").await;
    let mut b = connect(s, &bob, "b").await;
    available(&mut a).await;
    available(&mut b).await;
    roster_get(&mut a, "g", None).await;

    a.send(&format!(
        "<presence xmlns='{CLIENT}' type='subscribe' to='{}'/>",
        bare(&bob)
    ))
    .await;
    let p = subscription_presence(&mut b).await;
    assert_eq!(p.attr("type"), Some("subscribe"));
    assert_eq!(p.attr("from"), Some(bare(&alice)));
    let p = push(&mut a).await;
    let (item, _) = pushed(&p);
    assert_eq!(item.attr("ask"), Some("subscribe"));
    assert_eq!(
        s.subscription_state(&alice, bare(&bob)),
        Some((ContactSub::None, ContactAsk::Out))
    );
    assert_eq!(
        s.subscription_state(&bob, bare(&alice)),
        Some((ContactSub::None, ContactAsk::In))
    );

    b.send(&format!(
        "<presence xmlns='{CLIENT}' type='subscribed' to='{}'/>",
        bare(&alice)
    ))
    .await;
    let p = subscription_presence(&mut a).await;
    assert_eq!(p.attr("type"), Some("subscribed"));
    assert_eq!(p.attr("from"), Some(bare(&bob)));
    let p = push(&mut a).await;
    let (item, _) = pushed(&p);
    assert_eq!(item.attr("subscription"), Some("to"));
    assert_eq!(
        s.subscription_state(&alice, bare(&bob)),
        Some((ContactSub::To, ContactAsk::None))
    );
    assert_eq!(
        s.subscription_state(&bob, bare(&alice)),
        Some((ContactSub::From, ContactAsk::None))
    );

    // Asking again what is granted already is answered by the server, not delivered.
    a.send(&format!(
        "<presence xmlns='{CLIENT}' type='subscribe' to='{}'/>",
        bare(&bob)
    ))
    .await;
    let p = subscription_presence(&mut a).await;
    assert_eq!(p.attr("type"), Some("subscribed"));

    b.send(&format!(
        "<presence xmlns='{CLIENT}' type='unsubscribed' to='{}'/>",
        bare(&alice)
    ))
    .await;
    let p = subscription_presence(&mut a).await;
    assert_eq!(p.attr("type"), Some("unsubscribed"));
    assert_eq!(
        s.subscription_state(&alice, bare(&bob)),
        Some((ContactSub::None, ContactAsk::None))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_subscriptions_reach_the_contact_and_wait_for_its_login() {
    let s = server();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    let carol = s.new_user("carol");
    let mut b = connect(s, &bob, "b").await;
    available(&mut b).await;
    ok(s.client(&alice)
        .run(groster::subscription(bare(&bob), SubAction::Invite))
        .unwrap());
    let p = subscription_presence(&mut b).await;
    assert_eq!(p.attr("type"), Some("subscribe"));
    assert_eq!(p.attr("from"), Some(bare(&alice)));

    // Carol asks while bob is offline: his next session gets both requests when available
    // (not before), once.
    drop(b);
    ok(s.client(&carol)
        .run(groster::subscription(bare(&bob), SubAction::Invite))
        .unwrap());
    let mut b = connect(s, &bob, "b2").await;
    let got = available(&mut b).await;
    let mut from: Vec<&str> = got
        .iter()
        .filter(|el| el.is("presence", CLIENT) && el.attr("type") == Some("subscribe"))
        .filter_map(|el| el.attr("from"))
        .collect();
    from.sort_unstable();
    let mut expected = vec![bare(&alice), bare(&carol)];
    expected.sort_unstable();
    assert_eq!(from, expected);
    let again: Vec<Xml> = available(&mut b)
        .await
        .into_iter()
        .filter(|el| el.attr("type") == Some("subscribe"))
        .collect();
    assert!(again.is_empty(), "{again:?}");

    // Accepted over GraphQL: alice's client (available) gets the approval.
    let mut a = connect(s, &alice, "a").await;
    available(&mut a).await;
    ok(s.client(&bob)
        .run(groster::subscription(bare(&alice), SubAction::Accept))
        .unwrap());
    let p = subscription_presence(&mut a).await;
    assert_eq!(p.attr("type"), Some("subscribed"));
    assert_eq!(p.attr("from"), Some(bare(&bob)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_an_account_pushes_its_contacts_rosters() {
    let s = server();
    let alice = s.new_user("alice");
    let bob = s.new_user("bob");
    for (from, to) in [(&alice, &bob), (&bob, &alice)] {
        ok(s.client(from)
            .run(groster::subscription(bare(to), SubAction::Invite))
            .unwrap());
        ok(s.client(to)
            .run(groster::subscription(bare(from), SubAction::Accept))
            .unwrap());
    }
    assert_eq!(
        s.subscription_state(&alice, bare(&bob)),
        Some((ContactSub::Both, ContactAsk::None))
    );
    let mut a = connect(s, &alice, "a").await;
    available(&mut a).await;
    let (r, _) = roster_get(&mut a, "g", None).await;
    assert_eq!(items(&r)[0].attr("subscription"), Some("both"));
    let removed = s
        .admin()
        .run(mimql_client::admin::remove_user(&bob.jid))
        .unwrap();
    assert!(removed.errors.is_empty(), "{:?}", removed.errors);
    // Bob's item goes from alice's roster: pushed as removed to her session, and gone from
    // her roster as GraphQL reads it.
    let p = push(&mut a).await;
    let (item, _) = pushed(&p);
    assert_eq!(item.attr("jid"), Some(bare(&bob)));
    assert_eq!(item.attr("subscription"), Some("remove"));
    assert_eq!(s.subscription_state(&alice, bare(&bob)), None);
    let (r, _) = roster_get(&mut a, "g2", None).await;
    assert!(items(&r).is_empty(), "{r:?}");
}
