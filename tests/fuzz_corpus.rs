//! Replays the fuzz corpora (`fuzz/corpus/<target>/`, seeds and the inputs libFuzzer kept,
//! crashes found and fixed included) through the same entry points the fuzz targets call, so
//! that `cargo test` catches a regression without the nightly toolchain (fuzz/README.md).

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    for file in files {
        let data = std::fs::read(&file).unwrap();
        // A panic names the input that caused it.
        let result = std::panic::catch_unwind(|| run(&data));
        assert!(result.is_ok(), "{} panicked", file.display());
    }
}

#[test]
fn jid() {
    replay("jid", mimql::fuzzing::jid);
}

#[test]
fn xml_element() {
    replay("xml_element", mimql::fuzzing::xml_element);
}

#[test]
fn basic_header() {
    replay("basic_header", mimql::fuzzing::basic_header);
}

#[test]
fn request_decoder() {
    replay("request_decoder", mimql::fuzzing::request_decoder);
}

#[test]
fn pre_execution() {
    replay("pre_execution", mimql::fuzzing::pre_execution);
}

#[test]
fn c2s_input() {
    replay("c2s_input", mimql::fuzzing::c2s_input);
}
