//! The response size bound (`[limits] max_response_bytes`). Every resolved field and list item
//! charges the bytes it adds to the response (its key and its own scalars; nested objects and
//! lists charge through their own fields and items) to a per-request count. Once the count
//! passes the bound, no further resolver runs, and the whole response is replaced by one
//! `response_too_large` error: memory held for a response stays near the bound, whatever the
//! number of aliases asking for large values.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextResolve, ResolveInfo,
};
use async_graphql::{Response, ServerError, ServerResult, Value};

use super::Code;

/// The error that replaces a response over the bound.
pub fn too_large(limit: usize) -> ServerError {
    let mut e = ServerError::new(format!("The response would exceed {limit} bytes"), None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", Code::ResponseTooLarge.as_str());
    ext.set("limit", limit as u64);
    e.extensions = Some(ext);
    e
}

/// Registered on both schemas; a fresh count per request.
pub struct ResponseBudget {
    pub limit: usize,
}

impl ExtensionFactory for ResponseBudget {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Budget {
            limit: self.limit,
            used: AtomicUsize::new(0),
            exceeded: AtomicBool::new(false),
            counting: AtomicBool::new(false),
        })
    }
}

struct Budget {
    limit: usize,
    used: AtomicUsize,
    exceeded: AtomicBool,
    /// Set once an execution starts (what resolves before, e.g. a subscription's stream
    /// setup, is not a response).
    counting: AtomicBool,
}

/// Bytes a value adds to the JSON response by itself: scalars in full (plus quotes), lists and
/// objects only their brackets (their members are charged when they resolve).
fn own_size(value: &Value) -> usize {
    match value {
        Value::Null => 4,
        Value::Boolean(_) => 5,
        Value::Number(_) => 20,
        Value::String(s) => s.len() + 2,
        Value::Enum(e) => e.len() + 2,
        Value::Binary(b) => b.len() * 4 / 3 + 4,
        Value::List(_) | Value::Object(_) => 2,
    }
}

impl Budget {
    fn charge(&self, bytes: usize) -> bool {
        let used = self.used.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if used > self.limit {
            self.exceeded.store(true, Ordering::Relaxed);
        }
        !self.exceeded.load(Ordering::Relaxed)
    }

    fn error(&self) -> ServerError {
        too_large(self.limit)
    }
}

#[async_trait::async_trait]
impl Extension for Budget {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        // Every execution is one response with a bound of its own: a query's or mutation's
        // once, a subscription's once per event (one instance serves the whole stream, which
        // once counted every event against a single bound and refused them all after 16 MiB).
        self.used.store(0, Ordering::Relaxed);
        self.exceeded.store(false, Ordering::Relaxed);
        self.counting.store(true, Ordering::Relaxed);
        let resp = next.run(ctx, operation_name).await;
        if self.exceeded.load(Ordering::Relaxed) {
            // What was resolved is dropped with `resp`; the client gets one clear error.
            return Response::from_errors(vec![self.error()]);
        }
        resp
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if !self.counting.load(Ordering::Relaxed) {
            return next.run(ctx, info).await;
        }
        if self.exceeded.load(Ordering::Relaxed) {
            return Err(self.error());
        }
        let key = info.alias.unwrap_or(info.name).len() + 4;
        let value = next.run(ctx, info).await?;
        let bytes = key + value.as_ref().map_or(4, own_size);
        if self.charge(bytes) {
            Ok(value)
        } else {
            Err(self.error())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_count_scalars_not_members() {
        assert_eq!(own_size(&Value::String("abc".into())), 5);
        assert_eq!(
            own_size(&Value::List(vec![Value::String("x".repeat(100))])),
            2
        );
        let b = Budget {
            limit: 10,
            used: AtomicUsize::new(0),
            exceeded: AtomicBool::new(false),
            counting: AtomicBool::new(true),
        };
        assert!(b.charge(10));
        assert!(!b.charge(1));
        assert!(!b.charge(0), "once exceeded, always exceeded");
    }
}
