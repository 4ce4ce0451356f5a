//! Prints the Rust generated for a schema directory:
//! `cargo run -p mimql-codegen -- schema` (user API) or `-- schema/admin`.
//! Scalars always come from `schema/scalars.graphql` next to (or above) the directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "schema".into());
    match run(Path::new(&dir)) {
        Ok(code) => {
            print!("{code}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mimql-codegen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &Path) -> Result<String, mimql_codegen::GenerateError> {
    let root = if dir.join("scalars.graphql").exists() {
        dir.to_path_buf()
    } else {
        dir.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let common: Vec<PathBuf> = vec![
        root.join("scalars.graphql"),
        root.join("directives.graphql"),
    ];
    let mut files = mimql_codegen::sdl_files(dir)?;
    files.extend(
        common
            .iter()
            .filter(|c| !files.contains(c))
            .cloned()
            .collect::<Vec<_>>(),
    );
    let scalars = mimql_codegen::load(&common)?;
    let schema = mimql_codegen::load(&files)?;
    let options = mimql_codegen::Options {
        implementor: "crate::api::Api".into(),
        scalars_module: Some("super::scalars".into()),
        meta_module: Some("crate::schema_meta".into()),
    };
    Ok(format!(
        "// ---- scalars ----\n{}\n// ---- api ----\n{}",
        mimql_codegen::generate_scalars(&scalars, "crate::scalars::Codecs")?,
        mimql_codegen::generate_api(&schema, &options)?
    ))
}
