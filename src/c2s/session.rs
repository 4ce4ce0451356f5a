//! One XMPP client connection: stream negotiation (STARTTLS required, SASL PLAIN, stream
//! restart, resource binding), then the session: stanzas from the client go to the router and
//! the server's handlers, stanzas routed to the session go to the client.
//!
//! The XML stream is tokio-xmpp's responder side, reading top-level elements as minidom
//! elements; [`super::guard`] sits under its parser. Stanzas are handed to the domain as
//! mimql's own [`Element`] (the form the router, the archive and the GraphQL API share).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::FuturesOrdered;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;
use tokio_xmpp::minidom::Element as Xml;
use tokio_xmpp::parsers::bind::BindFeature;
use tokio_xmpp::parsers::starttls::StartTls;
use tokio_xmpp::parsers::stream_error::{DefinedCondition, StreamError};
use tokio_xmpp::parsers::stream_features::StreamFeatures;
use tokio_xmpp::parsers::stream_limits::Limits;
use tokio_xmpp::xmlstream::{self, ReadError, StreamHeader, Timeouts, XmlStream};

use super::guard::{Guard, Slot, Violation};
use super::idle_buf::IdleBufReader;
use super::sasl::{self, PlainError};
use super::{data, mam, roster};
use crate::auth::scram::{ClientFirst, Exchange, ScramError, ScramHash};
use crate::connections::Live;
use crate::jid::Jid;
use crate::router::{Envelope, Outcome, RouteError};
use crate::sessions::{LiveSession, Routed, SessionId, SessionInfo, Transport};
use crate::state::AppState;
use crate::xml::Element;

const CLIENT: &str = "jabber:client";
const TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
const SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
const BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";
const SESSION: &str = "urn:ietf:params:xml:ns:xmpp-session";
const STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";
const PING: &str = "urn:xmpp:ping";
const DISCO_INFO: &str = "http://jabber.org/protocol/disco#info";
const SID: &str = "urn:xmpp:sid:0";
const VERSION: &str = "jabber:iq:version";
const LAST: &str = "jabber:iq:last";
const DELAY: &str = "urn:xmpp:delay";

/// Failed PLAIN attempts on one stream before it is closed.
const MAX_AUTH_ATTEMPTS: u32 = 3;

/// The longest a write to the client may take before the connection is dropped (a client that
/// stops reading must not hold its session's task).
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// What every connection shares.
pub struct Shared {
    pub state: Arc<AppState>,
    pub tls: TlsAcceptor,
    pub max_stanza_bytes: usize,
    pub negotiation: Duration,
    /// Silence before a ping (`read_timeout`), then before the stream is closed.
    pub timeouts: Timeouts,
    pub per_ip: Arc<super::per_ip::PerIp>,
    /// When the listener started (XEP-0012 last activity of the server: its uptime).
    pub started: std::time::Instant,
    /// XEP-0092: whether the operating system is answered.
    pub version_os: bool,
}

type Secure = IdleBufReader<Guard<TlsStream<TcpStream>>>;

/// A negotiated, bound session.
struct Bound {
    stream: XmlStream<Secure, Xml>,
    /// The full JID bound.
    jid: Jid,
    domain: String,
    live: Live,
    session: LiveSession,
    /// The messages kept offline were handed over (at the first available presence).
    offline_taken: bool,
    /// The client's messages routed and not yet committed, in the order sent: the stream reads
    /// on while they are written (up to [`IN_FLIGHT`]); their errors come back as they end.
    in_flight: FuturesOrdered<BoxFuture<'static, (Element, Result<Outcome, RouteError>)>>,
    /// The client asked for the roster: it gets roster pushes (RFC 6121 §2.1.6).
    roster_requested: bool,
    /// The pending subscription requests were delivered (at the first available presence).
    requests_sent: bool,
    /// What the session's presence reached (RFC 6121 §4): told when it ends.
    presence: super::presence::Sent,
    /// The client asked for the blocklist: it gets blocklist pushes (XEP-0191 §3.3).
    blocklist_requested: bool,
    /// The client enabled message carbons (XEP-0280).
    carbons: bool,
}

/// A client's messages routed and not yet committed, at most; then the stream is not read
/// until one is (back-pressure: the client's TCP window fills).
const IN_FLIGHT: usize = 64;

/// Serves one TCP connection until it ends.
pub async fn serve(shared: Arc<Shared>, tcp: TcpStream, peer: SocketAddr, entry: Entry) {
    let slot = Slot::default();
    // Held until the connection ends.
    let counted = shared.per_ip.admit(peer.ip());
    if counted.is_none() {
        crate::metrics::c2s_refused("too_many_connections");
    }
    // Boxed: the negotiation's state (TLS handshake, SASL) is freed once the session is bound
    // instead of sizing every idle session's task.
    let negotiation = Box::pin(negotiate(
        &shared,
        tcp,
        peer,
        &slot,
        entry,
        counted.is_some(),
    ));
    let bound = match tokio::time::timeout(shared.negotiation, negotiation).await {
        Ok(Ok(Some(bound))) => bound,
        Ok(Ok(None)) => return,
        Ok(Err(e)) => {
            tracing::debug!(%peer, %e, "c2s negotiation failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "c2s negotiation timed out");
            return;
        }
    };
    run(&shared, bound, &slot).await;
    drop(counted);
}

/// What a read gives.
enum Read {
    Element(Xml),
    /// The client was silent for `idle_timeout_secs`.
    Idle,
    /// The stream ended (after answering a violation or a syntax error with its stream error).
    End,
}

/// Reads the next top-level element; `None` when the stream ended.
async fn next<Io: AsyncBufRead + AsyncWrite + Unpin>(
    stream: &mut XmlStream<Io, Xml>,
    slot: &Slot,
) -> Option<Xml> {
    loop {
        match read(stream, slot).await {
            Read::Element(el) => return Some(el),
            Read::Idle => continue,
            Read::End => return None,
        }
    }
}

async fn read<Io: AsyncBufRead + AsyncWrite + Unpin>(
    stream: &mut XmlStream<Io, Xml>,
    slot: &Slot,
) -> Read {
    match stream.next().await {
        Some(Ok(el)) => Read::Element(el),
        Some(Err(ReadError::SoftTimeout)) => Read::Idle,
        Some(Err(ReadError::ParseError(e))) => {
            tracing::debug!(%e, "c2s: unparsable element");
            close(
                stream,
                DefinedCondition::NotWellFormed,
                "unparsable element",
            )
            .await;
            Read::End
        }
        Some(Err(ReadError::HardError(e))) => {
            failed(stream, slot, &e).await;
            Read::End
        }
        Some(Err(ReadError::StreamFooterReceived)) | None => {
            shutdown(stream).await;
            Read::End
        }
    }
}

/// A failed read: the guard's violation, invalid XML, or a broken connection.
async fn failed<Io: AsyncBufRead + AsyncWrite + Unpin>(
    stream: &mut XmlStream<Io, Xml>,
    slot: &Slot,
    e: &io::Error,
) {
    let violation = *slot.lock().unwrap_or_else(|e| e.into_inner());
    match violation {
        Some(Violation::TooLarge) => {
            crate::metrics::c2s_refused("stanza_too_large");
            close(
                stream,
                DefinedCondition::PolicyViolation,
                "stanza larger than max_stanza_bytes",
            )
            .await
        }
        Some(Violation::TooDeep) => {
            crate::metrics::c2s_refused("too_deep");
            close(
                stream,
                DefinedCondition::PolicyViolation,
                "elements nested too deeply",
            )
            .await
        }
        Some(Violation::Restricted) => {
            crate::metrics::c2s_refused("restricted_xml");
            close(
                stream,
                DefinedCondition::RestrictedXml,
                "no DTDs, comments, CDATA sections or processing instructions",
            )
            .await
        }
        None if e.kind() == io::ErrorKind::TimedOut => {
            close(
                stream,
                DefinedCondition::ConnectionTimeout,
                "no answer to a ping",
            )
            .await
        }
        None if e.kind() == io::ErrorKind::InvalidData => {
            close(
                stream,
                DefinedCondition::NotWellFormed,
                "not well-formed XML",
            )
            .await
        }
        None => tracing::debug!(%e, "c2s connection failed"),
    }
}

async fn send<Io: AsyncBufRead + AsyncWrite + Unpin, U: xso::AsXml>(
    stream: &mut XmlStream<Io, Xml>,
    item: &U,
) -> io::Result<()> {
    tokio::time::timeout(WRITE_TIMEOUT, stream.send(item))
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
}

async fn shutdown<Io: AsyncBufRead + AsyncWrite + Unpin>(stream: &mut XmlStream<Io, Xml>) {
    let _ = tokio::time::timeout(WRITE_TIMEOUT, stream.shutdown()).await;
}

/// Sends a stream error and closes the stream.
async fn close<Io: AsyncBufRead + AsyncWrite + Unpin>(
    stream: &mut XmlStream<Io, Xml>,
    condition: DefinedCondition,
    text: &str,
) {
    let error = StreamError::new(condition, "en", text);
    if send(stream, &error).await.is_ok() {
        shutdown(stream).await;
    }
}

fn header(domain: &str) -> StreamHeader<'static> {
    StreamHeader {
        from: Some(domain.to_string().into()),
        to: None,
        id: Some(crate::stanza::new_id().into()),
    }
}

