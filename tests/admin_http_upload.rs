//! The admin API's `httpUpload` category: URLs for a file of a domain, usable like a user's
//! (the local backend's upload and download), without a user's quota.

mod common;

use common::{refused, server, server_without_modules};
use mimql_client::admin::http_upload;
use serde_json::json;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

#[test]
fn admin_urls_upload_and_download_a_file() {
    let s = server();
    let urls = common::ok(
        s.admin()
            .run(http_upload::get_url(
                "localhost",
                "admin file.txt",
                5,
                Some("text/plain"),
                60,
            ))
            .unwrap(),
    )
    .http_upload
    .unwrap()
    .get_url
    .unwrap();
    let (put_url, get_url) = (urls.put_url.unwrap(), urls.get_url.unwrap());
    assert!(put_url.contains("/admin%20file.txt"), "{put_url}");
    assert_eq!(urls.headers, Some(vec![]));
    let resp = agent()
        .put(&put_url)
        .header("content-type", "text/plain")
        .send(&b"hello"[..])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let mut resp = agent().get(&get_url).call().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.body_mut().read_to_vec().unwrap(), b"hello");
    // A second upload to the same URL is refused, as a user's.
    let resp = agent()
        .put(&put_url)
        .header("content-type", "text/plain")
        .send(&b"hello"[..])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 409);
}

#[test]
fn admin_url_errors() {
    let s = server();
    let run = |domain: &str, size: i64, timeout: i64| {
        s.admin()
            .run(http_upload::get_url(domain, "f.txt", size, None, timeout))
            .unwrap()
    };
    let e = refused(
        run("AAAAA", 10, 10),
        "domain_not_found",
        "domain does not exist",
    );
    assert_eq!(e["domain"], "aaaaa");
    let e = refused(
        run("localhost", 100_000_000, 10),
        "file_too_large_error",
        "Declared file size exceeds the host's maximum file size.",
    );
    assert_eq!(e["size"], 100_000_000);
    assert_eq!(e["contentType"], serde_json::Value::Null);
    // Coercion errors, as the reference.
    let (status, body) = s.post(
        &s.admin(),
        json!({"query": "mutation { httpUpload { getUrl(domain: \"localhost\", filename: \"\", size: 0, timeout: 1) { putUrl } } }"}),
    );
    assert_eq!(status, 400, "{body}");
}

#[test]
fn without_mod_http_upload() {
    let s = server_without_modules();
    let e = refused(
        s.admin()
            .run(http_upload::get_url("localhost", "f", 1, None, 1))
            .unwrap(),
        "deps_not_loaded",
        "Some of required modules or services are not loaded",
    );
    assert_eq!(e["not_loaded_modules"], json!(["mod_http_upload"]));
}
