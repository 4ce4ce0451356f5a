//! Presence over XMPP (RFC 6121 §4) and last activity (XEP-0012), shared with GraphQL: broadcast
//! to subscribed contacts, probes, unavailable presence (explicit, or the session ending),
//! directed presence, the presence that follows GraphQL subscription changes, and the last
//! activity `getLast` reads. Through a real XMPP client over TLS (`tests/xmpp`).

mod common;
mod xmpp;

use common::{TestServer, User, ok, server};
use mimql_client::user::last;
use mimql_client::user::roster::{self as groster, SubAction};
use tokio_xmpp::minidom::Element as Xml;
use xmpp::{CLIENT, Endpoint, Xmpp};

const LAST: &str = "jabber:iq:last";
const ROSTER: &str = "jabber:iq:roster";
const STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";

async fn connect(s: &TestServer, u: &User, resource: &str) -> Xmpp {
    let at = Endpoint::new(s.c2s_addr.expect("c2s enabled"), &s.c2s_cert);
    xmpp::login(&at, &u.jid, &u.password, resource).await
}

/// `a` and `b` subscribed to each other (through GraphQL).
fn mutual(s: &TestServer, a: &User, b: &User) {
    for (from, to) in [(a, b), (b, a)] {
        ok(s.client(from)
            .run(groster::subscription(&to.jid, SubAction::Invite))
            .unwrap());
        ok(s.client(to)
            .run(groster::subscription(&from.jid, SubAction::Accept))
            .unwrap());
    }
}

/// Pings the server; answers the presences received before the result.
async fn barrier(c: &mut Xmpp, id: &str) -> Vec<Xml> {
    c.presences_until_pong(id).await
}

/// Sends `presence`, then answers the presences received until the server has taken it.
async fn send_presence(c: &mut Xmpp, presence: &str) -> Vec<Xml> {
    c.send(presence).await;
    barrier(c, "after-presence").await
}

/// A probe of `who`'s presence; answers what came back before the server took it.
async fn probe(c: &mut Xmpp, who: &User) -> Vec<Xml> {
    let probe = format!("<presence xmlns='{CLIENT}' type='probe' to='{}'/>", who.jid);
    send_presence(c, &probe).await
}

/// Initial presence with a status; answers what came before the server took it (the client's
/// own presence, the probed contacts').
async fn available(c: &mut Xmpp, status: &str) -> Vec<Xml> {
    send_presence(
        c,
        &format!("<presence xmlns='{CLIENT}'><status>{status}</status></presence>"),
    )
    .await
}

/// The next presence that is not a subscription presence.
async fn any_presence(c: &mut Xmpp) -> Xml {
    loop {
        let el = c.recv().await.expect("stream open");
        if el.is("presence", CLIENT)
            && !matches!(
                el.attr("type"),
                Some("subscribe" | "subscribed" | "unsubscribe" | "unsubscribed")
            )
        {
            return el;
        }
    }
}

fn from(p: &Xml) -> &str {
    p.attr("from").unwrap_or_default()
}

fn status(p: &Xml) -> Option<String> {
    xmpp::child_text(p, "status")
}

fn froms(ps: &[Xml]) -> Vec<String> {
    let mut f: Vec<String> = ps.iter().map(|p| from(p).to_string()).collect();
    f.sort();
    f
}

fn full(u: &User, resource: &str) -> String {
    format!("{}/{resource}", u.jid)
}

/// XEP-0012 to a user's bare JID: the result's (seconds, status), or the error's condition.
async fn last_of(c: &mut Xmpp, who: &User) -> Result<(i64, String), String> {
    let r = c
        .iq(&format!(
            "<iq xmlns='{CLIENT}' type='get' id='last' to='{}'><query xmlns='{LAST}'/></iq>",
            who.jid
        ))
        .await;
    assert_eq!(r.attr("id"), Some("last"), "{}", String::from(&r));
    if r.attr("type") == Some("error") {
        let error = r.get_child("error", CLIENT).expect("an error");
        let cond = error.children().find(|c| c.ns() == STANZAS).unwrap();
        return Err(cond.name().to_string());
    }
    let q = r.get_child("query", LAST).expect("a query");
    Ok((q.attr("seconds").unwrap().parse().unwrap(), q.text()))
}

