//! The async-graphql extension that ends the pipeline: after async-graphql's validation has
//! passed it applies the decision [`super::Pipeline::prepare`] took (refuse an anonymous caller,
//! or an operation type the transport does not run), and tells a waiting transport that the
//! request was accepted (SSE answers 200 and starts the stream only then).

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, ValidationResult};
use tokio::sync::oneshot;

use super::Rejection;

/// Per-request data attached by the pipeline.
pub struct Gate {
    refusal: Mutex<Option<Rejection>>,
    accepted: Mutex<Option<oneshot::Sender<()>>>,
}

impl Gate {
    pub fn new(refusal: Option<Rejection>) -> Gate {
        Gate {
            refusal: Mutex::new(refusal),
            accepted: Mutex::new(None),
        }
    }

    /// A receiver that resolves once the request has passed validation and the gate.
    pub fn on_accept(&self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        *self.accepted.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
        rx
    }
}

/// Registered on both schemas.
pub struct GateExtension;

impl ExtensionFactory for GateExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GateExtension)
    }
}

#[async_trait::async_trait]
impl Extension for GateExtension {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        // A request that did not come through the pipeline has no gate: refuse it rather than
        // run it unchecked.
        let Some(gate) = ctx.data_opt::<Gate>() else {
            return Err(super::internal_error().into_server_errors());
        };
        if let Some(refusal) = gate
            .refusal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            return Err(refusal.into_server_errors());
        }
        if let Some(tx) = gate
            .accepted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            tx.send(()).ok();
        }
        Ok(result)
    }
}