/// The served host a stream header names, prepared.
fn host(state: &AppState, to: Option<&str>) -> Option<String> {
    let domain = crate::jid::prep_domain(to?).ok()?;
    state
        .config
        .general
        .hosts
        .contains(&domain)
        .then_some(domain)
}

/// How a connection reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// `address`: STARTTLS required.
    StartTls,
    /// `direct_tls_address` (XEP-0368): TLS from the first byte.
    DirectTls,
}

/// Answers a client's opened stream with the stream error `condition` and closes it.
async fn refuse<Io: AsyncBufRead + AsyncWrite + Unpin>(
    accepted: xmlstream::AcceptedStream<Io>,
    domain: &str,
    condition: DefinedCondition,
    text: &str,
) -> io::Result<()> {
    let pending = accepted.send_header(header(domain)).await?;
    pending
        .send_error(&StreamError::new(condition, "en", text))
        .await?;
    Ok(())
}

/// The host a new stream is for, or `None` once the stream was refused: for a host not served
/// (`known`: the host the stream before TLS named, which a client may leave out after it), or
/// for too many connections from the client's address.
async fn admit<Io: AsyncBufRead + AsyncWrite + Unpin>(
    state: &AppState,
    accepted: xmlstream::AcceptedStream<Io>,
    known: Option<String>,
    admitted: bool,
) -> io::Result<Option<(xmlstream::AcceptedStream<Io>, String)>> {
    let Some(domain) = host(state, accepted.header().to.as_deref()).or(known) else {
        let first_host = &state.config.general.hosts[0];
        refuse(
            accepted,
            first_host,
            DefinedCondition::HostUnknown,
            "not a served host",
        )
        .await?;
        return Ok(None);
    };
    if !admitted {
        refuse(
            accepted,
            &domain,
            DefinedCondition::PolicyViolation,
            "too many connections from this address",
        )
        .await?;
        return Ok(None);
    }
    Ok(Some((accepted, domain)))
}

