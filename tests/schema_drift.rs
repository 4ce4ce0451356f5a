//! The schema the server serves must be exactly the SDL in `schema/`: same types, fields,
//! arguments, nullability, defaults, enum values and union members. Descriptions and directive
//! definitions are not compared.

use std::collections::BTreeMap;
use std::path::Path;

use graphql_parser::schema::{Definition, Document, InputValue, TypeDefinition, parse_schema};

const BUILTIN: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

/// `name: Type = default`.
fn input_value(v: &InputValue<String>) -> String {
    let default = v
        .default_value
        .as_ref()
        .map(|d| format!(" = {d}"))
        .unwrap_or_default();
    format!("{}: {}{default}", v.name, v.value_type)
}

fn normalize(sdl: &str) -> BTreeMap<String, String> {
    let doc: Document<String> = parse_schema(sdl).unwrap_or_else(|e| panic!("unparsable SDL: {e}"));
    let mut out = BTreeMap::new();
    for def in doc.definitions {
        match def {
            Definition::SchemaDefinition(s) => {
                out.insert(
                    "schema".into(),
                    format!("{:?} {:?} {:?}", s.query, s.mutation, s.subscription),
                );
            }
            Definition::TypeDefinition(t) => {
                let (name, shape) = match t {
                    TypeDefinition::Scalar(s) => (s.name, "scalar".to_string()),
                    TypeDefinition::Object(o) => {
                        let mut fields: Vec<String> = o
                            .fields
                            .iter()
                            .map(|f| {
                                let mut args: Vec<String> =
                                    f.arguments.iter().map(input_value).collect();
                                args.sort();
                                format!("{}({}): {}", f.name, args.join(", "), f.field_type)
                            })
                            .collect();
                        fields.sort();
                        (o.name, format!("type {{ {} }}", fields.join("; ")))
                    }
                    TypeDefinition::InputObject(i) => {
                        let mut fields: Vec<String> = i.fields.iter().map(input_value).collect();
                        fields.sort();
                        (i.name, format!("input {{ {} }}", fields.join("; ")))
                    }
                    TypeDefinition::Enum(e) => {
                        let mut values: Vec<String> =
                            e.values.iter().map(|v| v.name.clone()).collect();
                        values.sort();
                        (e.name, format!("enum {{ {} }}", values.join(" ")))
                    }
                    TypeDefinition::Union(u) => {
                        let mut members = u.types.clone();
                        members.sort();
                        (u.name, format!("union = {}", members.join(" | ")))
                    }
                    TypeDefinition::Interface(i) => (i.name, "interface".into()),
                };
                if !BUILTIN.contains(&name.as_str()) {
                    out.insert(name, shape);
                }
            }
            _ => {}
        }
    }
    out
}

fn source_sdl(dirs: &[&str], extra: &[&str]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    let mut files: Vec<_> = dirs
        .iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "graphql"))
        .collect();
    files.extend(extra.iter().map(|f| root.join(f)));
    files.sort();
    files.dedup();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_same(served: &str, source: &str) {
    let served = normalize(served);
    let mut source = normalize(source);
    // Scalars no field uses are not part of the served schema.
    source.retain(|name, shape| shape != "scalar" || served.contains_key(name));
    let mut diffs = Vec::new();
    for (name, shape) in &source {
        match served.get(name) {
            Some(s) if s == shape => {}
            Some(s) => diffs.push(format!("{name}:\n  schema/: {shape}\n  served:  {s}")),
            None => diffs.push(format!("{name}: in schema/ but not served")),
        }
    }
    for name in served.keys() {
        if !source.contains_key(name) {
            diffs.push(format!("{name}: served but not in schema/"));
        }
    }
    assert!(diffs.is_empty(), "schema drift:\n{}", diffs.join("\n"));
}

#[test]
fn user_schema_matches_the_sdl() {
    let served = mimql::generated::user::schema_builder().finish().sdl();
    assert_same(&served, &source_sdl(&["."], &[]));
}

#[test]
fn admin_schema_matches_the_sdl() {
    let served = mimql::generated::admin::schema_builder().finish().sdl();
    assert_same(
        &served,
        &source_sdl(&["admin"], &["scalars.graphql", "directives.graphql"]),
    );
}

/// The four arguments the published reference lost are there.
#[test]
fn restored_arguments_are_served() {
    let served = normalize(&mimql::generated::user::schema_builder().finish().sdl());
    assert!(
        served["MUCUserMutation"]
            .contains("changeRoomConfiguration(config: MUCRoomConfigInput!, room: BareJID!)")
    );
    assert!(served["MUCLightUserMutation"].contains("createRoom(id: RoomName, mucDomain: DomainName!, name: String, options: [RoomConfigDictEntryInput!], subject: String)"));
    assert!(served["MUCLightUserMutation"].contains("changeRoomConfiguration(name: String, options: [RoomConfigDictEntryInput!], room: BareJID!, subject: String)"));
    assert!(served["MUCLightUserMutation"].contains("setBlockingList(items: [BlockingInput!]!)"));
    assert!(served["BlockingInput"].contains("action: BlockingAction! = DENY"));
    assert!(served["StanzaUserQuery"].contains("limit: PosInt = 50"));
}
