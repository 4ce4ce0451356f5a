//! XEP-0191 blocking command through a real XMPP client (`tests/xmpp`) and the GraphQL API: the
//! blocklist (get, block, unblock, unblock-all, pushes to the sessions that asked for it, the
//! bound, JID checks), and its effect on messages — from c2s and from GraphQL `sendMessage`:
//! not delivered, not archived, not kept offline — and on subscription presences. The list is
//! the user's own, apart from MUC Light's blocking list, and goes with the account.

mod common;
mod xmpp;

use common::{TestServer, User, archive, ok, send, server, server_with};
use mimql_client::user::roster::{self as groster, SubAction};
use tokio_xmpp::minidom::Element as Xml;
use xmpp::{CLIENT, Endpoint, Xmpp, child_text, condition};

const BLOCKING: &str = "urn:xmpp:blocking";
const BLOCKING_ERRORS: &str = "urn:xmpp:blocking:errors";
const DISCO_INFO: &str = "http://jabber.org/protocol/disco#info";

async fn connect(s: &TestServer, u: &User, resource: &str) -> Xmpp {
    let at = Endpoint::new(s.c2s_addr.expect("c2s enabled"), &s.c2s_cert);
    xmpp::login(&at, &u.jid, &u.password, resource).await
}

/// Initial presence, then a ping: answers what came before the pong.
async fn available(c: &mut Xmpp) -> Vec<Xml> {
    c.presence(Some(0)).await;
    c.sync("avail").await
}

fn is_push(el: &Xml) -> bool {
    el.is("iq", CLIENT)
        && el.attr("type") == Some("set")
        && el
            .children()
            .next()
            .is_some_and(|c| c.ns() == BLOCKING && matches!(c.name(), "block" | "unblock"))
}

/// Sends an iq with id `id`; answers its result or error and the blocklist pushes that came
/// before it (answered, as a client does).
async fn answer(c: &mut Xmpp, id: &str, iq: &str) -> (Xml, Vec<Xml>) {
    c.answer(id, iq, is_push).await
}

/// The next blocklist push.
async fn push(c: &mut Xmpp) -> Xml {
    c.push(is_push).await
}

/// A push's verb and JIDs.
fn pushed(push: &Xml) -> (String, Vec<String>) {
    let c = push.children().next().unwrap();
    (c.name().to_string(), jids(c))
}

fn jids(list: &Xml) -> Vec<String> {
    list.children()
        .filter(|i| i.name() == "item")
        .map(|i| i.attr("jid").unwrap_or_default().to_string())
        .collect()
}

async fn blocklist(c: &mut Xmpp, id: &str) -> Vec<String> {
    let (r, _) = answer(
        c,
        id,
        &format!("<iq xmlns='{CLIENT}' type='get' id='{id}'><blocklist xmlns='{BLOCKING}'/></iq>"),
    )
    .await;
    assert_eq!(r.attr("type"), Some("result"), "{}", String::from(&r));
    jids(r.get_child("blocklist", BLOCKING).expect("a blocklist"))
}

async fn change(c: &mut Xmpp, id: &str, verb: &str, jids: &[&str]) -> (Xml, Vec<Xml>) {
    let items: String = jids.iter().map(|j| format!("<item jid='{j}'/>")).collect();
    answer(
        c,
        id,
        &format!(
            "<iq xmlns='{CLIENT}' type='set' id='{id}'><{verb} xmlns='{BLOCKING}'>{items}</{verb}></iq>"
        ),
    )
    .await
}