async fn negotiate(
    shared: &Shared,
    tcp: TcpStream,
    peer: SocketAddr,
    slot: &Slot,
    entry: Entry,
    admitted: bool,
) -> io::Result<Option<Bound>> {
    let state = &shared.state;
    let (tls, known) = match entry {
        Entry::DirectTls => (shared.tls.accept(tcp).await?, None),
        Entry::StartTls => {
            let io = IdleBufReader::new(Guard::new(tcp, shared.max_stanza_bytes, slot.clone()));
            let accepted = xmlstream::accept_stream(io, CLIENT, shared.timeouts).await?;
            let Some((accepted, domain)) = admit(state, accepted, None, admitted).await? else {
                return Ok(None);
            };
            let pending = accepted.send_header(header(&domain)).await?;
            let features = StreamFeatures {
                starttls: Some(StartTls { required: true }),
                ..Default::default()
            };
            let mut stream: XmlStream<_, Xml> = pending.send_features(&features).await?;
            let Some(first) = next(&mut stream, slot).await else {
                return Ok(None);
            };
            if !first.is("starttls", TLS) {
                crate::metrics::c2s_refused("tls_required");
                close(
                    &mut stream,
                    DefinedCondition::PolicyViolation,
                    "STARTTLS is required before anything else",
                )
                .await;
                return Ok(None);
            }
            send(&mut stream, &Xml::builder("proceed", TLS).build()).await?;
            let io = stream.into_inner();
            if !io.buffer().is_empty() {
                // The client sent more after <starttls/> than it may (RFC 6120 §5.4.3.3).
                return Ok(None);
            }
            let tcp = io.into_inner().into_inner();
            (shared.tls.accept(tcp).await?, Some(domain))
        }
    };

    let io = IdleBufReader::new(Guard::new(tls, shared.max_stanza_bytes, slot.clone()));
    let accepted = xmlstream::accept_stream(io, CLIENT, shared.timeouts).await?;
    let Some((accepted, domain)) = admit(state, accepted, known, admitted).await? else {
        return Ok(None);
    };
    let pending = accepted.send_header(header(&domain)).await?;
    // SCRAM-SHA-256, SCRAM-SHA-1 (when on) and PLAIN; the features keep them in name order,
    // clients pick the strongest they know.
    let scram = state.accounts.scram_enabled();
    let mechanisms = ScramHash::ALL
        .into_iter()
        .filter(|_| scram)
        .map(|h| h.mechanism().to_string())
        .chain(["PLAIN".to_string()])
        .collect();
    let features = StreamFeatures {
        limits: Some(Limits {
            max_bytes: u32::try_from(shared.max_stanza_bytes)
                .ok()
                .and_then(std::num::NonZeroU32::new),
            idle_seconds: None,
        }),
        sasl_mechanisms: mechanisms,
        ..Default::default()
    };
    let mut stream: XmlStream<_, Xml> = pending.send_features(&features).await?;
    let mut attempts = 0;
    let (user, live, success) = loop {
        let Some(auth) = next(&mut stream, slot).await else {
            return Ok(None);
        };
        if !auth.is("auth", SASL) {
            close(
                &mut stream,
                DefinedCondition::NotAuthorized,
                "authenticate first",
            )
            .await;
            return Ok(None);
        }
        let mechanism = auth.attr("mechanism").unwrap_or_default();
        let scram_hash = ScramHash::from_mechanism(mechanism).filter(|_| scram);
        let outcome = if mechanism == "PLAIN" {
            match initial_response(&mut stream, slot, &auth).await? {
                Step::Data(payload) => match authenticate(state, &payload, &domain, peer).await {
                    Ok((jid, live)) => Sasl::Success(jid, live, None),
                    Err(condition) => Sasl::Failure(condition, None),
                },
                Step::Aborted => Sasl::Failure("aborted", None),
                Step::Closed => return Ok(None),
            }
        } else if let Some(hash) = scram_hash {
            scram_exchange(state, &mut stream, slot, &auth, hash, &domain, peer).await?
        } else {
            Sasl::Failure("invalid-mechanism", None)
        };
        let (condition, text) = match outcome {
            Sasl::Success(jid, live, data) => break (jid, live, data),
            Sasl::Failure(condition, text) => (condition, text),
            Sasl::Closed => return Ok(None),
        };
        attempts += 1;
        let mut failure =
            Xml::builder("failure", SASL).append(Xml::builder(condition, SASL).build());
        if let Some(text) = text {
            failure = failure.append(
                Xml::builder("text", SASL)
                    .attr_ns(
                        tokio_xmpp::minidom::rxml::Namespace::XML,
                        name("lang"),
                        "en",
                    )
                    .append(text)
                    .build(),
            );
        }
        send(&mut stream, &failure.build()).await?;
        if attempts >= MAX_AUTH_ATTEMPTS {
            close(
                &mut stream,
                DefinedCondition::PolicyViolation,
                "too many failed authentication attempts",
            )
            .await;
            return Ok(None);
        }
    };

    let mut success_el = Xml::builder("success", SASL);
    if let Some(data) = success {
        success_el = success_el.append(sasl::encode(&data));
    }
    let accepted = stream.accept_reset(&success_el.build()).await?;
    let pending = accepted.send_header(header(&domain)).await?;
    let features = StreamFeatures {
        bind: Some(BindFeature { required: true }),
        others: vec![
            Xml::builder("session", SESSION)
                .append(Xml::builder("optional", SESSION).build())
                .build(),
            Xml::builder("ver", super::roster::VER_FEATURE).build(),
        ],
        ..Default::default()
    };
    let mut stream: XmlStream<_, Xml> = pending.send_features(&features).await?;
    loop {
        let Some(iq) = next(&mut stream, slot).await else {
            return Ok(None);
        };
        let bind = iq
            .is("iq", CLIENT)
            .then(|| iq.get_child("bind", BIND))
            .flatten()
            .filter(|_| iq.attr("type") == Some("set"));
        let Some(bind) = bind else {
            close(
                &mut stream,
                DefinedCondition::NotAuthorized,
                "bind a resource first",
            )
            .await;
            return Ok(None);
        };
        let id = iq.attr("id").unwrap_or_default().to_string();
        let requested = bind
            .get_child("resource", BIND)
            .map(|r| r.text())
            .filter(|r| !r.is_empty());
        let resource = match requested {
            Some(r) => match crate::jid::prep_resource_name(&r) {
                Some(r) => r,
                None => {
                    let error = iq_error(&id, None, "modify", "bad-request");
                    send(&mut stream, &error).await?;
                    continue;
                }
            },
            None => generated_resource(),
        };
        let Ok(jid) = user.with_resource(&resource) else {
            send(&mut stream, &iq_error(&id, None, "modify", "bad-request")).await?;
            continue;
        };
        let session = match open_session(state, &jid, peer).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(%e, "cannot open a c2s session");
                let error = iq_error(&id, None, "wait", "internal-server-error");
                send(&mut stream, &error).await?;
                close(&mut stream, DefinedCondition::InternalServerError, "").await;
                return Ok(None);
            }
        };
        let result = Xml::builder("iq", CLIENT)
            .attr(name("type"), "result")
            .attr(name("id"), id)
            .append(
                Xml::builder("bind", BIND)
                    .append(Xml::builder("jid", BIND).append(jid.to_string()).build())
                    .build(),
            )
            .build();
        send(&mut stream, &result).await?;
        tracing::debug!(%jid, %peer, "c2s session bound");
        return Ok(Some(Bound {
            stream,
            jid,
            domain,
            live,
            session,
            offline_taken: false,
            in_flight: FuturesOrdered::new(),
            roster_requested: false,
            blocklist_requested: false,
            carbons: false,
            requests_sent: false,
            presence: Default::default(),
        }));
    }
}

fn name(n: &'static str) -> tokio_xmpp::minidom::rxml::NcName {
    n.try_into().expect("a valid name")
}

/// `c2s-<16 hex digits>`.
fn generated_resource() -> String {
    format!("c2s-{}", crate::stanza::new_id())
}

/// Checks a PLAIN payload against the same credential check and cache as HTTP Basic, then binds
/// the connection to the credential (read before the check, as `http::binding` does).
async fn authenticate(
    state: &AppState,
    payload: &str,
    domain: &str,
    peer: SocketAddr,
) -> Result<(Jid, Live), &'static str> {
    let plain = sasl::plain(payload, domain).map_err(|e| match e {
        PlainError::Encoding => "incorrect-encoding",
        PlainError::InvalidAuthzid => "invalid-authzid",
        PlainError::NotAuthorized => "not-authorized",
    })?;
    let temporary = |e: &dyn std::fmt::Display| {
        tracing::warn!(%e, "c2s authentication failed");
        "temporary-auth-failure"
    };
    let credential = state
        .connections
        .password_of(&plain.jid)
        .await
        .map_err(|e| temporary(&e))?;
    // The same failed-login throttle as HTTP (per account and per source, before any hash).
    match state
        .accounts
        .login(&plain.jid, &plain.password, Some(peer.ip()))
        .await
    {
        Ok(true) => crate::metrics::auth_attempt("c2s", "ok"),
        Ok(false) => {
            crate::metrics::auth_attempt("c2s", "wrong_credentials");
            tracing::warn!(api = "c2s", user = %plain.jid, %peer, "refused login");
            return Err("not-authorized");
        }
        Err(crate::accounts::AccountError::Throttled(_)) => {
            crate::metrics::auth_attempt("c2s", "too_many_attempts");
            return Err("temporary-auth-failure");
        }
        Err(e) => return Err(temporary(&e)),
    }
    bind_credential(state, &plain.jid, credential).await
}

/// Binds the authenticated connection of `jid` to its credential (read before the check, so
/// that a password changed meanwhile ends it).
async fn bind_credential(
    state: &AppState,
    jid: &Jid,
    credential: Option<crate::connections::Credential>,
) -> Result<(Jid, Live), &'static str> {
    let temporary = |e: &dyn std::fmt::Display| {
        tracing::warn!(%e, "c2s authentication failed");
        "temporary-auth-failure"
    };
    let credential = match credential {
        Some(c) => Some(c),
        None => state
            .connections
            .password_of(jid)
            .await
            .map_err(|e| temporary(&e))?,
    };
    let Some(credential) = credential else {
        return Err("not-authorized");
    };
    // Unbounded here: the c2s session itself counts against the user's sessions.
    let Ok(live) = state.connections.register(
        jid.bare_string(),
        credential,
        CancellationToken::new(),
        None,
    ) else {
        return Err("not-authorized");
    };
    Ok((jid.clone(), live))
}

