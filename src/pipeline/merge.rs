//! Field Selection Merging (GraphQL spec §5.3.2, graphql-js's `OverlappingFieldsCanBeMergedRule`):
//! fields of one selection set that share a response name must be mergeable, or the response
//! would show one of them while both ran (`a: account { changePassword(newPassword: "x1") }
//! a: account { changePassword(newPassword: "x2") }` changes the password twice).
//! async-graphql's own rule only compares the fields of one selection set with each other, not
//! their sub-selections; this one follows graphql-js, nested selections and fragments included,
//! with its messages.
//!
//! The work is quadratic in the fields sharing a response name, which a client controls. As in
//! graphql-js, fields are compared only within their response name group and each pair of
//! fragments once; leaf fields repeated verbatim are compared once; and a document that still
//! needs more than [`MAX_STEPS`] comparisons (or nests merged selections deeper than
//! [`MAX_DEPTH`]) is refused as too complex rather than checked.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, OperationType, Selection, SelectionSet,
};

use crate::schema_meta::{FieldMeta, SchemaMeta, TypeRef};

/// Comparisons allowed for one document: far above what a document within the cost bound
/// needs unless it repeats one response name thousands of times.
const MAX_STEPS: u64 = 200_000;
/// Nesting of sub-selection comparisons (fragments expanded) allowed for one document.
const MAX_DEPTH: usize = 128;

/// Why a document is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum MergeError {
    /// The graphql-js message of the first conflict.
    Conflict(String),
    /// Checking would take more than the allowed work.
    TooComplex,
}

/// Checks every selection set of the document (all operations and fragments, as graphql-js
/// does), in document order; the first conflict found is the error.
pub fn check(meta: &'static SchemaMeta, doc: &ExecutableDocument) -> Result<(), MergeError> {
    let mut roots: Vec<(async_graphql::Pos, Option<&str>, &SelectionSet)> = Vec::new();
    let root = |ty: OperationType| match ty {
        OperationType::Query => Some(meta.query),
        OperationType::Mutation => meta.mutation,
        OperationType::Subscription => meta.subscription,
    };
    match &doc.operations {
        DocumentOperations::Single(op) => {
            roots.push((op.pos, root(op.node.ty), &op.node.selection_set.node))
        }
        DocumentOperations::Multiple(ops) => roots.extend(
            ops.values()
                .map(|op| (op.pos, root(op.node.ty), &op.node.selection_set.node)),
        ),
    }
    roots.extend(doc.fragments.values().map(|f| {
        (
            f.pos,
            Some(f.node.type_condition.node.on.node.as_str()),
            &f.node.selection_set.node,
        )
    }));
    roots.sort_by_key(|(pos, _, _)| *pos);
    let mut checker = Checker {
        meta,
        doc,
        cache: HashMap::new(),
        compared: HashMap::new(),
        steps: 0,
        depth: 0,
        exhausted: false,
    };
    for (_, parent, set) in roots {
        checker.visit(parent, set)?;
    }
    Ok(())
}

/// Why two fields cannot merge: a reason, or the conflicts of their sub-fields.
#[derive(Debug)]
enum Reason {
    Text(String),
    Sub(Vec<Conflict>),
}

#[derive(Debug)]
struct Conflict {
    response_name: String,
    reason: Reason,
}

impl Reason {
    fn message(&self) -> String {
        match self {
            Reason::Text(t) => t.clone(),
            Reason::Sub(subs) => subs
                .iter()
                .map(|c| {
                    format!(
                        "subfields \"{}\" conflict because {}",
                        c.response_name,
                        c.reason.message()
                    )
                })
                .collect::<Vec<_>>()
                .join(" and "),
        }
    }
}

impl Conflict {
    fn message(&self) -> String {
        format!(
            "Fields \"{}\" conflict because {}. Use different aliases on the fields to fetch both if this was intentional.",
            self.response_name,
            self.reason.message()
        )
    }
}

