//! `mimql-codegen`: reads the mimql SDL (`schema/`) and writes the Rust it implies.
//!
//! graphql-parser reads the SDL into a small model ([`model`]), syn/quote build the tokens
//! ([`emit`]) and prettyplease formats them. Three kinds of output exist:
//!
//! * [`generate_scalars`]: one newtype per custom scalar plus a codec trait per scalar, which
//!   hand-written code implements (parsing and validation stay hand-written);
//! * [`generate_api`]: enums, input objects, output objects, unions, one resolver trait per
//!   root or category object, the async-graphql glue that calls it, and static metadata;
//! * [`cli::table`]: the command table of `mimql admin` (categories, commands, their
//!   arguments and the documents they send).
//!
//! Adding a field to the SDL adds a trait method, so the build fails until its resolver exists;
//! removing one makes the stale method an error.
//!
//! # A missing resolver does not build
//!
//! The code generated for `tests/fixtures/small.graphql` declares `NoteQueryResolver` with a
//! method per field; an implementation that leaves `all` out is refused by the compiler (the
//! same `impl` with `all` compiles in `tests/compile_pass.rs`):
//!
//! ```compile_fail
//! # #[path = "../tests/support/mod.rs"] mod support;
//! # pub use support::{api, codecs, resolvers, scalars, schema_meta};
//! use async_graphql::{Context, Result};
//! use api::*;
//!
//! impl NoteQueryResolver for resolvers::Api {
//!     async fn get(&self, _: &Context<'_>, _: Option<Jid>, _: Option<i32>) -> Result<Option<Note>> {
//!         Ok(None)
//!     }
//! }
//! # impl QueryResolver for resolvers::Api {
//! #     async fn hello(&self, _: &Context<'_>) -> Result<Option<String>> { Ok(None) }
//! # }
//! # fn main() {}
//! ```
//!
//! and a method for a field the schema does not have is refused too:
//!
//! ```compile_fail
//! # #[path = "../tests/support/mod.rs"] mod support;
//! # pub use support::{api, codecs, resolvers, scalars, schema_meta};
//! use async_graphql::{Context, Result};
//! use api::*;
//!
//! impl QueryResolver for resolvers::Api {
//!     async fn hello(&self, _: &Context<'_>) -> Result<Option<String>> { Ok(None) }
//!     async fn goodbye(&self, _: &Context<'_>) -> Result<Option<String>> { Ok(None) }
//! }
//! # impl NoteQueryResolver for resolvers::Api {
//! #     async fn get(&self, _: &Context<'_>, _: Option<Jid>, _: Option<i32>) -> Result<Option<Note>> { Ok(None) }
//! #     async fn all(&self, _: &Context<'_>) -> Result<Vec<Note>> { Ok(vec![]) }
//! # }
//! # fn main() {}
//! ```
//!
//! while the complete implementation compiles:
//!
//! ```no_run
//! # #[path = "../tests/support/mod.rs"] mod support;
//! # pub use support::{api, codecs, resolvers, scalars, schema_meta};
//! use async_graphql::{Context, Result};
//! use api::*;
//!
//! impl QueryResolver for resolvers::Api {
//!     async fn hello(&self, _: &Context<'_>) -> Result<Option<String>> { Ok(None) }
//! }
//! # impl NoteQueryResolver for resolvers::Api {
//! #     async fn get(&self, _: &Context<'_>, _: Option<Jid>, _: Option<i32>) -> Result<Option<Note>> { Ok(None) }
//! #     async fn all(&self, _: &Context<'_>) -> Result<Vec<Note>> { Ok(vec![]) }
//! # }
//! # fn main() {}
//! ```

pub mod cli;
pub mod emit;
pub mod model;
pub mod names;

use std::path::{Path, PathBuf};

pub use model::Schema;

/// What [`generate_api`] needs to know about the hand-written side.
#[derive(Clone, Debug)]
pub struct Options {
    /// The type implementing every resolver trait and `SchemaHooks`, e.g. `crate::api::UserApi`.
    /// The glue fetches it from the schema data.
    pub implementor: String,
    /// A module whose glob import provides the scalar newtypes (`super::scalars`).
    pub scalars_module: Option<String>,
    /// A module with the metadata types (`SchemaMeta`, ...); `None` emits no metadata.
    pub meta_module: Option<String>,
}

/// Errors of generation; the message names the file or type at fault.
#[derive(Debug)]
pub struct GenerateError(pub String);