/// The outcome of one SASL attempt.
enum Sasl {
    /// Authenticated; the additional data of `<success/>` (SCRAM's server signature).
    Success(Jid, Live, Option<String>),
    /// `<failure/>` with this condition (and text).
    Failure(&'static str, Option<&'static str>),
    /// The stream ended (or was closed with a stream error).
    Closed,
}

/// What a client sent when asked for (more) SASL data.
enum Step {
    Data(String),
    Aborted,
    Closed,
}

/// The next `<response/>` (or `<abort/>`); anything else closes the stream.
async fn response<Io: AsyncBufRead + AsyncWrite + Unpin>(
    stream: &mut XmlStream<Io, Xml>,
    slot: &Slot,
) -> io::Result<Step> {
    let Some(el) = next(stream, slot).await else {
        return Ok(Step::Closed);
    };
    if el.is("abort", SASL) {
        return Ok(Step::Aborted);
    }
    if !el.is("response", SASL) {
        close(
            stream,
            DefinedCondition::NotAuthorized,
            "expected <response/>",
        )
        .await;
        return Ok(Step::Closed);
    }
    Ok(Step::Data(el.text()))
}

/// The initial response of `<auth/>`, or (none sent) the one an empty challenge asks for.
async fn initial_response<Io: AsyncBufRead + AsyncWrite + Unpin>(
    stream: &mut XmlStream<Io, Xml>,
    slot: &Slot,
    auth: &Xml,
) -> io::Result<Step> {
    let payload = auth.text();
    if !payload.is_empty() {
        return Ok(Step::Data(payload));
    }
    send(stream, &Xml::builder("challenge", SASL).build()).await?;
    response(stream, slot).await
}

/// A SCRAM exchange (RFC 5802): client-first, server-first challenge, client-final, and the
/// server signature as `<success/>` data. Checked by the domain against the user's SCRAM keys
/// with the same failed-login throttle as PLAIN and HTTP Basic.
async fn scram_exchange<Io: AsyncBufRead + AsyncWrite + Unpin>(
    state: &AppState,
    stream: &mut XmlStream<Io, Xml>,
    slot: &Slot,
    auth: &Xml,
    hash: ScramHash,
    domain: &str,
    peer: SocketAddr,
) -> io::Result<Sasl> {
    let first = match initial_response(stream, slot, auth).await? {
        Step::Data(d) => d,
        Step::Aborted => return Ok(Sasl::Failure("aborted", None)),
        Step::Closed => return Ok(Sasl::Closed),
    };
    let Some(first) = sasl::decode(&first) else {
        return Ok(Sasl::Failure("incorrect-encoding", None));
    };
    let first = match ClientFirst::parse(&first) {
        Ok(f) => f,
        Err(e) => return Ok(scram_failure(e)),
    };
    let jid = match sasl::identity(&first.username, domain).and_then(|jid| {
        sasl::check_authzid(first.authzid.as_deref().unwrap_or_default(), &jid).map(|()| jid)
    }) {
        Ok(jid) => jid,
        Err(PlainError::InvalidAuthzid) => return Ok(Sasl::Failure("invalid-authzid", None)),
        Err(_) => return Ok(Sasl::Failure("not-authorized", None)),
    };
    let temporary = |e: &dyn std::fmt::Display| {
        tracing::warn!(%e, "c2s authentication failed");
        Sasl::Failure("temporary-auth-failure", None)
    };
    // Read before the check, as for PLAIN.
    let credential = match state.connections.password_of(&jid).await {
        Ok(c) => c,
        Err(e) => return Ok(temporary(&e)),
    };
    let source = Some(peer.ip());
    let credentials = match state.accounts.scram_start(&jid, hash, source).await {
        Ok(c) => c,
        Err(crate::accounts::AccountError::Throttled(_)) => {
            crate::metrics::auth_attempt("c2s", "too_many_attempts");
            return Ok(Sasl::Failure("temporary-auth-failure", None));
        }
        Err(e) => return Ok(temporary(&e)),
    };
    let nonce: [u8; 18] = rand::random();
    let exchange = Exchange::new(
        hash,
        &first,
        credentials.keys.clone(),
        &sasl::encode_bytes(&nonce),
    );
    let challenge = Xml::builder("challenge", SASL)
        .append(sasl::encode(exchange.server_first()))
        .build();
    send(stream, &challenge).await?;
    let last = match response(stream, slot).await? {
        Step::Data(d) => d,
        Step::Aborted => return Ok(Sasl::Failure("aborted", None)),
        Step::Closed => return Ok(Sasl::Closed),
    };
    let Some(last) = sasl::decode(&last) else {
        return Ok(Sasl::Failure("incorrect-encoding", None));
    };
    match exchange.finish(&last) {
        Ok(signature) => {
            state
                .accounts
                .scram_finished(&jid, &credentials, true, source);
            crate::metrics::auth_attempt("c2s", "ok");
            Ok(match bind_credential(state, &jid, credential).await {
                Ok((jid, live)) => Sasl::Success(jid, live, Some(signature)),
                Err(condition) => Sasl::Failure(condition, None),
            })
        }
        Err(e @ (ScramError::NotAuthorized | ScramError::ChannelBindingsDontMatch)) => {
            state
                .accounts
                .scram_finished(&jid, &credentials, false, source);
            crate::metrics::auth_attempt("c2s", "wrong_credentials");
            tracing::warn!(api = "c2s", user = %jid, %peer, mechanism = hash.mechanism(), "refused login");
            Ok(scram_failure(e))
        }
        Err(e) => Ok(scram_failure(e)),
    }
}

/// The SASL failure of a SCRAM error (RFC 6120 §6.5; the text names RFC 5802's server-error).
fn scram_failure(e: ScramError) -> Sasl {
    match e {
        ScramError::Malformed => Sasl::Failure("malformed-request", None),
        ScramError::ChannelBindingNotSupported => Sasl::Failure(
            "malformed-request",
            Some("e=channel-binding-not-supported: no channel binding is offered"),
        ),
        ScramError::ExtensionsNotSupported => {
            Sasl::Failure("malformed-request", Some("e=extensions-not-supported"))
        }
        ScramError::ChannelBindingsDontMatch => {
            Sasl::Failure("not-authorized", Some("e=channel-bindings-dont-match"))
        }
        ScramError::InvalidAuthzid => Sasl::Failure("invalid-authzid", None),
        ScramError::NotAuthorized => Sasl::Failure("not-authorized", None),
    }
}

