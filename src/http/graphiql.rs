//! GraphiQL for browsers that GET the endpoint. Every asset the page loads is served from the
//! binary (`assets/graphiql/`, pinned npm releases embedded with `include_bytes!`), so the page
//! works offline, behind firewalls, and keeps working when a CDN moves a major version. The
//! vendored files live under versioned paths and are cached for a year; the page itself and
//! mimql's small script are revalidated.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use actix_web::{HttpResponse, web};

/// Where the assets are served; the page refers to them relatively (`graphiql/...` from
/// `/api/graphql`), so it also works behind a proxy that adds a path prefix.
const ROOT: &str = "/api/graphiql/";

struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    /// Vendored files are immutable under their versioned path.
    immutable: bool,
}

macro_rules! asset {
    ($path:literal, $type:expr, $immutable:literal) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/assets/graphiql/",
                $path
            )),
            immutable: $immutable,
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

static ASSETS: [Asset; 10] = [
    asset!("graphiql@4.1.2/graphiql.min.js", JS, true),
    asset!("graphiql@4.1.2/graphiql.min.css", CSS, true),
    asset!("graphiql@4.1.2/LICENSE", TEXT, true),
    asset!("react@18.3.1/react.production.min.js", JS, true),
    asset!("react@18.3.1/LICENSE", TEXT, true),
    asset!("react-dom@18.3.1/react-dom.production.min.js", JS, true),
    asset!("react-dom@18.3.1/LICENSE", TEXT, true),
    asset!("mimql/mimql.js", JS, false),
    asset!("mimql/mimql.css", CSS, false),
    asset!("mimql/page.html", HTML, false),
];

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// Scripts and styles from this server only (GraphiQL's fonts and icons are data: URLs),
/// requests to this server only, and no framing: the page handles credentials.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                      font-src 'self' data:; img-src 'self' data:; connect-src 'self'; \
                      base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

async fn serve(path: web::Path<String>) -> HttpResponse {
    // The page is a template, not an asset of its own.
    match find(&path).filter(|a| a.path != "mimql/page.html") {
        Some(a) => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, a.content_type))
            .insert_header((
                CACHE_CONTROL,
                if a.immutable { IMMUTABLE } else { REVALIDATE },
            ))
            .body(a.body),
        None => HttpResponse::NotFound()
            .insert_header((CONTENT_TYPE, TEXT))
            .body("no such asset"),
    }
}

/// Registers the asset routes.
pub fn assets(cfg: &mut web::ServiceConfig) {
    cfg.route(&format!("{ROOT}{{path:.+}}"), web::get().to(serve));
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What differs between the user and the admin API's page.
pub struct Page {
    pub title: &'static str,
    pub user_label: &'static str,
    pub user_placeholder: &'static str,
    pub default_query: &'static str,
}

pub const USER_PAGE: Page = Page {
    title: "mimql user API",
    user_label: "JID",
    user_placeholder: "alice@localhost",
    default_query: "{ checkAuth { username authStatus } }",
};

pub const ADMIN_PAGE: Page = Page {
    title: "mimql admin API",
    user_label: "User",
    user_placeholder: "admin",
    default_query: "{ account { countUsers(domain: \"localhost\") } }",
};

pub fn page(page: &Page) -> HttpResponse {
    let template = find("mimql/page.html").map_or(&b""[..], |a| a.body);
    let html = String::from_utf8_lossy(template)
        .replace("{{title}}", &escape(page.title))
        .replace("{{user_label}}", &escape(page.user_label))
        .replace("{{user_placeholder}}", &escape(page.user_placeholder))
        .replace("{{default_query}}", &escape(page.default_query));
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, HTML))
        .insert_header((CACHE_CONTROL, REVALIDATE))
        .insert_header((CONTENT_SECURITY_POLICY, POLICY))
        .body(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_the_page_loads_is_embedded() {
        let template = String::from_utf8_lossy(find("mimql/page.html").unwrap().body);
        let mut referenced = 0;
        for attr in ["src=\"graphiql/", "href=\"graphiql/"] {
            for (i, _) in template.match_indices(attr) {
                let rest = &template[i + attr.len()..];
                let path = &rest[..rest.find('"').unwrap()];
                assert!(find(path).is_some(), "{path} is not embedded");
                referenced += 1;
            }
        }
        assert_eq!(
            referenced, 6,
            "three vendored scripts, mimql's script, two styles"
        );
        for a in &ASSETS {
            assert!(!a.body.is_empty(), "{} is empty", a.path);
            assert!(
                !a.immutable || a.path.contains('@'),
                "{} is cached forever but its path has no version",
                a.path
            );
        }
    }

    #[test]
    fn page_values_are_escaped() {
        assert_eq!(escape("a\"<b>&'"), "a&quot;&lt;b&gt;&amp;&#39;");
    }
}
