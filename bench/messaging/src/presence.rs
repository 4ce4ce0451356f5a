//! Presence over XMPP (issue 22), against mimql and, when `bench/presence.sh` started one,
//! ejabberd on the same machine with the same roster (`EJABBERD`, `EJABBERD_API` as for
//! [`crate::xmpp`]):
//!
//! * login with a roster of `CONTACTS` (1,000) contacts, all `both`, `ONLINE` (500) of them
//!   online: from the TCP connect to the roster result and every online contact's presence
//!   received (TCP, STARTTLS, PLAIN, bind, roster get, initial presence), `LOGINS` (30) times;
//!   then the same with roster versioning (XEP-0237) and nothing changed;
//! * fan-out: the user, with all `CONTACTS` subscribers online, goes available (after an
//!   unavailable presence that has settled): from sending the presence to the last subscriber
//!   receiving it, `FANOUT_ROUNDS` (30) times.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::seed;
use crate::server::Server;
use crate::stats::percentile;
use crate::xmpp::{Stream, bench_user, bind, close, connector, login};

const HUB: &str = "hub";
const ROSTER: &str = "jabber:iq:roster";

pub struct Settings {
    pub contacts: usize,
    pub online: usize,
    pub logins: usize,
    pub fanout_rounds: usize,
}

pub struct Figures {
    pub name: &'static str,
    /// Login to roster and presences: p50, p99.
    pub login: (Duration, Duration),
    /// The same with roster versioning, nothing changed.
    pub login_versioned: (Duration, Duration),
    /// Roster items the versioned logins got (0 when the server answered "unchanged").
    pub versioned_items: usize,
    /// Fan-out time to the last subscriber: p50, p99.
    pub fanout_last: (Duration, Duration),
    /// Fan-out per subscriber: p50, p99.
    pub fanout_each: (Duration, Duration),
}

/// The value of attribute `name` in the start tag `tag` (either quote).
fn attr<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    for q in ['\'', '"'] {
        let key = format!(" {name}={q}");
        if let Some(at) = tag.find(&key) {
            let rest = &tag[at + key.len()..];
            return rest.find(q).map(|end| &rest[..end]);
        }
    }
    None
}

/// What a logging-in client has read so far: the start tags that matter, across reads.
#[derive(Default)]
struct Tally {
    carry: String,
    /// Available presences from contacts (`b…` users).
    presences: usize,
    roster_done: bool,
    items: usize,
    ver: Option<String>,
}

impl Tally {
    fn feed(&mut self, bytes: &[u8], roster_id: &str) {
        self.carry.push_str(&String::from_utf8_lossy(bytes));
        let Some(end) = self.carry.rfind('>') else {
            return;
        };
        let done: String = self.carry.drain(..=end).collect();
        for tag in done.split('<').skip(1) {
            let tag = tag.split('>').next().unwrap_or_default();
            let name = tag.split([' ', '/']).next().unwrap_or_default();
            match name {
                "presence" => {
                    let from_contact = attr(tag, "from").is_some_and(|f| f.starts_with('b'));
                    if from_contact && attr(tag, "type").is_none() {
                        self.presences += 1;
                    }
                }
                "iq" if attr(tag, "id") == Some(roster_id) => self.roster_done = true,
                "query" if attr(tag, "xmlns") == Some(ROSTER) => {
                    self.ver = attr(tag, "ver").map(str::to_string);
                }
                "item" if attr(tag, "jid").is_some() => self.items += 1,
                _ => {}
            }
        }
    }
}

/// One timed login of the hub: answers the time and what it read.
async fn timed_login(
    tls: &tokio_rustls::TlsConnector,
    addr: SocketAddr,
    round: usize,
    ver: Option<&str>,
    online: usize,
) -> (Duration, Tally) {
    let start = Instant::now();
    let mut s = bind(tls, addr, HUB, seed::PASSWORD, &format!("h{round}"))
        .await
        .expect("the hub logs in");
    let id = format!("rost{round}");
    let ver = format!(" ver='{}'", ver.unwrap_or_default());
    s.write_all(
        format!("<iq type='get' id='{id}'><query xmlns='{ROSTER}'{ver}/></iq><presence/>")
            .as_bytes(),
    )
    .await
    .expect("written");
    let mut tally = Tally::default();
    let mut chunk = vec![0u8; 65536];
    while !(tally.roster_done && tally.presences >= online) {
        let n = tokio::time::timeout(Duration::from_secs(30), s.read(&mut chunk))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "login {round}: {} of {online} presences, roster {}",
                    tally.presences, tally.roster_done
                )
            })
            .expect("read");
        assert!(n > 0, "the hub's stream closed");
        tally.feed(&chunk[..n], &id);
    }
    let took = start.elapsed();
    let _ = s.write_all(b"<presence type='unavailable'/>").await;
    close(s).await;
    (took, tally)
}

