//! Requests in progress, counted for a graceful shutdown. A request counts from the moment the
//! handler is called until its response body has been sent (or the connection dropped), so a
//! stop never truncates an answer. Actix's own graceful stop is not enough on its own: it waits
//! for open connections (idle keep-alive ones too), and a worker whose accept thread stops
//! first exits without waiting at all; this count is what `Running::shutdown` waits for.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::web::Bytes;
use futures_util::future::LocalBoxFuture;
use tokio_util::task::{TaskTracker, task_tracker::TaskTrackerToken};

/// A response body that holds its request's place in the count until it is dropped.
pub struct Counted {
    body: BoxBody,
    _token: TaskTrackerToken,
}

impl MessageBody for Counted {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

/// The middleware function (`App::wrap_fn`) that counts a request in `tracker`.
pub fn count<S, B>(
    tracker: &TaskTracker,
    req: ServiceRequest,
    service: &S,
) -> LocalBoxFuture<'static, Result<ServiceResponse<Counted>, actix_web::Error>>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    let token = tracker.token();
    let response = service.call(req);
    Box::pin(async move {
        let response = response.await?;
        Ok(response
            .map_into_boxed_body()
            .map_body(move |_, body| Counted {
                body,
                _token: token,
            }))
    })
}
