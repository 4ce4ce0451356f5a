//! Disabled modules answer `deps_not_loaded` (spec: semantics-core 3).

mod common;

use common::{server_without_modules, unique};
use serde_json::json;

#[test]
fn fields_of_disabled_modules_answer_deps_not_loaded() {
    let s = server_without_modules();
    let u = s.new_user(&unique("nomods"));
    let client = s.client(&u);
    for (query, path, module) in [
        (
            "{ last { getLast { user } } }",
            json!(["last", "getLast"]),
            "mod_last",
        ),
        (
            "mutation { last { setLast(status: \"x\") { user } } }",
            json!(["last", "setLast"]),
            "mod_last",
        ),
        (
            "{ private { getPrivate(element: \"a\", nameSpace: \"b\") } }",
            json!(["private", "getPrivate"]),
            "mod_private",
        ),
        (
            "mutation { token { revokeToken } }",
            json!(["token", "revokeToken"]),
            "mod_auth_token",
        ),
        (
            "mutation { inbox { flushBin } }",
            json!(["inbox", "flushBin"]),
            "mod_inbox",
        ),
        (
            "{ stanza { getLastMessages { limit } } }",
            json!(["stanza", "getLastMessages"]),
            "mod_mam_pm",
        ),
        (
            "mutation { vcard { setVcard(vcard: {formattedName: \"a\", nameComponents: {}}) { formattedName } } }",
            json!(["vcard", "setVcard"]),
            "mod_vcard",
        ),
    ] {
        let (status, body) = s.post(&client, json!({ "query": query }));
        assert_eq!(status, 200, "{query}");
        let err = &body["errors"][0];
        assert_eq!(
            err["extensions"]["code"], "deps_not_loaded",
            "{query}: {body}"
        );
        assert_eq!(
            err["message"],
            "Some of required modules or services are not loaded"
        );
        assert_eq!(err["extensions"]["not_loaded_modules"], json!([module]));
        assert_eq!(err["extensions"]["not_loaded_services"], json!([]));
        assert_eq!(err["path"], path);
    }
}

/// A room on a MUC service that does not exist does not resolve to a host, so the check is
/// skipped and the resolver answers (as in the reference).
#[test]
fn unresolvable_domains_skip_the_module_check() {
    let s = server_without_modules();
    let u = s.new_user(&unique("nomods2"));
    let (_, body) = s.post(
        &s.client(&u),
        json!({"query": "{ muc { getRoomConfig(room: \"r@muc.localhost\") { title } } }"}),
    );
    assert_ne!(
        body["errors"][0]["extensions"]["code"], "deps_not_loaded",
        "{body}"
    );
    let (_, body) = s.post(
        &s.client(&u),
        json!({"query": "{ muc { getRoomConfig(room: \"r@localhost\") { title } } }"}),
    );
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "deps_not_loaded",
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["not_loaded_modules"],
        json!(["mod_muc"])
    );
}