/// Opens the registry session of `jid`. A session with the same resource, on any node, is
/// replaced: its stream ends with `<conflict/>` (an SSE or WebSocket session's resource is
/// generated, so only another c2s session can hold it). The new session is unavailable
/// (priority -1, only full-JID messages) until the client sends initial presence.
async fn open_session(
    state: &AppState,
    jid: &Jid,
    peer: SocketAddr,
) -> Result<LiveSession, crate::sessions::SessionError> {
    for old in state.sessions.sessions_of(&jid.to_bare()).await? {
        if old.jid.resource() == jid.resource() {
            state.sessions.end(&old).await;
        }
    }
    let info = SessionInfo {
        id: SessionId::random(),
        jid: jid.clone(),
        priority: -1,
        node: state.node.clone(),
        transport: Transport::C2s,
        opened_at: crate::db::now_micros(),
        peer: Some(peer),
        presence: None,
        status: Some(crate::sessions::Status::unavailable()),
    };
    LiveSession::open_as(state.sessions.clone(), info).await
}

async fn run(shared: &Shared, mut b: Bound, slot: &Slot) {
    let state = &shared.state;
    let ended = b.live.ended().clone();
    loop {
        tokio::select! {
            _ = ended.cancelled() => {
                close(&mut b.stream, DefinedCondition::NotAuthorized, "the credentials changed").await;
                break;
            }
            _ = state.shutdown.cancelled() => {
                close(&mut b.stream, DefinedCondition::SystemShutdown, "").await;
                break;
            }
            routed = b.session.next() => match routed {
                Some(routed) => {
                    // Kicked (the admin's kickUser): the stream ends with the reason.
                    if let Some(reason) = crate::sessions::kick_reason(&routed) {
                        close(&mut b.stream, DefinedCondition::PolicyViolation, reason).await;
                        break;
                    }
                    // Roster pushes only to interested resources.
                    if !b.roster_requested
                        && routed.sender == b.jid.to_bare()
                        && crate::roster::is_push(&routed.element)
                    {
                        continue;
                    }
                    // Blocklist pushes likewise; carbon copies only once enabled.
                    if (!b.blocklist_requested
                        && routed.sender == b.jid.to_bare()
                        && crate::blocking::is_push(&routed.element))
                        || !super::carbons::wanted(&routed, &b.jid, b.carbons)
                    {
                        continue;
                    }
                    // A presence the server sends on this session's behalf (the admin's
                    // setPresence): the session takes it as its own, which shows it to the
                    // client too (RFC 6121 §4.2.2) and broadcasts it.
                    if is_own_presence(&routed, &b.jid) {
                        let mut own = routed.element.clone();
                        own.attrs.retain(|(k, _)| k != "to" && k != "from");
                        if presence(state, &mut b, &own).await.is_err() {
                            break;
                        }
                        continue;
                    }
                    let e = to_client(&routed, &b.jid);
                    if send_serialised(&mut b.stream, &e).await.is_err() {
                        break;
                    }
                }
                None => {
                    // The mailbox was closed: the account was removed, its credentials
                    // changed, another stream bound the same resource, or this client did
                    // not read its stanzas.
                    let holds = b.live.check().await.unwrap_or(true);
                    let (condition, text) = if holds {
                        (DefinedCondition::Conflict, "replaced by a new session")
                    } else {
                        (DefinedCondition::NotAuthorized, "the credentials changed")
                    };
                    close(&mut b.stream, condition, text).await;
                    break;
                }
            },
            Some((e, outcome)) = b.in_flight.next(), if !b.in_flight.is_empty() => {
                if routed(&mut b, &e, outcome).await.is_err() {
                    break;
                }
            }
            el = read(&mut b.stream, slot), if b.in_flight.len() < IN_FLIGHT => match el {
                Read::Element(el) => {
                    // Boxed: handling a stanza (MAM, roster, vCard...) needs far more state
                    // than waiting does; it is allocated only while a stanza is handled.
                    if let Err(e) = Box::pin(handle(shared, &mut b, el)).await {
                        tracing::debug!(%e, "c2s write failed");
                        break;
                    }
                }
                Read::Idle => {
                    // Any answer (even an error) counts as traffic.
                    let ping = Xml::builder("iq", CLIENT)
                        .attr(name("type"), "get")
                        .attr(name("id"), format!("ping-{}", crate::stanza::new_id()))
                        .attr(name("from"), b.domain.clone())
                        .attr(name("to"), b.jid.to_string())
                        .append(Xml::builder("ping", PING).build())
                        .build();
                    if send(&mut b.stream, &ping).await.is_err() {
                        break;
                    }
                }
                Read::End => break,
            },
        }
    }
    // The connection ended (or the session was ended): out of the registry first (a probe or
    // a XEP-0012 query no longer finds it), then unavailable to whoever had the session's
    // presence, and the last activity recorded.
    drop(b.session);
    super::presence::ended(state, &b.jid, &mut b.presence).await;
    tracing::debug!(jid = %b.jid, "c2s session ended");
}

/// A top-level element from the bound client.
async fn handle(shared: &Shared, b: &mut Bound, el: Xml) -> io::Result<()> {
    let state = &*shared.state;
    if el.ns() != CLIENT {
        close(
            &mut b.stream,
            DefinedCondition::UnsupportedStanzaType,
            "not a stanza",
        )
        .await;
        return Err(io::Error::other("unsupported element"));
    }
    let Some(element) = from_client(&el) else {
        // Within the stanza bound but over one of the element bounds (attributes, names).
        return reply_error(b, &el, "modify", "bad-request").await;
    };
    if el.name() != "message" {
        // Messages are pipelined among themselves; anything else waits for the messages sent
        // before it, so that their errors come before its answer (RFC 6120 §10.1).
        while let Some((e, outcome)) = b.in_flight.next().await {
            routed(b, &e, outcome).await?;
        }
    }
    match el.name() {
        "message" => message(state, b, element).await,
        "presence" => presence(state, b, &element).await,
        "iq" => iq(shared, b, element).await,
        _ => {
            close(
                &mut b.stream,
                DefinedCondition::UnsupportedStanzaType,
                "not a stanza",
            )
            .await;
            Err(io::Error::other("unsupported stanza"))
        }
    }
}

/// Whether a routed stanza is a presence the server sends on this session's behalf: from the
/// session's own full JID (which only the server routes from) to its bare JID.
fn is_own_presence(routed: &Routed, me: &Jid) -> bool {
    routed.element.name == "presence"
        && routed.sender == *me
        && routed
            .element
            .attr("to")
            .and_then(|to| Jid::parse_any(to).ok())
            .is_some_and(|to| to == me.to_bare())
}

/// A client's element as the domain keeps it (without the stream's default namespace).
fn from_client(el: &Xml) -> Option<Element> {
    let mut e = Element::parse(&String::from(el)).ok()?;
    e.attrs.retain(|(k, v)| !(k == "xmlns" && v == CLIENT));
    Some(e)
}

/// A routed element as the client gets it ([`client_element`]: `to` the session's full JID
/// when it names no recipient, as RFC 6121 §4.2.2's broadcasts do; clients such as slixmpp file
/// presence by its `to`); the archive id as a XEP-0359 `<stanza-id/>`.
fn to_client(routed: &Routed, me: &Jid) -> Element {
    let mut e = routed.element.clone();
    if e.attr("from").is_none() {
        e.set_attr("from", routed.sender.to_string());
    }
    if let Some(id) = routed.archive_id {
        let by = me.bare_string();
        e.children.retain(|c| {
            !matches!(c, crate::xml::Node::Element(s)
                if s.name == "stanza-id" && s.attr("by") == Some(by.as_str()))
        });
        e.children.push(crate::xml::Node::Element(
            Element::new("stanza-id")
                .with_attr("xmlns", SID)
                .with_attr("by", by)
                .with_attr("id", id.to_base32()),
        ));
    }
    client_element(e, me)
}

