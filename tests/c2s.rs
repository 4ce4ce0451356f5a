//! XMPP clients (c2s): a minimal client built on the crates the server uses (tokio-xmpp's
//! initiator-side XML stream, tokio-rustls trusting the certificate the server generated at
//! start) against the real server: STARTTLS required, SASL PLAIN, resource binding, sessions
//! in the registry, messages both ways through the router and the archive, removal, bounds.
//! tokio-xmpp's own `Client` cannot be given a certificate to trust (it uses the system's
//! roots), hence the minimal client.

mod common;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use common::{TestServer, User, archive, eventually, send, server, server_with, sessions};
use futures_util::{SinkExt, StreamExt};
use mimql_client::sse::{Opened, SseSubscription};
use mimql_client::user::stanza::{self, SubscribeForMessages};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_xmpp::minidom::Element as Xml;
use tokio_xmpp::parsers::stream_features::StreamFeatures;
use tokio_xmpp::xmlstream::{self, ReadError, StreamHeader, Timeouts, XmlStream};

const CLIENT: &str = "jabber:client";
const STREAM: &str = "http://etherx.jabber.org/streams";
const TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
const SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
const BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";
const SID: &str = "urn:xmpp:sid:0";
const WAIT: Duration = Duration::from_secs(10);

type Tls = BufReader<tokio_rustls::client::TlsStream<TcpStream>>;

fn b64() -> base64::engine::general_purpose::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn header() -> StreamHeader<'static> {
    StreamHeader {
        to: Some("localhost".into()),
        from: None,
        id: None,
    }
}

fn timeouts() -> Timeouts {
    Timeouts {
        read_timeout: Duration::from_secs(60),
        response_timeout: Duration::from_secs(60),
    }
}

