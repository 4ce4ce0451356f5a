//! The local upload backend's URLs on the user listener (`upload::local`): `PUT` stores the
//! file a signed URL allows, `GET` returns it. Registered only when `mod_http_upload` is
//! enabled with `backend = "local"`.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use tokio::io::AsyncReadExt;

use crate::state::AppState;
use crate::upload::local::{LocalStore, PREFIX, Refused};

/// Routes of the local backend, if it is the one in use; tells it the listener's address and
/// prepares its directory.
pub fn configure(
    state: Arc<AppState>,
    addr: SocketAddr,
) -> std::io::Result<impl Fn(&mut web::ServiceConfig) + Clone> {
    if let Some(store) = local(&state) {
        store.set_listener_address(addr);
        store.prepare()?;
    }
    Ok(move |cfg: &mut web::ServiceConfig| {
        if local(&state).is_some() {
            cfg.app_data(web::Data::from(state.clone())).service(
                web::resource(format!("{PREFIX}{{token}}/{{name:.*}}"))
                    .route(web::put().to(put))
                    .route(web::get().to(get))
                    .route(web::head().to(get))
                    .default_service(web::to(|| async {
                        HttpResponse::MethodNotAllowed()
                            .insert_header((header::ALLOW, "GET, HEAD, PUT"))
                            .finish()
                    })),
            );
        }
    })
}

fn local(state: &AppState) -> Option<&LocalStore> {
    state.uploads.as_ref().and_then(|u| u.local())
}

fn refused(e: Refused) -> HttpResponse {
    let mut reply = match &e {
        Refused::Forbidden => HttpResponse::Forbidden(),
        Refused::TooLarge(_) => HttpResponse::PayloadTooLarge(),
        Refused::WrongSize { .. } | Refused::Body => HttpResponse::BadRequest(),
        Refused::ContentType(_) => HttpResponse::UnsupportedMediaType(),
        Refused::Exists => HttpResponse::Conflict(),
        Refused::Timeout(_) => HttpResponse::RequestTimeout(),
        Refused::Db(err) => {
            tracing::warn!(%err, "cannot record an upload");
            HttpResponse::ServiceUnavailable()
        }
        Refused::Io(err) => {
            tracing::error!(%err, "upload storage failed");
            return HttpResponse::InternalServerError().finish();
        }
    };
    reply
        .content_type("text/plain; charset=utf-8")
        .body(e.to_string())
}

fn header_str(req: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

async fn put(req: HttpRequest, body: web::Payload, state: web::Data<AppState>) -> HttpResponse {
    let Some(uploads) = state.uploads.as_ref() else {
        return HttpResponse::NotFound().finish();
    };
    let length = header_str(&req, header::CONTENT_LENGTH).and_then(|v| v.parse().ok());
    let content_type = header_str(&req, header::CONTENT_TYPE);
    let path = req.uri().path();
    match uploads
        .put(path, req.query_string(), length, content_type, body)
        .await
    {
        Ok(grant) => {
            tracing::info!(token = %grant.token, size = grant.size, "file uploaded");
            HttpResponse::Created().finish()
        }
        Err(e) => {
            let mut reply = refused(e);
            if reply.status() == actix_web::http::StatusCode::REQUEST_TIMEOUT {
                // The rest of the body is not waited for.
                reply
                    .head_mut()
                    .set_connection_type(actix_web::http::ConnectionType::Close);
            }
            reply
        }
    }
}

async fn get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(store) = local(&state) else {
        return HttpResponse::NotFound().finish();
    };
    let (meta, file) = match store.open_file(req.uri().path()).await {
        Ok(Some(found)) => found,
        Ok(None) => return HttpResponse::NotFound().finish(),
        Err(e) => return refused(Refused::Io(e)),
    };
    let len = match file.metadata().await {
        Ok(m) => m.len(),
        Err(e) => return refused(Refused::Io(e)),
    };
    let content_type = meta
        .content_type
        .as_deref()
        .and_then(|t| HeaderValue::from_str(t).ok())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    // Chunks read as the client takes them; the stream ends at EOF or on a read error.
    let chunks = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(web::Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    let mut resp = HttpResponse::Ok();
    // Uploaded content is served from the API's origin: never sniffed, never active, and
    // saved rather than shown unless it is media a browser only displays.
    if !displayed_inline(content_type.to_str().unwrap_or_default()) {
        resp.insert_header((header::CONTENT_DISPOSITION, "attachment"));
    }
    resp.insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "sandbox"))
        .no_chunking(len)
        .streaming(chunks)
}

/// Media types a browser shows without running anything: raster images, audio and video.
/// Everything else (HTML, SVG, XML, PDF, scripts, text a browser may render) is served as an
/// attachment.
fn displayed_inline(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("image", sub)) => !sub.contains("svg") && !sub.contains("xml"),
        Some(("audio" | "video", _)) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_media_is_shown_inline() {
        for t in [
            "image/jpeg",
            "image/png; x=1",
            "IMAGE/GIF",
            "audio/ogg",
            "video/mp4",
        ] {
            assert!(super::displayed_inline(t), "{t}");
        }
        for t in [
            "text/html",
            "image/svg+xml",
            "application/xhtml+xml",
            "text/plain",
            "application/pdf",
            "application/octet-stream",
            "",
        ] {
            assert!(!super::displayed_inline(t), "{t}");
        }
    }
}
