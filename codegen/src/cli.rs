//! The command table of `mimql admin`: one category per field of the admin roots (`account`,
//! `roster`, ...; not `checkAuth`), one command per field of the category's object, one
//! argument per field argument, and the document each command sends, built as MongooseIM 6.1's
//! `mongoose_graphql_commands` builds it: every argument declared as a variable, every output
//! field selected (objects fully, unions with an inline fragment per member), an object type
//! met for the third time on the way down cut to `__typename`.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use crate::GenerateError;
use crate::model::{FieldDef, Schema, TypeKind, TypeRef};

/// How many times an object type may appear on the path from the command's result down (the
/// reference's `MAX_TYPE_RECURSION_DEPTH`: a vCard inside a vCard's agent, not deeper).
const MAX_TYPE_RECURSION_DEPTH: usize = 2;

/// One command as the table holds it.
struct Command<'a> {
    field: &'a FieldDef,
    operation: &'static str,
    document: String,
}

/// A category: its description (from the first root that has it) and its commands by name.
struct Category<'a> {
    description: Option<String>,
    commands: BTreeMap<String, Command<'a>>,
}

/// The GraphQL spelling of a type reference (`[JID!]!`).
pub fn render_type(t: &TypeRef) -> String {
    match t {
        TypeRef::Named(n) => n.clone(),
        TypeRef::List(i) => format!("[{}]", render_type(i)),
        TypeRef::NonNull(i) => format!("{}!", render_type(i)),
    }
}

/// The selection of every output field of `ty` (empty for scalars and enums), with a leading
/// space when not empty, as the reference renders it (` { a b { c } }`).
fn selection(schema: &Schema, ty: &str, path: &mut Vec<String>) -> String {
    let items: Vec<String> = match schema.types.get(ty).map(|t| &t.kind) {
        Some(TypeKind::Object(o)) => {
            if path.iter().filter(|t| *t == ty).count() >= MAX_TYPE_RECURSION_DEPTH {
                // The type of the trimmed subtree, as the reference tells it.
                vec!["__typename".to_string()]
            } else {
                path.push(ty.to_string());
                let items = o
                    .fields
                    .iter()
                    // A nested field that needs an argument cannot be selected without one.
                    .filter(|f| {
                        !f.args
                            .iter()
                            .any(|a| matches!(a.ty, TypeRef::NonNull(_)) && a.default.is_none())
                    })
                    .map(|f| format!("{}{}", f.name, selection(schema, f.ty.base(), path)))
                    .collect();
                path.pop();
                items
            }
        }
        Some(TypeKind::Union(members)) => members
            .iter()
            .map(|m| format!("... on {m}{}", selection(schema, m, path)))
            .collect(),
        _ => Vec::new(),
    };
    if items.is_empty() {
        String::new()
    } else {
        format!(" {{ {} }}", items.join(" "))
    }
}

/// The document of `category { command }` on the `operation` root.
fn document(schema: &Schema, operation: &str, category: &str, f: &FieldDef) -> String {
    let (declare, usage) = if f.args.is_empty() {
        (String::new(), String::new())
    } else {
        let declare: Vec<String> = f
            .args
            .iter()
            .map(|a| format!("${}: {}", a.name, render_type(&a.ty)))
            .collect();
        let usage: Vec<String> = f
            .args
            .iter()
            .map(|a| format!("{0}: ${0}", a.name))
            .collect();
        (
            format!("({}) ", declare.join(", ")),
            format!("({})", usage.join(", ")),
        )
    };
    let fields = selection(schema, f.ty.base(), &mut Vec::new());
    format!(
        "{operation} {declare}{{ {category} {{ {}{usage}{fields} }} }}",
        f.name
    )
}

fn categories(schema: &Schema) -> Result<BTreeMap<String, Category<'_>>, GenerateError> {
    let mut out: BTreeMap<String, Category<'_>> = BTreeMap::new();
    let roots = [
        ("query", &schema.query),
        ("mutation", &schema.mutation),
        ("subscription", &schema.subscription),
    ];
    for (operation, root) in roots {
        let Some(root) = root.as_deref().and_then(|r| schema.object(r)) else {
            continue;
        };
        for cat in root.fields.iter().filter(|f| f.name != "checkAuth") {
            let Some(object) = schema.object(cat.ty.base()) else {
                continue;
            };
            let entry = out.entry(cat.name.clone()).or_insert_with(|| Category {
                description: cat.description.clone(),
                commands: BTreeMap::new(),
            });
            for f in &object.fields {
                let command = Command {
                    field: f,
                    operation,
                    document: document(schema, operation, &cat.name, f),
                };
                if entry.commands.insert(f.name.clone(), command).is_some() {
                    return Err(GenerateError(format!(
                        "admin category {}: command {} is both a query and a mutation \
                         (`mimql admin` needs unique names)",
                        cat.name, f.name
                    )));
                }
            }
        }
    }
    Ok(out)
}