impl std::fmt::Display for GenerateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GenerateError {}

impl From<model::LoadError> for GenerateError {
    fn from(e: model::LoadError) -> Self {
        GenerateError(e.0)
    }
}

/// The `.graphql` files directly inside `dir`, sorted by name.
pub fn sdl_files(dir: &Path) -> Result<Vec<PathBuf>, GenerateError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| GenerateError(format!("cannot read {}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "graphql"))
        .collect();
    files.sort();
    Ok(files)
}

/// Loads SDL files into one schema.
pub fn load(files: &[PathBuf]) -> Result<Schema, GenerateError> {
    let mut schema = Schema::default();
    for f in files {
        let sdl = std::fs::read_to_string(f)
            .map_err(|e| GenerateError(format!("cannot read {}: {e}", f.display())))?;
        schema.add_document(&f.display().to_string(), &sdl)?;
    }
    Ok(schema)
}

const HEADER: &str = "// @generated by mimql-codegen from the SDL in schema/. Do not edit: change the\n// schema and rebuild.\n\n";

fn format(tokens: proc_macro2::TokenStream) -> Result<String, GenerateError> {
    let file: syn::File = syn::parse2(tokens)
        .map_err(|e| GenerateError(format!("generated code does not parse: {e}")))?;
    Ok(format!(
        "{HEADER}{}",
        separate_items(&prettyplease::unparse(&file))
    ))
}

/// prettyplease prints items back to back; a blank line between top-level items reads better.
fn separate_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + code.len() / 20);
    let mut after_item = false;
    for line in code.lines() {
        let top = !line.is_empty() && !line.starts_with(char::is_whitespace);
        if top && after_item && !line.starts_with(['}', ')', ']']) {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        after_item = top && (line.ends_with('}') || line.ends_with(';'));
    }
    out
}

/// Scalar newtypes and codec traits for every scalar in `schema`; `codecs` is the hand-written
/// type implementing the codec traits.
pub fn generate_scalars(schema: &Schema, codecs: &str) -> Result<String, GenerateError> {
    format(emit::scalars(schema, codecs)?)
}

/// The API module for `schema` (scalars are expected in `options.scalars_module`).
pub fn generate_api(schema: &Schema, options: &Options) -> Result<String, GenerateError> {
    schema.check()?;
    format(emit::api(schema, options)?)
}

fn emit_path(s: &str) -> Result<syn::Path, GenerateError> {
    syn::parse_str(s).map_err(|e| GenerateError(format!("`{s}` is not a Rust path: {e}")))
}

/// One generated file of the mimql server: its name in `OUT_DIR` and its source.
pub struct Target {
    pub name: &'static str,
    pub source: String,
}

/// Everything the mimql server generates from its `schema/` directory (user API in the
/// directory itself, admin API in `admin/`, scalars and directives shared), with the paths of
/// the hand-written implementors. `build.rs` writes these; the `mimql-codegen` binary prints them.
pub fn mimql_targets(schema_dir: &Path) -> Result<(Vec<Target>, Vec<PathBuf>), GenerateError> {
    let common = [
        schema_dir.join("scalars.graphql"),
        schema_dir.join("directives.graphql"),
    ];
    let user_files = sdl_files(schema_dir)?;
    let mut admin_files = sdl_files(&schema_dir.join("admin"))?;
    admin_files.extend(common.iter().cloned());

    let scalars = generate_scalars(&load(&common[..1])?, "crate::scalars::Codecs")?;
    let mut targets = vec![Target {
        name: "scalars",
        source: scalars,
    }];
    for (name, files, implementor) in [
        ("user", &user_files, "crate::api::UserApi"),
        ("admin", &admin_files, "crate::admin_api::AdminApi"),
    ] {
        let options = Options {
            implementor: implementor.into(),
            scalars_module: Some("super::scalars".into()),
            meta_module: Some("crate::schema_meta".into()),
        };
        targets.push(Target {
            name,
            source: generate_api(&load(files)?, &options)?,
        });
    }
    let admin = load(&admin_files)?;
    admin.check()?;
    targets.push(Target {
        name: "admin_commands",
        source: format(cli::table(&admin, &emit_path("crate::admin_cli")?)?)?,
    });
    let mut inputs = user_files;
    inputs.extend(admin_files);
    inputs.sort();
    inputs.dedup();
    Ok((targets, inputs))
}
