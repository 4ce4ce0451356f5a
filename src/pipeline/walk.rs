//! The walk over the selected operation that finds input errors and whether the operation
//! touches `@protected` types or fields. In the reference's order these input errors (400) come
//! before authorization (401):
//!
//! * literal `null` arguments are refused (`null_input`);
//! * fields must exist (`unknown_field`);
//! * every argument value, variables substituted, is coerced against its custom scalar, giving
//!   the reference's exact `input_coercion` messages; lists are bounded (`list_too_long`).
//!
//! Aliases and fragments are followed (each fragment once). Coercing an `XmlElement` is the one
//! expensive check: for an anonymous caller it waits until the walk knows whether the operation
//! is protected, and is skipped when it is (the request is refused with 401 anyway).

use std::collections::HashSet;

use async_graphql::parser::types::{ExecutableDocument, OperationDefinition, SelectionSet};
use async_graphql::{Name, Value, Variables};

use super::code::Code;
use super::error::Rejection;
use super::selection::{self, Item};
use crate::schema_meta::{InputValueMeta, SchemaMeta, TypeRef};

/// Scalars whose coercion costs more than a cheap rejection.
const EXPENSIVE_SCALARS: [&str; 1] = ["XmlElement"];

pub type CheckScalar = fn(&str, &Value) -> Option<Result<(), String>>;

/// What the walk found.
pub struct Findings {
    pub protected: bool,
    /// The first input error.
    pub rejection: Option<Rejection>,
}

/// Renders a value in a coercion message: strings double-quoted, the rest as GraphQL literals.
pub fn render(value: &Value) -> String {
    match value {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        other => other.to_string(),
    }
}

fn input_error(code: Code, message: impl Into<String>, path: Option<Vec<String>>) -> Rejection {
    Rejection::new(code, message, path)
}

struct Coercion {
    scalar: &'static str,
    value: Value,
    reason: String,
    /// The reference's XML coercer crashes on a non-string value: `input_coerce_abort`.
    abort: bool,
}

/// A scalar check left for later: the scalar, the value and the error path.
struct Deferred {
    scalar: &'static str,
    value: Value,
    path: Option<Vec<String>>,
}

struct Walk<'a> {
    meta: &'static SchemaMeta,
    doc: &'a ExecutableDocument,
    op: &'a OperationDefinition,
    /// The operation's name in error paths (`..` for an anonymous one).
    op_path: &'a str,
    variables: &'a Variables,
    check_scalar: CheckScalar,
    max_list_items: usize,
    defer_expensive: bool,
    visited: HashSet<&'a str>,
    protected: bool,
    rejection: Option<Rejection>,
    deferred: Vec<Deferred>,
}

/// Walks the operation `op` of `doc` from the root type `root`.
#[allow(clippy::too_many_arguments)]
pub fn walk<'a>(
    meta: &'static SchemaMeta,
    check_scalar: CheckScalar,
    doc: &'a ExecutableDocument,
    op: &'a OperationDefinition,
    op_path: &'a str,
    root: Option<&'a str>,
    variables: &'a Variables,
    max_list_items: usize,
    authenticated: bool,
) -> Findings {
    let mut w = Walk {
        meta,
        doc,
        op,
        op_path,
        variables,
        check_scalar,
        max_list_items,
        defer_expensive: !authenticated,
        visited: HashSet::new(),
        protected: false,
        rejection: None,
        deferred: Vec::new(),
    };
    for def in &op.variable_definitions {
        let d = &def.node;
        let missing = matches!(variables.get(&d.name.node), None | Some(Value::Null));
        if !d.var_type.node.nullable && missing && d.default_value.is_none() {
            w.reject(input_error(
                Code::MissingNonNullParam,
                "The parameter is non-null, but was undefined in parameter list",
                Some(vec![op_path.to_string(), d.name.node.to_string()]),
            ));
        }
    }
    if let Some(root) = root {
        w.enter_type(root);
        w.selection_set(root, &op.selection_set.node);
    }
    // Deferred checks run only for a caller who may run the operation.
    if w.rejection.is_none() && (authenticated || !w.protected) {
        for d in std::mem::take(&mut w.deferred) {
            if let Err(c) = w.scalar(d.scalar, &d.value) {
                w.reject(coercion_error(*c, d.path));
                break;
            }
        }
    }
    Findings {
        protected: w.protected,
        rejection: w.rejection,
    }
}

fn coercion_error(c: Coercion, path: Option<Vec<String>>) -> Rejection {
    if c.abort {
        input_error(
            Code::InputCoerceAbort,
            "Input coercer failed due to an internal server error",
            path,
        )
    } else {
        input_error(
            Code::InputCoercion,
            format!(
                "Input coercion failed for type {} with value {}. The reason it failed is: {}",
                c.scalar,
                render(&c.value),
                c.reason
            ),
            path,
        )
    }
}

/// A value of the wrong kind for an input object or enum type.
fn mismatch(ty: &str, v: &Value, path: &Option<Vec<String>>) -> Rejection {
    input_error(
        Code::TypeMismatch,
        format!("Expected input type \"{ty}\", found {v}."),
        path.clone(),
    )
}