/// Logs in contacts `range` (available); each drains its stream and reports every
/// `<status>rN</status>` it sees as (N, when).
async fn contacts_online(
    tls: &tokio_rustls::TlsConnector,
    addr: SocketAddr,
    range: std::ops::Range<usize>,
    marks: mpsc::UnboundedSender<(usize, Instant)>,
) {
    let gate = Arc::new(tokio::sync::Semaphore::new(64));
    let opened = Arc::new(AtomicUsize::new(0));
    let n = range.len();
    for i in range {
        let (tls, gate, marks, opened) = (tls.clone(), gate.clone(), marks.clone(), opened.clone());
        tokio::spawn(async move {
            let s: Stream = {
                let _p = gate.acquire().await;
                login(&tls, addr, &bench_user(i), seed::PASSWORD, "c")
                    .await
                    .expect("a contact logs in")
            };
            opened.fetch_add(1, Ordering::Relaxed);
            let (mut r, _w) = tokio::io::split(s);
            let mut chunk = vec![0u8; 8192];
            let mut carry = String::new();
            loop {
                let n = match r.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                let now = Instant::now();
                carry.push_str(&String::from_utf8_lossy(&chunk[..n]));
                while let Some(at) = carry.find("<status>r") {
                    let digits: String = carry[at + 9..]
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect();
                    if carry[at + 9 + digits.len()..].is_empty() {
                        break;
                    }
                    if let Ok(round) = digits.parse() {
                        let _ = marks.send((round, now));
                    }
                    carry.drain(..at + 9);
                }
                // Keep only a tail that could hold the start of a mark.
                if carry.len() > 64 && !carry.contains("<status>r") {
                    let cut = carry.len() - 16;
                    carry.drain(..carry.floor_char_boundary(cut));
                }
            }
        });
    }
    while opened.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Let the contacts' own presences settle.
    tokio::time::sleep(Duration::from_secs(1)).await;
}

fn p50_p99(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (percentile(&v, 0.5), percentile(&v, 0.99))
}

