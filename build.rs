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
    println!("cargo:rerun-if-changed=schema");
    println!("cargo:rerun-if-changed=schema/admin");
    let (targets, inputs) = mimql_codegen::mimql_targets(Path::new("schema"))?;
    for f in inputs {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    for t in targets {
        std::fs::write(out.join(format!("{}.rs", t.name)), t.source)?;
    }
    Ok(())
}
