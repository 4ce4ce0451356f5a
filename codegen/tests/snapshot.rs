//! Snapshot of the code generated for a small SDL; `UPDATE_SNAPSHOTS=1 cargo test -p
//! mimql-codegen` rewrites the snapshots after a deliberate change.

use std::path::{Path, PathBuf};

pub fn generate() -> (String, String) {
    let fixture: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small.graphql");
    let schema = mimql_codegen::load(&[fixture]).expect("fixture loads");
    let scalars =
        mimql_codegen::generate_scalars(&schema, "crate::codecs::Codecs").expect("scalars");
    let options = mimql_codegen::Options {
        implementor: "crate::resolvers::Api".into(),
        scalars_module: Some("crate::scalars".into()),
        meta_module: Some("crate::schema_meta".into()),
    };
    let api = mimql_codegen::generate_api(&schema, &options).expect("api");
    (scalars, api)
}

fn check(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{} differs from the generated code; run with UPDATE_SNAPSHOTS=1 if the change is intended\n--- generated ---\n{actual}",
        path.display()
    );
}

#[test]
fn generated_code_matches_the_snapshots() {
    let (scalars, api) = generate();
    check("small_scalars.rs", &scalars);
    check("small_api.rs", &api);
}

#[test]
fn generation_is_stable() {
    assert_eq!(generate(), generate());
}

#[test]
fn unknown_types_and_bad_use_args_are_reported() {
    let mut schema = mimql_codegen::Schema::default();
    schema
        .add_document("t", "schema { query: Q } type Q { a: Missing }")
        .unwrap();
    let err = schema.check().unwrap_err().to_string();
    assert!(err.contains("Q.a refers to unknown type Missing"), "{err}");

    let mut schema = mimql_codegen::Schema::default();
    schema
        .add_document(
            "t",
            "schema { query: Q } type Q { a(x: Int): Int @use(arg: \"y\") }",
        )
        .unwrap();
    let err = schema.check().unwrap_err().to_string();
    assert!(err.contains("names no argument"), "{err}");
}
