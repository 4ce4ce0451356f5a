//! The request pipeline every transport (POST/GET, SSE, WebSocket) runs a GraphQL request
//! through, in the reference's order: decoded input → nesting guard → parse → operation
//! selection → cost bound → input checks (coercion with the reference's messages) → field merging
//! ([`merge`]) → async-graphql validation → authorization (`@protected`) → operation type vs transport → execution.
//!
//! Before parsing, one scan of the document's tokens refuses what the parser should never see:
//! too deep a nesting (the parser recurses), and a cost floor over the bound (see [`floor`]).
//!
//! [`Pipeline::prepare`] runs everything up to validation and returns typed errors that each
//! transport renders its own way (an HTTP status, an SSE reply before the stream, a
//! graphql-transport-ws `error` message). Validation runs inside the executor; the [`Gate`]
//! extension then applies the authorization and transport decisions taken here, so that an
//! anonymous request with an invalid document gets the validation error (400), not 401.

pub mod budget;
pub mod code;
pub mod cost;
mod error;
pub mod floor;
mod gate;
mod lexer;
pub mod merge;
pub mod outline;
mod selection;
mod subscription;
mod walk;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType,
};
use async_graphql::{Request, Variables};

pub use budget::ResponseBudget;
pub use code::Code;
pub use error::{ErrorBody, Rejection, assign_codes, internal_error, is_pre_execution, status_of};
pub use gate::{Gate, GateExtension};
pub use outline::Outline;
pub use subscription::{SessionReady, SubscriptionTransport};
pub use walk::CheckScalar;

use crate::schema_meta::SchemaMeta;

/// How the request arrived; decides which operation types may run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// `POST`/`GET /api/graphql`: queries and mutations.
    Http,
    /// `GET /api/graphql/sse`: subscriptions.
    Sse,
    /// graphql-transport-ws (and graphql-ws) on `/api/graphql`: every operation type.
    WebSocket,
}

/// Largest bracket nesting accepted before parsing: async-graphql's parser recurses.
pub const MAX_NESTING: usize = 64;

/// A decoded request.
pub struct Input {
    pub query: String,
    pub variables: Variables,
    pub operation_name: Option<String>,
}

impl Input {
    /// Whether the document, variable names and string values together are longer than
    /// `bound` bytes; stops counting past it.
    pub fn exceeds(&self, bound: usize) -> bool {
        use async_graphql::{Name, Value};
        /// The members' sizes, names and items counted too; stops once past `budget`.
        fn members<'a>(
            items: impl Iterator<Item = (Option<&'a Name>, &'a Value)>,
            base: usize,
            budget: usize,
        ) -> usize {
            items.fold(base, |n, (k, v)| {
                if n > budget {
                    n
                } else {
                    n + k.map_or(0, |k| k.len()) + size(v, budget - n)
                }
            })
        }
        fn size(v: &Value, budget: usize) -> usize {
            match v {
                Value::String(s) => s.len(),
                Value::List(items) => members(items.iter().map(|i| (None, i)), items.len(), budget),
                Value::Object(fields) => members(
                    fields.iter().map(|(k, v)| (Some(k), v)),
                    fields.len(),
                    budget,
                ),
                _ => 8,
            }
        }
        let Some(budget) = bound.checked_sub(self.query.len()) else {
            return true;
        };
        members(self.variables.iter().map(|(k, v)| (Some(k), v)), 0, budget) > budget
    }
}

#[derive(Clone, Debug)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: u64,
    pub max_list_items: usize,
    /// Largest encoded response (see [`budget`]).
    pub max_response_bytes: usize,
    /// Largest request without credentials (document and variables): such a request can
    /// only ask for `checkAuth` and introspection, or be refused.
    pub max_anonymous_bytes: usize,
}

impl From<&crate::config::Limits> for Limits {
    fn from(l: &crate::config::Limits) -> Limits {
        Limits {
            max_depth: l.max_query_depth,
            max_complexity: l.max_query_complexity as u64,
            max_list_items: l.max_list_items,
            max_response_bytes: l.max_response_bytes,
            max_anonymous_bytes: l.max_anonymous_request_bytes,
        }
    }
}

/// The checks of one API (user or admin).
#[derive(Clone)]
pub struct Pipeline {
    pub meta: &'static SchemaMeta,
    pub check_scalar: CheckScalar,
    pub limits: Limits,
}

/// A request ready to execute, with its [`Gate`] attached.
pub struct Prepared {
    pub request: Request,
    pub operation_type: OperationType,
}

fn select<'d>(
    doc: &'d ExecutableDocument,
    name: Option<&str>,
) -> Result<(&'d OperationDefinition, Option<&'d str>), Rejection> {
    match (name, &doc.operations) {
        (Some(n), DocumentOperations::Multiple(ops)) => match ops.get_key_value(n) {
            Some((k, op)) => Ok((&op.node, Some(k.as_str()))),
            None => Err(operation_not_found(n)),
        },
        (Some(n), DocumentOperations::Single(_)) => Err(operation_not_found(n)),
        (None, DocumentOperations::Single(op)) => Ok((&op.node, None)),
        (None, DocumentOperations::Multiple(ops)) if ops.len() == 1 => {
            let (k, op) = ops.iter().next().expect("one operation");
            Ok((&op.node, Some(k.as_str())))
        }
        (None, DocumentOperations::Multiple(_)) => Err(Rejection::new(
            Code::MoreThanOneOperation,
            "Error in execution: more_than_one_operation",
            None,
        )),
    }
}

