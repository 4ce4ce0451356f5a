//! Generates the GraphQL types, resolver traits and glue from the SDL in `schema/`.

use std::path::{Path, PathBuf};

fn main() {
    if let Err(e) = run() {
        eprintln!("mimql build: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let schema = Path::new("schema");
    println!("cargo:rerun-if-changed=schema");
    println!("cargo:rerun-if-changed=schema/admin");

    let common = [
        schema.join("scalars.graphql"),
        schema.join("directives.graphql"),
    ];
    let user_files = mimql_codegen::sdl_files(schema)?;
    let mut admin_files = mimql_codegen::sdl_files(&schema.join("admin"))?;
    admin_files.extend(common.iter().cloned());
    for f in user_files.iter().chain(&admin_files) {
        println!("cargo:rerun-if-changed={}", f.display());
    }

    let scalars = mimql_codegen::load(&common[..1])?;
    let scalars_rs = mimql_codegen::generate_scalars(&scalars, "crate::scalars::Codecs")?;
    std::fs::write(out.join("scalars.rs"), scalars_rs)?;

    for (name, files, implementor) in [
        ("user", &user_files, "crate::api::UserApi"),
        ("admin", &admin_files, "crate::admin_api::AdminApi"),
    ] {
        let schema = mimql_codegen::load(files)?;
        let options = mimql_codegen::Options {
            implementor: implementor.into(),
            scalars_module: Some("super::scalars".into()),
            meta_module: Some("crate::schema_meta".into()),
        };
        let code = mimql_codegen::generate_api(&schema, &options)?;
        std::fs::write(out.join(format!("{name}.rs")), code)?;
    }
    Ok(())
}