fn xml(s: &str) -> Xml {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn connector(s: &TestServer) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&s.c2s_cert).expect("the generated certificate") {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

async fn next<Io: tokio::io::AsyncBufRead + tokio::io::AsyncWrite + Unpin>(
    s: &mut XmlStream<Io, Xml>,
) -> Option<Xml> {
    match tokio::time::timeout(WAIT, s.next())
        .await
        .expect("an element in time")
    {
        Some(Ok(el)) => Some(el),
        Some(Err(ReadError::StreamFooterReceived)) | None => None,
        Some(Err(e)) => panic!("read failed: {e}"),
    }
}

/// A TCP connection with the stream opened: the features and the stream.
async fn plain(s: &TestServer) -> (StreamFeatures, XmlStream<BufReader<TcpStream>, Xml>) {
    let tcp = TcpStream::connect(s.c2s_addr.expect("c2s enabled"))
        .await
        .unwrap();
    xmlstream::initiate_stream(BufReader::new(tcp), CLIENT, header(), timeouts())
        .await
        .unwrap()
        .recv_features::<Xml>()
        .await
        .unwrap()
}

/// After STARTTLS: the features and the stream.
async fn secure(s: &TestServer) -> (StreamFeatures, XmlStream<Tls, Xml>) {
    let (features, mut stream) = plain(s).await;
    assert!(features.starttls.as_ref().is_some_and(|t| t.required));
    assert!(features.sasl_mechanisms.is_empty(), "no SASL before TLS");
    stream
        .send(&xml("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"))
        .await
        .unwrap();
    let proceed = next(&mut stream).await.unwrap();
    assert!(proceed.is("proceed", TLS), "{}", String::from(&proceed));
    let tcp = stream.into_inner().into_inner();
    let tls = connector(s)
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("the server's certificate is valid for localhost");
    xmlstream::initiate_stream(BufReader::new(tls), CLIENT, header(), timeouts())
        .await
        .unwrap()
        .recv_features::<Xml>()
        .await
        .unwrap()
}

struct Xmpp {
    stream: XmlStream<Tls, Xml>,
    /// The bound full JID.
    jid: String,
}

/// With TLS from the first byte on `direct_tls_address` (XEP-0368): the features and the
/// stream.
async fn direct(s: &TestServer) -> (StreamFeatures, XmlStream<Tls, Xml>) {
    let tcp = TcpStream::connect(s.c2s_direct_tls_addr.expect("direct TLS enabled"))
        .await
        .unwrap();
    let tls = connector(s)
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("the server's certificate is valid for localhost");
    xmlstream::initiate_stream(BufReader::new(tls), CLIENT, header(), timeouts())
        .await
        .unwrap()
        .recv_features::<Xml>()
        .await
        .unwrap()
}

/// The condition of a SASL `<failure/>` (and its text).
fn failure(reply: &Xml) -> (String, Option<String>) {
    assert!(reply.is("failure", SASL), "{}", String::from(reply));
    let condition = reply
        .children()
        .find(|c| c.name() != "text")
        .map(|c| c.name().to_string())
        .unwrap_or_default();
    (condition, reply.get_child("text", SASL).map(|t| t.text()))
}

/// PLAIN as `authcid`/`password` on a secured stream; `Err(condition)` when it fails.
async fn auth_plain(
    stream: &mut XmlStream<Tls, Xml>,
    authcid: &str,
    password: &str,
) -> Result<(), String> {
    let payload = b64().encode(format!("\0{authcid}\0{password}"));
    stream
        .send(&xml(&format!(
            "<auth xmlns='{SASL}' mechanism='PLAIN'>{payload}</auth>"
        )))
        .await
        .unwrap();
    let reply = next(stream).await.unwrap();
    if reply.is("failure", SASL) {
        return Err(failure(&reply).0);
    }
    assert!(reply.is("success", SASL), "{}", String::from(&reply));
    Ok(())
}

/// Restarts the authenticated stream and binds `resource` (or lets the server choose).
async fn bind(stream: XmlStream<Tls, Xml>, resource: Option<&str>) -> Xmpp {
    let (features, mut stream) = stream
        .initiate_reset()
        .send_header(header())
        .await
        .unwrap()
        .recv_features::<Xml>()
        .await
        .unwrap();
    assert!(features.bind.is_some());
    assert!(features.sasl_mechanisms.is_empty());
    let bind = match resource {
        Some(r) => format!("<bind xmlns='{BIND}'><resource>{r}</resource></bind>"),
        None => format!("<bind xmlns='{BIND}'/>"),
    };
    stream
        .send(&xml(&format!(
            "<iq xmlns='{CLIENT}' type='set' id='b1'>{bind}</iq>"
        )))
        .await
        .unwrap();
    let result = next(&mut stream).await.unwrap();
    assert_eq!(
        result.attr("type"),
        Some("result"),
        "{}",
        String::from(&result)
    );
    let jid = result
        .get_child("bind", BIND)
        .and_then(|b| b.get_child("jid", BIND))
        .map(|j| j.text())
        .expect("the bound JID");
    Xmpp { stream, jid }
}

/// Logs in with PLAIN as `authcid`/`password`, binds `resource` (or lets the server choose);
/// `Err(condition)` when SASL fails.
async fn login_as(
    s: &TestServer,
    authcid: &str,
    password: &str,
    resource: Option<&str>,
) -> Result<Xmpp, String> {
    let (features, mut stream) = secure(s).await;
    assert!(features.sasl_mechanisms.contains("PLAIN"));
    assert_eq!(
        features
            .limits
            .as_ref()
            .and_then(|l| l.max_bytes)
            .map(|n| n.get()),
        Some(65536)
    );
    auth_plain(&mut stream, authcid, password).await?;
    Ok(bind(stream, resource).await)
}

async fn login(s: &TestServer, u: &User, resource: Option<&str>) -> Xmpp {
    login_as(s, &u.jid, &u.password, resource)
        .await
        .expect("login succeeds")
}

impl Xmpp {
    async fn send(&mut self, stanza: &str) {
        self.stream.send(&xml(stanza)).await.unwrap();
    }

    /// The next element from the server; `None` when the stream ended.
    async fn recv(&mut self) -> Option<Xml> {
        next(&mut self.stream).await
    }

    /// The next `<message/>`, skipping other stanzas.
    async fn message(&mut self) -> Xml {
        loop {
            let el = self.recv().await.expect("stream open");
            if el.is("message", CLIENT) {
                return el;
            }
        }
    }

    /// Reads until the stream ends; answers the stream error's condition, if one came.
    async fn closed(&mut self) -> Option<String> {
        let mut condition = None;
        while let Some(el) = self.recv().await {
            if el.is("error", STREAM) {
                condition = el.children().next().map(|c| c.name().to_string());
            }
        }
        condition
    }

    async fn iq(&mut self, iq: &str) -> Xml {
        self.send(iq).await;
        loop {
            let el = self.recv().await.expect("stream open");
            if el.is("iq", CLIENT) {
                return el;
            }
        }
    }
}

fn child_text(el: &Xml, name: &str) -> Option<String> {
    el.children().find(|c| c.name() == name).map(|c| c.text())
}

fn stanza_id(el: &Xml) -> Option<(String, String)> {
    el.get_child("stanza-id", SID).map(|s| {
        (
            s.attr("by").unwrap_or_default().to_string(),
            s.attr("id").unwrap_or_default().to_string(),
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_bind_and_the_session_in_the_registry() {
    let s = server();
    let u = s.new_user("c2sa");
    let (name, _) = u.jid.split_once('@').unwrap();
    // The local part alone is the usual PLAIN authentication identity.
    let mut x = login_as(s, name, &u.password, Some("phone")).await.unwrap();
    assert_eq!(x.jid, format!("{}/phone", u.jid));
    // The legacy session iq is answered.
    let r = x
        .iq("<iq xmlns='jabber:client' type='set' id='s1'>\
             <session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>")
        .await;
    assert_eq!(r.attr("type"), Some("result"));
    x.send("<presence xmlns='jabber:client'><priority>5</priority></presence>")
        .await;
    let c = s.client(&u);
    assert!(eventually(10, || {
        let info = sessions(&c);
        info.list_sessions
            .unwrap_or_default()
            .iter()
            .any(|s| s.priority == Some(5))
    }));
    let info = sessions(&c);
    assert_eq!(info.count_resources, Some(1));
    assert_eq!(
        info.list_resources
            .unwrap()
            .iter()
            .map(|r| r.0.clone())
            .collect::<Vec<_>>(),
        ["phone"]
    );
    let session = &info.list_sessions.unwrap()[0];
    assert_eq!(session.user.0, x.jid);
    assert_eq!(session.connection.as_deref(), Some("c2s_tls"));
    assert_eq!(session.ip.as_deref(), Some("127.0.0.1"));
    assert!(session.port.is_some_and(|p| p > 0));
    // A generated resource.
    let y = login(s, &u, None).await;
    assert!(y.jid.starts_with(&format!("{}/c2s-", u.jid)), "{}", y.jid);
    assert!(eventually(10, || sessions(&c).count_resources == Some(2)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_not_authorized() {
    let s = server();
    let u = s.new_user("c2sw");
    assert_eq!(
        login_as(s, &u.jid, "wrong", None).await.err().as_deref(),
        Some("not-authorized")
    );
    assert_eq!(
        login_as(s, "nobody_here", "pw", None)
            .await
            .err()
            .as_deref(),
        Some("not-authorized")
    );
}

/// SASL shares the failed-login throttle with HTTP: failures over XMPP lock the account on
/// both, and a throttled attempt is refused even with the right password (issue 19, item 4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_throttled_with_http() {
    let s = server_with(|c| c.auth.account_failures = 2);
    let u = s.new_user("c2st");
    for _ in 0..2 {
        assert_eq!(
            login_as(&s, &u.jid, "wrong", None).await.err().as_deref(),
            Some("not-authorized")
        );
    }
    assert_eq!(
        login_as(&s, &u.jid, &u.password, None)
            .await
            .err()
            .as_deref(),
        Some("temporary-auth-failure")
    );
    let (status, body) = tokio::task::block_in_place(|| {
        s.post(
            &s.client(&u),
            serde_json::json!({"query": "{ checkAuth { authStatus } }"}),
        )
    });
    assert_eq!(status, 429);
    assert_eq!(common::code(&body), "too_many_attempts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_before_starttls_is_refused() {
    let s = server();
    let u = s.new_user("c2st");
    let (features, mut stream) = plain(s).await;
    assert!(features.sasl_mechanisms.is_empty());
    let payload = b64().encode(format!("\0{}\0{}", u.jid, u.password));
    stream
        .send(&xml(&format!(
            "<auth xmlns='{SASL}' mechanism='PLAIN'>{payload}</auth>"
        )))
        .await
        .unwrap();
    let error = next(&mut stream).await.expect("a stream error");
    assert!(error.is("error", STREAM), "{}", String::from(&error));
    assert_eq!(
        error
            .children()
            .next()
            .map(|c| c.name().to_string())
            .as_deref(),
        Some("policy-violation")
    );
    assert!(next(&mut stream).await.is_none(), "the stream is closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binding_a_bound_resource_replaces_the_old_session() {
    let s = server();
    let u = s.new_user("c2sc");
    let mut old = login(s, &u, Some("desk")).await;
    let new = login(s, &u, Some("desk")).await;
    assert_eq!(old.closed().await.as_deref(), Some("conflict"));
    let c = s.client(&u);
    assert!(eventually(10, || sessions(&c).count_resources == Some(1)));
    drop(new);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_messages_reach_the_client_with_the_archive_id() {
    let s = server();
    let (alice, bob) = (s.new_user("c2sga"), s.new_user("c2sgb"));
    let mut x = login(s, &bob, Some("laptop")).await;
    x.send("<presence xmlns='jabber:client'/>").await;
    let bc = s.client(&bob);
    assert!(eventually(10, || {
        sessions(&bc)
            .list_sessions
            .unwrap_or_default()
            .iter()
            .any(|s| s.priority == Some(0))
    }));
    let id = send(&s.client(&alice), &bob.jid, "to the bare JID");
    let m = x.message().await;
    assert_eq!(m.attr("id"), Some(id.as_str()));
    assert_eq!(m.attr("from"), Some(alice.jid.as_str()));
    assert_eq!(m.attr("type"), Some("chat"));
    assert_eq!(child_text(&m, "body").as_deref(), Some("to the bare JID"));
    let (archived, _) = archive(&bc, Some(&alice.jid), None, None);
    let newest = archived.last().unwrap();
    assert_eq!(
        stanza_id(&m),
        Some((bob.jid.clone(), newest.stanza_id.clone().unwrap()))
    );
    // To the full JID.
    send(&s.client(&alice), &x.jid, "to the full JID");
    let m = x.message().await;
    assert_eq!(child_text(&m, "body").as_deref(), Some("to the full JID"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_session_gets_only_full_jid_messages() {
    let s = server();
    let (alice, bob) = (s.new_user("c2sua"), s.new_user("c2sub"));
    // Bound, no initial presence: not available for the bare JID.
    let mut x = login(s, &bob, Some("r")).await;
    send(&s.client(&alice), &bob.jid, "not for you");
    send(&s.client(&alice), &x.jid, "for you");
    let m = x.message().await;
    assert_eq!(child_text(&m, "body").as_deref(), Some("for you"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_messages_reach_the_archive_and_graphql_subscribers() {
    let s = server();
    let (alice, bob) = (s.new_user("c2sma"), s.new_user("c2smb"));
    let bc = s.client(&bob);
    let mut sub = match SseSubscription::open(&bc, &stanza::subscribe_for_messages())
        .expect("server reachable")
    {
        Opened::Stream(sub) => sub,
        Opened::Refused { status, body, .. } => panic!("refused: {status} {body}"),
    };
    let mut x = login(s, &alice, Some("phone")).await;
    // A spoofed `from` and a forged stanza-id are replaced by the server.
    x.send(&format!(
        "<message xmlns='jabber:client' to='{}' from='mallory@localhost/x' type='chat' id='m1'>\
         <body>hello from XMPP</body>\
         <stanza-id xmlns='{SID}' by='{}' id='FORGED'/></message>",
        bob.jid, bob.jid
    ))
    .await;
    let event = tokio::task::spawn_blocking(move || {
        let resp = sub
            .next::<SubscribeForMessages>(WAIT)
            .expect("stream open")
            .expect("an event in time");
        resp.data.unwrap().message().cloned().expect("a message")
    })
    .await
    .unwrap();
    assert_eq!(event.sender.unwrap().0, x.jid);
    assert_eq!(event.stanza_id.as_deref(), Some("m1"));
    let element = event.stanza.unwrap().0;
    assert!(element.contains("hello from XMPP"), "{element}");
    assert!(element.contains(&format!("from='{}'", x.jid)), "{element}");
    assert!(!element.contains("FORGED"), "{element}");
    assert!(!element.contains("mallory"), "{element}");
    let ac = s.client(&alice);
    let (mine, _) = archive(&ac, Some(&bob.jid), None, None);
    assert_eq!(mine.len(), 1);
    let (theirs, _) = archive(&bc, Some(&alice.jid), None, None);
    assert_eq!(theirs.len(), 1);
    assert!(
        theirs[0]
            .stanza
            .as_ref()
            .unwrap()
            .0
            .contains("hello from XMPP")
    );
    // Between two XMPP clients, with the recipient's archive id.
    let mut y = login(s, &bob, Some("tablet")).await;
    y.send("<presence xmlns='jabber:client'/>").await;
    assert!(eventually(10, || {
        sessions(&bc)
            .list_sessions
            .unwrap_or_default()
            .iter()
            .any(|s| s.user.0 == y.jid && s.priority == Some(0))
    }));
    x.send(&format!(
        "<message xmlns='jabber:client' to='{}' type='chat' id='m2'><body>second</body></message>",
        y.jid
    ))
    .await;
    let m = y.message().await;
    assert_eq!(m.attr("from"), Some(x.jid.as_str()));
    let (theirs, _) = archive(&bc, Some(&alice.jid), None, None);
    assert_eq!(
        stanza_id(&m),
        Some((
            bob.jid.clone(),
            theirs.last().unwrap().stanza_id.clone().unwrap()
        ))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iqs_to_the_server() {
    let s = server();
    let u = s.new_user("c2si");
    let mut x = login(s, &u, None).await;
    let r = x
        .iq(
            "<iq xmlns='jabber:client' type='get' id='p1' to='localhost'>\
             <ping xmlns='urn:xmpp:ping'/></iq>",
        )
        .await;
    assert_eq!((r.attr("type"), r.attr("id")), (Some("result"), Some("p1")));
    let r = x
        .iq("<iq xmlns='jabber:client' type='get' id='d1'>\
             <query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
        .await;
    assert_eq!(r.attr("type"), Some("result"));
    let query = r
        .get_child("query", "http://jabber.org/protocol/disco#info")
        .unwrap();
    let features: Vec<&str> = query
        .children()
        .filter(|c| c.name() == "feature")
        .filter_map(|c| c.attr("var"))
        .collect();
    for feature in [
        "urn:xmpp:ping",
        "jabber:iq:version",
        "jabber:iq:last",
        "msgoffline",
    ] {
        assert!(features.contains(&feature), "{features:?}");
    }
    // XEP-0092: the name and Cargo's version, no operating system unless configured.
    let r = x
        .iq(
            "<iq xmlns='jabber:client' type='get' id='v1' to='localhost'>\
             <query xmlns='jabber:iq:version'/></iq>",
        )
        .await;
    assert_eq!((r.attr("type"), r.attr("id")), (Some("result"), Some("v1")));
    assert_eq!(r.attr("from"), Some("localhost"));
    let query = r.get_child("query", "jabber:iq:version").unwrap();
    assert_eq!(child_text(query, "name").as_deref(), Some("mimql"));
    assert_eq!(
        child_text(query, "version").as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(child_text(query, "os"), None);
    // XEP-0012 on the server: its uptime in seconds, which does not go backwards.
    let uptime = |r: &Xml| -> u64 {
        assert_eq!(r.attr("type"), Some("result"), "{}", String::from(r));
        r.get_child("query", "jabber:iq:last")
            .and_then(|q| q.attr("seconds"))
            .expect("seconds")
            .parse()
            .expect("a number of seconds")
    };
    let last = "<iq xmlns='jabber:client' type='get' id='l1' to='localhost'>\
                <query xmlns='jabber:iq:last'/></iq>";
    let first = uptime(&x.iq(last).await);
    let second = uptime(&x.iq(last).await);
    assert!(second >= first);
    // Anything else addressed to the server.
    let r = x
        .iq(
            "<iq xmlns='jabber:client' type='get' id='u1' to='localhost'>\
             <query xmlns='urn:example:nothing'/></iq>",
        )
        .await;
    assert_eq!(r.attr("type"), Some("error"));
    let error = r.get_child("error", CLIENT).unwrap();
    assert!(error.has_child("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operating_system_is_answered_when_configured() {
    let s = server_with(|c| c.listen.c2s.version_os = true);
    let u = s.new_user("c2sos");
    let mut x = login(&s, &u, None).await;
    let r = x
        .iq(
            "<iq xmlns='jabber:client' type='get' id='v2' to='localhost'>\
             <query xmlns='jabber:iq:version'/></iq>",
        )
        .await;
    let query = r.get_child("query", "jabber:iq:version").unwrap();
    assert_eq!(
        child_text(query, "os").as_deref(),
        Some(std::env::consts::OS)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_the_account_closes_the_stream() {
    let s = server();
    let u = s.new_user("c2sr");
    let mut x = login(s, &u, None).await;
    let removed = s
        .admin()
        .run(mimql_client::admin::remove_user(&u.jid))
        .expect("admin API reachable");
    assert!(removed.errors.is_empty(), "{:?}", removed.errors);
    assert_eq!(x.closed().await.as_deref(), Some("not-authorized"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_closes_the_stream() {
    let s = server();
    let u = s.new_user("c2sp");
    let mut x = login(s, &u, None).await;
    let changed = s
        .client(&u)
        .run(mimql_client::user::account::change_password("another one"))
        .expect("server reachable");
    assert!(changed.errors.is_empty(), "{:?}", changed.errors);
    assert_eq!(x.closed().await.as_deref(), Some("not-authorized"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stanza_over_the_bound_closes_the_stream() {
    let s = server();
    let u = s.new_user("c2sb");
    let mut x = login(s, &u, None).await;
    let body = "x".repeat(70_000);
    x.send(&format!(
        "<message xmlns='jabber:client' to='{}' type='chat'><body>{body}</body></message>",
        u.jid
    ))
    .await;
    assert_eq!(x.closed().await.as_deref(), Some("policy-violation"));
    // The server stays up.
    let mut y = login(s, &u, None).await;
    let r = y
        .iq("<iq xmlns='jabber:client' type='get' id='p2'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    assert_eq!(r.attr("type"), Some("result"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dtd_is_refused_before_the_parser_sees_it() {
    let s = server();
    let mut tcp = TcpStream::connect(s.c2s_addr.unwrap()).await.unwrap();
    tcp.write_all(
        b"<?xml version='1.0'?><!DOCTYPE lol [<!ENTITY lol 'lol'>]>\
          <stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' \
          to='localhost' version='1.0'>",
    )
    .await
    .unwrap();
    // The connection is closed without the server parsing the DTD.
    let mut buf = Vec::new();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut buf))
        .await
        .expect("closed in time")
        .ok();
    let text = String::from_utf8_lossy(&buf);
    assert!(!text.contains("<stream:features"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_negotiate_in_time_is_disconnected() {
    let s = server_with(|c| c.listen.c2s.negotiation_timeout_secs = 1);
    let mut tcp = TcpStream::connect(s.c2s_addr.unwrap()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut buf))
        .await
        .expect("closed in time")
        .ok();
    // Nothing was sent but the connection ended; a negotiating client in time is unaffected.
    assert!(buf.is_empty());
    let u = s.new_user("c2sn");
    login(&s, &u, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_client_is_pinged_then_disconnected() {
    let s = server_with(|c| {
        c.listen.c2s.idle_timeout_secs = 1;
        c.listen.c2s.ping_timeout_secs = 1;
    });
    let u = s.new_user("c2sq");
    let mut x = login(&s, &u, None).await;
    let ping = x.recv().await.expect("a ping");
    assert!(ping.is("iq", CLIENT), "{}", String::from(&ping));
    assert_eq!(ping.attr("type"), Some("get"));
    assert_eq!(ping.attr("from"), Some("localhost"));
    assert_eq!(ping.attr("to"), Some(x.jid.as_str()));
    assert!(ping.has_child("ping", "urn:xmpp:ping"));
    // Answering keeps the stream open; staying silent ends it.
    x.send(&format!(
        "<iq xmlns='jabber:client' type='result' id='{}' to='localhost'/>",
        ping.attr("id").unwrap()
    ))
    .await;
    assert_eq!(x.closed().await.as_deref(), Some("connection-timeout"));
}

// ---- SCRAM (RFC 5802, RFC 7677) ----

/// The client side of SCRAM, written here with RustCrypto's HMAC, hashes and PBKDF2 (apart
/// from the server's implementation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hash {
    Sha1,
    Sha256,
}

impl Hash {
    fn mechanism(self) -> &'static str {
        match self {
            Hash::Sha1 => "SCRAM-SHA-1",
            Hash::Sha256 => "SCRAM-SHA-256",
        }
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        use hmac::{KeyInit, Mac};
        fn run<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
            let mut m = <M as KeyInit>::new_from_slice(key).unwrap();
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
        match self {
            Hash::Sha1 => run::<hmac::Hmac<sha1::Sha1>>(key, data),
            Hash::Sha256 => run::<hmac::Hmac<sha2::Sha256>>(key, data),
        }
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        use sha2::Digest;
        match self {
            Hash::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Hash::Sha256 => sha2::Sha256::digest(data).to_vec(),
        }
    }

    fn salted(self, password: &str, salt: &[u8], i: u32) -> Vec<u8> {
        let mut out = vec![0; if self == Hash::Sha1 { 20 } else { 32 }];
        match self {
            Hash::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password.as_bytes(), salt, i, &mut out),
            Hash::Sha256 => {
                pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), salt, i, &mut out)
            }
        }
        out
    }
}

/// The server's first message: (nonce, salt, iterations).
fn server_first(challenge: &str) -> (String, Vec<u8>, u32) {
    let mut r = None;
    let mut salt = None;
    let mut i = None;
    for attr in challenge.split(',') {
        match attr.split_at(2) {
            ("r=", v) => r = Some(v.to_string()),
            ("s=", v) => salt = Some(b64().decode(v).unwrap()),
            ("i=", v) => i = Some(v.parse().unwrap()),
            _ => {}
        }
    }
    (r.unwrap(), salt.unwrap(), i.unwrap())
}

/// What a SCRAM attempt ended with.
enum Scram {
    /// `<success/>`, its server signature checked.
    Ok(Box<XmlStream<Tls, Xml>>),
    /// `<failure/>` with this condition, after the server's first message (if one came).
    Failed {
        condition: String,
        text: Option<String>,
        challenge: Option<String>,
    },
}

impl std::fmt::Debug for Scram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scram::Ok(_) => f.write_str("Ok"),
            Scram::Failed {
                condition,
                text,
                challenge,
            } => write!(f, "Failed({condition}, {text:?}, {challenge:?})"),
        }
    }
}

/// A SCRAM exchange as `user` with `password` on a secured stream; `gs2` the GS2 header.
async fn scram_with(
    mut stream: XmlStream<Tls, Xml>,
    hash: Hash,
    user: &str,
    password: &str,
    gs2: &str,
) -> Scram {
    let nonce = b64().encode(rand::random::<[u8; 12]>());
    let first_bare = format!("n={user},r={nonce}");
    let first = format!("{gs2}{first_bare}");
    stream
        .send(&xml(&format!(
            "<auth xmlns='{SASL}' mechanism='{}'>{}</auth>",
            hash.mechanism(),
            b64().encode(&first)
        )))
        .await
        .unwrap();
    let reply = next(&mut stream).await.unwrap();
    if reply.is("failure", SASL) {
        let (condition, text) = failure(&reply);
        return Scram::Failed {
            condition,
            text,
            challenge: None,
        };
    }
    assert!(reply.is("challenge", SASL), "{}", String::from(&reply));
    let challenge = String::from_utf8(b64().decode(reply.text()).unwrap()).unwrap();
    let (combined, salt, iterations) = server_first(&challenge);
    assert!(combined.starts_with(&nonce) && combined.len() > nonce.len());
    assert!(iterations >= 4096);
    let salted = hash.salted(password, &salt, iterations);
    let client_key = hash.hmac(&salted, b"Client Key");
    let stored_key = hash.hash(&client_key);
    let without_proof = format!("c={},r={combined}", b64().encode(gs2));
    let auth_message = format!("{first_bare},{challenge},{without_proof}");
    let signature = hash.hmac(&stored_key, auth_message.as_bytes());
    let proof: Vec<u8> = client_key
        .iter()
        .zip(&signature)
        .map(|(k, s)| k ^ s)
        .collect();
    let last = format!("{without_proof},p={}", b64().encode(proof));
    stream
        .send(&xml(&format!(
            "<response xmlns='{SASL}'>{}</response>",
            b64().encode(&last)
        )))
        .await
        .unwrap();
    let reply = next(&mut stream).await.unwrap();
    if reply.is("failure", SASL) {
        let (condition, text) = failure(&reply);
        return Scram::Failed {
            condition,
            text,
            challenge: Some(challenge),
        };
    }
    assert!(reply.is("success", SASL), "{}", String::from(&reply));
    // The server proves it knows the keys too.
    let server_key = hash.hmac(&salted, b"Server Key");
    let expected = hash.hmac(&server_key, auth_message.as_bytes());
    let data = String::from_utf8(b64().decode(reply.text()).unwrap()).unwrap();
    assert_eq!(data, format!("v={}", b64().encode(expected)));
    Scram::Ok(Box::new(stream))
}

/// Logs in with SCRAM and binds a generated resource; `Err(condition)` when SASL fails.
async fn scram_login(
    s: &TestServer,
    hash: Hash,
    user: &str,
    password: &str,
) -> Result<Xmpp, String> {
    let (features, stream) = secure(s).await;
    for m in ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"] {
        assert!(features.sasl_mechanisms.contains(m), "{m}");
    }
    match scram_with(stream, hash, user, password, "n,,").await {
        Scram::Ok(stream) => Ok(bind(*stream, None).await),
        Scram::Failed { condition, .. } => Err(condition),
    }
}

fn local(u: &User) -> &str {
    u.jid.split_once('@').unwrap().0
}

/// A server with SCRAM on, sharing the database of [`server`] (whose accounts have no SCRAM
/// keys: it runs with SCRAM off).
fn scram_server() -> &'static TestServer {
    static SERVER: std::sync::OnceLock<TestServer> = std::sync::OnceLock::new();
    SERVER.get_or_init(|| common::start_on(Some(&server().db_url), |c| c.auth.scram = true))
}

/// The mechanisms names of the raw `<stream:features/>` of a secured stream, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_is_offered_only_when_enabled() {
    let (features, _) = secure(server()).await;
    assert_eq!(
        features.sasl_mechanisms.iter().collect::<Vec<_>>(),
        ["PLAIN"]
    );
    let (features, _) = secure(scram_server()).await;
    assert_eq!(
        features.sasl_mechanisms.iter().collect::<Vec<_>>(),
        ["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"]
    );
    // Without SCRAM, a SCRAM mechanism is not one of the server's.
    let (_, stream) = secure(server()).await;
    let u = server().new_user("c2sso");
    match scram_with(stream, Hash::Sha256, local(&u), &u.password, "n,,").await {
        Scram::Failed { condition, .. } => assert_eq!(condition, "invalid-mechanism"),
        Scram::Ok(_) => panic!("SCRAM is off"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_sha256_and_sha1_log_in() {
    let s = scram_server();
    let u = s.new_user("c2sss");
    let mut open = Vec::new();
    for hash in [Hash::Sha256, Hash::Sha1] {
        let x = scram_login(s, hash, local(&u), &u.password)
            .await
            .unwrap_or_else(|c| panic!("{hash:?}: {c}"));
        assert!(x.jid.starts_with(&format!("{}/", u.jid)), "{}", x.jid);
        open.push(x);
    }
    // The bare JID is an authentication identity too, and the session is the registry's.
    let mut x = scram_login(s, Hash::Sha256, &u.jid, &u.password)
        .await
        .unwrap();
    let r = x
        .iq("<iq xmlns='jabber:client' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    assert_eq!(r.attr("type"), Some("result"));
    let c = s.client(&u);
    assert!(eventually(10, || sessions(&c).count_resources == Some(3)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_refuses_a_wrong_password_and_an_unknown_user_alike() {
    let s = scram_server();
    let u = s.new_user("c2ssw");
    for hash in [Hash::Sha256, Hash::Sha1] {
        assert_eq!(
            scram_login(s, hash, local(&u), "wrong")
                .await
                .err()
                .as_deref(),
            Some("not-authorized")
        );
    }
    // An unknown user gets a challenge like any other, with the same salt every time.
    let mut salts = Vec::new();
    for _ in 0..2 {
        let (_, stream) = secure(s).await;
        match scram_with(stream, Hash::Sha256, "nobody_at_all", "pw", "n,,").await {
            Scram::Failed {
                condition,
                challenge: Some(challenge),
                ..
            } => {
                assert_eq!(condition, "not-authorized");
                let (_, salt, iterations) = server_first(&challenge);
                assert_eq!(iterations, 4096);
                salts.push(salt);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(salts[0], salts[1]);
    assert_eq!(salts[0].len(), 16);
    // The right password still works after the failures.
    scram_login(s, Hash::Sha256, local(&u), &u.password)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_refuses_channel_binding_and_foreign_authzids() {
    let s = scram_server();
    let u = s.new_user("c2ssc");
    let (_, stream) = secure(s).await;
    match scram_with(
        stream,
        Hash::Sha256,
        local(&u),
        &u.password,
        "p=tls-exporter,,",
    )
    .await
    {
        Scram::Failed {
            condition,
            text,
            challenge: None,
        } => {
            assert_eq!(condition, "malformed-request");
            assert!(text.unwrap().starts_with("e=channel-binding-not-supported"));
        }
        other => panic!("{other:?}"),
    }
    // `y`: the client could bind but thinks the server cannot (it offers no -PLUS): fine.
    let (_, stream) = secure(s).await;
    assert!(matches!(
        scram_with(stream, Hash::Sha256, local(&u), &u.password, "y,,").await,
        Scram::Ok(_)
    ));
    // An authorization identity: the user's own, or refused.
    let (_, stream) = secure(s).await;
    let own = format!("n,a={},", u.jid);
    assert!(matches!(
        scram_with(stream, Hash::Sha1, local(&u), &u.password, &own).await,
        Scram::Ok(_)
    ));
    let (_, stream) = secure(s).await;
    match scram_with(
        stream,
        Hash::Sha1,
        local(&u),
        &u.password,
        "n,a=admin@localhost,",
    )
    .await
    {
        Scram::Failed { condition, .. } => assert_eq!(condition, "invalid-authzid"),
        other => panic!("{other:?}"),
    }
}

/// Accounts made while SCRAM was off have no keys: SCRAM fails until the first PLAIN (or HTTP
/// Basic) login writes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_keys_are_written_at_the_first_plain_or_basic_login() {
    let s = scram_server();
    let (u, v) = (server().new_user("c2ssk"), server().new_user("c2ssh"));
    for user in [&u, &v] {
        assert_eq!(
            scram_login(s, Hash::Sha256, local(user), &user.password)
                .await
                .err()
                .as_deref(),
            Some("not-authorized")
        );
    }
    login(s, &u, None).await;
    for hash in [Hash::Sha256, Hash::Sha1] {
        scram_login(s, hash, local(&u), &u.password)
            .await
            .unwrap_or_else(|c| panic!("{hash:?}: {c}"));
    }
    // HTTP Basic on the SCRAM server.
    let (status, _) = tokio::task::block_in_place(|| {
        s.post(
            &s.client(&v),
            serde_json::json!({"query": "{ checkAuth { authStatus } }"}),
        )
    });
    assert_eq!(status, 200);
    scram_login(s, Hash::Sha1, local(&v), &v.password)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_replaces_the_scram_keys() {
    let s = scram_server();
    let u = s.new_user("c2ssp");
    scram_login(s, Hash::Sha256, local(&u), &u.password)
        .await
        .unwrap();
    let changed = tokio::task::block_in_place(|| {
        s.client(&u)
            .run(mimql_client::user::account::change_password("the new one"))
            .expect("server reachable")
    });
    assert!(changed.errors.is_empty(), "{:?}", changed.errors);
    for hash in [Hash::Sha256, Hash::Sha1] {
        assert_eq!(
            scram_login(s, hash, local(&u), &u.password)
                .await
                .err()
                .as_deref(),
            Some("not-authorized")
        );
        scram_login(s, hash, local(&u), "the new one")
            .await
            .unwrap_or_else(|c| panic!("{hash:?}: {c}"));
    }
}

/// The keys rows, read under the API.
async fn scram_rows(s: &TestServer, u: &User) -> Vec<String> {
    use mimql_entities::{scram_key, user};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let db = s.state.accounts.db();
    let (name, domain) = u.jid.split_once('@').unwrap();
    let Some(row) = user::Entity::find()
        .filter(user::Column::Username.eq(name))
        .filter(user::Column::Server.eq(domain))
        .one(db)
        .await
        .unwrap()
    else {
        return Vec::new();
    };
    let mut names: Vec<String> = scram_key::Entity::find()
        .filter(scram_key::Column::UserId.eq(row.id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.mechanism)
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_keys_are_removed_with_the_account() {
    let s = scram_server();
    let u = s.new_user("c2ssr");
    assert_eq!(scram_rows(s, &u).await, ["SCRAM-SHA-1", "SCRAM-SHA-256"]);
    let removed = tokio::task::block_in_place(|| {
        s.admin()
            .run(mimql_client::admin::remove_user(&u.jid))
            .expect("admin API reachable")
    });
    assert!(removed.errors.is_empty(), "{:?}", removed.errors);
    assert!(scram_rows(s, &u).await.is_empty());
    // Registered again, with another password: only that one works.
    let resp = tokio::task::block_in_place(|| {
        s.admin()
            .run(mimql_client::admin::register_user(
                "localhost",
                Some(local(&u)),
                "second life",
            ))
            .expect("admin API reachable")
    });
    assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    assert_eq!(
        scram_login(s, Hash::Sha256, local(&u), &u.password)
            .await
            .err()
            .as_deref(),
        Some("not-authorized")
    );
    scram_login(s, Hash::Sha256, local(&u), "second life")
        .await
        .unwrap();
}

/// Failed SCRAM logins count in the throttle PLAIN and HTTP share.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_scram_logins_are_throttled_with_plain_and_http() {
    let s = server_with(|c| {
        c.auth.scram = true;
        c.auth.account_failures = 2;
    });
    let u = s.new_user("c2sst");
    for _ in 0..2 {
        assert_eq!(
            scram_login(&s, Hash::Sha256, local(&u), "wrong")
                .await
                .err()
                .as_deref(),
            Some("not-authorized")
        );
    }
    assert_eq!(
        scram_login(&s, Hash::Sha1, local(&u), &u.password)
            .await
            .err()
            .as_deref(),
        Some("temporary-auth-failure")
    );
    assert_eq!(
        login_as(&s, &u.jid, &u.password, None)
            .await
            .err()
            .as_deref(),
        Some("temporary-auth-failure")
    );
    let (status, body) = tokio::task::block_in_place(|| {
        s.post(
            &s.client(&u),
            serde_json::json!({"query": "{ checkAuth { authStatus } }"}),
        )
    });
    assert_eq!(status, 429);
    assert_eq!(common::code(&body), "too_many_attempts");
    let metrics = tokio::task::block_in_place(|| scrape(&s));
    assert!(
        metric(
            &metrics,
            "mimql_auth_attempts_total",
            &["api=\"c2s\"", "result=\"wrong_credentials\""]
        ) >= 2.0,
        "{metrics}"
    );
}

/// Failures from one source address, whatever the account and the API, throttle that source
/// on XMPP and HTTP alike (the per-source bound is the HTTP one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_from_one_address_throttle_it_on_xmpp_and_http() {
    let s = server_with(|c| {
        c.auth.account_failures = 0;
        c.auth.source_failures = 3;
        c.auth.source_refill_secs = 3600;
        c.auth.throttle_loopback = true;
    });
    // Registered first: the admin API's logins count for the source too.
    let (u, v, w) = (
        s.new_user("c2sia"),
        s.new_user("c2sib"),
        s.new_user("c2sic"),
    );
    // Two over XMPP, one over HTTP: three failures from 127.0.0.1.
    for who in [&u.jid, &v.jid] {
        assert_eq!(
            login_as(&s, who, "wrong", None).await.err().as_deref(),
            Some("not-authorized")
        );
    }
    let wrong = User {
        jid: v.jid.clone(),
        password: "wrong".into(),
    };
    let (status, _) = tokio::task::block_in_place(|| {
        s.post(
            &s.client(&wrong),
            serde_json::json!({"query": "{ checkAuth { authStatus } }"}),
        )
    });
    assert_eq!(status, 401);
    // Now even the right password of a third account is refused, on both.
    assert_eq!(
        login_as(&s, &w.jid, &w.password, None)
            .await
            .err()
            .as_deref(),
        Some("temporary-auth-failure")
    );
    let (status, body) = tokio::task::block_in_place(|| {
        s.post(
            &s.client(&w),
            serde_json::json!({"query": "{ checkAuth { authStatus } }"}),
        )
    });
    assert_eq!(status, 429);
    assert_eq!(common::code(&body), "too_many_attempts");
}

fn scrape(s: &TestServer) -> String {
    let url = format!(
        "{}/metrics",
        s.metrics_url.as_ref().expect("metrics enabled")
    );
    ureq::get(&url)
        .call()
        .expect("metrics listener reachable")
        .body_mut()
        .read_to_string()
        .unwrap()
}

/// The sum of the samples of `name` whose labels include every one of `labels`.
fn metric(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter(|l| labels.iter().all(|lab| l.contains(lab)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

// ---- XEP-0368 direct TLS, connections per address ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_tls_from_the_first_byte() {
    let s = server_with(|c| c.listen.c2s.direct_tls_address = "127.0.0.1:0".into());
    let u = s.new_user("c2sd");
    let (features, mut stream) = direct(&s).await;
    // TLS is on already: no STARTTLS, SASL at once.
    assert!(features.starttls.is_none());
    assert!(features.sasl_mechanisms.contains("PLAIN"));
    auth_plain(&mut stream, local(&u), &u.password)
        .await
        .unwrap();
    let mut x = bind(stream, Some("direct")).await;
    assert_eq!(x.jid, format!("{}/direct", u.jid));
    let r = x
        .iq("<iq xmlns='jabber:client' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    assert_eq!(r.attr("type"), Some("result"));
    let c = s.client(&u);
    let info = tokio::task::block_in_place(|| sessions(&c));
    assert_eq!(
        info.list_sessions.unwrap()[0].connection.as_deref(),
        Some("c2s_tls")
    );
    // The STARTTLS listener is still there, and plain text on the direct TLS port is not XMPP.
    login(&s, &u, None).await;
    let mut tcp = TcpStream::connect(s.c2s_direct_tls_addr.unwrap())
        .await
        .unwrap();
    tcp.write_all(
        b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>",
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut buf))
        .await
        .expect("closed in time")
        .ok();
    assert!(!String::from_utf8_lossy(&buf).contains("stream:features"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_per_address_are_bounded() {
    let s = server_with(|c| {
        c.listen.c2s.max_connections_per_ip = 2;
        c.listen.c2s.direct_tls_address = "127.0.0.1:0".into();
    });
    let u = s.new_user("c2sl");
    let first = login(&s, &u, None).await;
    // Both listeners count.
    let (features, _second) = direct(&s).await;
    assert!(features.sasl_mechanisms.contains("PLAIN"));
    // The third is answered with a stream error and closed.
    let mut tcp = TcpStream::connect(s.c2s_addr.unwrap()).await.unwrap();
    tcp.write_all(
        b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>",
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut buf))
        .await
        .expect("closed in time")
        .ok();
    let text = String::from_utf8_lossy(&buf);
    assert!(text.contains("<policy-violation"), "{text}");
    assert!(!text.contains("starttls"), "{text}");
    let metrics = tokio::task::block_in_place(|| scrape(&s));
    assert!(
        metric(
            &metrics,
            "mimql_c2s_refused_total",
            &["reason=\"too_many_connections\""]
        ) >= 1.0,
        "{metrics}"
    );
    // A connection that ends makes room.
    let Xmpp { mut stream, .. } = first;
    SinkExt::<&Xml>::close(&mut stream).await.ok();
    drop(stream);
    let c2s = s.c2s_addr.unwrap();
    let admitted = tokio::task::spawn_blocking(move || {
        eventually(10, || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let tcp = TcpStream::connect(c2s).await.unwrap();
                let stream =
                    xmlstream::initiate_stream(BufReader::new(tcp), CLIENT, header(), timeouts())
                        .await
                        .unwrap();
                matches!(stream.recv_features::<Xml>().await, Ok((f, _)) if f.starttls.is_some())
            })
        })
    })
    .await
    .unwrap();
    assert!(admitted);
}

const DELAY: &str = "urn:xmpp:delay";
const STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";

impl Xmpp {
    /// Sends initial presence, then a ping: answers the messages that came before its result
    /// (what the server handed over at the presence: it answers stanzas in order).
    async fn available(&mut self) -> Vec<Xml> {
        self.send("<presence xmlns='jabber:client'/>").await;
        self.until_pong("avail").await
    }

    /// Pings the server; answers the messages received before the result.
    async fn until_pong(&mut self, id: &str) -> Vec<Xml> {
        self.send(&format!(
            "<iq xmlns='jabber:client' type='get' id='{id}'><ping xmlns='urn:xmpp:ping'/></iq>"
        ))
        .await;
        let mut messages = Vec::new();
        loop {
            let el = self.recv().await.expect("stream open");
            if el.is("iq", CLIENT) && el.attr("id") == Some(id) {
                assert_eq!(el.attr("type"), Some("result"), "{}", String::from(&el));
                return messages;
            }
            if el.is("message", CLIENT) {
                messages.push(el);
            }
        }
    }
}

fn body(el: &Xml) -> String {
    child_text(el, "body").unwrap_or_default()
}

/// The `stamp` of a message's XEP-0203 `<delay/>`, in microseconds.
fn delay_micros(el: &Xml) -> i64 {
    let delay = el
        .get_child("delay", DELAY)
        .unwrap_or_else(|| panic!("a delay: {}", String::from(el)));
    assert_eq!(delay.attr("from"), Some("localhost"));
    chrono::DateTime::parse_from_rfc3339(delay.attr("stamp").unwrap())
        .expect("a XEP-0082 stamp")
        .timestamp_micros()
}

fn micros_of(m: &mimql_client::user::stanza::StanzaMap) -> i64 {
    chrono::DateTime::parse_from_rfc3339(&m.timestamp.as_ref().unwrap().0)
        .unwrap()
        .timestamp_micros()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_sent_while_offline_are_delivered_at_initial_presence() {
    let s = server();
    let (alice, bob, carol) = (
        s.new_user("c2soa"),
        s.new_user("c2sob"),
        s.new_user("c2soc"),
    );
    // From GraphQL and from another client while bob has no session.
    let id = send(&s.client(&alice), &bob.jid, "first, from GraphQL");
    let mut c = login(s, &carol, Some("pc")).await;
    c.send(&format!(
        "<message xmlns='jabber:client' to='{}' type='chat' id='c1'><body>second</body></message>",
        bob.jid
    ))
    .await;
    c.send(&format!(
        "<message xmlns='jabber:client' to='{}/gone' type='chat' id='c2'><body>third, to a \
         resource that is not online</body></message>",
        bob.jid
    ))
    .await;
    // Not kept: a headline, and a message without a body.
    c.send(&format!(
        "<message xmlns='jabber:client' to='{}' type='headline'><body>news</body></message>",
        bob.jid
    ))
    .await;
    c.send(&format!(
        "<message xmlns='jabber:client' to='{}' type='chat'><composing \
         xmlns='http://jabber.org/protocol/chatstates'/></message>",
        bob.jid
    ))
    .await;
    assert!(
        c.until_pong("c-done").await.is_empty(),
        "no error to the sender"
    );
    // Bound but not available yet: nothing handed over.
    let mut b = login(s, &bob, Some("phone")).await;
    assert!(b.until_pong("before").await.is_empty());
    let got = b.available().await;
    assert_eq!(
        got.iter().map(body).collect::<Vec<_>>(),
        [
            "first, from GraphQL",
            "second",
            "third, to a resource that is not online"
        ]
    );
    assert_eq!(got[0].attr("id"), Some(id.as_str()));
    assert_eq!(got[0].attr("from"), Some(alice.jid.as_str()));
    assert_eq!(got[1].attr("from"), Some(c.jid.as_str()));
    assert_eq!(got[1].attr("id"), Some("c1"));
    // Each with its archive id and its archive time as the delay.
    let bc = s.client(&bob);
    let (from_alice, _) = archive(&bc, Some(&alice.jid), None, None);
    let (from_carol, _) = archive(&bc, Some(&carol.jid), None, None);
    let archived = [&from_alice[0], &from_carol[0], &from_carol[1]];
    for (m, a) in got.iter().zip(archived) {
        assert_eq!(
            stanza_id(m),
            Some((bob.jid.clone(), a.stanza_id.clone().unwrap()))
        );
        assert_eq!(delay_micros(m), micros_of(a));
    }
    // Handed over once: not again to this session, nor to the next one.
    assert!(b.until_pong("again").await.is_empty());
    b.send("<presence xmlns='jabber:client'><priority>3</priority></presence>")
        .await;
    assert!(b.until_pong("again2").await.is_empty());
    drop(b);
    assert!(eventually(10, || sessions(&bc).count_resources == Some(0)));
    let mut b = login(s, &bob, Some("phone2")).await;
    assert!(b.available().await.is_empty());
    // Available now: live, without a delay.
    send(&s.client(&alice), &bob.jid, "live");
    let m = b.message().await;
    assert_eq!(body(&m), "live");
    assert!(m.get_child("delay", DELAY).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_offline_bound_a_client_sender_gets_service_unavailable() {
    let s = server_with(|c| c.offline.max_messages = 2);
    let (alice, bob, carol) = (
        s.new_user("c2sla"),
        s.new_user("c2slb"),
        s.new_user("c2slc"),
    );
    let mut c = login(&s, &carol, Some("pc")).await;
    for i in 1..=2 {
        c.send(&format!(
            "<message xmlns='jabber:client' to='{}' type='chat' id='k{i}'><body>kept {i}</body></message>",
            bob.jid
        ))
        .await;
    }
    c.send(&format!(
        "<message xmlns='jabber:client' to='{}' type='chat' id='k3'><body>one too many</body></message>",
        bob.jid
    ))
    .await;
    let errors = c.until_pong("sent").await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert_eq!(
        (e.attr("type"), e.attr("id"), e.attr("from")),
        (Some("error"), Some("k3"), Some(bob.jid.as_str()))
    );
    let error = e.get_child("error", CLIENT).unwrap();
    assert_eq!(error.attr("type"), Some("cancel"));
    assert!(error.has_child("service-unavailable", STANZAS));
    // GraphQL's sendMessage answers as ever (the message is archived, not kept).
    send(&s.client(&alice), &bob.jid, "also too many");
    let (archived, _) = archive(&s.client(&bob), None, None, None);
    assert_eq!(
        archived
            .iter()
            .filter(|m| m.stanza.as_ref().unwrap().0.contains("too many"))
            .count(),
        2
    );
    let mut b = login(&s, &bob, None).await;
    let got = b.available().await;
    assert_eq!(
        got.iter().map(body).collect::<Vec<_>>(),
        ["kept 1", "kept 2"]
    );
    // Emptied: there is room again.
    c.send(&format!(
        "<message xmlns='jabber:client' to='{}' type='chat' id='k4'><body>fits</body></message>",
        alice.jid
    ))
    .await;
    assert!(c.until_pong("sent2").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_messages_are_removed_with_the_account() {
    let s = server();
    let (alice, bob) = (s.new_user("c2sxa"), s.new_user("c2sxb"));
    send(&s.client(&alice), &bob.jid, "for the old account");
    let removed = s
        .admin()
        .run(mimql_client::admin::remove_user(&bob.jid))
        .expect("admin API reachable");
    assert!(removed.errors.is_empty(), "{:?}", removed.errors);
    // The same JID registered again starts without them.
    let (name, domain) = bob.jid.split_once('@').unwrap();
    let again = s
        .admin()
        .run(mimql_client::admin::register_user(
            domain,
            Some(name),
            &bob.password,
        ))
        .expect("admin API reachable");
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    let mut b = login(s, &bob, None).await;
    assert!(b.available().await.is_empty());
    // While a message sent now is kept for the new account.
    drop(b);
    let bc = s.client(&bob);
    assert!(eventually(10, || sessions(&bc).count_resources == Some(0)));
    send(&s.client(&alice), &bob.jid, "for the new account");
    let mut b = login(s, &bob, None).await;
    assert_eq!(
        b.available().await.iter().map(body).collect::<Vec<_>>(),
        ["for the new account"]
    );
}

const MAM: &str = "urn:xmpp:mam:2";
const RSM: &str = "http://jabber.org/protocol/rsm";

/// What a MAM query answered: the ids and bodies of the results, and the iq.
struct Answer {
    ids: Vec<String>,
    bodies: Vec<String>,
    results: Vec<Xml>,
    iq: Xml,
}

impl Answer {
    fn complete(&self) -> bool {
        let fin = self.iq.get_child("fin", MAM).expect("a fin");
        match fin.attr("complete") {
            Some("true") => true,
            Some("false") => false,
            other => panic!("complete={other:?}"),
        }
    }

    fn set(&self, name: &str) -> Option<String> {
        let fin = self.iq.get_child("fin", MAM).expect("a fin");
        let set = fin.get_child("set", RSM).expect("a set");
        set.get_child(name, RSM).map(|e| e.text())
    }
}

fn field(var: &str, value: &str) -> String {
    format!("<field var='{var}'><value>{value}</value></field>")
}

impl Xmpp {
    /// A MAM query with these form fields and RSM elements.
    async fn mam(&mut self, id: &str, fields: &[String], set: &str) -> Answer {
        let form = format!(
            "<x xmlns='jabber:x:data' type='submit'>{}{}</x>",
            field("FORM_TYPE", MAM),
            fields.concat()
        );
        self.send(&format!(
            "<iq xmlns='jabber:client' type='set' id='{id}'><query xmlns='{MAM}' \
             queryid='q-{id}'>{form}<set xmlns='{RSM}'>{set}</set></query></iq>"
        ))
        .await;
        let mut results = Vec::new();
        loop {
            let el = self.recv().await.expect("stream open");
            if el.is("iq", CLIENT) && el.attr("id") == Some(id) {
                let ids = results
                    .iter()
                    .map(|m: &Xml| {
                        let r = m.get_child("result", MAM).unwrap();
                        assert_eq!(r.attr("queryid"), Some(format!("q-{id}").as_str()));
                        r.attr("id").unwrap().to_string()
                    })
                    .collect();
                let bodies = results
                    .iter()
                    .map(|m: &Xml| {
                        let f = m
                            .get_child("result", MAM)
                            .and_then(|r| r.get_child("forwarded", "urn:xmpp:forward:0"))
                            .unwrap();
                        body(f.get_child("message", CLIENT).unwrap())
                    })
                    .collect();
                return Answer {
                    ids,
                    bodies,
                    results,
                    iq: el,
                };
            }
            if el.is("message", CLIENT) && el.has_child("result", MAM) {
                results.push(el);
            }
        }
    }
}

fn error_condition(iq: &Xml) -> Option<String> {
    assert_eq!(iq.attr("type"), Some("error"), "{}", String::from(iq));
    iq.get_child("error", CLIENT)
        .and_then(|e| e.children().next())
        .map(|c| c.name().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mam_queries_page_the_archive_like_get_last_messages() {
    let s = server();
    let (alice, bob, carol) = (
        s.new_user("c2sqa"),
        s.new_user("c2sqb"),
        s.new_user("c2sqc"),
    );
    let ac = s.client(&alice);
    for i in 1..=5 {
        send(&ac, &bob.jid, &format!("a{i}"));
    }
    send(&s.client(&carol), &bob.jid, "c1");
    send(&s.client(&carol), &bob.jid, "c2");
    let bc = s.client(&bob);
    let (all, _) = archive(&bc, None, None, None);
    let all_ids: Vec<String> = all.iter().map(|m| m.stanza_id.clone().unwrap()).collect();
    assert_eq!(all_ids.len(), 7);
    let mut x = login(s, &bob, Some("mam")).await;

    // disco#info on the account advertises MAM.
    let r = x
        .iq(&format!(
            "<iq xmlns='jabber:client' type='get' id='di' to='{}'>\
             <query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
            bob.jid
        ))
        .await;
    let features: Vec<String> = r
        .get_child("query", "http://jabber.org/protocol/disco#info")
        .unwrap()
        .children()
        .filter_map(|c| c.attr("var").map(str::to_string))
        .collect();
    assert!(features.iter().any(|f| f == MAM), "{features:?}");

    // Forward with RSM after, two at a time: every id, in order, as getLastMessages reports.
    let mut seen = Vec::new();
    let mut after = String::new();
    let mut pages = 0;
    loop {
        let set = match after.is_empty() {
            true => "<max>2</max>".to_string(),
            false => format!("<max>2</max><after>{after}</after>"),
        };
        let a = x.mam(&format!("f{pages}"), &[], &set).await;
        pages += 1;
        assert_eq!(a.set("count").as_deref(), Some("7"));
        assert_eq!(a.set("first"), a.ids.first().cloned());
        assert_eq!(a.set("last"), a.ids.last().cloned());
        seen.extend(a.ids.clone());
        if a.complete() {
            break;
        }
        after = a.set("last").unwrap();
    }
    assert_eq!(pages, 4);
    assert_eq!(seen, all_ids);

    // The forwarded message: from the archive's owner, with the archive time as its delay.
    let a = x.mam("one", &[], "<max>1</max>").await;
    let m = &a.results[0];
    assert_eq!(m.attr("from"), Some(bob.jid.as_str()));
    assert_eq!(m.attr("to"), Some(x.jid.as_str()));
    let forwarded = m
        .get_child("result", MAM)
        .unwrap()
        .get_child("forwarded", "urn:xmpp:forward:0")
        .unwrap();
    assert_eq!(delay_micros_of(forwarded), micros_of(&all[0]));
    let inner = forwarded.get_child("message", CLIENT).unwrap();
    assert_eq!(inner.attr("from"), Some(alice.jid.as_str()));
    assert_eq!(body(inner), "a1");

    // Backward from the last page with RSM before.
    let a = x.mam("b1", &[], "<max>3</max><before/>").await;
    assert_eq!(a.bodies, ["a5", "c1", "c2"]);
    assert!(!a.complete());
    let a = x
        .mam(
            "b2",
            &[],
            &format!("<max>3</max><before>{}</before>", a.set("first").unwrap()),
        )
        .await;
    assert_eq!(a.bodies, ["a2", "a3", "a4"]);
    assert!(!a.complete());
    let a = x
        .mam(
            "b3",
            &[],
            &format!("<max>3</max><before>{}</before>", a.set("first").unwrap()),
        )
        .await;
    assert_eq!(a.bodies, ["a1"]);
    assert!(a.complete());

    // Filters: with, start/end (inclusive, archive times), after-id/before-id (exclusive).
    let a = x.mam("w", &[field("with", &carol.jid)], "").await;
    assert_eq!(a.bodies, ["c1", "c2"]);
    assert!(a.complete());
    assert_eq!(a.set("count").as_deref(), Some("2"));
    let a = x
        .mam("w2", &[field("with", &carol.jid)], "<max>1</max>")
        .await;
    assert_eq!(
        (a.bodies.clone(), a.complete()),
        (vec!["c1".to_string()], false)
    );
    let stamp = |m: &mimql_client::user::stanza::StanzaMap| m.timestamp.clone().unwrap().0;
    let a = x
        .mam(
            "se",
            &[
                field("start", &stamp(&all[1])),
                field("end", &stamp(&all[3])),
            ],
            "",
        )
        .await;
    assert_eq!(a.bodies, ["a2", "a3", "a4"]);
    assert_eq!(a.set("count").as_deref(), Some("3"));
    let a = x
        .mam(
            "ids",
            &[
                field("after-id", &all_ids[0]),
                field("before-id", &all_ids[3]),
            ],
            "",
        )
        .await;
    assert_eq!(a.bodies, ["a2", "a3"]);
    assert!(a.complete());
    // Nothing matches: an empty, complete page.
    let a = x
        .mam(
            "none",
            &[field("with", &alice.jid.replace("c2sqa", "nobody"))],
            "",
        )
        .await;
    assert!(a.ids.is_empty() && a.complete());
    assert_eq!(a.set("count").as_deref(), Some("0"));
    assert_eq!(a.set("first"), None);

    // Errors.
    let r = x
        .iq(&format!(
            "<iq xmlns='jabber:client' type='set' id='e1'><query xmlns='{MAM}'>\
             <x xmlns='jabber:x:data' type='submit'>{}</x></query></iq>",
            field("start", "yesterday")
        ))
        .await;
    assert_eq!(error_condition(&r).as_deref(), Some("bad-request"));
    let r = x
        .iq(&format!(
            "<iq xmlns='jabber:client' type='set' id='e2'><query xmlns='{MAM}'>\
             <x xmlns='jabber:x:data' type='submit'>{}</x></query></iq>",
            field("colour", "red")
        ))
        .await;
    assert_eq!(error_condition(&r).as_deref(), Some("bad-request"));
    let r = x
        .iq(&format!(
            "<iq xmlns='jabber:client' type='set' id='e3'><query xmlns='{MAM}'>\
             <set xmlns='{RSM}'><after>1</after></set></query></iq>"
        ))
        .await;
    assert_eq!(error_condition(&r).as_deref(), Some("item-not-found"));
    // An id of someone else's archive is not in this one.
    let (alices, _) = archive(&ac, None, None, None);
    let r = x
        .iq(&format!(
            "<iq xmlns='jabber:client' type='set' id='e4'><query xmlns='{MAM}'>\
             <x xmlns='jabber:x:data' type='submit'>{}</x></query></iq>",
            field("after-id", alices[0].stanza_id.as_deref().unwrap())
        ))
        .await;
    assert_eq!(error_condition(&r).as_deref(), Some("item-not-found"));
    // Another user's archive is not queried.
    let r = x
        .iq(&format!(
            "<iq xmlns='jabber:client' type='set' id='e5' to='{}'><query xmlns='{MAM}'/></iq>",
            alice.jid
        ))
        .await;
    assert_eq!(error_condition(&r).as_deref(), Some("service-unavailable"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mam_pages_are_bounded() {
    let s = server_with(|c| c.mam_pm.max_page_size = 2);
    let (alice, bob) = (s.new_user("c2sba"), s.new_user("c2sbb"));
    for i in 1..=3 {
        send(&s.client(&alice), &bob.jid, &format!("m{i}"));
    }
    let mut x = login(&s, &bob, None).await;
    let a = x.mam("big", &[], "<max>1000</max>").await;
    assert_eq!(a.bodies, ["m1", "m2"]);
    assert!(!a.complete());
    assert_eq!(a.set("count").as_deref(), Some("3"));
}

fn delay_micros_of(forwarded: &Xml) -> i64 {
    let delay = forwarded.get_child("delay", DELAY).expect("a delay");
    chrono::DateTime::parse_from_rfc3339(delay.attr("stamp").unwrap())
        .unwrap()
        .timestamp_micros()
}

/// Messages routed while their recipient becomes available are each delivered once, in order:
/// kept ones at the presence (or claimed back by the router and delivered live), the rest live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_racing_initial_presence_arrive_once_in_order() {
    let s = server();
    let (bob, carol) = (s.new_user("c2srb"), s.new_user("c2src"));
    const N: usize = 60;
    let mut c = login(s, &carol, Some("pc")).await;
    let mut b = login(s, &bob, Some("phone")).await;
    let to = bob.jid.clone();
    let sender = tokio::spawn(async move {
        for i in 1..=N {
            c.send(&format!(
                "<message xmlns='jabber:client' to='{to}' type='chat'><body>{i}</body></message>"
            ))
            .await;
        }
        assert!(c.until_pong("all-sent").await.is_empty(), "no errors");
        c
    });
    b.send("<presence xmlns='jabber:client'/>").await;
    let mut got = Vec::new();
    while got.len() < N {
        got.push(body(&b.message().await));
    }
    let expected: Vec<String> = (1..=N).map(|i| i.to_string()).collect();
    assert_eq!(got, expected);
    let _c = sender.await.unwrap();
    // Nothing kept behind: the next session gets nothing more.
    drop(b);
    let bc = s.client(&bob);
    assert!(eventually(10, || sessions(&bc).count_resources == Some(0)));
    let mut b = login(s, &bob, None).await;
    assert!(b.available().await.is_empty());
}

/// A `nats-server` of this test's own, stopped when dropped.
struct Nats(std::process::Child);

impl Drop for Nats {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// Two cluster nodes on one PostgreSQL database (the test database when it is PostgreSQL,
/// else a fresh one on the local server) and a NATS server of their own.
fn two_cluster_nodes() -> (Nats, TestServer, TestServer) {
    let port = common::free_port();
    let nats = Nats(
        std::process::Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nats-server is installed (Debian package nats-server)"),
    );
    assert!(
        eventually(20, || std::net::TcpStream::connect(("127.0.0.1", port))
            .is_ok()),
        "nats-server did not start"
    );
    let db = match std::env::var("MIMQL_TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => url,
        _ => {
            let base = "postgres://postgres@127.0.0.1:5432";
            let name = format!(
                "mimql_c2s_{}_{:x}",
                std::process::id(),
                rand::random::<u32>()
            );
            let create = format!("CREATE DATABASE {name}");
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    use sea_orm::ConnectionTrait;
                    sea_orm::Database::connect(format!("{base}/postgres"))
                        .await
                        .expect("PostgreSQL on 127.0.0.1:5432 (cluster tests need it)")
                        .execute_unprepared(&create)
                        .await
                        .unwrap();
                });
            })
            .join()
            .unwrap();
            format!("{base}/{name}")
        }
    };
    let node = |name: &str| {
        let name = format!("{name}-{}-{port}", std::process::id());
        common::start_on(Some(&db), move |c| {
            c.cluster = Some(mimql::config::Cluster {
                nats_url: format!("nats://127.0.0.1:{port}"),
                node: name,
                heartbeat_secs: 1,
                session_ttl_secs: 3,
                ..Default::default()
            });
        })
    };
    let a = node("a");
    let b = node("b");
    (nats, a, b)
}

/// Two nodes: the node that routes a message decides, from the cluster-wide registry, whether
/// it is delivered or kept; kept messages reach a client on the other node, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_storage_across_two_nodes() {
    let (_nats, a, b) = tokio::task::block_in_place(two_cluster_nodes);
    let (alice, bob) = (a.new_user("c2s2a"), a.new_user("c2s2b"));
    // Bob subscribed over SSE on node A: a message sent on node B is delivered, not kept.
    let bc = a.client(&bob);
    let mut sub = match SseSubscription::open(&bc, &stanza::subscribe_for_messages())
        .expect("server reachable")
    {
        Opened::Stream(sub) => sub,
        Opened::Refused { status, body, .. } => panic!("refused: {status} {body}"),
    };
    send(&b.client(&alice), &bob.jid, "live on A");
    let event = tokio::task::spawn_blocking(move || {
        let resp = sub
            .next::<SubscribeForMessages>(WAIT)
            .expect("stream open")
            .expect("an event in time");
        resp.data.unwrap().message().cloned().expect("a message")
    })
    .await
    .unwrap();
    assert!(event.stanza.unwrap().0.contains("live on A"));
    assert!(eventually(10, || sessions(&bc).count_resources == Some(0)));
    // No session anywhere: kept by node B, handed over by node A, once.
    send(&b.client(&alice), &bob.jid, "kept by B");
    let mut x = login(&a, &bob, Some("on-a")).await;
    assert_eq!(
        x.available().await.iter().map(body).collect::<Vec<_>>(),
        ["kept by B"]
    );
    let mut y = login(&b, &bob, Some("on-b")).await;
    assert!(y.available().await.is_empty());
}

/// A client's messages are written while its stream reads on (at most 64 in flight), yet a
/// burst to one contact arrives in the order sent, and the archive holds it in that order; an
/// iq sent after the burst is answered after every message of it was routed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_client_messages_arrives_and_is_archived_in_order() {
    let s = server();
    let (alice, bob) = (s.new_user("c2sba"), s.new_user("c2sbb"));
    let mut b = login(s, &bob, Some("phone")).await;
    b.send("<presence xmlns='jabber:client'/>").await;
    let bc = s.client(&bob);
    assert!(eventually(10, || {
        sessions(&bc)
            .list_sessions
            .unwrap_or_default()
            .iter()
            .any(|s| s.priority == Some(0))
    }));
    let mut a = login(s, &alice, Some("pc")).await;
    let n = 300;
    for i in 0..n {
        a.send(&format!(
            "<message xmlns='jabber:client' to='{}' type='chat' id='b{i}'><body>burst {i}</body></message>",
            bob.jid
        ))
        .await;
    }
    // Answered once the whole burst is routed: no error came before it.
    assert!(a.until_pong("after-burst").await.is_empty());
    for i in 0..n {
        let m = b.message().await;
        assert_eq!(body(&m), format!("burst {i}"));
    }
    let (archived, _) = archive(&bc, Some(&alice.jid), Some(n as i64), None);
    let bodies: Vec<String> = archived
        .iter()
        .map(|m| {
            let xml = &m.stanza.as_ref().unwrap().0;
            let start = xml.find("<body>").unwrap() + 6;
            xml[start..xml[start..].find('<').unwrap() + start].to_string()
        })
        .collect();
    // The newest page (the archive's page bound): the end of the burst, in order.
    assert!(!bodies.is_empty());
    let expected: Vec<String> = (n - bodies.len()..n)
        .map(|i| format!("burst {i}"))
        .collect();
    assert_eq!(bodies, expected);
}
