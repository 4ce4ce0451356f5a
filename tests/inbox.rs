//! `inbox.flushBin` (spec: semantics-core 4.9). Entries reach the bin when a conversation is
//! left (MUC Light kicks, room deletion); until those land, this test moves one there through
//! the inbox module's own API, the one they call.

mod common;

use common::{code, send, server};
use mimql::jid::Jid;
use mimql_client::user::inbox;
use serde_json::json;

fn flush(c: &mimql_client::Client, days: Option<i64>) -> i32 {
    c.run(inbox::flush_bin(days))
        .unwrap()
        .into_data()
        .expect("flushBin succeeds")
        .inbox
        .and_then(|i| i.flush_bin)
        .expect("a count")
}

#[test]
fn flush_bin_deletes_bin_entries_older_than_the_given_days() {
    let s = server();
    let (alice, bob) = (s.new_user("inboxa"), s.new_user("inboxb"));
    let (b, c) = (s.client(&bob), s.client(&alice));
    assert_eq!(flush(&b, None), 0, "an empty bin");
    send(&c, &bob.jid, "hello");
    // Only bin entries go: the conversation is still in the inbox.
    assert_eq!(flush(&b, None), 0);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(mimql::db::connect(&s.db_url, 1)).unwrap();
    let bob_jid = Jid::parse(&bob.jid).unwrap();
    let bob_id = rt
        .block_on(mimql::accounts::user_id(&db, &bob_jid))
        .unwrap()
        .unwrap();
    rt.block_on(mimql::inbox::move_to_bin(
        &db,
        bob_id,
        &Jid::parse(&alice.jid).unwrap(),
    ))
    .unwrap();
    // Last active just now: not older than a day.
    assert_eq!(flush(&b, Some(1)), 0);
    // Without `days`, everything in the bin.
    assert_eq!(flush(&b, None), 1);
    assert_eq!(flush(&b, None), 0);
    // A new message brings a binned conversation back to the inbox instead.
    rt.block_on(mimql::inbox::move_to_bin(
        &db,
        bob_id,
        &Jid::parse(&alice.jid).unwrap(),
    ))
    .unwrap();
    send(&c, &bob.jid, "again");
    assert_eq!(flush(&b, None), 0);
}

#[test]
fn days_must_be_positive() {
    let s = server();
    let u = s.new_user("inboxdays");
    let (status, body) = s.post(
        &s.client(&u),
        json!({"query": "mutation { inbox { flushBin(days: 0) } }"}),
    );
    assert_eq!(status, 400);
    assert_eq!(code(&body), "input_coercion");
}
