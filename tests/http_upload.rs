//! `httpUpload.getUrl` (spec: semantics-core 4.8) end to end: validation, the local backend's
//! real upload and download, and the S3 backend's presigned URLs.

mod common;

use std::sync::OnceLock;

use common::{TestServer, server, server_without_modules, unique};
use mimql_client::user::http_upload::{FileUrls, get_url};
use serde_json::json;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// A server whose uploads go to an S3-compatible store.
fn s3_server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        common::start(|c| {
            c.http_upload.backend = mimql::config::UploadBackend::S3;
            c.http_upload.max_file_size = 1000;
            c.http_upload.s3 = Some(mimql::config::S3Upload {
                bucket_url: "http://127.0.0.1:9000/uploads/".into(),
                region: "eu-west-1".into(),
                access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
                secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
                add_acl: true,
            });
        })
    })
}

fn urls(s: &TestServer, filename: &str, size: i64, ct: Option<&str>, timeout: i64) -> FileUrls {
    let u = s.new_user("upload");
    s.client(&u)
        .run(get_url(filename, size, ct, timeout))
        .expect("server reachable")
        .into_data()
        .expect("getUrl answers")
        .http_upload
        .and_then(|h| h.get_url)
        .expect("getUrl is not null")
}

fn put(url: &str, content_type: Option<&str>, body: &[u8]) -> (u16, String) {
    let mut req = agent().put(url);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let mut resp = req.send(body).expect("server reachable");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap_or_default())
}

/// A PUT without Content-Length (chunked): the size is only known as the body streams in.
/// Written in one piece on a raw connection, so that the early answer is read whole.
fn put_chunked(url: &str, content_type: &str, body: &[u8]) -> u16 {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    let mut req = format!(
        "PUT {path} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\
         Content-Type: {content_type}\r\nConnection: close\r\n\r\n{:x}\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req.extend_from_slice(b"\r\n0\r\n\r\n");
    stream.write_all(&req).unwrap();
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).unwrap();
    std::str::from_utf8(&head[9..12]).unwrap().parse().unwrap()
}

/// (status, content type, body) of a GET.
fn get(url: &str) -> (u16, String, Vec<u8>) {
    let mut resp = agent().get(url).call().expect("server reachable");
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (
        status,
        ct,
        resp.body_mut().read_to_vec().unwrap_or_default(),
    )
}

#[test]
fn local_upload_and_download() {
    let s = server();
    let data: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    let f = urls(
        s,
        "holiday photo ż.jpg",
        data.len() as i64,
        Some("image/jpeg"),
        60,
    );
    let put_url = f.put_url.unwrap();
    let get_url = f.get_url.unwrap();
    assert_eq!(f.headers, Some(vec![]));
    let prefix = format!("{}/upload/", s.user_url);
    assert!(get_url.starts_with(&prefix), "{get_url}");
    assert!(
        get_url.ends_with("/holiday%20photo%20%C5%BC.jpg"),
        "{get_url}"
    );
    assert!(put_url.starts_with(&format!("{get_url}?")), "{put_url}");
    // Nothing there before the upload.
    assert_eq!(get(&get_url).0, 404);

    assert_eq!(put(&put_url, Some("image/jpeg"), &data).0, 201);
    let (status, ct, body) = get(&get_url);
    assert_eq!(status, 200);
    assert_eq!(ct, "image/jpeg");
    assert!(body == data, "the downloaded bytes differ");
    // The first complete upload wins; the file does not change under its readers.
    assert_eq!(put(&put_url, Some("image/jpeg"), &data).0, 409);
    assert!(get(&get_url).2 == data);
    let (status, ct, body) = {
        let mut resp = agent().head(&get_url).call().unwrap();
        let ct = resp
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        (
            resp.status().as_u16(),
            ct,
            resp.body_mut().read_to_vec().unwrap_or_default(),
        )
    };
    assert_eq!((status, ct.as_str(), body.len()), (200, "image/jpeg", 0));
    let resp = agent().delete(&get_url).call().unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    // Another name under the same token is not the file.
    let other = format!("{}/other.jpg", get_url.rsplit_once('/').unwrap().0);
    assert_eq!(get(&other).0, 404);
}

/// What a browser would render (HTML, SVG...) is served as an attachment, from the API's own
/// origin; plain media is shown inline. Neither is ever sniffed.
#[test]
fn renderable_uploads_are_attachments() {
    let s = server();
    for (name, ct, attachment) in [
        ("page.html", "text/html", true),
        ("logo.svg", "image/svg+xml", true),
        ("notes.txt", "text/plain", true),
        ("photo.png", "image/png", false),
    ] {
        let f = urls(s, name, 4, Some(ct), 60);
        assert_eq!(put(&f.put_url.unwrap(), Some(ct), b"<a/>").0, 201);
        let resp = agent().get(&f.get_url.unwrap()).call().unwrap();
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .map(|v| v.to_str().unwrap().to_string())
        };
        let expected = attachment.then(|| "attachment".to_string());
        assert_eq!(header("content-disposition"), expected, "{ct}");
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(header("content-type").as_deref(), Some(ct));
    }
}