/// One field selected under a response name: the type it is selected on (a name the schema may
/// not know), the field, and its definition when the type has the field.
#[derive(Clone, Copy)]
struct Entry<'a> {
    parent: Option<&'a str>,
    field: &'a Field,
    def: Option<&'static FieldMeta>,
}

/// The fields of a selection set by response name (inline fragments flattened) and the
/// fragments it spreads, each once; both in document order.
#[derive(Default)]
struct Collected<'a> {
    names: Vec<&'a str>,
    groups: HashMap<&'a str, Vec<Entry<'a>>>,
    fragments: Vec<&'a str>,
}

struct Checker<'a> {
    meta: &'static SchemaMeta,
    doc: &'a ExecutableDocument,
    /// By selection set (its address: the document outlives the check).
    cache: HashMap<*const SelectionSet, Rc<Collected<'a>>>,
    /// Fragment pairs already compared, and whether as mutually exclusive.
    compared: HashMap<(&'a str, &'a str), bool>,
    steps: u64,
    depth: usize,
    exhausted: bool,
}

impl<'a> Checker<'a> {
    fn step(&mut self) -> bool {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            self.exhausted = true;
        }
        !self.exhausted
    }

    fn is_object(&self, ty: Option<&str>) -> bool {
        ty.is_some_and(|t| self.meta.object(t).is_some())
    }

    fn is_leaf(&self, ty: &str) -> bool {
        matches!(ty, "String" | "Int" | "Float" | "Boolean" | "ID")
            || self.meta.is_scalar(ty)
            || self.meta.enumeration(ty).is_some()
    }

    /// Checks a selection set, then the selection sets inside it.
    fn visit(&mut self, parent: Option<&'a str>, set: &'a SelectionSet) -> Result<(), MergeError> {
        let conflicts = self.within(parent, set);
        if self.exhausted {
            return Err(MergeError::TooComplex);
        }
        if let Some(c) = conflicts.first() {
            return Err(MergeError::Conflict(c.message()));
        }
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    if !f.node.selection_set.node.items.is_empty() {
                        let ty = self.definition(parent, &f.node).map(|d| d.ty);
                        self.visit(ty, &f.node.selection_set.node)?;
                    }
                }
                Selection::InlineFragment(i) => {
                    let ty = i
                        .node
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.as_str())
                        .or(parent);
                    self.visit(ty, &i.node.selection_set.node)?;
                }
                Selection::FragmentSpread(_) => {}
            }
        }
        Ok(())
    }

    fn definition(&self, parent: Option<&str>, field: &Field) -> Option<&'static FieldMeta> {
        self.meta.object(parent?)?.field(&field.name.node)
    }

    fn collect(&mut self, parent: Option<&'a str>, set: &'a SelectionSet) -> Rc<Collected<'a>> {
        let key = set as *const SelectionSet;
        if let Some(c) = self.cache.get(&key) {
            return c.clone();
        }
        let mut out = Collected::default();
        self.collect_into(parent, set, &mut out);
        let out = Rc::new(out);
        self.cache.insert(key, out.clone());
        out
    }

    fn collect_into(
        &self,
        parent: Option<&'a str>,
        set: &'a SelectionSet,
        out: &mut Collected<'a>,
    ) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let field = &f.node;
                    let name = field.response_key().node.as_str();
                    let entry = Entry {
                        parent,
                        field,
                        def: self.definition(parent, field),
                    };
                    match out.groups.get_mut(name) {
                        Some(group) => group.push(entry),
                        None => {
                            out.names.push(name);
                            out.groups.insert(name, vec![entry]);
                        }
                    }
                }
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.as_str();
                    if !out.fragments.contains(&name) {
                        out.fragments.push(name);
                    }
                }
                Selection::InlineFragment(i) => {
                    let ty = i
                        .node
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.as_str())
                        .or(parent);
                    self.collect_into(ty, &i.node.selection_set.node, out);
                }
            }
        }
    }

    /// The fields and spreads of a fragment definition, if the document has it.
    fn fragment(&mut self, name: &str) -> Option<Rc<Collected<'a>>> {
        let doc: &'a ExecutableDocument = self.doc;
        let f = doc.fragments.get(name)?;
        Some(self.collect(
            Some(f.node.type_condition.node.on.node.as_str()),
            &f.node.selection_set.node,
        ))
    }

    fn within(&mut self, parent: Option<&'a str>, set: &'a SelectionSet) -> Vec<Conflict> {
        let mut out = Vec::new();
        let fields = self.collect(parent, set);
        self.conflicts_within(&mut out, &fields);
        for (i, &a) in fields.fragments.iter().enumerate() {
            self.fields_and_fragment(&mut out, false, &fields, a);
            for &b in &fields.fragments[i + 1..] {
                self.fragments(&mut out, false, a, b);
            }
        }
        out
    }

    fn conflicts_within(&mut self, out: &mut Vec<Conflict>, fields: &Collected<'a>) {
        for name in &fields.names {
            let group = &fields.groups[name];
            if group.len() < 2 {
                continue;
            }
            // A leaf field repeated verbatim (name and arguments) on one type merges with its
            // copies, and conflicts with another field exactly when its first copy does.
            let mut seen = HashSet::new();
            let group: Vec<Entry<'a>> = group
                .iter()
                .filter(|e| {
                    if !e.field.selection_set.node.items.is_empty() {
                        return true;
                    }
                    let args: Vec<String> = e
                        .field
                        .arguments
                        .iter()
                        .map(|(n, v)| format!("{}:{}", n.node, v.node))
                        .collect();
                    seen.insert((e.parent, e.field.name.node.as_str(), args))
                })
                .copied()
                .collect();
            for (i, a) in group.iter().enumerate() {
                for b in &group[i + 1..] {
                    if let Some(c) = self.conflict(false, name, a, b) {
                        out.push(c);
                    }
                    if self.exhausted {
                        return;
                    }
                }
            }
        }
    }

    fn conflicts_between(
        &mut self,
        out: &mut Vec<Conflict>,
        exclusive: bool,
        first: &Collected<'a>,
        second: &Collected<'a>,
    ) {
        for name in &first.names {
            let Some(others) = second.groups.get(name) else {
                continue;
            };
            for a in &first.groups[name] {
                for b in others {
                    if let Some(c) = self.conflict(exclusive, name, a, b) {
                        out.push(c);
                    }
                    if self.exhausted {
                        return;
                    }
                }
            }
        }
    }

    /// The fields against a fragment and the fragments it spreads (each once).
    fn fields_and_fragment(
        &mut self,
        out: &mut Vec<Conflict>,
        exclusive: bool,
        fields: &Rc<Collected<'a>>,
        fragment: &'a str,
    ) {
        let mut pending = vec![fragment];
        let mut seen = HashSet::new();
        while let Some(name) = pending.pop() {
            if !seen.insert(name) || !self.step() {
                continue;
            }
            let Some(other) = self.fragment(name) else {
                continue;
            };
            // A fragment's fields are not compared with themselves.
            if Rc::ptr_eq(fields, &other) {
                continue;
            }
            self.conflicts_between(out, exclusive, fields, &other);
            pending.extend(other.fragments.iter().rev());
        }
    }

    /// Two fragments and the fragments they spread, each pair once.
    fn fragments(&mut self, out: &mut Vec<Conflict>, exclusive: bool, a: &'a str, b: &'a str) {
        let mut pending = vec![(a, b)];
        while let Some((a, b)) = pending.pop() {
            if a == b || self.exhausted {
                continue;
            }
            let key = if a < b { (a, b) } else { (b, a) };
            match self.compared.get(&key) {
                // Compared as exclusive covers less than compared as not exclusive.
                Some(&done) if exclusive || !done => continue,
                _ => {}
            }
            self.compared.insert(key, exclusive);
            if !self.step() {
                continue;
            }
            let (Some(fa), Some(fb)) = (self.fragment(a), self.fragment(b)) else {
                continue;
            };
            self.conflicts_between(out, exclusive, &fa, &fb);
            pending.extend(fb.fragments.iter().rev().map(|&r| (a, r)));
            pending.extend(fa.fragments.iter().rev().map(|&r| (r, b)));
        }
    }

    fn conflict(
        &mut self,
        parents_exclusive: bool,
        name: &str,
        a: &Entry<'a>,
        b: &Entry<'a>,
    ) -> Option<Conflict> {
        if !self.step() {
            return None;
        }
        let exclusive = parents_exclusive
            || (a.parent != b.parent && self.is_object(a.parent) && self.is_object(b.parent));
        let conflict = |reason: String| {
            Some(Conflict {
                response_name: name.to_string(),
                reason: Reason::Text(reason),
            })
        };
        if !exclusive {
            let (n1, n2) = (a.field.name.node.as_str(), b.field.name.node.as_str());
            if n1 != n2 {
                return conflict(format!("\"{n1}\" and \"{n2}\" are different fields"));
            }
            if !same_arguments(a.field, b.field) {
                return conflict("they have differing arguments".into());
            }
        }
        if let (Some(d1), Some(d2)) = (a.def, b.def)
            && self.types_conflict(&d1.result, &d2.result)
        {
            return conflict(format!(
                "they return conflicting types \"{}\" and \"{}\"",
                display(&d1.result),
                display(&d2.result)
            ));
        }
        let (s1, s2) = (&a.field.selection_set.node, &b.field.selection_set.node);
        if s1.items.is_empty() || s2.items.is_empty() {
            return None;
        }
        if self.depth >= MAX_DEPTH {
            self.exhausted = true;
            return None;
        }
        self.depth += 1;
        let subs = self.between_sets(exclusive, a.def.map(|d| d.ty), s1, b.def.map(|d| d.ty), s2);
        self.depth -= 1;
        (!subs.is_empty()).then(|| Conflict {
            response_name: name.to_string(),
            reason: Reason::Sub(subs),
        })
    }

    fn between_sets(
        &mut self,
        exclusive: bool,
        p1: Option<&'a str>,
        s1: &'a SelectionSet,
        p2: Option<&'a str>,
        s2: &'a SelectionSet,
    ) -> Vec<Conflict> {
        let mut out = Vec::new();
        let c1 = self.collect(p1, s1);
        let c2 = self.collect(p2, s2);
        self.conflicts_between(&mut out, exclusive, &c1, &c2);
        for &f in &c2.fragments {
            self.fields_and_fragment(&mut out, exclusive, &c1, f);
        }
        for &f in &c1.fragments {
            self.fields_and_fragment(&mut out, exclusive, &c2, f);
        }
        for &f1 in &c1.fragments {
            for &f2 in &c2.fragments {
                self.fragments(&mut out, exclusive, f1, f2);
            }
        }
        out
    }

    fn types_conflict(&self, t1: &TypeRef, t2: &TypeRef) -> bool {
        match (t1, t2) {
            (TypeRef::List(a), TypeRef::List(b)) => self.types_conflict(a, b),
            (TypeRef::List(_), _) | (_, TypeRef::List(_)) => true,
            (TypeRef::NonNull(a), TypeRef::NonNull(b)) => self.types_conflict(a, b),
            (TypeRef::NonNull(_), _) | (_, TypeRef::NonNull(_)) => true,
            (TypeRef::Named(a), TypeRef::Named(b)) => {
                (self.is_leaf(a) || self.is_leaf(b)) && a != b
            }
        }
    }
}

/// The same arguments with the same values (object fields in any order; async-graphql's
/// object values compare that way).
fn same_arguments(a: &Field, b: &Field) -> bool {
    a.arguments.len() == b.arguments.len()
        && a.arguments.iter().all(|(name, value)| {
            b.arguments
                .iter()
                .any(|(n, v)| n.node == name.node && v.node == value.node)
        })
}

fn display(t: &TypeRef) -> String {
    match t {
        TypeRef::Named(n) => (*n).to_string(),
        TypeRef::List(i) => format!("[{}]", display(i)),
        TypeRef::NonNull(i) => format!("{}!", display(i)),
    }
}
