//! XEP-0280 message carbons through real XMPP clients (`tests/xmpp`): enable and disable per
//! session, `<received/>` copies of chat messages delivered to another session of the user,
//! `<sent/>` copies of those one session sent (from XMPP or GraphQL), the eligibility rules and
//! the `<private/>` and `<no-copy/>` exclusions, with three sessions of one user. GraphQL SSE
//! sessions are not devices: they get no copies, and a message they got is copied to the
//! user's XMPP sessions.

mod common;
mod xmpp;

use common::{TestServer, User, send, server};
use mimql_client::sse::{Opened, SseSubscription};
use mimql_client::user::stanza::{self, SubscribeForMessages};
use tokio_xmpp::minidom::Element as Xml;
use xmpp::{CLIENT, Endpoint, WAIT, Xmpp, child_text};

const CARBONS: &str = "urn:xmpp:carbons:2";
const FORWARD: &str = "urn:xmpp:forward:0";

async fn connect(s: &TestServer, u: &User, resource: &str) -> Xmpp {
    let at = Endpoint::new(s.c2s_addr.expect("c2s enabled"), &s.c2s_cert);
    xmpp::login(&at, &u.jid, &u.password, resource).await
}

/// Available with `priority`, carbons enabled or not.
async fn device(s: &TestServer, u: &User, resource: &str, priority: i32, carbons: bool) -> Xmpp {
    let mut c = connect(s, u, resource).await;
    c.presence(Some(priority)).await;
    if carbons {
        let r = c
            .iq(&format!(
                "<iq xmlns='{CLIENT}' type='set' id='cc'><enable xmlns='{CARBONS}'/></iq>"
            ))
            .await;
        assert_eq!(r.attr("type"), Some("result"), "{}", String::from(&r));
    }
    c.sync("ready").await;
    c
}

fn chat(to: &str, id: &str, body: &str) -> String {
    format!(
        "<message xmlns='{CLIENT}' type='chat' to='{to}' id='{id}'><body>{body}</body></message>"
    )
}

/// The copy's direction and the forwarded message.
fn carbon(m: &Xml) -> (&str, &Xml) {
    let marker = m
        .children()
        .find(|c| c.ns() == CARBONS)
        .unwrap_or_else(|| panic!("not a carbon: {}", String::from(m)));
    let forwarded = marker.get_child("forwarded", FORWARD).expect("forwarded");
    let inner = forwarded.get_child("message", CLIENT).expect("a message");
    (marker.name(), inner)
}

/// The messages among `els`.
fn messages(els: Vec<Xml>) -> Vec<Xml> {
    els.into_iter()
        .filter(|e| e.is("message", CLIENT))
        .collect()
}

