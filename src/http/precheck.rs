//! Checks that run on a parsed request before anything executes, so that a refused request has
//! no side effects. In the reference's order, input errors (400) come before authorization (401):
//!
//! * non-null variables must be present; literal `null` arguments are refused (`null_input`);
//! * fields must exist (`unknown_field`);
//! * every argument value, variables substituted, is coerced against its custom scalar, giving
//!   the reference's exact `input_coercion` messages;
//! * the operation that will run is selected exactly as the executor selects it (a named
//!   operation sent without `operationName` included), and if it touches a `@protected` type or
//!   field the caller must be authenticated. Aliases and fragments are followed, and this is in
//!   addition to the per-field check the resolvers make.
//!
//! The rest of validation is async-graphql's, when the request executes.

use std::collections::HashSet;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql::{Name, Request, Value, Variables};

use super::reply::{ErrorBody, Reply};
use crate::schema_meta::{InputValueMeta, SchemaMeta, TypeRef};

/// Cheap bound on bracket nesting, checked before the recursive-descent parser runs so that a
/// hostile document cannot exhaust the stack.
fn nesting_depth(query: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut chars = query.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' | '[' | '(' => {
                depth += 1;
                max = max.max(depth);
            }
            '}' | ']' | ')' => depth = depth.saturating_sub(1),
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                // Strings (block strings close on the first `"`, which is conservative:
                // the rest of the block is scanned as code and can only raise the count).
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    max
}

/// Largest bracket nesting accepted before parsing.
const MAX_NESTING: usize = 64;

pub struct Prepared {
    pub request: Request,
    pub operation_type: OperationType,
}

pub struct Input {
    pub query: String,
    pub variables: Variables,
    pub operation_name: Option<String>,
}

fn error(status: u16, code: &str, message: impl Into<String>, path: Option<Vec<String>>) -> Reply {
    Reply::errors(status, vec![ErrorBody::new(code, message, path)])
}

/// Renders a value in a coercion message: strings double-quoted, the rest as GraphQL literals.
fn render(value: &Value) -> String {
    match value {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        other => other.to_string(),
    }
}

struct Coercion {
    scalar: &'static str,
    value: Value,
    reason: String,
    /// The reference's XML coercer crashes on a non-string value: `input_coerce_abort`.
    abort: bool,
}

struct Walk<'a> {
    meta: &'static SchemaMeta,
    doc: &'a ExecutableDocument,
    op: &'a OperationDefinition,
    /// The operation's name in error paths (`..` for an anonymous one).
    op_path: &'a str,
    variables: &'a Variables,
    visited: HashSet<&'a str>,
    protected: bool,
    /// The first input error found: a 400 that wins over the 401, as in the reference, where
    /// validation and coercion run before `@protected`.
    rejection: Option<Reply>,
    check_scalar: fn(&str, &Value) -> Option<Result<(), String>>,
}

impl<'a> Walk<'a> {
    fn enter_type(&mut self, name: &str) {
        if self.meta.object(name).is_some_and(|o| o.protected) {
            self.protected = true;
        }
    }