fn graphql_last_status(s: &TestServer, u: &User) -> String {
    s.client(u)
        .run(last::get_last(None))
        .unwrap()
        .into_data()
        .unwrap()
        .last
        .unwrap()
        .get_last
        .unwrap()
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn available_presence_reaches_subscribers_and_probes_answer_contacts() {
    let s = server();
    let (alice, bob, carol) = (s.new_user("alice"), s.new_user("bob"), s.new_user("carol"));
    mutual(s, &alice, &bob);
    let mut b = connect(s, &bob, "b").await;
    let got = available(&mut b, "bob here").await;
    // Its own presence only: alice is offline.
    assert_eq!(froms(&got), [full(&bob, "b")]);
    let mut c = connect(s, &carol, "c").await;
    available(&mut c, "carol here").await;

    let mut a = connect(s, &alice, "a").await;
    let got = available(&mut a, "alice here").await;
    // Its own presence, and bob's from the probe, with his status.
    assert_eq!(froms(&got), [full(&alice, "a"), full(&bob, "b")]);
    let bobs = got.iter().find(|p| from(p) == full(&bob, "b")).unwrap();
    assert_eq!(status(bobs).as_deref(), Some("bob here"));
    let p = any_presence(&mut b).await;
    assert_eq!(from(&p), full(&alice, "a"));
    assert_eq!(status(&p).as_deref(), Some("alice here"));
    assert_eq!(p.attr("type"), None);

    // A second resource: the first gets its presence, it gets the first's and bob's.
    let mut a2 = connect(s, &alice, "a2").await;
    let got = available(&mut a2, "second").await;
    assert_eq!(
        froms(&got),
        [full(&alice, "a"), full(&alice, "a2"), full(&bob, "b")]
    );
    assert_eq!(from(&any_presence(&mut a).await), full(&alice, "a2"));
    assert_eq!(from(&any_presence(&mut b).await), full(&alice, "a2"));

    // An update goes to the subscriber and the other resource, never to carol.
    let got = send_presence(
        &mut a,
        &format!("<presence xmlns='{CLIENT}'><show>away</show></presence>"),
    )
    .await;
    assert_eq!(froms(&got), [full(&alice, "a")]);
    let p = any_presence(&mut b).await;
    assert_eq!(from(&p), full(&alice, "a"));
    assert_eq!(xmpp::child_text(&p, "show").as_deref(), Some("away"));
    assert_eq!(from(&any_presence(&mut a2).await), full(&alice, "a"));
    assert!(
        barrier(&mut c, "c1").await.is_empty(),
        "nothing leaks to carol"
    );

    // Probes: bob's is answered (alice shares with him), carol's is not.
    let got = probe(&mut b, &alice).await;
    assert_eq!(froms(&got), [full(&alice, "a"), full(&alice, "a2")]);
    let got = probe(&mut c, &alice).await;
    assert!(got.is_empty(), "{got:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_presence_reaches_subscribers_and_records_last_activity() {
    let s = server();
    let (alice, bob, carol) = (s.new_user("alice"), s.new_user("bob"), s.new_user("carol"));
    mutual(s, &alice, &bob);
    let mut b = connect(s, &bob, "b").await;
    available(&mut b, "").await;
    let mut c = connect(s, &carol, "c").await;
    available(&mut c, "").await;
    let mut a = connect(s, &alice, "a").await;
    available(&mut a, "").await;
    any_presence(&mut b).await;

    // Explicit, with a status: bob sees it, getLast has the status; alice is still connected,
    // so XEP-0012 answers 0 seconds.
    send_presence(
        &mut a,
        &format!(
            "<presence xmlns='{CLIENT}' type='unavailable'><status>gone fishing</status></presence>"
        ),
    )
    .await;
    let p = b.next_presence(Some("unavailable")).await;
    assert_eq!(from(&p), full(&alice, "a"));
    assert_eq!(status(&p).as_deref(), Some("gone fishing"));
    assert_eq!(graphql_last_status(s, &alice), "gone fishing");
    assert_eq!(last_of(&mut b, &alice).await, Ok((0, String::new())));
    // Not to a user alice does not share her presence with.
    assert_eq!(last_of(&mut c, &alice).await, Err("forbidden".into()));

    // Available again, then the connection ends: unavailable without status, recorded.
    available(&mut a, "back").await;
    assert_eq!(
        b.next_presence(None).await.attr("from"),
        Some(full(&alice, "a").as_str())
    );
    drop(a);
    let p = b.next_presence(Some("unavailable")).await;
    assert_eq!(from(&p), full(&alice, "a"));
    assert_eq!(status(&p), None);
    assert_eq!(graphql_last_status(s, &alice), "");
    let (seconds, text) = last_of(&mut b, &alice).await.unwrap();
    assert!((0..60).contains(&seconds), "{seconds}");
    assert_eq!(text, "");
    assert_eq!(last_of(&mut c, &alice).await, Err("forbidden".into()));
    assert!(
        barrier(&mut c, "c1").await.is_empty(),
        "nothing leaks to carol"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directed_presence_is_delivered_and_unavailable_follows_at_the_end() {
    let s = server();
    let (alice, carol, dave) = (s.new_user("alice"), s.new_user("carol"), s.new_user("dave"));
    let mut c = connect(s, &carol, "c").await;
    available(&mut c, "").await;
    let mut d = connect(s, &dave, "d").await;
    available(&mut d, "").await;
    let mut d2 = connect(s, &dave, "d2").await;
    available(&mut d2, "").await;
    barrier(&mut d, "d0").await;
    let mut a = connect(s, &alice, "a").await;
    let got = available(&mut a, "").await;
    assert_eq!(
        froms(&got),
        [full(&alice, "a")],
        "no subscription: no probe"
    );
    assert!(
        barrier(&mut c, "c0").await.is_empty(),
        "no subscription: no broadcast"
    );

    // To a bare JID (every resource) and to a full JID (that one).
    a.send(&format!(
        "<presence xmlns='{CLIENT}' to='{}'><status>hi carol</status></presence>",
        carol.jid
    ))
    .await;
    a.send(&format!(
        "<presence xmlns='{CLIENT}' to='{}'/>",
        full(&dave, "d2")
    ))
    .await;
    barrier(&mut a, "a1").await;
    let p = any_presence(&mut c).await;
    assert_eq!(from(&p), full(&alice, "a"));
    assert_eq!(status(&p).as_deref(), Some("hi carol"));
    assert_eq!(from(&any_presence(&mut d2).await), full(&alice, "a"));
    assert!(barrier(&mut d, "d1").await.is_empty(), "only the full JID");

    // A broadcast update does not reach them (no subscription).
    send_presence(
        &mut a,
        &format!("<presence xmlns='{CLIENT}'><show>dnd</show></presence>"),
    )
    .await;
    assert!(barrier(&mut c, "c2").await.is_empty());
    assert!(barrier(&mut d2, "d2").await.is_empty());
    // Nor does a probe of a non-subscriber.
    let got = probe(&mut c, &alice).await;
    assert!(got.is_empty(), "{got:?}");

    // The session ends: both targets get its unavailable presence.
    drop(a);
    let p = c.next_presence(Some("unavailable")).await;
    assert_eq!(from(&p), full(&alice, "a"));
    let p = d2.next_presence(Some("unavailable")).await;
    assert_eq!(from(&p), full(&alice, "a"));
    assert!(barrier(&mut d, "d3").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_subscription_changes_send_presence_stanzas() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let mut a = connect(s, &alice, "a").await;
    available(&mut a, "").await;
    let mut b = connect(s, &bob, "b").await;
    available(&mut b, "bob here").await;

    ok(s.client(&alice)
        .run(groster::subscription(&bob.jid, SubAction::Invite))
        .unwrap());
    let p = b.next_presence(Some("subscribe")).await;
    assert_eq!(from(&p), alice.jid);
    // Approved: alice gets the approval, then bob's current presence.
    ok(s.client(&bob)
        .run(groster::subscription(&alice.jid, SubAction::Accept))
        .unwrap());
    let p = a.next_presence(Some("subscribed")).await;
    assert_eq!(from(&p), bob.jid);
    let p = any_presence(&mut a).await;
    assert_eq!(from(&p), full(&bob, "b"));
    assert_eq!(status(&p).as_deref(), Some("bob here"));
    // From now on bob's updates reach her.
    send_presence(
        &mut b,
        &format!("<presence xmlns='{CLIENT}'><show>xa</show></presence>"),
    )
    .await;
    let p = any_presence(&mut a).await;
    assert_eq!(xmpp::child_text(&p, "show").as_deref(), Some("xa"));

    // Revoked: alice gets the revocation, then bob's unavailable presence.
    ok(s.client(&bob)
        .run(groster::subscription(&alice.jid, SubAction::Decline))
        .unwrap());
    let p = a.next_presence(Some("unsubscribed")).await;
    assert_eq!(from(&p), bob.jid);
    let p = any_presence(&mut a).await;
    assert_eq!(p.attr("type"), Some("unavailable"));
    assert_eq!(from(&p), full(&bob, "b"));
    // And bob's updates no longer do.
    send_presence(&mut b, &format!("<presence xmlns='{CLIENT}'/>")).await;
    assert!(barrier(&mut a, "a1").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_account_or_a_changed_password_ends_as_unavailable() {
    let s = server();
    let (alice, bob, carol) = (s.new_user("alice"), s.new_user("bob"), s.new_user("carol"));
    mutual(s, &alice, &bob);
    mutual(s, &alice, &carol);
    let mut a = connect(s, &alice, "a").await;
    available(&mut a, "").await;
    a.iq(&format!(
        "<iq xmlns='{CLIENT}' type='get' id='r'><query xmlns='{ROSTER}'/></iq>"
    ))
    .await;
    let mut b = connect(s, &bob, "b").await;
    available(&mut b, "").await;
    let mut c = connect(s, &carol, "c").await;
    available(&mut c, "").await;
    barrier(&mut a, "a0").await;

    // Carol's password changes: her stream ends, alice sees her unavailable.
    ok(s.client(&carol)
        .run(mimql_client::user::account::change_password("n3w-presence"))
        .unwrap());
    let p = a.next_presence(Some("unavailable")).await;
    assert_eq!(from(&p), full(&carol, "c"));
    assert_eq!(c.closed().await.as_deref(), Some("not-authorized"));

    // Bob's account goes: alice sees him unavailable and gets the push of his item.
    let removed = s
        .admin()
        .run(mimql_client::admin::remove_user(&bob.jid))
        .unwrap();
    assert!(removed.errors.is_empty(), "{:?}", removed.errors);
    let mut unavailable = None;
    let mut pushed = None;
    while unavailable.is_none() || pushed.is_none() {
        let el = a.recv().await.expect("stream open");
        if el.is("presence", CLIENT) && el.attr("type") == Some("unavailable") {
            unavailable = Some(el);
        } else if el.is("iq", CLIENT) && el.get_child("query", ROSTER).is_some() {
            pushed = Some(el);
        }
    }
    assert_eq!(from(&unavailable.unwrap()), full(&bob, "b"));
    let push = pushed.unwrap();
    let item = push
        .get_child("query", ROSTER)
        .and_then(|q| q.children().next())
        .unwrap();
    assert_eq!(item.attr("jid"), Some(bob.jid.as_str()));
    assert_eq!(item.attr("subscription"), Some("remove"));
    assert!(common::contact(&s.client(&alice), &bob.jid).is_none());
}

/// XEP-0191: a block stops presence both ways, broadcast and probe answers alike; unblocking
/// lets it flow again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_stops_presence_both_ways() {
    let s = server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    mutual(s, &alice, &bob);
    let mut b = connect(s, &bob, "b").await;
    available(&mut b, "bob here").await;
    let block = |verb: &str| {
        format!(
            "<iq xmlns='{CLIENT}' type='set' id='{verb}'><{verb} xmlns='urn:xmpp:blocking'>\
             <item jid='{}'/></{verb}></iq>",
            alice.jid
        )
    };
    let r = b.iq(&block("block")).await;
    assert_eq!(r.attr("type"), Some("result"), "{}", String::from(&r));

    // Alice comes online: the probe does not answer bob's presence, and hers does not reach bob.
    let mut a = connect(s, &alice, "a").await;
    let got = available(&mut a, "alice here").await;
    assert_eq!(froms(&got), [full(&alice, "a")]);
    assert_eq!(
        froms(&barrier(&mut b, "blocked").await),
        Vec::<String>::new()
    );
    assert_eq!(froms(&probe(&mut a, &bob).await), Vec::<String>::new());

    // The unblock sends each side's current presence to the other (XEP-0191 §3.4).
    let r = b.iq(&block("unblock")).await;
    assert_eq!(r.attr("type"), Some("result"), "{}", String::from(&r));
    let seen = any_presence(&mut b).await;
    assert_eq!(from(&seen), full(&alice, "a"));
    assert_eq!(status(&seen).as_deref(), Some("alice here"));
    let seen = any_presence(&mut a).await;
    assert_eq!(from(&seen), full(&bob, "b"));
    assert_eq!(status(&seen).as_deref(), Some("bob here"));
    // And broadcasts flow again.
    let got = available(&mut a, "alice again").await;
    assert_eq!(froms(&got), [full(&alice, "a")]);
    let seen = any_presence(&mut b).await;
    assert_eq!(from(&seen), full(&alice, "a"));
    assert_eq!(status(&seen).as_deref(), Some("alice again"));
}

/// XEP-0191 §3.3: blocking a contact while both are online shows each to the other as
/// unavailable; a contact that is not blocked sees nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_block_shows_both_sides_unavailable() {
    let s = server();
    let (alice, bob, carol) = (s.new_user("alice"), s.new_user("bob"), s.new_user("carol"));
    mutual(s, &alice, &bob);
    mutual(s, &alice, &carol);
    let mut b = connect(s, &bob, "b").await;
    available(&mut b, "bob here").await;
    let mut c = connect(s, &carol, "c").await;
    available(&mut c, "").await;
    let mut a = connect(s, &alice, "a").await;
    let got = available(&mut a, "").await;
    assert_eq!(
        froms(&got),
        [full(&alice, "a"), full(&bob, "b"), full(&carol, "c")]
    );
    // The echo and the probe answers name their recipient, as broadcasts do (clients such as
    // slixmpp file presence by `to`).
    assert!(
        got.iter()
            .all(|p| p.attr("to") == Some(full(&alice, "a").as_str()))
    );
    barrier(&mut b, "b0").await;
    barrier(&mut c, "c0").await;

    let r = a
        .iq(&format!(
            "<iq xmlns='{CLIENT}' type='set' id='blk'><block xmlns='urn:xmpp:blocking'>\
             <item jid='{}'/></block></iq>",
            bob.jid
        ))
        .await;
    assert_eq!(r.attr("type"), Some("result"), "{}", String::from(&r));
    let seen = any_presence(&mut b).await;
    assert_eq!(seen.attr("type"), Some("unavailable"));
    assert_eq!(from(&seen), full(&alice, "a"));
    assert_eq!(seen.attr("to"), Some(full(&bob, "b").as_str()));
    let seen = any_presence(&mut a).await;
    assert_eq!(seen.attr("type"), Some("unavailable"));
    assert_eq!(from(&seen), full(&bob, "b"));
    assert!(barrier(&mut c, "c1").await.is_empty());
    // Bob's next presence stays away from alice.
    send_presence(&mut b, &format!("<presence xmlns='{CLIENT}'/>")).await;
    assert!(barrier(&mut a, "a1").await.is_empty());
}