fn bare(jid: &str) -> &str {
    jid.split('/').next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_sessions_get_received_and_sent_copies_once_enabled() {
    let s = server();
    let alice = s.new_user("cca");
    let bob = s.new_user("ccb");
    let mut phone = device(s, &alice, "phone", 5, true).await;
    let mut laptop = device(s, &alice, "laptop", 0, true).await;
    let mut tablet = device(s, &alice, "tablet", 0, false).await;
    let mut b = device(s, &bob, "b", 0, false).await;

    // To alice's bare JID: the phone (highest priority) gets it, the laptop a <received/> copy.
    b.send(&chat(&alice.jid, "m1", "to the bare JID")).await;
    let m = phone.message().await;
    assert_eq!(child_text(&m, "body").as_deref(), Some("to the bare JID"));
    assert!(m.children().all(|c| c.ns() != CARBONS));
    let copy = laptop.message().await;
    assert_eq!(copy.attr("from"), Some(alice.jid.as_str()));
    assert_eq!(copy.attr("to"), Some(laptop.jid.as_str()));
    assert_eq!(copy.attr("type"), Some("chat"));
    let (direction, inner) = carbon(&copy);
    assert_eq!(direction, "received");
    assert_eq!(inner.attr("from"), Some(b.jid.as_str()));
    assert_eq!(inner.attr("to"), Some(alice.jid.as_str()));
    assert_eq!(inner.attr("id"), Some("m1"));
    assert_eq!(
        child_text(inner, "body").as_deref(),
        Some("to the bare JID")
    );
    // The copy carries the laptop user's archive id, as the original does.
    assert_eq!(xmpp::stanza_id(inner), xmpp::stanza_id(&m));
    assert!(xmpp::stanza_id(inner).is_some());

    // To the tablet's full JID: the other two get copies (the phone enabled carbons too).
    b.send(&chat(&tablet.jid, "m2", "to the tablet")).await;
    let m = tablet.message().await;
    assert_eq!(child_text(&m, "body").as_deref(), Some("to the tablet"));
    for c in [&mut phone, &mut laptop] {
        let copy = c.message().await;
        let (direction, inner) = carbon(&copy);
        assert_eq!(direction, "received");
        assert_eq!(inner.attr("id"), Some("m2"));
    }

    // Sent by the phone: the laptop gets a <sent/> copy, the phone none, the tablet none.
    phone.send(&chat(&bob.jid, "m3", "from the phone")).await;
    let m = b.message().await;
    assert_eq!(child_text(&m, "body").as_deref(), Some("from the phone"));
    let copy = laptop.message().await;
    let (direction, inner) = carbon(&copy);
    assert_eq!(direction, "sent");
    assert_eq!(inner.attr("from"), Some(phone.jid.as_str()));
    assert_eq!(inner.attr("to"), Some(bob.jid.as_str()));
    assert_eq!(child_text(inner, "body").as_deref(), Some("from the phone"));
    assert!(messages(phone.sync("p1").await).is_empty());
    // The tablet never enabled carbons: nothing came to it but what was addressed to it.
    assert!(messages(tablet.sync("t1").await).is_empty());

    // The tablet enables them now and gets the next copy; the laptop disables them.
    let r = tablet
        .iq(&format!(
            "<iq xmlns='{CLIENT}' type='set' id='e'><enable xmlns='{CARBONS}'/></iq>"
        ))
        .await;
    assert_eq!(r.attr("type"), Some("result"));
    let r = laptop
        .iq(&format!(
            "<iq xmlns='{CLIENT}' type='set' id='d'><disable xmlns='{CARBONS}'/></iq>"
        ))
        .await;
    assert_eq!(r.attr("type"), Some("result"));
    phone.send(&chat(&bob.jid, "m4", "again")).await;
    b.message().await;
    let copy = tablet.message().await;
    assert_eq!(carbon(&copy).0, "sent");
    assert_eq!(
        child_text(carbon(&copy).1, "body").as_deref(),
        Some("again")
    );
    assert!(messages(laptop.sync("l1").await).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_eligible_messages_are_copied() {
    let s = server();
    let alice = s.new_user("cce");
    let bob = s.new_user("ccf");
    let mut phone = device(s, &alice, "phone", 5, false).await;
    let mut laptop = device(s, &alice, "laptop", 0, true).await;
    let mut b = device(s, &bob, "b", 0, false).await;
    let to = &alice.jid;
    let not_copied = [
        format!(
            "<message xmlns='{CLIENT}' type='chat' to='{to}' id='x1'><body>private</body>\
             <private xmlns='{CARBONS}'/></message>"
        ),
        format!(
            "<message xmlns='{CLIENT}' type='chat' to='{to}' id='x2'><body>no copy</body>\
             <no-copy xmlns='urn:xmpp:hints'/></message>"
        ),
        format!(
            "<message xmlns='{CLIENT}' type='normal' to='{to}' id='x3'><subject>s</subject></message>"
        ),
        format!(
            "<message xmlns='{CLIENT}' type='headline' to='{to}' id='x4'><body>news</body></message>"
        ),
    ];
    for m in &not_copied {
        b.send(m).await;
    }
    // Copied: a chat without a body, a normal message with one (no type is normal).
    b.send(&format!(
        "<message xmlns='{CLIENT}' type='chat' to='{to}' id='y1'>\
         <composing xmlns='http://jabber.org/protocol/chatstates'/></message>"
    ))
    .await;
    b.send(&format!(
        "<message xmlns='{CLIENT}' to='{to}' id='y2'><body>normal</body></message>"
    ))
    .await;
    // The phone got everything but the headline's copy... and the headline itself, which goes
    // to every available session: the laptop gets the headline and the two copies only.
    let mut got = Vec::new();
    while got.len() < 6 {
        let m = phone.message().await;
        got.push(m.attr("id").unwrap_or_default().to_string());
    }
    assert_eq!(got, ["x1", "x2", "x3", "x4", "y1", "y2"]);
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let m = laptop.message().await;
        match m.children().find(|c| c.ns() == CARBONS) {
            Some(_) => {
                let (direction, inner) = carbon(&m);
                seen.push(format!(
                    "{direction} {}",
                    inner.attr("id").unwrap_or_default()
                ));
            }
            None => seen.push(m.attr("id").unwrap_or_default().to_string()),
        }
    }
    assert_eq!(seen, ["x4", "received y1", "received y2"]);
    assert!(messages(laptop.sync("l").await).is_empty());

    // The same rules for sent copies: a private message is not copied.
    phone
        .send(&format!(
            "<message xmlns='{CLIENT}' type='chat' to='{}' id='z1'><body>p</body>\
             <private xmlns='{CARBONS}'/></message>",
            bob.jid
        ))
        .await;
    b.message().await;
    assert!(messages(laptop.sync("l2").await).is_empty());
    // An iq get of <enable/> is a bad request.
    let r = laptop
        .iq(&format!(
            "<iq xmlns='{CLIENT}' type='get' id='g'><enable xmlns='{CARBONS}'/></iq>"
        ))
        .await;
    assert_eq!(r.attr("type"), Some("error"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_sessions_are_not_devices_but_their_messages_are_copied() {
    let s = server();
    let alice = s.new_user("ccg");
    let bob = s.new_user("cch");
    let mut laptop = device(s, &alice, "laptop", 0, true).await;
    let mut b = device(s, &bob, "b", 0, false).await;

    // Sent through GraphQL by alice: her XMPP session gets a <sent/> copy.
    send(&s.client(&alice), &bob.jid, "from graphql");
    let m = b.message().await;
    assert_eq!(child_text(&m, "body").as_deref(), Some("from graphql"));
    let copy = laptop.message().await;
    let (direction, inner) = carbon(&copy);
    assert_eq!(direction, "sent");
    assert_eq!(bare(inner.attr("from").unwrap()), alice.jid);
    assert_eq!(child_text(inner, "body").as_deref(), Some("from graphql"));

    // An SSE subscription (priority 1) gets a message to alice's bare JID; the laptop a copy.
    let client = s.client(&alice);
    let mut sub = match SseSubscription::open(&client, &stanza::subscribe_for_messages())
        .expect("server reachable")
    {
        Opened::Stream(sub) => sub,
        Opened::Refused { status, body, .. } => panic!("refused: {status} {body}"),
    };
    b.send(&chat(&alice.jid, "m1", "to alice")).await;
    let copy = laptop.message().await;
    let (direction, inner) = carbon(&copy);
    assert_eq!(direction, "received");
    assert_eq!(child_text(inner, "body").as_deref(), Some("to alice"));
    // The SSE stream got the message itself and, next, the laptop's own message to bob — not
    // its <sent/> copy (SSE sessions get no copies).
    laptop.send(&chat(&bob.jid, "m2", "from the laptop")).await;
    b.message().await;
    send(&s.client(&bob), &alice.jid, "marker");
    let bodies = tokio::task::spawn_blocking(move || {
        let mut bodies = Vec::new();
        for _ in 0..2 {
            let resp = sub
                .next::<SubscribeForMessages>(WAIT)
                .expect("stream open")
                .expect("an event in time");
            let m = resp.data.unwrap().message().cloned().expect("a message");
            bodies.push(format!("{m:?}"));
        }
        bodies
    })
    .await
    .unwrap();
    assert!(bodies[0].contains("to alice"), "{bodies:?}");
    assert!(bodies[1].contains("marker"), "{bodies:?}");
}