fn operation_not_found(name: &str) -> Rejection {
    Rejection::new(
        Code::OperationNotFound,
        format!(
            "Expected an operation {} but no such operation was found",
            walk::render(&async_graphql::Value::from(name))
        ),
        Some(Vec::new()),
    )
}

fn transport_refusal(transport: Transport, ty: OperationType) -> Option<Rejection> {
    let (method, kind) = match (transport, ty) {
        (Transport::Http, OperationType::Subscription) => ("http", "subscription"),
        (Transport::Sse, OperationType::Query) => ("sse", "query"),
        (Transport::Sse, OperationType::Mutation) => ("sse", "mutation"),
        _ => return None,
    };
    Some(Rejection::new(
        Code::UnsupportedOperation,
        format!("The {method} execution method does not support {kind} operations."),
        Some(Vec::new()),
    ))
}

/// A request without credentials over `[limits] max_anonymous_request_bytes`.
pub fn anonymous_too_large(limit: usize) -> Rejection {
    Rejection::new(
        Code::RequestTooLarge,
        format!("A request without credentials is limited to {limit} bytes"),
        None,
    )
}

fn too_complex() -> Rejection {
    Rejection::new(Code::QueryTooComplex, "Query is too complex.", None)
}

impl Pipeline {
    /// The root type of an operation type, if the schema has one.
    fn root(&self, ty: OperationType) -> Option<&'static str> {
        match ty {
            OperationType::Query => Some(self.meta.query),
            OperationType::Mutation => self.meta.mutation,
            OperationType::Subscription => self.meta.subscription,
        }
    }

    /// Parses and checks a request; on success it is ready to execute (validation, and the
    /// authorization decision taken here, run when it does).
    pub fn prepare(
        &self,
        input: Input,
        authenticated: bool,
        transport: Transport,
    ) -> Result<Prepared, Rejection> {
        self.prepare_outlined(input, authenticated, transport, &mut Outline::new())
    }

    /// [`Pipeline::prepare`], also telling what the request is (for logs and metrics) as far as
    /// the checks got before accepting or refusing it.
    pub fn prepare_outlined(
        &self,
        input: Input,
        authenticated: bool,
        transport: Transport,
        outline: &mut Outline,
    ) -> Result<Prepared, Rejection> {
        if !authenticated && input.exceeds(self.limits.max_anonymous_bytes) {
            return Err(anonymous_too_large(self.limits.max_anonymous_bytes));
        }
        let scanned = floor::scan(&input.query, input.operation_name.as_deref());
        if scanned.nesting > MAX_NESTING {
            return Err(Rejection::new(
                Code::QueryTooDeep,
                "Query is nested too deep",
                None,
            ));
        }
        if let Some(floor) = scanned.floor
            && floor.complexity > self.limits.max_complexity
            && self.root(floor.operation).is_some()
        {
            outline.operation = Some(floor.operation);
            return Err(too_complex());
        }
        let mut request = Request::new(input.query);
        if let Some(name) = &input.operation_name {
            request = request.operation_name(name.clone());
        }
        // The checks borrow the variables; they go into the request once the document is no
        // longer borrowed from it.
        let variables = input.variables;
        let doc = request.parsed_query().map_err(|e| {
            let line = e.locations.first().map(|l| l.line).unwrap_or(1);
            let reason = e.message.split_whitespace().collect::<Vec<_>>().join(" ");
            Rejection::new(
                Code::ParserError,
                format!("Cannot parse line {line} because of {reason}"),
                Some(Vec::new()),
            )
        })?;
        let (op, op_name) = select(doc, input.operation_name.as_deref())?;
        let root = self.root(op.ty);
        outline.operation = Some(op.ty);
        outline.name = op_name.map(str::to_string);
        outline.category = outline::category(self.meta, doc, op, root);
        if let Some(root) = root {
            let bounds = cost::Bounds {
                max_complexity: self.limits.max_complexity,
                max_depth: self.limits.max_depth,
            };
            cost::measure(self.meta, doc, op, root, &variables, &bounds).map_err(|e| match e {
                cost::CostError::TooComplex => too_complex(),
                cost::CostError::TooDeep => {
                    Rejection::new(Code::QueryTooDeep, "Query is nested too deep.", None)
                }
                cost::CostError::Cycle(name) => Rejection::new(
                    Code::FragmentCycle,
                    format!("Cannot spread fragment \"{name}\" within itself."),
                    Some(Vec::new()),
                ),
            })?;
        }
        let findings = walk::walk(
            self.meta,
            self.check_scalar,
            doc,
            op,
            op_name.unwrap_or(".."),
            root,
            &variables,
            self.limits.max_list_items,
            authenticated,
        );
        if let Some(r) = findings.rejection {
            return Err(r);
        }
        merge::check(self.meta, doc).map_err(|e| match e {
            merge::MergeError::Conflict(m) => Rejection::new(Code::ValidationError, m, None),
            merge::MergeError::TooComplex => too_complex(),
        })?;
        // Decided now, applied after validation (see `Gate`).
        let refusal = if findings.protected && !authenticated {
            let label = op_name.unwrap_or("ROOT").to_string();
            Some(Rejection::new(
                Code::NoPermissions,
                format!("Cannot execute query {label} without permissions"),
                Some(vec![label]),
            ))
        } else {
            transport_refusal(transport, op.ty)
        };
        let operation_type = op.ty;
        request.variables = variables;
        Ok(Prepared {
            request: request.data(Gate::new(refusal)),
            operation_type,
        })
    }
}
