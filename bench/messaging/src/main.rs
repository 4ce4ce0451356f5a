//! Messaging benchmarks (bench/README.md):
//! `mimql-bench-messaging <path to mimql> [send|conversation|history|live|cluster|muc|all|subscriptions|xmpp|presence]`.
//! Environment: `PG_BASE` (e.g. `postgres://postgres@127.0.0.1:5432`) adds the PostgreSQL run
//! of `send`; `ROUNDS` (5) and `DURATION` (seconds per round, 10).

mod cluster;
mod conversation;
mod history;
mod live;
mod muc;
mod presence;
mod seed;
mod send;
mod server;
mod stats;
mod subscriptions;
mod xmpp;

use std::path::PathBuf;
use std::time::Duration;

use stats::ms;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One server's XMPP figures, as reported.
fn xmpp_line(f: &xmpp::Figures) -> String {
    format!(
        "XMPP, {}: logins (STARTTLS + PLAIN + bind + presence) {:.0}/s cached{}; {:.1} KiB per idle connection ({} open); XMPP -> XMPP {:.0} msgs/s (archive on){}{}; RSS after the logins {} MiB",
        f.name,
        f.logins_cached,
        f.logins_uncached
            .map(|u| format!(", {u:.0}/s first logins (argon2)"))
            .unwrap_or_default(),
        f.kib_per_idle,
        f.idle,
        f.messages,
        f.message_latency
            .map(|(p50, p99)| format!(" p50 {} p99 {}", ms(p50), ms(p99)))
            .unwrap_or_default(),
        f.latency
            .map(|(p50, p99)| format!(
                "; GraphQL sendMessage -> XMPP client p50 {} p99 {}",
                ms(p50),
                ms(p99)
            ))
            .unwrap_or_default(),
        f.rss_after_first_logins / 1024
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mimql =
        PathBuf::from(args.next().expect(
            "usage: mimql-bench-messaging <mimql binary> [send|conversation|history|live|cluster|muc|all]",
        ));
    let what = args.next().unwrap_or_else(|| "all".into());
    let rounds = env_num("ROUNDS", 5) as usize;
    let duration = Duration::from_secs(env_num("DURATION", 10));
    let pg = std::env::var("PG_BASE").ok().filter(|s| !s.is_empty());
    let dir = std::env::temp_dir().join(format!("mimql-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a work directory");
    let mut report = Vec::new();

    if what == "send" || what == "all" {
        let mut backends = vec![("SQLite", None)];
        if let Some(pg) = pg.as_deref() {
            backends.push(("PostgreSQL", Some(pg)));
        }
        for (label, base) in backends {
            let o = send::run(&mimql, &dir, base, rounds, duration);
            report.push(format!(
                "sendMessage, 64 senders, {label}: mimql {:.0} msgs/s, storage ceiling {:.0} msgs/s, ratio {:.2}",
                o.mimql,
                o.ceiling,
                o.mimql / o.ceiling
            ));
        }
    }
    if what == "conversation" || what == "all" {
        let mut backends = vec![("SQLite", None)];
        if let Some(pg) = pg.as_deref() {
            backends.push(("PostgreSQL", Some(pg)));
        }
        for (label, base) in backends {
            let o = conversation::run(&mimql, &dir, base, rounds, duration);
            report.push(format!(
                "sendMessage, 64 connections, {label}: 64 conversations {:.0} msgs/s, one conversation {:.0} msgs/s, ratio {:.2} ({} messages delivered live, each connection's in order)",
                o.many,
                o.one,
                o.one / o.many,
                o.delivered
            ));
        }
    }
    if what == "history" || what == "all" {
        let o = history::run(&mimql, &dir, rounds, duration);
        report.push(format!(
            "getLastMessages, {} rows: p50 {} p99 {}; 1,000 rows: p50 {} p99 {}; p99 ratio {:.2}",
            o.big_rows,
            ms(o.big_p50),
            ms(o.big_p99),
            ms(o.small_p50),
            ms(o.small_p99),
            o.big_p99.as_secs_f64() / o.small_p99.as_secs_f64()
        ));
    }
    if what == "live" || what == "all" {
        let o = live::run(
            &mimql,
            &dir,
            env_num("SUBSCRIBERS", 1000) as usize,
            env_num("MESSAGES", 3000) as usize,
        );
        report.push(format!(
            "live delivery, {} SSE subscribers, {} messages: p50 {} p99 {}; server memory {:.1} KiB per subscription",
            o.subscribers,
            o.messages,
            ms(o.p50),
            ms(o.p99),
            o.kib_per_subscription
        ));
    }
    if what == "cluster" || what == "all" {
        match pg.as_deref() {
            None => {
                report.push("cluster: skipped (set PG_BASE: several nodes need PostgreSQL)".into())
            }
            Some(base) => {
                let o = cluster::run(
                    &mimql,
                    &dir,
                    base,
                    env_num("SUBSCRIBERS", 1000) as usize,
                    env_num("MESSAGES", 3000) as usize,
                    rounds,
                    duration,
                );
                report.push(format!(
                    "two nodes, {} SSE subscribers (half on each): same-node p50 {} p99 {}; cross-node p50 {} p99 {}; p99 ratio {:.2}",
                    o.subscribers,
                    ms(o.same_p50),
                    ms(o.same_p99),
                    ms(o.cross_p50),
                    ms(o.cross_p99),
                    o.cross_p99.as_secs_f64() / o.same_p99.as_secs_f64()
                ));
                report.push(format!(
                    "sendMessage, 32 senders, PostgreSQL: one node {:.0} msgs/s, two nodes {:.0} msgs/s (2-core machine: the overhead, not the scaling)",
                    o.one_node, o.two_nodes
                ));
            }
        }
    }
    if what == "muc" || what == "all" {
        let o = muc::run(
            &mimql,
            &dir,
            env_num("MUC_OCCUPANTS", 500) as usize,
            env_num("MUC_SMALL", 10) as usize,
            env_num("MUC_MESSAGES", 200) as usize,
            env_num("SENDERS", 4) as usize,
        );
        for r in [&o.big, &o.small] {
            report.push(format!(
                "MUC fan-out, {} occupants with SSE subscriptions, {} messages: send -> last occupant p50 {} p99 {}; {:.0} msgs/s ({:.0} deliveries/s) with {} senders",
                r.occupants,
                o.messages,
                ms(r.p50),
                ms(r.p99),
                r.rate,
                r.rate * r.occupants as f64,
                env_num("SENDERS", 4)
            ));
        }
        report.push(format!(
            "MUC fan-out p99 ratio, {} vs {} occupants: {:.2} (target: at most 10)",
            o.big.occupants,
            o.small.occupants,
            o.big.p99.as_secs_f64() / o.small.p99.as_secs_f64()
        ));
    }
    // Not part of `all`: it needs a raised open-file limit (bench/subscriptions.sh).
    if what == "subscriptions" {
        let sse = env_num("SSE_CONNECTIONS", 50_000) as usize;
        let layout = subscriptions::Layout {
            sse,
            ws: env_num("WS_CONNECTIONS", sse as u64) as usize,
            per_ws: env_num("WS_SUBSCRIPTIONS_PER_CONNECTION", 1) as usize,
        };
        let o = subscriptions::run(
            &mimql,
            &dir,
            layout,
            env_num("HEAVY_SESSIONS", 1_000) as usize,
            env_num("MESSAGES", 2_000) as usize,
        );
        report.push(format!(
            "{} subscriptions ({} SSE connections, {} WebSocket connections with {} each), one node: open in {:.1} s; server RSS {:.0} -> {:.0} MiB: {:.1} KiB per subscription, {:.1} KiB per connection; idle: {:.2} CPU-seconds in {} s",
            o.subscriptions,
            layout.sse,
            layout.ws,
            layout.per_ws,
            o.open_secs,
            o.rss_before_mib,
            o.rss_after_mib,
            o.kib_per_subscription,
            o.kib_per_connection,
            o.idle_cpu_secs,
            o.idle_secs
        ));
        report.push(format!(
            "listSessions median: {} sessions {}, one session {}; countResources: {}, {}",
            o.heavy_sessions,
            ms(o.list_sessions_heavy),
            ms(o.list_sessions_one),
            ms(o.count_resources_heavy),
            ms(o.count_resources_one)
        ));
        report.push(format!(
            "delivery to random subscribers while all are open, {} messages one at a time ({} deliveries): p50 {} p99 {}",
            o.messages,
            o.deliveries,
            ms(o.p50),
            ms(o.p99)
        ));
        report.push(format!(
            "headlines to {} users ({} subscriptions, 64 senders): last delivered after {:.2} s ({:.0} deliveries/s)",
            o.broadcast_users,
            o.broadcast,
            o.broadcast_secs,
            o.broadcast as f64 / o.broadcast_secs
        ));
    }
    // Not part of `all`: against ejabberd too when bench/xmpp.sh started one.
    if what == "xmpp" {
        let settings = xmpp::Settings {
            rounds,
            duration,
            login_clients: env_num("LOGIN_CLIENTS", 16) as usize,
            idle: env_num("IDLE", 10_000) as usize,
            pairs: env_num("PAIRS", 64) as usize,
            window: env_num("WINDOW", 32),
            listeners: env_num("LISTENERS", 1_000) as usize,
            latency_messages: env_num("MESSAGES", 1_000) as usize,
        };
        let figures = xmpp::run(&mimql, &dir, settings);
        for f in &figures {
            report.push(xmpp_line(f));
        }
        if let Some(e) = figures.iter().find(|f| f.name == "ejabberd") {
            for m in figures.iter().filter(|f| f.name != "ejabberd") {
                report.push(format!(
                    "XMPP, {} / ejabberd: logins {:.2}, memory per idle connection {:.2}, messages {:.2}",
                    m.name,
                    m.logins_cached / e.logins_cached,
                    m.kib_per_idle / e.kib_per_idle,
                    m.messages / e.messages
                ));
            }
        }
    }
    // Not part of `all`: against ejabberd too when bench/presence.sh started one.
    if what == "presence" {
        let settings = presence::Settings {
            contacts: env_num("CONTACTS", 1_000) as usize,
            online: env_num("ONLINE", 500) as usize,
            logins: env_num("LOGINS", 30) as usize,
            fanout_rounds: env_num("FANOUT_ROUNDS", 30) as usize,
        };
        let figures = presence::run(&mimql, &dir, settings);
        report.extend(figures.iter().map(presence::line));
        if let [m, e] = &figures[..] {
            report.push(format!(
                "presence, ejabberd / mimql (higher: mimql faster): login p50 {:.2}, versioned login p50 {:.2}, fan-out to the last p99 {:.2}",
                e.login.0.as_secs_f64() / m.login.0.as_secs_f64(),
                e.login_versioned.0.as_secs_f64() / m.login_versioned.0.as_secs_f64(),
                e.fanout_last.1.as_secs_f64() / m.fanout_last.1.as_secs_f64(),
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "\n== messaging benchmarks (medians of {rounds} rounds of {}s)",
        duration.as_secs()
    );
    for line in report {
        println!("{line}");
    }
}
