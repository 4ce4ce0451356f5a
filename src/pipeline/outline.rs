//! What a request is, for logs and metrics: its operation type, name and category (the
//! top-level field it selects). Types and categories come from a small fixed set (the
//! schema's root fields), so they can be metric labels; the name is only logged.

use std::collections::HashSet;

use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, OperationType, SelectionSet,
};

use super::selection::Item;

use crate::schema_meta::SchemaMeta;

/// What the pipeline learnt of a request; filled as far as it got.
#[derive(Clone, Debug, Default)]
pub struct Outline {
    /// `None` until an operation has been selected.
    pub operation: Option<OperationType>,
    /// The selected operation's name, if it has one.
    pub name: Option<String>,
    /// `none` until an operation has been selected, then see [`category`].
    pub category: &'static str,
}

impl Outline {
    pub fn new() -> Outline {
        Outline {
            operation: None,
            name: None,
            category: NONE,
        }
    }

    /// `query`, `mutation`, `subscription`, or `none`.
    pub fn operation_label(&self) -> &'static str {
        match self.operation {
            Some(OperationType::Query) => "query",
            Some(OperationType::Mutation) => "mutation",
            Some(OperationType::Subscription) => "subscription",
            None => NONE,
        }
    }
}

pub const NONE: &str = "none";
pub const INTROSPECTION: &str = "introspection";
pub const MIXED: &str = "mixed";
pub const UNKNOWN: &str = "unknown";

/// The category of an operation: its one top-level field (`roster`, `checkAuth`), named as in
/// the schema; `introspection` for `__schema`/`__type`/`__typename` alone; `mixed` when it
/// selects several; `unknown` for a field the root type lacks (validation refuses it later).
/// Fragments spread at the top level count with their fields.
pub fn category(
    meta: &'static SchemaMeta,
    doc: &ExecutableDocument,
    op: &OperationDefinition,
    root: Option<&str>,
) -> &'static str {
    let root = root.and_then(|r| meta.object(r));
    let mut found: Option<&'static str> = None;
    let mut visited = HashSet::new();
    let mut stack: Vec<&SelectionSet> = vec![&op.selection_set.node];
    while let Some(set) = stack.pop() {
        for item in super::selection::items(doc, "", set) {
            let name = match item {
                Item::Field(f) => f.node.name.node.as_str(),
                Item::Fragment { name, set, .. } => {
                    if name.is_none_or(|n| visited.insert(n)) {
                        stack.push(set);
                    }
                    continue;
                }
            };
            let this = match name {
                "__typename" => continue,
                "__schema" | "__type" => INTROSPECTION,
                _ => match root.and_then(|r| r.field(name)) {
                    Some(f) => f.name,
                    None => UNKNOWN,
                },
            };
            match found {
                None => found = Some(this),
                Some(f) if f == this => {}
                Some(_) => return MIXED,
            }
        }
    }
    found.unwrap_or(INTROSPECTION)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category_of(query: &str) -> &'static str {
        let meta = &crate::generated::user::META;
        let doc = async_graphql::parser::parse_query(query).unwrap();
        let (_, op) = doc.operations.iter().next().unwrap();
        let root = match op.node.ty {
            OperationType::Query => Some(meta.query),
            OperationType::Mutation => meta.mutation,
            OperationType::Subscription => meta.subscription,
        };
        category(meta, &doc, &op.node, root)
    }

    #[test]
    fn categories_are_top_level_fields() {
        assert_eq!(category_of("{ checkAuth { authStatus } }"), "checkAuth");
        assert_eq!(
            category_of("query Q { a: roster { listContacts { jid } } b: roster { __typename } }"),
            "roster"
        );
        assert_eq!(
            category_of("mutation { vcard { setVcard(vcard: {}) { formattedName } } }"),
            "vcard"
        );
        assert_eq!(
            category_of(
                "{ ...F } fragment F on UserQuery { ... on UserQuery { last { __typename } } }"
            ),
            "last"
        );
        assert_eq!(
            category_of("{ checkAuth { authStatus } roster { __typename } }"),
            "mixed"
        );
        assert_eq!(
            category_of("{ __schema { queryType { name } } }"),
            "introspection"
        );
        assert_eq!(category_of("{ __typename }"), "introspection");
        assert_eq!(category_of("{ nope }"), "unknown");
        assert_eq!(
            category_of("{ ...F } fragment F on UserQuery { ...F }"),
            "introspection"
        );
    }
}
