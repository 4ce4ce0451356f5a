//! Registers the user and admin schemas from `../schema` with cynic, so every typed operation
//! is checked against the same SDL the server is generated from.

use std::path::{Path, PathBuf};

fn sdl(files: &[PathBuf]) -> String {
    let mut out = String::new();
    for f in files {
        println!("cargo:rerun-if-changed={}", f.display());
        out.push_str(
            &std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())),
        );
        out.push('\n');
    }
    out
}

fn graphql_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "graphql"))
        .collect();
    files.sort();
    files
}

fn main() {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema");
    println!("cargo:rerun-if-changed={}", schema.display());
    let user = sdl(&graphql_files(&schema));
    let mut admin_files = graphql_files(&schema.join("admin"));
    admin_files.push(schema.join("scalars.graphql"));
    admin_files.push(schema.join("directives.graphql"));
    let admin = sdl(&admin_files);
    cynic_codegen::register_schema("mimql")
        .from_sdl(&user)
        .expect("the user schema registers with cynic");
    cynic_codegen::register_schema("mimql_admin")
        .from_sdl(&admin)
        .expect("the admin schema registers with cynic");
}