fn measure(
    rt: &tokio::runtime::Runtime,
    name: &'static str,
    addr: SocketAddr,
    s: &Settings,
) -> Figures {
    let tls = connector();
    let (marks_tx, mut marks) = mpsc::unbounded_channel();
    rt.block_on(async {
        eprintln!("  {name}: {} contacts online", s.online);
        contacts_online(&tls, addr, 0..s.online, marks_tx.clone()).await;

        eprintln!(
            "  {name}: {} logins with a {}-contact roster",
            s.logins, s.contacts
        );
        let mut plain = Vec::new();
        let mut ver = None;
        for round in 0..s.logins {
            let (took, tally) = timed_login(&tls, addr, round, None, s.online).await;
            assert!(tally.items >= s.contacts, "{} roster items", tally.items);
            ver = tally.ver;
            plain.push(took);
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let ver = ver.expect("the server versions rosters");
        let mut versioned = Vec::new();
        let mut versioned_items = 0;
        for round in 0..s.logins {
            let (took, tally) =
                timed_login(&tls, addr, s.logins + round, Some(&ver), s.online).await;
            versioned_items = versioned_items.max(tally.items);
            versioned.push(took);
            tokio::time::sleep(Duration::from_millis(300)).await;
        }

        eprintln!("  {name}: fan-out to {} online subscribers", s.contacts);
        contacts_online(&tls, addr, s.online..s.contacts, marks_tx.clone()).await;
        let hub = login(&tls, addr, HUB, seed::PASSWORD, "fan")
            .await
            .expect("the hub logs in");
        let (mut hub_r, mut hub_w) = tokio::io::split(hub);
        let drain = tokio::spawn(async move {
            let mut chunk = vec![0u8; 65536];
            while matches!(hub_r.read(&mut chunk).await, Ok(n) if n > 0) {}
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut last = Vec::new();
        let mut each = Vec::new();
        for round in 0..s.fanout_rounds {
            hub_w
                .write_all(b"<presence type='unavailable'/>")
                .await
                .expect("written");
            tokio::time::sleep(Duration::from_millis(500)).await;
            while marks.try_recv().is_ok() {}
            let sent = Instant::now();
            hub_w
                .write_all(format!("<presence><status>r{round}</status></presence>").as_bytes())
                .await
                .expect("written");
            let mut got = 0;
            let mut latest = sent;
            while got < s.contacts {
                let (r, at) = tokio::time::timeout(Duration::from_secs(30), marks.recv())
                    .await
                    .unwrap_or_else(|_| panic!("fan-out {round}: {got} of {} received", s.contacts))
                    .expect("contacts running");
                if r == round {
                    got += 1;
                    latest = latest.max(at);
                    each.push(at.duration_since(sent));
                }
            }
            last.push(latest.duration_since(sent));
        }
        let _ = hub_w.shutdown().await;
        drain.abort();
        Figures {
            name,
            login: p50_p99(plain),
            login_versioned: p50_p99(versioned),
            versioned_items,
            fanout_last: p50_p99(last),
            fanout_each: p50_p99(each),
        }
    })
}

/// ejabberd's roster: `owner`'s item for `contact`, subscription `both` (`mod_admin_extra`'s
/// `add_rosteritem` through the HTTP API).
fn ejabberd_item(agent: &ureq::Agent, api: &str, owner: &str, contact: &str) {
    let body = serde_json::json!({
        "localuser": owner, "localhost": "localhost", "user": contact, "host": "localhost",
        "nick": contact, "group": "bench", "subs": "both"
    });
    agent
        .post(&format!("{api}/add_rosteritem"))
        .header("content-type", "application/json")
        .send(body.to_string())
        .unwrap_or_else(|e| panic!("ejabberd add_rosteritem: {e}"));
}

pub fn run(mimql: &Path, dir: &Path, s: Settings) -> Vec<Figures> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let contacts: Vec<String> = (0..s.contacts).map(bench_user).collect();
    let db_url = seed::fresh_db(dir, "presence", None, &rt);
    let c2s_port = crate::server::free_port();
    let server = Server::start_full(mimql, dir, "presence", &db_url, "", Some(c2s_port));
    let db = rt
        .block_on(sea_orm::Database::connect(&db_url))
        .expect("the database");
    let mut names = contacts.clone();
    names.push(HUB.into());
    seed::users_with_cheap_hash(&db, &rt, &names);
    // The roster through the admin API: the hub and every contact subscribed to each other.
    let admin = mimql_client::Client::new(&server.admin_url).with_basic_auth("admin", "secret");
    for chunk in contacts.chunks(100) {
        let resp = admin
            .run(mimql_client::admin::roster::subscribe_to_all(
                mimql_client::admin::roster::ContactInput::new(&format!("{HUB}@localhost"), HUB),
                chunk
                    .iter()
                    .map(|c| {
                        mimql_client::admin::roster::ContactInput::new(&format!("{c}@localhost"), c)
                    })
                    .collect(),
            ))
            .expect("admin API reachable");
        assert!(resp.errors.is_empty(), "{:?}", resp.errors);
    }
    let addr = SocketAddr::from(([127, 0, 0, 1], c2s_port));
    let mut out = vec![measure(&rt, "mimql", addr, &s)];
    eprintln!("  {}", line(&out[0]));
    drop(server);
    if let (Ok(addr), Ok(api)) = (std::env::var("EJABBERD"), std::env::var("EJABBERD_API")) {
        eprintln!(
            "  ejabberd: registering {} users and the roster",
            names.len()
        );
        crate::xmpp::register_ejabberd_users(&api, &names);
        let agent = ureq::Agent::new_with_defaults();
        for c in &contacts {
            ejabberd_item(&agent, &api, HUB, c);
            ejabberd_item(&agent, &api, c, HUB);
        }
        let addr = addr.parse().expect("EJABBERD is host:port");
        out.push(measure(&rt, "ejabberd", addr, &s));
    }
    out
}

/// One server's figures, as reported.
pub fn line(f: &Figures) -> String {
    use crate::stats::ms;
    format!(
        "presence, {}: login to roster + presences p50 {} p99 {}; versioned, unchanged p50 {} p99 {} ({} items sent); fan-out to the last subscriber p50 {} p99 {} (each p50 {} p99 {})",
        f.name,
        ms(f.login.0),
        ms(f.login.1),
        ms(f.login_versioned.0),
        ms(f.login_versioned.1),
        f.versioned_items,
        ms(f.fanout_last.0),
        ms(f.fanout_last.1),
        ms(f.fanout_each.0),
        ms(f.fanout_each.1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_counts_contacts_presences_and_the_roster_across_reads() {
        let mut t = Tally::default();
        t.feed(b"<iq type='result' id='r1'><query xmlns='jabber:iq:roster' ver='7'><item jid='b000001@localhost' subscription='both'/>", "r1");
        t.feed(
            b"</query></iq><presence from=\"b000001@localhost/c\"><status>x</st",
            "r1",
        );
        t.feed(b"atus></presence><presence from='hub@localhost/h'/><presence type='unavailable' from='b000002@localhost/c'/><pres", "r1");
        t.feed(b"ence from='b000003@localhost/c'/>", "r1");
        assert!(t.roster_done);
        assert_eq!((t.items, t.presences), (1, 2));
        assert_eq!(t.ver.as_deref(), Some("7"));
    }
}