    fn selection_set(&mut self, parent: &str, set: &'a SelectionSet) {
        for sel in &set.items {
            match &sel.node {
                Selection::Field(f) => {
                    let name = f.node.name.node.as_str();
                    // Introspection fields are open to everyone.
                    if name.starts_with("__") {
                        continue;
                    }
                    let Some(object) = self.meta.object(parent) else {
                        continue;
                    };
                    let Some(field) = object.field(name) else {
                        self.reject(error(
                            400,
                            "unknown_field",
                            format!("Unknown field \"{name}\" on type \"{parent}\"."),
                            Some(Vec::new()),
                        ));
                        continue;
                    };
                    if field.protected {
                        self.protected = true;
                    }
                    for (arg, value) in &f.node.arguments {
                        if let Some(am) = field.args.iter().find(|a| a.name == arg.node.as_str()) {
                            self.argument(am, &value.node);
                        }
                    }
                    self.enter_type(field.ty);
                    self.selection_set(field.ty, &f.node.selection_set.node);
                }
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.as_str();
                    if !self.visited.insert(name) {
                        continue;
                    }
                    if let Some(frag) = self.doc.fragments.get(&s.node.fragment_name.node) {
                        let on = frag.node.type_condition.node.on.node.as_str();
                        self.enter_type(on);
                        self.selection_set(on, &frag.node.selection_set.node);
                    }
                }
                Selection::InlineFragment(i) => {
                    let on = i
                        .node
                        .type_condition
                        .as_ref()
                        .map(|t| t.node.on.node.as_str())
                        .unwrap_or(parent);
                    self.enter_type(on);
                    self.selection_set(on, &i.node.selection_set.node);
                }
            }
        }
    }

    fn variable(&self, name: &Name) -> Value {
        if let Some(v) = self.variables.get(name) {
            return v.clone();
        }
        self.op
            .variable_definitions
            .iter()
            .find(|d| &d.node.name.node == name)
            .and_then(|d| d.node.default_value.as_ref().map(|v| v.node.clone()))
            .unwrap_or(Value::Null)
    }

    fn reject(&mut self, reply: Reply) {
        self.rejection.get_or_insert(reply);
    }

    fn argument(&mut self, meta: &InputValueMeta, value: &async_graphql_value::Value) {
        if self.rejection.is_some() {
            return;
        }
        let variable = match value {
            async_graphql_value::Value::Variable(name) => Some(name.to_string()),
            // A literal null is refused as in the reference; a null *variable* means "absent".
            async_graphql_value::Value::Null => {
                return self.reject(error(
                    400,
                    "null_input",
                    format!(
                        "The arg {} is given a null, which is not allowed in the input path",
                        meta.name
                    ),
                    Some(Vec::new()),
                ));
            }
            _ => None,
        };
        let Ok(v) = value
            .clone()
            .into_const_with(|name| Ok::<_, std::convert::Infallible>(self.variable(&name)));
        if let Err(c) = self.value(&meta.ty, &v) {
            let path = variable.map(|v| vec![self.op_path.to_string(), v]);
            let reply = if c.abort {
                error(
                    400,
                    "input_coerce_abort",
                    "Input coercer failed due to an internal server error",
                    path,
                )
            } else {
                error(
                    400,
                    "input_coercion",
                    format!(
                        "Input coercion failed for type {} with value {}. The reason it failed is: {}",
                        c.scalar,
                        render(&c.value),
                        c.reason
                    ),
                    path,
                )
            };
            self.reject(reply);
        }
    }

    fn value(&self, ty: &TypeRef, value: &Value) -> Result<(), Box<Coercion>> {
        match (ty, value) {
            (_, Value::Null) => Ok(()),
            (TypeRef::NonNull(inner), v) => self.value(inner, v),
            (TypeRef::List(inner), Value::List(items)) => {
                items.iter().try_for_each(|i| self.value(inner, i))
            }
            // A single value where a list is expected is coerced to a one-element list.
            (TypeRef::List(inner), v) => self.value(inner, v),
            (TypeRef::Named(name), v) => {
                if let Some(Err(reason)) = (self.check_scalar)(name, v) {
                    return Err(Box::new(Coercion {
                        scalar: name,
                        value: v.clone(),
                        reason,
                        abort: *name == "XmlElement" && !matches!(v, Value::String(_)),
                    }));
                }
                if let (Some(input), Value::Object(fields)) = (self.meta.input(name), v) {
                    for f in input.fields {
                        if let Some(fv) = fields.get(f.name) {
                            self.value(&f.ty, fv)?;
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

fn select<'d>(
    doc: &'d ExecutableDocument,
    name: Option<&str>,
) -> Result<(&'d OperationDefinition, Option<&'d str>), Reply> {
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
        (None, DocumentOperations::Multiple(_)) => Err(error(
            200,
            "more_than_one_operation",
            "Error in execution: more_than_one_operation",
            None,
        )),
    }
}

fn operation_not_found(name: &str) -> Reply {
    error(
        400,
        "operation_not_found",
        format!(
            "Expected an operation {} but no such operation was found",
            render(&Value::from(name))
        ),
        Some(Vec::new()),
    )
}

/// Parses and checks a request; on success it is ready to execute.
pub fn prepare(
    meta: &'static SchemaMeta,
    check_scalar: fn(&str, &Value) -> Option<Result<(), String>>,
    input: Input,
    authenticated: bool,
) -> Result<Prepared, Reply> {
    if nesting_depth(&input.query) > MAX_NESTING {
        return Err(error(
            400,
            "query_too_deep",
            "Query is nested too deep",
            None,
        ));
    }
    let mut request = Request::new(input.query);
    if let Some(name) = &input.operation_name {
        request = request.operation_name(name.clone());
    }
    // The checks borrow the variables; they go into the request once the document is no
    // longer borrowed from it.
    let variables = input.variables;
    let doc = match request.parsed_query() {
        Ok(doc) => doc,
        Err(e) => {
            let line = e.locations.first().map(|l| l.line).unwrap_or(1);
            let reason = e.message.split_whitespace().collect::<Vec<_>>().join(" ");
            return Err(error(
                400,
                "parser_error",
                format!("Cannot parse line {line} because of {reason}"),
                Some(Vec::new()),
            ));
        }
    };
    let (op, op_name) = select(doc, input.operation_name.as_deref())?;
    let op_label = op_name.unwrap_or("ROOT").to_string();
    let root = match op.ty {
        OperationType::Query => Some(meta.query),
        OperationType::Mutation => meta.mutation,
        OperationType::Subscription => meta.subscription,
    };
    let op_path = op_name.unwrap_or("..");
    let mut walk = Walk {
        meta,
        doc,
        op,
        op_path,
        variables: &variables,
        visited: HashSet::new(),
        protected: false,
        rejection: None,
        check_scalar,
    };
    for def in &op.variable_definitions {
        let d = &def.node;
        let missing = matches!(variables.get(&d.name.node), None | Some(Value::Null));
        if !d.var_type.node.nullable && missing && d.default_value.is_none() {
            walk.reject(error(
                400,
                "missing_non_null_param",
                "The parameter is non-null, but was undefined in parameter list",
                Some(vec![op_path.to_string(), d.name.node.to_string()]),
            ));
        }
    }
    if let Some(root) = root {
        walk.enter_type(root);
        walk.selection_set(root, &op.selection_set.node);
    }
    if let Some(reply) = walk.rejection {
        return Err(reply);
    }
    if walk.protected && !authenticated {
        return Err(error(
            401,
            "no_permissions",
            format!("Cannot execute query {op_label} without permissions"),
            Some(vec![op_label]),
        ));
    }
    let operation_type = op.ty;
    request.variables = variables;
    Ok(Prepared {
        request,
        operation_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_ignores_strings_and_comments() {
        assert_eq!(nesting_depth("{ a { b } }"), 2);
        assert_eq!(nesting_depth("{ a(x: \"{{{{\") } # {{{{"), 2);
        assert_eq!(nesting_depth(&"{".repeat(1000)), 1000);
    }
}