/// Why a value does not fit a built-in scalar (`None`: it fits, or the type is not built in).
fn builtin(name: &str, v: &Value) -> Option<&'static str> {
    let fits = match name {
        "String" => matches!(v, Value::String(_)),
        "Boolean" => matches!(v, Value::Boolean(_)),
        "Int" => {
            matches!(v, Value::Number(n) if n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()))
        }
        "Float" => matches!(v, Value::Number(_)),
        "ID" => {
            matches!(v, Value::String(_))
                || matches!(v, Value::Number(n) if n.is_i64() || n.is_u64())
        }
        _ => return None,
    };
    (!fits).then_some(match name {
        "String" => "not_a_string",
        "Boolean" => "not_a_boolean",
        "Int" => "not_an_integer",
        "Float" => "not_a_float",
        _ => "not_an_id",
    })
}

impl<'a> Walk<'a> {
    fn enter_type(&mut self, name: &str) {
        if self.meta.object(name).is_some_and(|o| o.protected) {
            self.protected = true;
        }
    }

    fn reject(&mut self, r: Rejection) {
        self.rejection.get_or_insert(r);
    }

    fn selection_set(&mut self, parent: &'a str, set: &'a SelectionSet) {
        for item in selection::items(self.doc, parent, set) {
            match item {
                Item::Field(f) => {
                    let name = f.node.name.node.as_str();
                    // Introspection fields are open to everyone.
                    if name.starts_with("__") {
                        continue;
                    }
                    let Some(object) = self.meta.object(parent) else {
                        continue;
                    };
                    let Some(field) = object.field(name) else {
                        self.reject(input_error(
                            Code::UnknownField,
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
                // Each fragment is walked once: what it finds does not change with the spread.
                Item::Fragment { name, on, set } => {
                    if name.is_some_and(|n| !self.visited.insert(n)) {
                        continue;
                    }
                    self.enter_type(on);
                    self.selection_set(on, set);
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

    fn argument(&mut self, meta: &InputValueMeta, value: &async_graphql_value::Value) {
        if self.rejection.is_some() {
            return;
        }
        let variable = match value {
            async_graphql_value::Value::Variable(name) => Some(name.to_string()),
            // A literal null is refused as in the reference; a null *variable* means "absent".
            async_graphql_value::Value::Null => {
                return self.reject(input_error(
                    Code::NullInput,
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
        let path = variable.map(|v| vec![self.op_path.to_string(), v]);
        if let Err(r) = self.value(&meta.ty, &v, &path) {
            self.reject(r);
        }
    }

    fn value(
        &mut self,
        ty: &TypeRef,
        value: &Value,
        path: &Option<Vec<String>>,
    ) -> Result<(), Rejection> {
        match (ty, value) {
            (_, Value::Null) => Ok(()),
            (TypeRef::NonNull(inner), v) => self.value(inner, v, path),
            (TypeRef::List(inner), Value::List(items)) => {
                if items.len() > self.max_list_items {
                    return Err(input_error(
                        Code::ListTooLong,
                        format!(
                            "A list argument holds {} items; at most {} are accepted",
                            items.len(),
                            self.max_list_items
                        ),
                        path.clone(),
                    ));
                }
                items.iter().try_for_each(|i| self.value(inner, i, path))
            }
            // A single value where a list is expected is coerced to a one-element list.
            (TypeRef::List(inner), v) => self.value(inner, v, path),
            (TypeRef::Named(name), v) => {
                if self.defer_expensive
                    && let Some(scalar) = EXPENSIVE_SCALARS.iter().find(|s| **s == *name)
                {
                    self.deferred.push(Deferred {
                        scalar,
                        value: v.clone(),
                        path: path.clone(),
                    });
                    return Ok(());
                }
                self.scalar(name, v)
                    .map_err(|c| coercion_error(*c, path.clone()))?;
                if let Some(input) = self.meta.input(name) {
                    let Value::Object(fields) = v else {
                        return Err(mismatch(name, v, path));
                    };
                    for f in input.fields {
                        if let Some(fv) = fields.get(f.name) {
                            self.value(&f.ty, fv, path)?;
                        }
                    }
                }
                if let Some(e) = self.meta.enumeration(name) {
                    let ok = match v {
                        Value::Enum(n) => e.values.contains(&n.as_str()),
                        Value::String(s) => e.values.contains(&s.as_str()),
                        _ => false,
                    };
                    if !ok {
                        return Err(mismatch(name, v, path));
                    }
                }
                Ok(())
            }
        }
    }

    fn scalar(&self, name: &'static str, v: &Value) -> Result<(), Box<Coercion>> {
        let reason = match (self.check_scalar)(name, v) {
            Some(Err(reason)) => reason,
            Some(Ok(())) => return Ok(()),
            None => match builtin(name, v) {
                Some(reason) => reason.to_string(),
                None => return Ok(()),
            },
        };
        Err(Box::new(Coercion {
            scalar: name,
            value: v.clone(),
            reason,
            abort: name == "XmlElement" && !matches!(v, Value::String(_)),
        }))
    }
}