/// One of the domain's elements as the client gets it: `to` the session's full JID `me` when
/// it names no recipient, in the stream's namespace.
fn client_element(mut e: Element, me: &Jid) -> Element {
    if e.attr("to").is_none() {
        e.set_attr("to", me.to_string());
    }
    if e.attr("xmlns").is_none() {
        e.attrs.insert(0, ("xmlns".to_string(), CLIENT.to_string()));
    }
    e
}

/// Writes a domain element to the client as it serialises: it came from a parser (a client's
/// stanza, GraphQL's XML scalar) or from the server's builders, so it is well-formed, and
/// declares its namespace itself; parsing it again into the stream's element type only to
/// encode it back cost a third of a delivered message's XML work (bench/README.md, "XMPP").
async fn send_serialised<Io: AsyncBufRead + AsyncWrite + Unpin>(
    stream: &mut XmlStream<Io, Xml>,
    e: &Element,
) -> io::Result<()> {
    let bytes = e.to_string();
    tokio::time::timeout(
        WRITE_TIMEOUT,
        std::pin::Pin::new(stream).send_serialised(bytes.as_bytes()),
    )
    .await
    .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
}

/// `<message/>`: `from` stamped with the session's full JID, `<stanza-id/>` of this server
/// removed (XEP-0359 §3.3), routed as `sendMessage` routes.
async fn message(state: &AppState, b: &mut Bound, mut e: Element) -> io::Result<()> {
    e.set_attr("from", b.jid.to_string());
    let hosts = &state.config.general.hosts;
    e.children.retain(|c| {
        !matches!(c, crate::xml::Node::Element(s) if s.name == "stanza-id"
        && s.attr("by").is_some_and(|by| {
            let domain = by.rsplit('@').next().unwrap_or(by);
            hosts.iter().any(|h| h == domain)
        }))
    });
    let to = match e.attr("to") {
        None => b.jid.to_bare(),
        Some(to) => match Jid::parse_any(to) {
            Ok(j) => j,
            Err(_) => return stanza_error(b, &e, "modify", "jid-malformed").await,
        },
    };
    let envelope = Envelope {
        sender: b.jid.clone(),
        to,
        element: e.clone(),
    };
    match state.router.dispatch(envelope).await {
        Ok(delivery) => {
            b.in_flight
                .push_back(Box::pin(async move { (e, delivery.await) }));
            Ok(())
        }
        Err(err) => routed(b, &e, Err(err)).await,
    }
}

/// What became of a client's message, told to the client when it failed.
async fn routed(
    b: &mut Bound,
    e: &Element,
    outcome: Result<Outcome, RouteError>,
) -> io::Result<()> {
    match outcome {
        // The recipient keeps the most offline messages allowed (XEP-0160 §3).
        Ok(Outcome::OfflineFull) => stanza_error(b, e, "cancel", "service-unavailable").await,
        Ok(Outcome::Blocked(side)) => blocked(b, e, side).await,
        Ok(_) => Ok(()),
        Err(err) => {
            tracing::warn!(%err, "cannot route a c2s message");
            stanza_error(b, e, "wait", "internal-server-error").await
        }
    }
}

/// Offline messages taken per database round trip.
const OFFLINE_CHUNK: u64 = 100;

/// Hands the client the messages kept while it was offline (XEP-0160), oldest first, each
/// with a XEP-0203 `<delay/>` of when it was routed and its stanza-id when archived.
async fn offline_messages(state: &AppState, b: &mut Bound) -> io::Result<()> {
    loop {
        let taken = match state.offline.take(&b.jid, OFFLINE_CHUNK).await {
            Ok(taken) => taken,
            Err(err) => {
                // Still kept: the next available presence tries again.
                tracing::warn!(%err, "cannot read offline messages");
                b.offline_taken = false;
                return Ok(());
            }
        };
        let n = taken.len() as u64;
        for (i, stored) in taken.iter().enumerate() {
            let (Ok(element), Ok(sender)) = (
                Element::parse(&stored.stanza),
                Jid::parse_any(&stored.sender),
            ) else {
                tracing::warn!(id = stored.id.0, "an offline message cannot be read back");
                continue;
            };
            let routed = Routed {
                sender,
                element,
                routed_at: stored.id.micros(),
                archive_id: stored.archived.then_some(stored.id),
            };
            let mut out = to_client(&routed, &b.jid);
            out.children.push(crate::xml::Node::Element(
                Element::new("delay")
                    .with_attr("xmlns", DELAY)
                    .with_attr("from", b.domain.clone())
                    .with_attr("stamp", stamp(stored.id.micros())),
            ));
            if let Err(e) = send_serialised(&mut b.stream, &out).await {
                // Not handed over: kept for the next session.
                if let Err(err) = state.offline.put_back(&b.jid, &taken[i..]).await {
                    tracing::warn!(%err, "cannot keep offline messages that were not handed over");
                }
                return Err(e);
            }
        }
        if n < OFFLINE_CHUNK {
            return Ok(());
        }
    }
}

