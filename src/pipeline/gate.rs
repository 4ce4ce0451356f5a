//! The async-graphql extension that ends the pipeline: after async-graphql's validation has
//! passed it applies the decision [`super::Pipeline::prepare`] took (refuse an anonymous caller,
//! or an operation type the transport does not run). A request without a gate skipped the
//! pipeline and is refused.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, ValidationResult};

use super::Rejection;
use super::cache::Admission;

/// Per-request data attached by the pipeline.
pub struct Gate {
    refusal: Mutex<Option<Rejection>>,
    /// The document's cache entry, admitted once validation passes (whoever the caller).
    admission: Mutex<Option<Admission>>,
}

impl Gate {
    pub fn new(refusal: Option<Rejection>, admission: Option<Admission>) -> Gate {
        Gate {
            refusal: Mutex::new(refusal),
            admission: Mutex::new(admission),
        }
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
        let admission = gate
            .admission
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(admission) = admission {
            admission.admit(result);
        }
        if let Some(refusal) = gate
            .refusal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            return Err(refusal.into_server_errors());
        }
        Ok(result)
    }
}
