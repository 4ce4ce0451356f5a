//! A minimal XMPP client for tests against a server's c2s listener (the same approach as
//! `tests/c2s.rs`: tokio-xmpp's initiator-side XML stream and tokio-rustls trusting the
//! certificate the server generated), addressed by the listener's address and certificate so
//! that spawned node processes can be reached too.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use tokio::io::BufReader;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_xmpp::minidom::Element as Xml;
use tokio_xmpp::xmlstream::{self, ReadError, StreamHeader, Timeouts, XmlStream};

pub const CLIENT: &str = "jabber:client";
pub const STREAM: &str = "http://etherx.jabber.org/streams";
pub const TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
pub const SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
pub const BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";
pub const SID: &str = "urn:xmpp:sid:0";
pub const STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";
pub const WAIT: Duration = Duration::from_secs(10);

type Tls = BufReader<tokio_rustls::client::TlsStream<TcpStream>>;

/// Where a c2s listener is and the certificate it presents.
#[derive(Clone)]
pub struct Endpoint {
    pub addr: SocketAddr,
    pub cert: std::path::PathBuf,
}

impl Endpoint {
    pub fn new(addr: SocketAddr, cert: &Path) -> Endpoint {
        Endpoint {
            addr,
            cert: cert.to_path_buf(),
        }
    }
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

pub fn xml(s: &str) -> Xml {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn connector(cert: &Path) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(cert).expect("the generated certificate") {
        roots.add(c.unwrap()).unwrap();
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
        // A connection the server's process dropped (killed) ends the stream too.
        Some(Err(ReadError::HardError(_))) => None,
        Some(Err(e)) => panic!("read failed: {e}"),
    }
}

pub struct Xmpp {
    stream: XmlStream<Tls, Xml>,
    /// The bound full JID.
    pub jid: String,
    /// The features offered after authentication (with the binding).
    pub features: tokio_xmpp::parsers::stream_features::StreamFeatures,
}

/// Connects, STARTTLS, SASL PLAIN as `jid`/`password`, binds `resource`.
pub async fn login(at: &Endpoint, jid: &str, password: &str, resource: &str) -> Xmpp {
    let tcp = TcpStream::connect(at.addr).await.unwrap();
    let (features, mut stream) =
        xmlstream::initiate_stream(BufReader::new(tcp), CLIENT, header(), timeouts())
            .await
            .unwrap()
            .recv_features::<Xml>()
            .await
            .unwrap();
    assert!(features.starttls.is_some());
    stream
        .send(&xml(&format!("<starttls xmlns='{TLS}'/>")))
        .await
        .unwrap();
    let proceed = next(&mut stream).await.unwrap();
    assert!(proceed.is("proceed", TLS), "{}", String::from(&proceed));
    let tcp = stream.into_inner().into_inner();
    let tls = connector(&at.cert)
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("the server's certificate is valid for localhost");
    let (features, mut stream) =
        xmlstream::initiate_stream(BufReader::new(tls), CLIENT, header(), timeouts())
            .await
            .unwrap()
            .recv_features::<Xml>()
            .await
            .unwrap();
    assert!(features.sasl_mechanisms.contains("PLAIN"));
    let payload = base64::engine::general_purpose::STANDARD.encode(format!("\0{jid}\0{password}"));
    stream
        .send(&xml(&format!(
            "<auth xmlns='{SASL}' mechanism='PLAIN'>{payload}</auth>"
        )))
        .await
        .unwrap();
    let reply = next(&mut stream).await.unwrap();
    assert!(reply.is("success", SASL), "{}", String::from(&reply));
    let (features, mut stream) = stream
        .initiate_reset()
        .send_header(header())
        .await
        .unwrap()
        .recv_features::<Xml>()
        .await
        .unwrap();
    assert!(features.bind.is_some());
    stream
        .send(&xml(&format!(
            "<iq xmlns='{CLIENT}' type='set' id='b1'><bind xmlns='{BIND}'>\
             <resource>{resource}</resource></bind></iq>"
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
    Xmpp {
        stream,
        jid,
        features,
    }
}

impl Xmpp {
    pub async fn send(&mut self, stanza: &str) {
        self.stream.send(&xml(stanza)).await.unwrap();
    }

    /// Sends presence with `priority` (`None`: unavailable).
    pub async fn presence(&mut self, priority: Option<i32>) {
        let stanza = match priority {
            Some(p) => format!("<presence xmlns='{CLIENT}'><priority>{p}</priority></presence>"),
            None => format!("<presence xmlns='{CLIENT}' type='unavailable'/>"),
        };
        self.send(&stanza).await;
    }

    /// The next element from the server; `None` when the stream ended.
    pub async fn recv(&mut self) -> Option<Xml> {
        next(&mut self.stream).await
    }

    /// The next `<message/>`, skipping other stanzas.
    pub async fn message(&mut self) -> Xml {
        loop {
            let el = self.recv().await.expect("stream open");
            if el.is("message", CLIENT) {
                return el;
            }
        }
    }

    /// Pings the server; answers the presences received before the result (the server answers
    /// a client's stanzas in order, and what it delivered to others is in their mailboxes by
    /// then).
    pub async fn presences_until_pong(&mut self, id: &str) -> Vec<Xml> {
        self.send(&format!(
            "<iq xmlns='{CLIENT}' type='get' id='{id}'><ping xmlns='urn:xmpp:ping'/></iq>"
        ))
        .await;
        let mut got = Vec::new();
        loop {
            let el = self.recv().await.expect("stream open");
            if el.is("iq", CLIENT) && el.attr("id") == Some(id) {
                return got;
            }
            if el.is("presence", CLIENT) {
                got.push(el);
            }
        }
    }

    /// The next `<presence/>` of type `ty` (`None`: available), skipping other stanzas.
    pub async fn next_presence(&mut self, ty: Option<&str>) -> Xml {
        loop {
            let el = self.recv().await.expect("stream open");
            if el.is("presence", CLIENT) && el.attr("type") == ty {
                return el;
            }
        }
    }

    /// Reads until the stream ends; answers the stream error's condition, if one came.
    pub async fn closed(&mut self) -> Option<String> {
        let mut condition = None;
        while let Some(el) = self.recv().await {
            if el.is("error", STREAM) {
                condition = el.children().next().map(|c| c.name().to_string());
            }
        }
        condition
    }

    /// A ping round trip; answers every stanza that came before its pong (all the server had
    /// sent the session by then).
    pub async fn sync(&mut self, id: &str) -> Vec<Xml> {
        self.send(&format!(
            "<iq xmlns='{CLIENT}' type='get' id='{id}'><ping xmlns='urn:xmpp:ping'/></iq>"
        ))
        .await;
        let mut before = Vec::new();
        loop {
            let el = self.recv().await.expect("stream open");
            if el.is("iq", CLIENT) && el.attr("id") == Some(id) {
                return before;
            }
            before.push(el);
        }
    }

    /// Sends an iq with id `id`; answers its result or error, and the server's pushes
    /// (`is_push`) that came meanwhile, each answered as a client does.
    pub async fn answer(
        &mut self,
        id: &str,
        iq: &str,
        is_push: fn(&Xml) -> bool,
    ) -> (Xml, Vec<Xml>) {
        self.send(iq).await;
        let mut pushes = Vec::new();
        loop {
            let el = self.recv().await.expect("stream open");
            if !el.is("iq", CLIENT) {
                continue;
            }
            if el.attr("id") == Some(id) && matches!(el.attr("type"), Some("result" | "error")) {
                return (el, pushes);
            }
            if is_push(&el) {
                self.acknowledge(&el).await;
                pushes.push(el);
            }
        }
    }

    /// The next push (`is_push`), answered.
    pub async fn push(&mut self, is_push: fn(&Xml) -> bool) -> Xml {
        loop {
            let el = self.recv().await.expect("stream open");
            if is_push(&el) {
                self.acknowledge(&el).await;
                return el;
            }
        }
    }

    /// RFC 6121 §2.1.6: the client answers a push, to the bare JID it came from.
    pub async fn acknowledge(&mut self, push: &Xml) {
        let id = push.attr("id").unwrap_or_default().to_string();
        let to = push.attr("from").unwrap_or_default().to_string();
        self.send(&format!(
            "<iq xmlns='{CLIENT}' type='result' id='{id}' to='{to}'/>"
        ))
        .await;
    }

    /// Sends an iq and answers the next iq that comes (ping: the stream is served).
    pub async fn iq(&mut self, iq: &str) -> Xml {
        self.send(iq).await;
        loop {
            let el = self.recv().await.expect("stream open");
            if el.is("iq", CLIENT) {
                return el;
            }
        }
    }
}

pub fn child_text(el: &Xml, name: &str) -> Option<String> {
    el.children().find(|c| c.name() == name).map(|c| c.text())
}

/// The type and defined condition of a stanza error.
pub fn condition(el: &Xml) -> (String, String) {
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

/// The XEP-0359 `<stanza-id/>`: (by, id).
pub fn stanza_id(el: &Xml) -> Option<(String, String)> {
    el.get_child("stanza-id", SID).map(|s| {
        (
            s.attr("by").unwrap_or_default().to_string(),
            s.attr("id").unwrap_or_default().to_string(),
        )
    })
}