/// A XEP-0082 date-time in UTC with microseconds.
pub(super) fn stamp(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// `<presence/>` (RFC 6121 §3, §4). Subscription presences go to the roster
/// ([`roster::subscription`]); presence without `to` is the session's availability and
/// priority (§4.7.2.3), broadcast to the contacts ([`super::presence`]); with `to`, directed
/// presence or a probe.
async fn presence(state: &AppState, b: &mut Bound, e: &Element) -> io::Result<()> {
    if let Some(to) = e.attr("to") {
        let Ok(to) = Jid::parse_any(to) else {
            return stanza_error(b, e, "modify", "jid-malformed").await;
        };
        if let Some(p) = roster::subscription_type(e.attr("type")) {
            if let Err((ty, condition)) = roster::subscription(state, &b.jid, &to, p).await {
                return stanza_error(b, e, ty, condition).await;
            }
            return Ok(());
        }
        return match e.attr("type") {
            None | Some("unavailable") => {
                super::presence::directed(state, &b.jid, &mut b.presence, &to, e).await;
                Ok(())
            }
            Some("probe") => {
                for p in super::presence::probed_by(state, &b.jid, &to).await {
                    send_element(b, &p).await?;
                }
                Ok(())
            }
            _ => Ok(()),
        };
    }
    let priority = match e.attr("type") {
        None => e
            .elements()
            .find(|c| c.name == "priority")
            .and_then(|p| p.text().trim().parse::<i32>().ok())
            .map_or(0, |p| p.clamp(-128, 127)),
        Some("unavailable") => -1,
        Some(_) => return Ok(()),
    };
    let stamped = super::presence::stamp(e, &b.jid);
    let available = e.attr("type").is_none();
    let Some(status) = crate::sessions::Status::of_presence(e) else {
        return Ok(());
    };
    if let Err(err) = state
        .sessions
        .set_presence(
            b.session.info.id,
            priority,
            available.then(|| stamped.clone()),
            status,
        )
        .await
    {
        tracing::warn!(%err, "cannot change a c2s session's presence");
        return Ok(());
    }
    // Read once for the broadcast, the probes and the pending requests (priority 0 or more
    // means available).
    let roster = if available {
        super::presence::roster_of(state, &b.jid).await
    } else {
        Vec::new()
    };
    if available {
        let first = !b.presence.available;
        super::presence::broadcast(state, &b.jid, &mut b.presence, &stamped, &roster).await;
        // RFC 6121 §4.2.2: the initial presence to the resource that sent it too, then
        // (§4.2.2, §4.4.2) the contacts' and the user's other resources' presence.
        send_element(b, &stamped).await?;
        if first {
            for p in super::presence::probe(state, &b.jid, &roster).await {
                send_element(b, &p).await?;
            }
        }
    } else {
        let status = e
            .elements()
            .find(|c| c.name == "status")
            .map(|s| s.text())
            .unwrap_or_default();
        super::presence::gone(state, &b.jid, &mut b.presence, &stamped, &status).await;
        send_element(b, &stamped).await?;
    }
    // Available now: subscription requests not answered yet are delivered again (RFC 6121
    // §3.1.3), once per session.
    if priority >= 0 && !b.requests_sent {
        b.requests_sent = true;
        for request in roster::pending(state, &b.jid, &roster).await {
            send(&mut b.stream, &request).await?;
        }
    }
    // Messages routed from here on reach this session, those kept before are handed over
    // (once per session; not to a negative priority, XEP-0160 §3).
    if priority >= 0 && !b.offline_taken {
        b.offline_taken = true;
        return offline_messages(state, b).await;
    }
    Ok(())
}

/// Sends one of the domain's elements to the client ([`client_element`]).
async fn send_element(b: &mut Bound, e: &Element) -> io::Result<()> {
    send_serialised(&mut b.stream, &client_element(e.clone(), &b.jid)).await
}

/// `<iq/>`: to the server or the account, answered here (ping, disco#info, the legacy
/// session; software version and last activity of the server); to another entity's full JID,
/// routed.
async fn iq(shared: &Shared, b: &mut Bound, mut e: Element) -> io::Result<()> {
    let state = &*shared.state;
    let ty = e.attr("type").unwrap_or_default().to_string();
    if !matches!(ty.as_str(), "get" | "set") {
        // Results and errors addressed to the server (or to the account: answers to roster
        // pushes) need no answer.
        let to_own = e
            .attr("to")
            .and_then(|to| Jid::parse_any(to).ok())
            .is_some_and(|j| j.resource().is_empty() && j.to_bare() == b.jid.to_bare());
        if !to_own && e.attr("to").is_some_and(|to| to != b.domain) {
            e.set_attr("from", b.jid.to_string());
            return route_iq(state, b, e).await;
        }
        return Ok(());
    }
    let to = match e.attr("to") {
        None => None,
        Some(to) => match Jid::parse_any(to) {
            Ok(j) => Some(j),
            Err(_) => return stanza_error(b, &e, "modify", "jid-malformed").await,
        },
    };
    let to_server = to
        .as_ref()
        .is_none_or(|j| j.node().is_empty() && j.resource().is_empty() && j.domain() == b.domain);
    let to_account = to
        .as_ref()
        .is_some_and(|j| j.resource().is_empty() && j.to_bare() == b.jid.to_bare());
    // The user's data (roster, vCard, private storage): its own modules answer.
    let target = match &to {
        None => Some(data::To::Own),
        Some(_) if to_account => Some(data::To::Own),
        Some(j) if j.resource().is_empty() && !j.node().is_empty() => Some(data::To::Other(j)),
        Some(_) => None,
    };
    if let (Some(target), Some(payload)) = (target, e.elements().next())
        && let Some(answer) = data::handle(state, &b.jid, target, ty == "set", payload).await
    {
        return data_answer(b, &e, answer).await;
    }
    if !to_server && !to_account {
        if to.as_ref().is_some_and(|j| !j.resource().is_empty()) {
            e.set_attr("from", b.jid.to_string());
            return route_iq(state, b, e).await;
        }
        return stanza_error(b, &e, "cancel", "service-unavailable").await;
    }
    let payload = e.elements().next().map(|c| {
        (
            c.name.clone(),
            c.attr("xmlns").unwrap_or_default().to_string(),
        )
    });
    let id = e.attr("id").unwrap_or_default().to_string();
    let from = to.as_ref().map(|j| j.to_string());
    let result = |child: Option<Xml>| {
        let mut r = Xml::builder("iq", CLIENT)
            .attr(name("type"), "result")
            .attr(name("id"), id.clone())
            .attr(name("to"), b.jid.to_string());
        if let Some(f) = &from {
            r = r.attr(name("from"), f.clone());
        }
        if let Some(c) = child {
            r = r.append(c);
        }
        r.build()
    };
    match payload.as_ref().map(|(n, ns)| (n.as_str(), ns.as_str())) {
        Some(("ping", PING)) if ty == "get" => send(&mut b.stream, &result(None)).await,
        Some(("session", SESSION)) if ty == "set" => send(&mut b.stream, &result(None)).await,
        Some(("query", DISCO_INFO)) if ty == "get" && to_server => {
            let mut query = Xml::builder("query", DISCO_INFO).append(
                Xml::builder("identity", DISCO_INFO)
                    .attr(name("category"), "server")
                    .attr(name("type"), "im")
                    .attr(name("name"), "mimql")
                    .build(),
            );
            // XEP-0160 §4: a server that keeps offline messages says so.
            let offline = state
                .config
                .module_enabled("mod_offline")
                .then_some("msgoffline");
            let always = [DISCO_INFO, PING, SID, VERSION, LAST]
                .into_iter()
                .chain(data::FEATURES)
                .map(Some);
            for var in always.chain([offline]).flatten() {
                query = query.append(
                    Xml::builder("feature", DISCO_INFO)
                        .attr(name("var"), var)
                        .build(),
                );
            }
            send(&mut b.stream, &result(Some(query.build()))).await
        }
        Some(("query", VERSION)) if ty == "get" && to_server => {
            let mut query = Xml::builder("query", VERSION)
                .append(Xml::builder("name", VERSION).append("mimql").build())
                .append(
                    Xml::builder("version", VERSION)
                        .append(env!("CARGO_PKG_VERSION"))
                        .build(),
                );
            if shared.version_os {
                query = query.append(
                    Xml::builder("os", VERSION)
                        .append(std::env::consts::OS)
                        .build(),
                );
            }
            send(&mut b.stream, &result(Some(query.build()))).await
        }
        Some(("query", LAST)) if ty == "get" && to_server => {
            // XEP-0012 §5: the server's uptime.
            let query = Xml::builder("query", LAST)
                .attr(
                    name("seconds"),
                    shared.started.elapsed().as_secs().to_string(),
                )
                .build();
            send(&mut b.stream, &result(Some(query))).await
        }
        // XEP-0012 of the user's own account: online (this session).
        Some(("query", LAST)) if ty == "get" && to_account => {
            let query = Xml::builder("query", LAST)
                .attr(name("seconds"), "0")
                .build();
            send(&mut b.stream, &result(Some(query))).await
        }
        Some(("query", DISCO_INFO)) if ty == "get" && to_account => {
            let mut query = Xml::builder("query", DISCO_INFO).append(
                Xml::builder("identity", DISCO_INFO)
                    .attr(name("category"), "account")
                    .attr(name("type"), "registered")
                    .build(),
            );
            let mam = mam_enabled(state).then_some(mam::MAM);
            for var in [Some(DISCO_INFO), mam]
                .into_iter()
                .flatten()
                .chain(data::FEATURES)
            {
                query = query.append(
                    Xml::builder("feature", DISCO_INFO)
                        .attr(name("var"), var)
                        .build(),
                );
            }
            send(&mut b.stream, &result(Some(query.build()))).await
        }
        // The user's own archive: to the bare JID, or without `to`.
        Some(("query", mam::MAM)) if mam_enabled(state) && (to.is_none() || to_account) => {
            if ty == "get" {
                return send(&mut b.stream, &result(Some(mam::form()))).await;
            }
            let query = e
                .elements()
                .next()
                .cloned()
                .unwrap_or_else(|| Element::new("query"));
            match mam_query(state, &b.jid, &query).await {
                Ok((messages, fin)) => {
                    for m in &messages {
                        send(&mut b.stream, m).await?;
                    }
                    send(&mut b.stream, &result(Some(fin))).await
                }
                Err((ty, condition)) => stanza_error(b, &e, ty, condition).await,
            }
        }
        _ => stanza_error(b, &e, "cancel", "service-unavailable").await,
    }
}

/// Sends the answer of one of the user's data handlers ([`data`]).
async fn data_answer(b: &mut Bound, e: &Element, answer: data::Answer) -> io::Result<()> {
    b.roster_requested |= answer.roster_requested;
    b.blocklist_requested |= answer.blocklist_requested;
    if let Some(enabled) = answer.carbons {
        b.carbons = enabled;
    }
    let child = match answer.result {
        Err((ty, condition)) => return stanza_error(b, e, ty, condition).await,
        Ok(child) => child,
    };
    let mut r = Xml::builder("iq", CLIENT)
        .attr(name("type"), "result")
        .attr(name("id"), e.attr("id").unwrap_or_default().to_string())
        .attr(name("to"), b.jid.to_string());
    if let Some(from) = e.attr("to") {
        r = r.attr(name("from"), from.to_string());
    }
    if let Some(child) = child {
        match child.to_string().parse::<Xml>() {
            Ok(x) => r = r.append(x),
            Err(err) => {
                tracing::warn!(%err, "an answer cannot be sent to an XMPP client");
                return stanza_error(b, e, "wait", "internal-server-error").await;
            }
        }
    }
    send(&mut b.stream, &r.build()).await
}

fn mam_enabled(state: &AppState) -> bool {
    state.config.module_enabled("mod_mam_pm")
}

/// A XEP-0313 query of the user's archive: each message of the page as a `<result/>`
/// message, in order, and the `<fin/>` of the iq result; or the error's type and condition.
async fn mam_query(
    state: &AppState,
    me: &Jid,
    query: &Element,
) -> Result<(Vec<Xml>, Xml), (&'static str, &'static str)> {
    let parsed = match mam::parse(query, &state.config.mam_pm) {
        Ok(q) => q,
        Err(Ok(mam::BadRequest(text))) => {
            tracing::debug!(%text, "a MAM query refused");
            return Err(("modify", "bad-request"));
        }
        Err(Err(_)) => return Err(("cancel", "item-not-found")),
    };
    let archive = me.to_bare();
    let page = match state.archive.query(&archive, &parsed).await {
        Ok(page) => page,
        Err(crate::archive::QueryError::UnknownId(_)) => return Err(("cancel", "item-not-found")),
        Err(err) => {
            tracing::warn!(%err, "cannot read the archive for a MAM query");
            return Err(("wait", "internal-server-error"));
        }
    };
    let queryid = query.attr("queryid");
    let messages = page
        .messages
        .iter()
        .filter_map(|m| mam::result(m, queryid, &archive, me))
        .collect();
    Ok((messages, mam::fin(&page)))
}

async fn route_iq(state: &AppState, b: &mut Bound, e: Element) -> io::Result<()> {
    let Some(to) = e.attr("to").and_then(|t| Jid::parse_any(t).ok()) else {
        return Ok(());
    };
    let envelope = Envelope {
        sender: b.jid.clone(),
        to,
        element: e,
    };
    let e = envelope.element.clone();
    match state.router.send(envelope).await {
        Ok(Outcome::Blocked(side)) if matches!(e.attr("type"), Some("get" | "set")) => {
            blocked(b, &e, side).await
        }
        Ok(_) => Ok(()),
        Err(err) => {
            tracing::warn!(%err, "cannot route a c2s iq");
            Ok(())
        }
    }
}

/// A message or iq a blocklist stopped (XEP-0191 §3.6, §3.7): `<service-unavailable/>` when
/// the recipient blocks the client's user, `<not-acceptable/>` with `<blocked/>` when the
/// user blocks the recipient.
async fn blocked(b: &mut Bound, e: &Element, side: crate::blocking::Blocked) -> io::Result<()> {
    match side {
        crate::blocking::Blocked::ByRecipient => {
            stanza_error(b, e, "cancel", "service-unavailable").await
        }
        crate::blocking::Blocked::BySender => {
            let reply = super::blocking::blocked_error(e, &b.jid);
            send(&mut b.stream, &reply).await
        }
    }
}

/// An iq error without the original payload (`<iq type='error' id><error type><condition/>`).
fn iq_error(id: &str, to: Option<&str>, ty: &str, condition: &str) -> Xml {
    let mut b = Xml::builder("iq", CLIENT)
        .attr(name("type"), "error")
        .attr(name("id"), id.to_string());
    if let Some(to) = to {
        b = b.attr(name("to"), to.to_string());
    }
    b.append(
        Xml::builder("error", CLIENT)
            .attr(name("type"), ty.to_string())
            .append(Xml::builder(condition, STANZAS).build())
            .build(),
    )
    .build()
}

/// Answers a stanza with a stanza error of the same kind, addressed back to the client.
async fn stanza_error(b: &mut Bound, e: &Element, ty: &str, condition: &str) -> io::Result<()> {
    let mut reply = Xml::builder(e.name.clone(), CLIENT)
        .attr(name("type"), "error")
        .attr(name("to"), b.jid.to_string());
    if let Some(id) = e.attr("id") {
        reply = reply.attr(name("id"), id.to_string());
    }
    if let Some(to) = e.attr("to") {
        reply = reply.attr(name("from"), to.to_string());
    }
    let reply = reply
        .append(
            Xml::builder("error", CLIENT)
                .attr(name("type"), ty.to_string())
                .append(Xml::builder(condition, STANZAS).build())
                .build(),
        )
        .build();
    send(&mut b.stream, &reply).await
}

async fn reply_error(b: &mut Bound, el: &Xml, ty: &str, condition: &str) -> io::Result<()> {
    if el.attr("type") == Some("error") {
        return Ok(());
    }
    let mut e = Element::new(el.name());
    for attr in ["id", "to"] {
        if let Some(v) = el.attr(attr) {
            e.set_attr(attr, v);
        }
    }
    stanza_error(b, &e, ty, condition).await
}
