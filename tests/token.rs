//! `token` (spec: semantics-core 4.7, ruling 7) and Bearer authentication, end to end.

mod common;

use std::sync::OnceLock;

use base64::Engine;
use common::{TestServer, User, server, server_without_modules, two_nodes, unique};
use mimql_client::Client;
use mimql_client::user::token::{Token, request_token, revoke_token};
use mimql_client::user::{AuthStatus, check_auth};
use serde_json::json;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A server whose access tokens live two seconds, for expiry.
fn short_lived() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        common::start(|c| {
            c.auth_token.validity_period.access = mimql::config::Period {
                value: 2,
                unit: mimql::config::TimeUnit::Seconds,
            }
        })
    })
}

fn tokens(c: &Client) -> Token {
    c.run(request_token())
        .expect("server reachable")
        .into_data()
        .expect("requestToken answers")
        .token
        .and_then(|t| t.request_token)
        .expect("requestToken is not null")
}

fn fields(token: &str) -> Vec<String> {
    let raw = B64.decode(token).expect("tokens are base64");
    String::from_utf8(raw)
        .expect("tokens are text")
        .split('\0')
        .map(str::to_string)
        .collect()
}

fn gregorian_now() -> i64 {
    mimql::token::format::gregorian(chrono_now())
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// (status, code) of `checkAuth` sent with `Authorization: Bearer <token>`.
fn bearer_status(s: &TestServer, token: &str) -> (u16, String) {
    let (status, body) = s.post(
        &s.anonymous().with_bearer(token),
        json!({"query": "{ checkAuth { username authStatus } }"}),
    );
    (status, common::code(&body).to_string())
}

fn assert_refused(s: &TestServer, token: &str) {
    let (status, body) = s.post(
        &s.anonymous().with_bearer(token),
        json!({"query": "{ checkAuth { username } }"}),
    );
    assert_eq!(status, 401, "{body}");
    assert_eq!(common::code(&body), "wrong_credentials");
    assert_eq!(common::message(&body), "The provided credentials are wrong");
}

fn revoke(c: &Client) -> mimql_client::Response<mimql_client::user::token::RevokeToken> {
    c.run(revoke_token()).expect("server reachable")
}

#[test]
fn tokens_have_the_reference_format_and_signature() {
    let s = server();
    let u = s.new_user("tok_format");
    let before = gregorian_now();
    let t = tokens(&s.client(&u));
    let after = gregorian_now();
    let access = fields(t.access.as_deref().unwrap());
    let refresh = fields(t.refresh.as_deref().unwrap());
    assert_eq!(access.len(), 4, "{access:?}");
    assert_eq!(access[0], "access");
    assert_eq!(access[1], u.jid);
    let expiry: i64 = access[2].parse().unwrap();
    // One hour by default (one second more at most, see the token module).
    assert!((before + 3600..=after + 3601).contains(&expiry), "{expiry}");
    assert_eq!(refresh.len(), 5, "{refresh:?}");
    assert_eq!(refresh[..2], ["refresh".to_string(), u.jid.clone()]);
    let expiry: i64 = refresh[2].parse().unwrap();
    assert!((before + 25 * 86_400..=after + 25 * 86_400 + 1).contains(&expiry));
    assert_eq!(refresh[3], "1", "the first sequence number");

    // The MAC is HMAC-SHA384 of everything before it, keyed with the stored secret.
    use hmac::{Hmac, KeyInit, Mac};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(mimql::db::connect(&s.db_url, 1)).unwrap();
    let secret = rt
        .block_on(mimql::secrets::load_or_create(&db, "token_secret", 48))
        .unwrap();
    for f in [&access, &refresh] {
        let body = f[..f.len() - 1].join("\0");
        let mut mac = Hmac::<sha2::Sha384>::new_from_slice(&secret).unwrap();
        mac.update(body.as_bytes());
        let hex = mimql::secrets::hex(&mac.finalize().into_bytes());
        assert_eq!(f.last().unwrap(), &hex);
        assert_eq!(hex.len(), 96);
    }
}

#[test]
fn bearer_authenticates_until_revoked() {
    let s = server();
    let u = s.new_user("tok_bearer");
    let t = tokens(&s.client(&u));
    let access = t.access.unwrap();
    let bearer = s.anonymous().with_bearer(&access);
    let info = common::check_auth(&bearer);
    assert_eq!(info.auth_status, Some(AuthStatus::Authorized));
    assert_eq!(info.username.unwrap().0, u.jid);
    // Protected fields work too: the Bearer caller is the user.
    let resp = bearer
        .run(mimql_client::user::last::set_last(None, "via bearer"))
        .unwrap();
    assert_eq!(resp.code(), None, "{:?}", resp.errors);
    let got = s
        .client(&u)
        .run(mimql_client::user::last::get_last(None))
        .unwrap()
        .into_data()
        .unwrap();
    assert_eq!(got.last.unwrap().get_last.unwrap().status, "via bearer");

    // Revoking (here with the token itself) invalidates it at once.
    let resp = revoke(&bearer);
    assert_eq!(
        resp.into_data()
            .unwrap()
            .token
            .unwrap()
            .revoke_token
            .as_deref(),
        Some("Revoked")
    );
    assert_refused(s, &access);
    // A token requested right after (within the same second) works; the old one stays dead.
    let fresh = tokens(&s.client(&u)).access.unwrap();
    assert_eq!(bearer_status(s, &fresh), (200, String::new()));
    assert_refused(s, &access);
    // Revoking again works and kills the fresh one as well.
    let resp = revoke(&s.client(&u));
    assert_eq!(
        resp.into_data()
            .unwrap()
            .token
            .unwrap()
            .revoke_token
            .as_deref(),
        Some("Revoked")
    );
    assert_refused(s, &fresh);
}

#[test]
fn revoking_bumps_the_sequence_number() {
    let s = server();
    let u = s.new_user("tok_seq");
    let c = s.client(&u);
    assert_eq!(fields(&tokens(&c).refresh.unwrap())[3], "1");
    assert_eq!(fields(&tokens(&c).refresh.unwrap())[3], "1");
    assert_eq!(revoke(&c).code(), None);
    assert_eq!(fields(&tokens(&c).refresh.unwrap())[3], "2");
    assert_eq!(revoke(&c).code(), None);
    assert_eq!(revoke(&c).code(), None);
    assert_eq!(fields(&tokens(&c).refresh.unwrap())[3], "4");
}

#[test]
fn revoking_before_any_token_is_not_found() {
    let s = server();
    let u = s.new_user("tok_none");
    let resp = revoke(&s.client(&u));
    assert_eq!(resp.status, 200);
    assert_eq!(resp.code(), Some("not_found"));
    assert_eq!(resp.message(), Some("User or token not found"));
    let err = &resp.errors[0];
    // Ruling 3: the JID as a JID string, not the reference's Erlang record.
    assert_eq!(err.extensions["user"], json!(u.jid));
    assert_eq!(err.path, vec![json!("token"), json!("revokeToken")]);
    assert_eq!(resp.data.unwrap().token.unwrap().revoke_token, None);
}

#[test]
fn tampered_refresh_and_foreign_tokens_are_refused() {
    let s = server();
    let u = s.new_user("tok_tamper");
    let t = tokens(&s.client(&u));
    let access = t.access.unwrap();
    assert_eq!(bearer_status(s, &access), (200, String::new()));

    // A refresh token is not an access token.
    assert_refused(s, &t.refresh.unwrap());
    // A later expiry with the genuine signature.
    let mut f = fields(&access);
    f[2] = (f[2].parse::<i64>().unwrap() + 86_400).to_string();
    assert_refused(s, &B64.encode(f.join("\0")));
    // Someone else's name with the genuine signature.
    let other = s.new_user("tok_victim");
    let mut f = fields(&access);
    f[1] = other.jid.clone();
    assert_refused(s, &B64.encode(f.join("\0")));
    // A flipped signature byte.
    let mut f = fields(&access);
    let last = f.last_mut().unwrap();
    let flipped = if last.ends_with('0') { '1' } else { '0' };
    last.pop();
    last.push(flipped);
    assert_refused(s, &B64.encode(f.join("\0")));
    // Not base64, not a token, base64 without padding.
    assert_refused(s, "not-a-token");
    assert_refused(s, &B64.encode("access\0x@localhost\099999999999"));
    if access.ends_with('=') {
        assert_refused(s, access.trim_end_matches('='));
    }
    // The genuine token still works after all that.
    assert_eq!(bearer_status(s, &access), (200, String::new()));
}

#[test]
fn expired_access_tokens_are_refused() {
    let s = short_lived();
    let u = s.new_user("tok_expiry");
    let access = tokens(&s.client(&u)).access.unwrap();
    let expiry: i64 = fields(&access)[2].parse().unwrap();
    assert_eq!(bearer_status(s, &access), (200, String::new()));
    // Valid until its expiry second (at most 3 s away with a 2 s validity).
    let wait = (expiry - gregorian_now() + 1).clamp(0, 3) as u64;
    std::thread::sleep(std::time::Duration::from_millis(wait * 1000 + 100));
    assert_refused(s, &access);
}

#[test]
fn tokens_die_with_the_account() {
    let s = server();
    let u = s.new_user("tok_removed");
    let access = tokens(&s.client(&u)).access.unwrap();
    let bearer = s.anonymous().with_bearer(&access);
    let resp = bearer
        .run(mimql_client::user::account::unregister())
        .unwrap();
    assert_eq!(resp.code(), None, "{:?}", resp.errors);
    assert_refused(s, &access);

    // An account registered again under the same name does not accept the old token.
    let (name, domain) = u.jid.split_once('@').unwrap();
    let resp = s
        .admin()
        .run(mimql_client::admin::register_user(
            domain,
            Some(name),
            "pw2",
        ))
        .unwrap();
    assert_eq!(resp.code(), None, "{:?}", resp.errors);
    assert_refused(s, &access);
    let again = User {
        jid: u.jid.clone(),
        password: "pw2".into(),
    };
    let fresh = tokens(&s.client(&again)).access.unwrap();
    assert_eq!(bearer_status(s, &fresh), (200, String::new()));
    assert_refused(s, &access);
}

#[test]
fn a_login_resource_is_kept_in_the_token() {
    let s = server();
    let u = s.new_user("tok_res");
    let with_res = User {
        jid: format!("{}/Phone", u.jid),
        password: u.password.clone(),
    };
    let access = tokens(&s.client(&with_res)).access.unwrap();
    assert_eq!(fields(&access)[1], with_res.jid);
    let info = common::check_auth(&s.anonymous().with_bearer(&access));
    assert_eq!(info.username.unwrap().0, with_res.jid);
}

#[test]
fn tokens_work_across_nodes_sharing_a_database() {
    let (a, b) = two_nodes();
    let u = a.new_user("tok_nodes");
    let access = tokens(&a.client(&u)).access.unwrap();
    assert_eq!(bearer_status(b, &access), (200, String::new()));
    assert_eq!(revoke(&b.client(&u)).code(), None);
    assert_refused(a, &access);
    assert_refused(b, &access);
}

#[test]
fn without_mod_auth_token() {
    let s = server_without_modules();
    let u = s.new_user(&unique("tok_nomod"));
    let resp = s.client(&u).run(request_token()).unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.code(), Some("deps_not_loaded"));
    assert_eq!(
        resp.errors[0].extensions["not_loaded_modules"],
        json!(["mod_auth_token"])
    );
    assert_eq!(
        resp.errors[0].path,
        vec![json!("token"), json!("requestToken")]
    );
    let resp = revoke(&s.client(&u));
    assert_eq!(resp.code(), Some("deps_not_loaded"));
    // Bearer is then just another scheme, as in the reference: the request is anonymous.
    let info = common::check_auth(&s.anonymous().with_bearer("whatever"));
    assert_eq!(info.auth_status, Some(AuthStatus::Unauthorized));
    let _ = check_auth();
}