/// The documents of every command, `(category, command, document)` sorted by name (for tests
/// and for reading what the CLI sends).
pub fn documents(schema: &Schema) -> Result<Vec<(String, String, String)>, GenerateError> {
    Ok(categories(schema)?
        .into_iter()
        .flat_map(|(c, cat)| {
            cat.commands
                .into_values()
                .map(move |cmd| (c.clone(), cmd.field.name.clone(), cmd.document))
        })
        .collect())
}

/// The table as Rust: `pub static CATEGORIES: &[table::Category]`, where `table` is the module
/// with the table's types (`Category`, `Command`, `Arg`, `ArgKind`).
pub fn table(schema: &Schema, table: &syn::Path) -> Result<TokenStream, GenerateError> {
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    let cats = categories(schema)?.into_iter().map(|(name, cat)| {
        let description = text(&cat.description);
        let commands = cat.commands.values().map(|cmd| {
            let f = cmd.field;
            let name = &f.name;
            let description = text(&f.description);
            let operation = cmd.operation;
            let document = &cmd.document;
            let args = f.args.iter().map(|a| {
                let arg = &a.name;
                let ty = render_type(&a.ty);
                let base = a.ty.base();
                let kind = match schema.types.get(base).map(|t| &t.kind) {
                    Some(TypeKind::Enum(_)) => quote!(#table::ArgKind::Enum),
                    Some(TypeKind::Input(_)) => quote!(#table::ArgKind::Input),
                    _ => quote!(#table::ArgKind::Scalar),
                };
                let list = a.ty.has_list();
                let required = matches!(a.ty, TypeRef::NonNull(_));
                quote!(#table::Arg {
                    name: #arg, ty: #ty, base: #base, kind: #kind, list: #list, required: #required
                })
            });
            quote!(#table::Command {
                name: #name, description: #description, operation: #operation,
                document: #document, args: &[#(#args),*]
            })
        });
        quote!(#table::Category {
            name: #name, description: #description, commands: &[#(#commands),*]
        })
    });
    Ok(quote! {
        /// Every category of `mimql admin`, sorted by name, each with its commands sorted by name.
        pub static CATEGORIES: &[#table::Category] = &[#(#cats),*];
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        schema { query: Q mutation: M }
        type Q { checkAuth: Info  "Notes" note: NoteQ }
        type M { "Notes (changes)" note: NoteM }
        type Info { name: String }
        type NoteQ { "One note" get(id: Int!, tags: [String!]): Note  count: Int }
        type NoteM { "Writes one" put(note: NoteIn!): String }
        input NoteIn { text: String }
        type Note { id: Int! parent: Note attachment: Attachment sized(width: Int!): String }
        union Attachment = Picture | Link
        type Picture { url: String }
        type Link { target: String note: Note }
    "#;

    #[test]
    fn documents_select_everything_down_to_a_type_seen_twice() {
        let mut schema = Schema::default();
        schema.add_document("test", SDL).unwrap();
        let docs = documents(&schema).unwrap();
        let note = "id parent { id parent { __typename } attachment { ... on Picture { url } \
                    ... on Link { target note { __typename } } } } attachment { ... on Picture \
                    { url } ... on Link { target note { id parent { __typename } attachment { \
                    ... on Picture { url } ... on Link { target note { __typename } } } } } }";
        assert_eq!(
            docs,
            vec![
                (
                    "note".into(),
                    "count".into(),
                    "query { note { count } }".into()
                ),
                (
                    "note".into(),
                    "get".into(),
                    format!(
                        "query ($id: Int!, $tags: [String!]) {{ note {{ get(id: $id, tags: \
                         $tags) {{ {note} }} }} }}"
                    )
                ),
                (
                    "note".into(),
                    "put".into(),
                    "mutation ($note: NoteIn!) { note { put(note: $note) } }".into()
                ),
            ]
        );
    }

    #[test]
    fn a_command_both_query_and_mutation_is_refused() {
        let mut schema = Schema::default();
        schema
            .add_document(
                "test",
                "schema { query: Q mutation: M } type Q { c: A } type M { c: B } \
                 type A { x: Int } type B { x: Int }",
            )
            .unwrap();
        assert!(categories(&schema).is_err());
    }
}
