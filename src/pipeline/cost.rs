//! The cost of a document as it would execute, measured before any of async-graphql's checks
//! run (they expand every fragment spread without memoising, so a short document of fragments
//! that spread each other several times costs them exponential time).
//!
//! Each selected field costs its `@cost` weight (1 by default) plus one per item of the list
//! values among its arguments; fragments are expanded as executed, each fragment measured once.
//! The depth is the deepest field nesting with fragments expanded.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, OperationDefinition, SelectionSet};
use async_graphql::{Name, Value, Variables};
use async_graphql_value::Value as DocValue;

use super::selection::{self, Item};
use crate::schema_meta::SchemaMeta;

/// Deepest recursion of the measurement itself (fields, inline fragments and chains of
/// fragment spreads); a document needing more is refused as too complex.
const MAX_RECURSION: usize = 256;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    pub complexity: u64,
    pub depth: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub enum CostError {
    TooComplex,
    TooDeep,
    /// A fragment that spreads itself, directly or through others.
    Cycle(String),
}

pub struct Bounds {
    pub max_complexity: u64,
    pub max_depth: usize,
}

enum Memo {
    InProgress,
    Done(Cost),
}

struct Measure<'a> {
    meta: &'static SchemaMeta,
    doc: &'a ExecutableDocument,
    op: &'a OperationDefinition,
    variables: &'a Variables,
    bounds: &'a Bounds,
    fragments: HashMap<&'a str, Memo>,
    recursion: usize,
}

/// Measures the selected operation; an error as soon as a bound is exceeded.
pub fn measure<'a>(
    meta: &'static SchemaMeta,
    doc: &'a ExecutableDocument,
    op: &'a OperationDefinition,
    root: &'a str,
    variables: &'a Variables,
    bounds: &'a Bounds,
) -> Result<Cost, CostError> {
    let mut m = Measure {
        meta,
        doc,
        op,
        variables,
        bounds,
        fragments: HashMap::new(),
        recursion: 0,
    };
    let cost = m.selection_set(root, &op.selection_set.node)?;
    if cost.depth > bounds.max_depth {
        return Err(CostError::TooDeep);
    }
    Ok(cost)
}

impl<'a> Measure<'a> {
    fn selection_set(&mut self, parent: &'a str, set: &'a SelectionSet) -> Result<Cost, CostError> {
        self.recursion += 1;
        if self.recursion > MAX_RECURSION {
            return Err(CostError::TooComplex);
        }
        let mut total = Cost::default();
        for item in selection::items(self.doc, parent, set) {
            let cost = match item {
                Item::Field(f) => {
                    let field = &f.node;
                    let meta = self
                        .meta
                        .object(parent)
                        .and_then(|o| o.field(field.name.node.as_str()));
                    let weight = meta.map_or(1, |m| u64::from(m.weight));
                    let items: u64 = field
                        .arguments
                        .iter()
                        .map(|(_, v)| self.list_items(&v.node))
                        .fold(0, u64::saturating_add);
                    let child = match meta {
                        Some(m) => self.selection_set(m.ty, &field.selection_set.node)?,
                        // Unknown fields and introspection: counted, not followed by type.
                        None => self.selection_set("", &field.selection_set.node)?,
                    };
                    Cost {
                        complexity: weight
                            .saturating_add(items)
                            .saturating_add(child.complexity),
                        depth: child.depth + 1,
                    }
                }
                Item::Fragment {
                    name: None,
                    on,
                    set,
                } => self.selection_set(on, set)?,
                Item::Fragment {
                    name: Some(name),
                    on,
                    set,
                } => self.fragment(name, on, set)?,
            };
            total.complexity = total.complexity.saturating_add(cost.complexity);
            total.depth = total.depth.max(cost.depth);
            if total.complexity > self.bounds.max_complexity {
                return Err(CostError::TooComplex);
            }
        }
        self.recursion -= 1;
        Ok(total)
    }

    /// A spread fragment: measured once, its cost counted at every spread.
    fn fragment(
        &mut self,
        name: &'a str,
        on: &'a str,
        set: &'a SelectionSet,
    ) -> Result<Cost, CostError> {
        match self.fragments.get(name) {
            Some(Memo::Done(cost)) => return Ok(*cost),
            Some(Memo::InProgress) => return Err(CostError::Cycle(name.to_string())),
            None => {}
        }
        self.fragments.insert(name, Memo::InProgress);
        let cost = self.selection_set(on, set)?;
        self.fragments.insert(name, Memo::Done(cost));
        Ok(cost)
    }

