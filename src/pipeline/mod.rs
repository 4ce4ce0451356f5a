//! The request pipeline every transport (POST/GET, SSE, WebSocket) runs a GraphQL request
//! through, in the reference's order: decoded input → nesting guard → parse → operation
//! selection → cost bound → input checks (coercion with the reference's messages) → field merging
//! ([`merge`]) → async-graphql validation → authorization (`@protected`) → operation type vs transport → execution.
//!
//! Before parsing, one scan of the document's tokens refuses what the parser should never see:
//! too deep a nesting (the parser recurses), and a cost floor over the bound (see [`floor`]).
//!
//! What of this depends on neither the variables nor the caller is kept in the [`cache`] per
//! document text and operation name: a document sent again skips to the checks that read the
//! variables, the authorization decision and execution.
//!
//! [`Pipeline::prepare`] runs everything up to validation and returns typed errors that each
//! transport renders its own way (an HTTP status, an SSE reply before the stream, a
//! graphql-transport-ws `error` message). Validation runs inside the executor; the [`Gate`]
//! extension then applies the authorization and transport decisions taken here, so that an
//! anonymous request with an invalid document gets the validation error (400), not 401.

pub mod budget;
pub mod cache;
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
pub use cache::DocumentCache;
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
    /// Shared by every transport of this API (and by the pipeline's clones).
    pub cache: std::sync::Arc<DocumentCache>,
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

/// The decision taken now and applied after validation (see `Gate`): an anonymous caller on a
/// protected operation, or an operation type the transport does not run.
fn refusal(
    protected: bool,
    authenticated: bool,
    op_name: Option<&str>,
    transport: Transport,
    ty: OperationType,
) -> Option<Rejection> {
    if protected && !authenticated {
        let label = op_name.unwrap_or("ROOT").to_string();
        Some(Rejection::new(
            Code::NoPermissions,
            format!("Cannot execute query {label} without permissions"),
            Some(vec![label]),
        ))
    } else {
        transport_refusal(transport, ty)
    }
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
        if let Some(entry) = self
            .cache
            .get(&input.query, input.operation_name.as_deref())
        {
            return self.prepare_cached(&entry, input, authenticated, transport, outline);
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
        let doc = async_graphql::parser::parse_query(&input.query).map_err(|e| {
            let e = async_graphql::ServerError::from(e);
            let line = e.locations.first().map(|l| l.line).unwrap_or(1);
            let reason = e.message.split_whitespace().collect::<Vec<_>>().join(" ");
            Rejection::new(
                Code::ParserError,
                format!("Cannot parse line {line} because of {reason}"),
                Some(Vec::new()),
            )
        })?;
        let (op, op_name) = select(&doc, input.operation_name.as_deref())?;
        let root = self.root(op.ty);
        outline.operation = Some(op.ty);
        outline.name = op_name.map(str::to_string);
        outline.category = outline::category(self.meta, &doc, op, root);
        let protected =
            self.check_inputs(&doc, op, op_name, root, &input.variables, authenticated)?;
        merge::check(self.meta, &doc).map_err(|e| match e {
            merge::MergeError::Conflict(m) => Rejection::new(Code::ValidationError, m, None),
            merge::MergeError::TooComplex => too_complex(),
        })?;
        let refusal = refusal(protected, authenticated, op_name, transport, op.ty);
        let operation_type = op.ty;
        // Cached once async-graphql's validation passes too; only after a walk that ran every
        // input check (an anonymous caller's walk skips some on a protected operation).
        let admission = (authenticated || !protected)
            .then(|| {
                self.cache
                    .admission(&input.query, input.operation_name.as_deref(), || {
                        cache::Learnt {
                            doc: doc.clone(),
                            operation: op.ty,
                            name: outline.name.clone(),
                            category: outline.category,
                            has_variables: !op.variable_definitions.is_empty(),
                            protected,
                        }
                    })
            })
            .flatten();
        let mut request = Request::new(input.query);
        if let Some(name) = input.operation_name {
            request = request.operation_name(name);
        }
        request.set_parsed_query(doc);
        request.variables = input.variables;
        Ok(Prepared {
            request: request.data(Gate::new(refusal, admission)),
            operation_type,
        })
    }

    /// A cached document: only what depends on the variables and the caller runs.
    fn prepare_cached(
        &self,
        entry: &cache::Entry,
        input: Input,
        authenticated: bool,
        transport: Transport,
        outline: &mut Outline,
    ) -> Result<Prepared, Rejection> {
        outline.operation = Some(entry.learnt.operation);
        outline.name = entry.learnt.name.clone();
        outline.category = entry.learnt.category;
        let protected = if entry.learnt.has_variables {
            let (op, op_name) = select(&entry.learnt.doc, input.operation_name.as_deref())?;
            self.check_inputs(
                &entry.learnt.doc,
                op,
                op_name,
                self.root(op.ty),
                &input.variables,
                authenticated,
            )?
        } else {
            entry.learnt.protected
        };
        let refusal = refusal(
            protected,
            authenticated,
            entry.learnt.name.as_deref(),
            transport,
            entry.learnt.operation,
        );
        let mut request = Request::new(input.query);
        if let Some(name) = input.operation_name {
            request = request.operation_name(name);
        }
        request.set_parsed_query(entry.learnt.doc.clone());
        request.set_validated(entry.validation);
        request.variables = input.variables;
        Ok(Prepared {
            request: request.data(Gate::new(refusal, None)),
            operation_type: entry.learnt.operation,
        })
    }

    /// The checks that read the variables: the cost bound and the input walk. Tells whether
    /// the operation is protected.
    fn check_inputs(
        &self,
        doc: &ExecutableDocument,
        op: &OperationDefinition,
        op_name: Option<&str>,
        root: Option<&'static str>,
        variables: &Variables,
        authenticated: bool,
    ) -> Result<bool, Rejection> {
        if let Some(root) = root {
            let bounds = cost::Bounds {
                max_complexity: self.limits.max_complexity,
                max_depth: self.limits.max_depth,
            };
            cost::measure(self.meta, doc, op, root, variables, &bounds).map_err(|e| match e {
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
            variables,
            self.limits.max_list_items,
            authenticated,
        );
        match findings.rejection {
            Some(r) => Err(r),
            None => Ok(findings.protected),
        }
    }
}