fn chat(to: &str, id: &str, body: &str) -> String {
    format!(
        "<message xmlns='{CLIENT}' type='chat' to='{to}' id='{id}'><body>{body}</body></message>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocklist_is_kept_changed_and_pushed_to_the_sessions_that_asked() {
    let s = server();
    let alice = s.new_user("blka");
    let bob = s.new_user("blkb");
    let carol = format!("{}/phone", s.new_user("blkc").jid);
    let mut laptop = connect(s, &alice, "laptop").await;
    let mut phone = connect(s, &alice, "phone").await;
    let mut quiet = connect(s, &alice, "quiet").await;
    assert!(blocklist(&mut laptop, "l0").await.is_empty());
    assert!(blocklist(&mut phone, "p0").await.is_empty());

    // Block: normalised, repeats once; every session that asked gets the push.
    let (r, _) = change(
        &mut laptop,
        "b1",
        "block",
        &[&bob.jid.to_uppercase(), &carol, "example.org", &bob.jid],
    )
    .await;
    assert_eq!(r.attr("type"), Some("result"), "{}", String::from(&r));
    let expected = vec![bob.jid.clone(), carol.clone(), "example.org".to_string()];
    assert_eq!(
        pushed(&push(&mut phone).await),
        ("block".into(), expected.clone())
    );
    assert_eq!(
        pushed(&push(&mut laptop).await),
        ("block".into(), expected.clone())
    );
    assert_eq!(blocklist(&mut phone, "p1").await, expected);
    // The session that never asked got no push (nothing before the pong, then the list).
    assert!(quiet.sync("q1").await.is_empty());
    assert_eq!(blocklist(&mut quiet, "q2").await, expected);

    // Unblock one, then everything.
    let (r, _) = change(&mut phone, "u1", "unblock", &[&bob.jid]).await;
    assert_eq!(r.attr("type"), Some("result"));
    assert_eq!(
        pushed(&push(&mut laptop).await),
        ("unblock".into(), vec![bob.jid.clone()])
    );
    assert_eq!(
        blocklist(&mut laptop, "l2").await,
        [carol.clone(), "example.org".to_string()]
    );
    let (r, _) = change(&mut phone, "u2", "unblock", &[]).await;
    assert_eq!(r.attr("type"), Some("result"));
    assert_eq!(pushed(&push(&mut laptop).await), ("unblock".into(), vec![]));
    // The quiet session asked since: it got both.
    assert_eq!(
        pushed(&push(&mut quiet).await),
        ("unblock".into(), vec![bob.jid.clone()])
    );
    assert_eq!(pushed(&push(&mut quiet).await), ("unblock".into(), vec![]));
    assert!(blocklist(&mut laptop, "l3").await.is_empty());

    // Refusals: no item, a JID that is not one, a get of a set's element.
    let (r, _) = change(&mut laptop, "e1", "block", &[]).await;
    assert_eq!(condition(&r), ("modify".into(), "bad-request".into()));
    let (r, _) = change(&mut laptop, "e2", "block", &["a@b@c"]).await;
    assert_eq!(condition(&r), ("modify".into(), "jid-malformed".into()));
    let (r, _) = answer(
        &mut laptop,
        "e3",
        &format!("<iq xmlns='{CLIENT}' type='set' id='e3'><blocklist xmlns='{BLOCKING}'/></iq>"),
    )
    .await;
    assert_eq!(condition(&r), ("modify".into(), "bad-request".into()));
    assert!(blocklist(&mut laptop, "l4").await.is_empty());

    // Advertised on the server.
    let (r, _) = answer(
        &mut laptop,
        "d1",
        &format!(
            "<iq xmlns='{CLIENT}' type='get' id='d1' to='localhost'><query xmlns='{DISCO_INFO}'/></iq>"
        ),
    )
    .await;
    let features: Vec<&str> = r
        .get_child("query", DISCO_INFO)
        .unwrap()
        .children()
        .filter_map(|f| f.attr("var"))
        .collect();
    assert!(features.contains(&BLOCKING), "{features:?}");
    assert!(features.contains(&"urn:xmpp:carbons:2"), "{features:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_is_bounded() {
    let s = server_with(|c| c.limits.max_blocklist_items = 2);
    let alice = s.new_user("blkbound");
    let mut c = connect(&s, &alice, "r").await;
    let (r, _) = change(
        &mut c,
        "b1",
        "block",
        &["a.example", "b.example", "c.example"],
    )
    .await;
    assert_eq!(condition(&r), ("wait".into(), "resource-constraint".into()));
    assert!(blocklist(&mut c, "g1").await.is_empty());
    let (r, _) = change(&mut c, "b2", "block", &["a.example", "b.example"]).await;
    assert_eq!(r.attr("type"), Some("result"));
    // Blocking again what is blocked takes no room.
    let (r, _) = change(&mut c, "b3", "block", &["a.example"]).await;
    assert_eq!(r.attr("type"), Some("result"));
    let (r, _) = change(&mut c, "b4", "block", &["c.example"]).await;
    assert_eq!(condition(&r), ("wait".into(), "resource-constraint".into()));
    assert_eq!(blocklist(&mut c, "g2").await, ["a.example", "b.example"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_between_a_blocker_and_the_blocked_go_nowhere() {
    let s = server();
    let alice = s.new_user("blkma");
    let bob = s.new_user("blkmb");
    let carol = s.new_user("blkmc");
    let mut a = connect(s, &alice, "a").await;
    let mut b = connect(s, &bob, "b").await;
    available(&mut a).await;
    available(&mut b).await;
    let (r, _) = change(&mut a, "b1", "block", &[&bob.jid]).await;
    assert_eq!(r.attr("type"), Some("result"));

    // From the blocked user's client: <service-unavailable/> (XEP-0191 §3.6), not delivered.
    b.send(&chat(&alice.jid, "m1", "over xmpp")).await;
    let e = b.message().await;
    assert_eq!(e.attr("id"), Some("m1"));
    assert_eq!(
        condition(&e),
        ("cancel".into(), "service-unavailable".into())
    );
    // From the blocked user over GraphQL: answered as ever, not delivered either.
    send(&s.client(&bob), &alice.jid, "over graphql");
    // Carol's message is the next thing alice gets.
    send(&s.client(&carol), &alice.jid, "marker 1");
    let m = a.message().await;
    assert_eq!(child_text(&m, "body").as_deref(), Some("marker 1"));
    // Neither archive holds them.
    assert!(
        archive(&s.client(&alice), Some(&bob.jid), None, None)
            .0
            .is_empty()
    );
    assert!(
        archive(&s.client(&bob), Some(&alice.jid), None, None)
            .0
            .is_empty()
    );

    // From the blocker to the blocked: <not-acceptable/> with <blocked/> (XEP-0191 §3.7).
    a.send(&chat(&bob.jid, "m2", "to bob")).await;
    let e = a.message().await;
    assert_eq!(e.attr("id"), Some("m2"));
    assert_eq!(condition(&e), ("cancel".into(), "not-acceptable".into()));
    let error = e.get_child("error", CLIENT).unwrap();
    assert!(error.get_child("blocked", BLOCKING_ERRORS).is_some());
    send(&s.client(&alice), &bob.jid, "over graphql to bob");
    send(&s.client(&carol), &bob.jid, "marker 2");
    let m = b.message().await;
    assert_eq!(child_text(&m, "body").as_deref(), Some("marker 2"));

    // An iq get to a blocked user's full JID: <service-unavailable/>.
    let (r, _) = answer(
        &mut b,
        "v1",
        &format!(
            "<iq xmlns='{CLIENT}' type='get' id='v1' to='{}'><query xmlns='jabber:iq:version'/></iq>",
            a.jid
        ),
    )
    .await;
    assert_eq!(
        condition(&r),
        ("cancel".into(), "service-unavailable".into())
    );

    // Not kept offline: alice goes unavailable, bob writes, alice's next session gets carol's
    // message only.
    a.presence(None).await;
    a.sync("away").await;
    send(&s.client(&bob), &alice.jid, "while away");
    send(&s.client(&carol), &alice.jid, "marker 3");
    let mut a2 = connect(s, &alice, "a2").await;
    let before: Vec<Xml> = available(&mut a2)
        .await
        .into_iter()
        .filter(|e| e.is("message", CLIENT))
        .collect();
    let bodies: Vec<String> = before
        .iter()
        .filter_map(|m| child_text(m, "body"))
        .collect();
    assert_eq!(bodies, ["marker 3"]);

    // Unblocked: messages flow and are archived again.
    let (r, _) = change(&mut a2, "u1", "unblock", &[&bob.jid]).await;
    assert_eq!(r.attr("type"), Some("result"));
    b.send(&chat(&alice.jid, "m3", "hello again")).await;
    let m = a2.message().await;
    assert_eq!(child_text(&m, "body").as_deref(), Some("hello again"));
    let (msgs, _) = archive(&s.client(&alice), Some(&bob.jid), None, None);
    assert_eq!(msgs.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_or_a_resource_can_be_blocked() {
    let s = server();
    let alice = s.new_user("blkda");
    let bob = s.new_user("blkdb");
    let carol = s.new_user("blkdc");
    let mut a = connect(s, &alice, "a").await;
    available(&mut a).await;
    let mut phone = connect(s, &bob, "phone").await;
    let mut laptop = connect(s, &bob, "laptop").await;
    available(&mut phone).await;
    available(&mut laptop).await;
    let (r, _) = change(&mut a, "b1", "block", &[&format!("{}/phone", bob.jid)]).await;
    assert_eq!(r.attr("type"), Some("result"));
    phone.send(&chat(&alice.jid, "p1", "from the phone")).await;
    let e = phone.message().await;
    assert_eq!(
        condition(&e),
        ("cancel".into(), "service-unavailable".into())
    );
    laptop
        .send(&chat(&alice.jid, "l1", "from the laptop"))
        .await;
    let m = a.message().await;
    assert_eq!(child_text(&m, "body").as_deref(), Some("from the laptop"));

    // The whole domain: every local user.
    let (r, _) = change(&mut a, "b2", "block", &["localhost"]).await;
    assert_eq!(r.attr("type"), Some("result"));
    laptop.send(&chat(&alice.jid, "l2", "blocked now")).await;
    let e = laptop.message().await;
    assert_eq!(
        condition(&e),
        ("cancel".into(), "service-unavailable".into())
    );
    send(&s.client(&carol), &alice.jid, "blocked too");
    assert!(
        archive(&s.client(&alice), Some(&carol.jid), None, None)
            .0
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_presences_do_not_cross_a_block() {
    let s = server();
    let alice = s.new_user("blksa");
    let bob = s.new_user("blksb");
    let mut a = connect(s, &alice, "a").await;
    available(&mut a).await;
    let (r, _) = change(&mut a, "b1", "block", &[&bob.jid]).await;
    assert_eq!(r.attr("type"), Some("result"));
    let mut b = connect(s, &bob, "b").await;
    available(&mut b).await;

    // Bob asks (XMPP, then GraphQL): alice's side hears nothing and her roster is untouched.
    b.send(&format!(
        "<presence xmlns='{CLIENT}' type='subscribe' to='{}'/>",
        alice.jid
    ))
    .await;
    b.sync("s1").await;
    ok(s.client(&bob)
        .run(groster::subscription(&alice.jid, SubAction::Invite))
        .unwrap());
    assert!(common::contact(&s.client(&alice), &alice.jid).is_none());
    assert!(common::contact(&s.client(&alice), &bob.jid).is_none());
    let got: Vec<Xml> = a
        .sync("s2")
        .await
        .into_iter()
        .filter(|e| e.is("presence", CLIENT))
        .collect();
    assert!(
        got.is_empty(),
        "{:?}",
        got.iter().map(String::from).collect::<Vec<_>>()
    );
    // Not redelivered at alice's next login either.
    let mut again = connect(s, &alice, "again").await;
    let got: Vec<Xml> = available(&mut again)
        .await
        .into_iter()
        .filter(|e| e.is("presence", CLIENT))
        // Her own presences (the echo of her initial presence, her other session's).
        .filter(|e| !e.attr("from").unwrap_or_default().starts_with(&alice.jid))
        .collect();
    assert!(
        got.is_empty(),
        "{:?}",
        got.iter().map(String::from).collect::<Vec<_>>()
    );

    // The blocker's own subscription request does not reach the blocked user.
    a.send(&format!(
        "<presence xmlns='{CLIENT}' type='subscribe' to='{}'/>",
        bob.jid
    ))
    .await;
    a.sync("s3").await;
    let got: Vec<Xml> = b
        .sync("s4")
        .await
        .into_iter()
        .filter(|e| e.is("presence", CLIENT))
        .collect();
    assert!(got.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_goes_with_the_account_and_is_not_muc_lights() {
    let s = server();
    let alice = s.new_user("blkra");
    let bob = s.new_user("blkrb");
    let mut a = connect(s, &alice, "a").await;
    let (r, _) = change(&mut a, "b1", "block", &[&bob.jid]).await;
    assert_eq!(r.attr("type"), Some("result"));
    // MUC Light's blocking list is another list.
    let muc_light = s
        .client(&alice)
        .run(mimql_client::user::muc_light::get_blocking_list())
        .unwrap();
    assert!(muc_light.errors.is_empty(), "{:?}", muc_light.errors);
    assert_eq!(
        format!("{:?}", muc_light.data.unwrap())
            .matches(&bob.jid)
            .count(),
        0
    );
    drop(a);
    let removed = s
        .admin()
        .run(mimql_client::admin::remove_user(&alice.jid))
        .unwrap();
    assert!(removed.errors.is_empty(), "{:?}", removed.errors);
    let (name, domain) = alice.jid.split_once('@').unwrap();
    let again = s
        .admin()
        .run(mimql_client::admin::register_user(
            domain,
            Some(name),
            "pw2",
        ))
        .unwrap();
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    let alice = User {
        jid: alice.jid.clone(),
        password: "pw2".into(),
    };
    let mut a = connect(s, &alice, "a").await;
    assert!(blocklist(&mut a, "g").await.is_empty());
    // And bob's messages reach the new account.
    available(&mut a).await;
    send(&s.client(&bob), &alice.jid, "hello");
    let m = a.message().await;
    assert_eq!(child_text(&m, "body").as_deref(), Some("hello"));
}