    /// Borrowed, not cloned: one large variable may be used by many fields.
    fn variable(&self, name: &Name) -> Option<&'a Value> {
        self.variables.get(name).or_else(|| {
            self.op
                .variable_definitions
                .iter()
                .find(|d| &d.node.name.node == name)
                .and_then(|d| d.node.default_value.as_ref().map(|v| &v.node))
        })
    }

    /// Items of every list inside an argument value, variables substituted.
    fn list_items(&self, value: &DocValue) -> u64 {
        match value {
            DocValue::Variable(name) => self.variable(name).map_or(0, const_items),
            DocValue::List(items) => items
                .iter()
                .map(|i| self.list_items(i))
                .fold(items.len() as u64, u64::saturating_add),
            DocValue::Object(fields) => fields
                .values()
                .map(|v| self.list_items(v))
                .fold(0, u64::saturating_add),
            _ => 0,
        }
    }
}

fn const_items(value: &Value) -> u64 {
    match value {
        Value::List(items) => items
            .iter()
            .map(const_items)
            .fold(items.len() as u64, u64::saturating_add),
        Value::Object(fields) => fields
            .values()
            .map(const_items)
            .fold(0, u64::saturating_add),
        _ => 0,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use async_graphql::parser::parse_query;
    use async_graphql::parser::types::DocumentOperations;

    fn cost(query: &str, variables: serde_json::Value) -> Result<Cost, CostError> {
        let doc = parse_query(query).unwrap();
        let op = match &doc.operations {
            DocumentOperations::Single(op) => &op.node,
            DocumentOperations::Multiple(ops) => &ops.values().next().unwrap().node,
        };
        let root = match op.ty {
            async_graphql::parser::types::OperationType::Mutation => "UserMutation",
            _ => "UserQuery",
        };
        measure(
            &crate::generated::user::META,
            &doc,
            op,
            root,
            &Variables::from_json(variables),
            &Bounds {
                max_complexity: 2000,
                max_depth: 24,
            },
        )
    }

    /// `{...F0} fragment F0 on UserQuery{...F1 ...F1 ...F1} ...`: 3^levels fields expanded.
    pub(in crate::pipeline) fn fan_out(levels: usize) -> String {
        let mut doc = String::from("{...F0}");
        for i in 0..levels {
            let next = i + 1;
            doc.push_str(&format!(
                " fragment F{i} on UserQuery{{...F{next} ...F{next} ...F{next}}}"
            ));
        }
        doc.push_str(&format!(" fragment F{levels} on UserQuery{{__typename}}"));
        doc
    }

    #[test]
    fn counts_fields_and_depth() {
        let c = cost(
            "{ checkAuth { username authStatus } }",
            serde_json::json!({}),
        )
        .unwrap();
        assert_eq!(
            c,
            Cost {
                complexity: 3,
                depth: 2
            }
        );
    }

    #[test]
    fn fragments_count_as_executed() {
        let c = cost(
            "{ ...A ...A } fragment A on UserQuery { checkAuth { username } }",
            serde_json::json!({}),
        )
        .unwrap();
        assert_eq!(
            c,
            Cost {
                complexity: 4,
                depth: 2
            }
        );
        // Six levels of three-fold fan-out: 3^6 = 729 fields, under the bound.
        assert_eq!(
            cost(&fan_out(6), serde_json::json!({})).unwrap().complexity,
            729
        );
    }

    #[test]
    fn fragment_fan_out_is_refused_without_expanding_it() {
        // 3^25 fields if expanded: refused after measuring 26 fragments once each.
        assert_eq!(
            cost(&fan_out(25), serde_json::json!({})),
            Err(CostError::TooComplex)
        );
    }

    #[test]
    fn cycles_are_reported() {
        assert_eq!(
            cost(
                "{ ...A } fragment A on UserQuery { ...B } fragment B on UserQuery { ...A }",
                serde_json::json!({})
            ),
            Err(CostError::Cycle("A".into()))
        );
    }

    #[test]
    fn list_arguments_weigh_by_their_items() {
        let q = "mutation($c: [JID!]!) { roster { deleteContacts(contacts: $c) } }";
        let small = cost(q, serde_json::json!({"c": vec!["a@b"; 10]})).unwrap();
        let c = small.complexity;
        assert_eq!(
            cost(q, serde_json::json!({"c": vec!["a@b"; 20]}))
                .unwrap()
                .complexity,
            c + 10
        );
        assert_eq!(
            cost(q, serde_json::json!({"c": vec!["a@b"; 5000]})),
            Err(CostError::TooComplex)
        );
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!("{{ {}x{} }}", "a { ".repeat(30), " }".repeat(30));
        assert_eq!(cost(&deep, serde_json::json!({})), Err(CostError::TooDeep));
    }
}
