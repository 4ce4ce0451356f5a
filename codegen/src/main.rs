//! Prints the Rust that `build.rs` generates from a mimql schema directory:
//! `cargo run -p mimql-codegen -- schema` (add `user`, `admin` or `scalars` to print one part).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "schema".into());
    let only = args.next();
    match mimql_codegen::mimql_targets(Path::new(&dir)) {
        Ok((targets, _)) => {
            let mut out = std::io::stdout().lock();
            for t in targets
                .iter()
                .filter(|t| only.as_deref().is_none_or(|o| o == t.name))
            {
                // A closed pipe (`| head`) is not an error worth a panic.
                if writeln!(out, "// ==== generated::{} ====\n{}", t.name, t.source).is_err() {
                    break;
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mimql-codegen: {e}");
            ExitCode::FAILURE
        }
    }
}
