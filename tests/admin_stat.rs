//! The admin API's `stat` category: accounts and open sessions, of everything and per domain.

mod common;

use common::{TestServer, User};
use mimql_client::admin::stat;
use mimql_client::sse::{Opened, SseSubscription};
use mimql_client::user::stanza::subscribe_for_messages;

/// A server with a domain of its own, so that its figures are exact.
fn own_domain() -> (TestServer, String) {
    let domain = format!("{}.test", common::unique("stat").replace('_', "-"));
    let d = domain.clone();
    (
        common::server_with(move |c| c.general.hosts.push(d)),
        domain,
    )
}

fn domain_stats(s: &TestServer, domain: &str) -> (i32, i32) {
    let d = common::ok(s.admin().run(stat::domain_stats(domain)).unwrap())
        .stat
        .unwrap()
        .domain_stats
        .unwrap();
    (d.registered_users.unwrap(), d.online_users.unwrap())
}

fn global(s: &TestServer) -> stat::GlobalStats {
    common::ok(s.admin().run(stat::global_stats()).unwrap())
        .stat
        .unwrap()
        .global_stats
        .unwrap()
}

fn online(s: &TestServer, u: &User) -> SseSubscription {
    let Opened::Stream(sub) =
        SseSubscription::open(&s.client(u), &subscribe_for_messages()).unwrap()
    else {
        panic!("refused")
    };
    assert!(common::eventually(10, || {
        common::sessions(&s.client(u))
            .list_sessions
            .is_some_and(|l| !l.is_empty())
    }));
    sub
}

#[test]
fn domain_stats_count_accounts_and_sessions() {
    let (s, domain) = own_domain();
    assert_eq!(domain_stats(&s, &domain), (0, 0));
    let alice = s.new_user_on("alice", &domain);
    let _bob = s.new_user_on("bob", &domain);
    assert_eq!(domain_stats(&s, &domain), (2, 0));
    let sub = online(&s, &alice);
    assert_eq!(domain_stats(&s, &domain), (2, 1));
    // The domain's name is case-insensitive; another domain's users are not counted.
    assert_eq!(domain_stats(&s, &domain.to_uppercase()), (2, 1));
    assert_eq!(domain_stats(&s, "unknown.example"), (0, 0));
    drop(sub);
    assert!(common::eventually(10, || domain_stats(&s, &domain) == (2, 0)));
}

#[test]
fn global_stats_count_every_domain() {
    let (s, domain) = own_domain();
    let before = global(&s);
    assert!(before.uptime_seconds.unwrap() >= 0);
    assert_eq!(before.incoming_s2s, Some(0));
    assert_eq!(before.outgoing_s2s, Some(0));
    let alice = s.new_user_on("alice", &domain);
    let after = global(&s);
    assert_eq!(
        after.registered_users.unwrap(),
        before.registered_users.unwrap() + 1
    );
    let _sub = online(&s, &alice);
    let g = global(&s);
    assert!(g.online_users.unwrap() >= 1);
    assert!(g.online_users_node.unwrap() >= 1);
    // This node is the only one.
    assert_eq!(g.online_users, g.online_users_node);
}