#[test]
fn without_a_content_type_any_is_accepted_and_kept() {
    let s = server();
    for ct in [None, Some("")] {
        let f = urls(s, "notes.txt", 5, ct, 60);
        let (status, body) = put(&f.put_url.unwrap(), Some("text/plain"), b"hello");
        assert_eq!(status, 201, "{body}");
        let (status, got_ct, body) = get(&f.get_url.unwrap());
        assert_eq!(
            (status, got_ct.as_str(), body.as_slice()),
            (200, "text/plain", &b"hello"[..])
        );
    }
}

#[test]
fn wrong_sizes_and_content_types_are_refused_and_leave_nothing() {
    let s = server();
    let f = urls(s, "doc.pdf", 10, Some("application/pdf"), 60);
    let (put_url, get_url) = (f.put_url.unwrap(), f.get_url.unwrap());
    assert_eq!(
        put(&put_url, Some("application/pdf"), b"0123456789A").0,
        413
    );
    assert_eq!(
        put_chunked(&put_url, "application/pdf", b"0123456789ABCDEF"),
        413
    );
    assert_eq!(put(&put_url, Some("application/pdf"), b"012345678").0, 400);
    let (status, body) = put(&put_url, Some("text/html"), b"0123456789");
    assert_eq!(status, 415, "{body}");
    assert_eq!(put(&put_url, None, b"0123456789").0, 415);
    assert_eq!(get(&get_url).0, 404, "a refused upload leaves nothing");
    // The URL still works for the right upload.
    assert_eq!(put(&put_url, Some("application/pdf"), b"0123456789").0, 201);
    assert_eq!(get(&get_url).2, b"0123456789");
}

#[test]
fn tampered_urls_are_forbidden() {
    let s = server();
    let f = urls(s, "a.bin", 4, None, 60);
    let (put_url, get_url) = (f.put_url.unwrap(), f.get_url.unwrap());
    let (path, query) = put_url.split_once('?').unwrap();
    let token_swapped = {
        let (base, name) = path.rsplit_once('/').unwrap();
        let (root, token) = base.rsplit_once('/').unwrap();
        let other: String = token.chars().rev().collect();
        format!("{root}/{other}/{name}?{query}")
    };
    for bad in [
        put_url.replace("size=4", "size=5"),
        put_url.replace("a.bin", "b.bin"),
        token_swapped,
        format!("{path}?{}", query.replace("signature=", "signature=ff")),
        path.to_string(),
        format!("{put_url}&type=text%2Fplain"),
    ] {
        let (status, body) = put(&bad, None, b"abcd");
        assert_eq!(status, 403, "{bad}: {body}");
    }
    assert_eq!(get(&get_url).0, 404);
    assert_eq!(put(&put_url, None, b"abcd").0, 201);
}

#[test]
fn expired_urls_are_forbidden() {
    let s = server();
    let f = urls(s, "late.txt", 3, None, 1);
    let put_url = f.put_url.unwrap();
    let expires: u64 = put_url
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("expires="))
        .unwrap()
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    std::thread::sleep(std::time::Duration::from_millis(
        expires.saturating_sub(now).min(2) * 1000 + 100,
    ));
    assert_eq!(put(&put_url, None, b"abc").0, 403);
    assert_eq!(get(&f.get_url.unwrap()).0, 404);
}

#[test]
fn get_url_validates_as_the_reference() {
    let s = server();
    let u = s.new_user("upload_validate");
    let c = s.client(&u);
    // Equal to the maximum is allowed.
    let resp = c.run(get_url("max.bin", 10_485_760, None, 10)).unwrap();
    assert_eq!(resp.code(), None, "{:?}", resp.errors);
    let resp = c
        .run(get_url("big.bin", 10_485_761, Some("video/mp4"), 10))
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.code(), Some("file_too_large_error"));
    assert_eq!(
        resp.message(),
        Some("Declared file size exceeds the host's maximum file size.")
    );
    let err = &resp.errors[0];
    assert_eq!(err.path, vec![json!("httpUpload"), json!("getUrl")]);
    assert_eq!(err.extensions["filename"], json!("big.bin"));
    assert_eq!(err.extensions["size"], json!(10_485_761));
    assert_eq!(err.extensions["contentType"], json!("video/mp4"));
    assert_eq!(err.extensions["timeout"], json!(10));
    let resp = c.run(get_url("big.bin", 10_485_761, None, 10)).unwrap();
    assert_eq!(resp.errors[0].extensions["contentType"], json!(null));

    let query = |args: &str| json!({"query": format!("mutation {{ httpUpload {{ getUrl({args}) {{ putUrl }} }} }}")});
    let (status, body) = s.post(&c, query(r#"filename: "", size: 1, timeout: 1"#));
    assert_eq!(status, 400);
    assert_eq!(common::code(&body), "input_coercion");
    assert!(
        common::message(&body).contains("Given string is empty"),
        "{body}"
    );
    for args in [
        r#"filename: "a", size: 0, timeout: 1"#,
        r#"filename: "a", size: 1, timeout: 0"#,
    ] {
        let (status, body) = s.post(&c, query(args));
        assert_eq!(status, 400, "{args}");
        assert!(
            common::message(&body).contains("Value is not a positive integer"),
            "{body}"
        );
    }
    // Names every HTTP client would resolve away are refused rather than signed.
    let resp = c.run(get_url("..", 1, None, 10)).unwrap();
    assert_eq!(resp.code(), Some("invalid_filename"));
}

#[test]
fn s3_urls_are_presigned_puts() {
    let s = s3_server();
    let f = urls(s, "my file.txt", 1000, Some("text/plain"), 300);
    let get_at = f.get_url.unwrap();
    let put_url = f.put_url.unwrap();
    assert_eq!(f.headers, Some(vec![]));
    let rest = get_at
        .strip_prefix("http://127.0.0.1:9000/uploads/")
        .unwrap();
    let (token, name) = rest.split_once('/').unwrap();
    assert_eq!(token.len(), 64);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(name, "my%20file.txt");
    let query = put_url.strip_prefix(&format!("{get_at}?")).unwrap();
    let params: Vec<(&str, &str)> = query
        .split('&')
        .map(|p| p.split_once('=').unwrap())
        .collect();
    let keys: Vec<&str> = params.iter().map(|p| p.0).collect();
    assert_eq!(
        keys,
        [
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-Signature",
            "X-Amz-SignedHeaders"
        ]
    );
    let value = |k: &str| params.iter().find(|p| p.0 == k).unwrap().1;
    assert_eq!(value("X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
    assert_eq!(value("X-Amz-Expires"), "300");
    assert_eq!(
        value("X-Amz-SignedHeaders"),
        "content-length%3Bcontent-type%3Bhost%3Bx-amz-acl"
    );
    let date = value("X-Amz-Date");
    assert_eq!(
        value("X-Amz-Credential"),
        format!(
            "AKIAIOSFODNN7EXAMPLE%2F{}%2Feu-west-1%2Fs3%2Faws4_request",
            &date[..8]
        )
    );
    // The signature is the presigner's for the same inputs and clock, which matches botocore
    // (unit test `upload::s3::tests::matches_botocore`).
    let time: jiff::Timestamp = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", date)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp();
    let presigner = mimql::upload::s3::Presigner::new(&mimql::config::S3Upload {
        bucket_url: "http://127.0.0.1:9000/uploads/".into(),
        region: "eu-west-1".into(),
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        add_acl: true,
    })
    .unwrap();
    let (expected, _) = presigner.presign(
        &mimql::upload::s3::PutRequest {
            token,
            filename: "my file.txt",
            size: 1000,
            content_type: Some("text/plain"),
            timeout: 300,
        },
        time,
    );
    assert_eq!(put_url, expected);
    // The limit is the configured one.
    let u = s.new_user("upload_s3");
    let resp = s.client(&u).run(get_url("x", 1001, None, 1)).unwrap();
    assert_eq!(resp.code(), Some("file_too_large_error"));
    // mimql serves no upload routes for S3.
    assert_eq!(get(&format!("{}/upload/{token}/x", s.user_url)).0, 404);
}

#[test]
fn without_mod_http_upload() {
    let s = server_without_modules();
    let u = s.new_user(&unique("upload_nomod"));
    let resp = s.client(&u).run(get_url("a", 1, None, 1)).unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.code(), Some("deps_not_loaded"));
    assert_eq!(
        resp.message(),
        Some("Some of required modules or services are not loaded")
    );
    assert_eq!(
        resp.errors[0].extensions["not_loaded_modules"],
        json!(["mod_http_upload"])
    );
    assert_eq!(resp.errors[0].extensions["not_loaded_services"], json!([]));
    assert_eq!(
        resp.errors[0].path,
        vec![json!("httpUpload"), json!("getUrl")]
    );
    assert_eq!(get(&format!("{}/upload/ab/x", s.user_url)).0, 404);
}

#[test]
fn anonymous_callers_get_no_urls() {
    let s = server();
    let resp = s.anonymous().run(get_url("a", 1, None, 1)).unwrap();
    assert_eq!(resp.status, 401);
    assert_eq!(resp.code(), Some("no_permissions"));
}
