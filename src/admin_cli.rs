//! `mimql admin`: the admin API from the command line, as MongooseIM 6.1's `mongooseimctl
//! <category> <command> --arg value`. The categories, commands, arguments and the documents
//! they send are generated from `schema/admin` (`generated::admin_commands`, see
//! `mimql-codegen`'s `cli` module); this module reads the command line against that table
//! ([`process`], the reference's `mongoose_graphql_commands:process/1` with its error texts),
//! prints the usage texts, and sends the document over HTTP to the running server's admin
//! listener ([`Endpoint`]), so that kicks and live routing happen in the server.

use std::fmt::Write as _;
use std::net::SocketAddr;

use serde_json::{Map, Value};

use crate::config::Config;

/// A category of commands: a field of the admin roots.
#[derive(Debug)]
pub struct Category {
    pub name: &'static str,
    pub description: &'static str,
    /// Sorted by name.
    pub commands: &'static [Command],
}

/// A command: a field of a category, with the document that runs it.
#[derive(Debug)]
pub struct Command {
    pub name: &'static str,
    pub description: &'static str,
    /// `query`, `mutation` or `subscription`.
    pub operation: &'static str,
    /// Declares every argument as a variable of the same name and selects every output field.
    pub document: &'static str,
    /// In the schema's order.
    pub args: &'static [Arg],
}

#[derive(Debug)]
pub struct Arg {
    pub name: &'static str,
    /// As written in the schema (`[JID!]!`).
    pub ty: &'static str,
    /// The named type under the wrappers (`JID`).
    pub base: &'static str,
    pub kind: ArgKind,
    /// Whether a list wrapper is part of the type: the value is then given as JSON.
    pub list: bool,
    /// Whether the type is non-null: the argument must be given.
    pub required: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    Scalar,
    Enum,
    /// Given as a JSON object.
    Input,
}

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Send `document` with `variables`.
    Run {
        document: String,
        variables: Map<String, Value>,
    },
    /// A listing or help the caller asked for (stdout, exit 0).
    Usage(String),
    /// A command line that cannot run: the message, a blank line and the relevant usage text
    /// (stderr, exit 2).
    Error(String),
}

/// Exit status of a usage error.
pub const EXIT_USAGE: u8 = 2;

const NAME: &str = "mimql admin";

/// Reads the command line after `mimql admin [--config FILE]` against `table`.
pub fn process(table: &'static [Category], args: &[String]) -> Outcome {
    let Some((first, rest)) = args.split_first() else {
        return Outcome::Usage(usage(table));
    };
    if matches!(first.as_str(), "--help" | "-h" | "help") && rest.is_empty() {
        return Outcome::Usage(usage(table));
    }
    if first == "graphql" {
        return raw(rest);
    }
    let Some(category) = table.iter().find(|c| c.name == first) else {
        return Outcome::Error(format!("Unknown category '{first}'\n\n{}", usage(table)));
    };
    let Some((name, rest)) = rest.split_first() else {
        return Outcome::Usage(category_usage(category));
    };
    if name == "--help" && rest.is_empty() {
        return Outcome::Usage(category_usage(category));
    }
    let Some(command) = category.commands.iter().find(|c| c.name == name) else {
        return Outcome::Error(format!(
            "Unknown command '{name}'\n\n{}",
            category_usage(category)
        ));
    };
    if rest.len() == 1 && rest[0] == "--help" {
        return Outcome::Usage(command_usage(category, command));
    }
    let fail = |message: String| {
        Outcome::Error(format!("{message}\n\n{}", command_usage(category, command)))
    };
    let mut variables = Map::new();
    let mut pairs = rest.chunks(2);
    for pair in pairs.by_ref() {
        let [flag, value] = pair else {
            return fail("Could not parse the command arguments".into());
        };
        let Some(arg_name) = flag.strip_prefix("--") else {
            return fail("Could not parse the command arguments".into());
        };
        let Some(arg) = command.args.iter().find(|a| a.name == arg_name) else {
            return fail(format!(
                "Unknown argument '{arg_name}' for command '{}'",
                command.name
            ));
        };
        match parse_value(arg, value) {
            Some(v) => {
                variables.insert(arg.name.to_string(), v);
            }
            None => {
                return fail(format!(
                    "Invalid value '{value}' of argument '{arg_name}' for command '{}'",
                    command.name
                ));
            }
        }
    }
    let missing: Vec<String> = command
        .args
        .iter()
        .filter(|a| a.required && !variables.contains_key(a.name))
        .map(|a| format!("'{}'", a.name))
        .collect();
    if !missing.is_empty() {
        return fail(format!(
            "Missing mandatory arguments for command '{}': {}",
            command.name,
            missing.join(", ")
        ));
    }
    Outcome::Run {
        document: command.document.to_string(),
        variables,
    }
}

/// `graphql DOCUMENT [--variables JSON]`.
fn raw(args: &[String]) -> Outcome {
    let fail = |message: String| Outcome::Error(format!("{message}\n\n{}", raw_usage()));
    match args {
        [help] if help == "--help" => Outcome::Usage(raw_usage()),
        [document] => Outcome::Run {
            document: document.clone(),
            variables: Map::new(),
        },
        [document, flag, json] if flag == "--variables" => {
            match serde_json::from_str::<Value>(json) {
                Ok(Value::Object(variables)) => Outcome::Run {
                    document: document.clone(),
                    variables,
                },
                _ => fail(format!(
                    "Invalid value '{json}' of argument 'variables' for command 'graphql'"
                )),
            }
        }
        _ => fail("This command requires one string type argument!".into()),
    }
}

/// The value of `--name value`: JSON for input objects and lists, integers parsed, booleans
/// and floats too, everything else (scalars, enums) as given. `None` when it does not parse.
fn parse_value(arg: &Arg, value: &str) -> Option<Value> {
    if arg.kind == ArgKind::Input || arg.list {
        return serde_json::from_str(value).ok();
    }
    if arg.kind == ArgKind::Enum {
        return Some(Value::String(value.to_string()));
    }
    match arg.base {
        "Int" | "PosInt" | "NonNegInt" => value.parse::<i64>().ok().map(Value::from),
        "Float" => value
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        "Boolean" => value.parse::<bool>().ok().map(Value::Bool),
        _ => Some(Value::String(value.to_string())),
    }
}

/// `  name   description` lines, names padded to the longest.
fn columns(rows: &[(&str, &str)]) -> String {
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (name, text) in rows {
        let line = format!("  {name:width$}  {text}");
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// `mimql admin` alone: the categories.
pub fn usage(table: &[Category]) -> String {
    let rows: Vec<(&str, &str)> = table.iter().map(|c| (c.name, c.description)).collect();
    format!(
        "Usage: {NAME} [--config FILE] category command [arguments]\n\n\
         The admin API's commands are grouped into the following categories:\n{}\n\
         To list the commands in a particular category:\n  {NAME} category\n\n\
         To run a GraphQL document on the admin API:\n  {NAME} graphql DOCUMENT [--variables JSON]\n\n\
         The admin listener's address and credentials come from the config file (--config, \
         before the category).\n",
        columns(&rows)
    )
}

fn category_usage(category: &Category) -> String {
    let rows: Vec<(&str, &str)> = category
        .commands
        .iter()
        .map(|c| (c.name, c.description))
        .collect();
    format!(
        "Usage: {NAME} {0} command arguments\n\n\
         The following commands are available in the category '{0}':\n{1}\n\
         To list the arguments for a particular command:\n  {NAME} {0} command --help\n",
        category.name,
        columns(&rows)
    )
}

fn command_usage(category: &Category, command: &Command) -> String {
    let rows: Vec<(&str, &str)> = command.args.iter().map(|a| (a.name, a.ty)).collect();
    let listed = if rows.is_empty() {
        "This command takes no arguments.\n".to_string()
    } else {
        format!(
            "Available arguments are listed below with the corresponding GraphQL types:\n{}",
            columns(&rows)
        )
    };
    format!(
        "Usage: {NAME} {} {} arguments\n\n{}\n\n\
         Each argument has the format: --name value\n{listed}\n\
         Scalar values do not need quoting unless they contain special characters or spaces.\n\
         Complex input types are passed as JSON maps or lists, depending on the type.\n\
         When a type is followed by '!', the corresponding argument is required.\n",
        category.name, command.name, command.description
    )
}

fn raw_usage() -> String {
    format!(
        "Usage: {NAME} graphql DOCUMENT [--variables JSON]\n\n\
         Runs the GraphQL document (a query or a mutation) on the admin API, with the variables \
         given as a JSON object.\n"
    )
}

/// The running server's admin API as the config describes it.
#[derive(Debug)]
pub struct Endpoint {
    pub url: String,
    pub username: String,
    pub password: String,
}

impl Endpoint {
    /// `[listen.admin]`: its address (an unspecified one, `0.0.0.0`, reached on loopback), its
    /// username, and its password or, when that is empty, the one `mimql serve` generated into
    /// its file (`password_file`, else `admin-password` beside the SQLite database).
    pub fn from_config(config: &Config) -> Result<Endpoint, String> {
        let admin = &config.listen.admin;
        let address = match admin.address.parse::<SocketAddr>() {
            Ok(mut addr) => {
                if addr.ip().is_unspecified() {
                    addr.set_ip(match addr {
                        SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                        SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                    });
                }
                addr.to_string()
            }
            Err(_) => admin.address.clone(),
        };
        let password = if admin.password.is_empty() {
            let path = crate::admin_password::path(admin, &config.database.url);
            crate::admin_password::read_existing(&path).map_err(|e| {
                format!(
                    "[listen.admin] sets no password and the generated one cannot be read from \
                     {} (is this the config `mimql serve` runs with?): {e}",
                    path.display()
                )
            })?
        } else {
            admin.password.clone()
        };
        Ok(Endpoint {
            url: format!("http://{address}/api/graphql"),
            username: admin.username.clone(),
            password,
        })
    }

    fn credentials(&self) -> String {
        use base64::Engine;
        let pair = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into()
    }

    /// Sends the document; hands `out` the response body, pretty-printed with its fields in
    /// the order received (a subscription: each event as it comes, over SSE, until the server
    /// ends the stream), and answers whether it reports errors (or the request failed: HTTP
    /// status other than 200). `Err` when the server cannot be reached or does not answer JSON.
    pub fn run(
        &self,
        document: &str,
        variables: Map<String, Value>,
        out: &mut dyn FnMut(&str),
    ) -> Result<bool, String> {
        if is_subscription(document) {
            return self.stream(document, variables, out);
        }
        let body = serde_json::json!({ "query": document, "variables": variables });
        let mut response = Self::agent()
            .post(&self.url)
            .header("authorization", self.credentials())
            .header("content-type", "application/json")
            .send(body.to_string().as_bytes())
            .map_err(|e| format!("cannot reach the admin API at {}: {e}", self.url))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_string()
            .map_err(|e| format!("cannot read the admin API's answer: {e}"))?;
        // async-graphql's value keeps the members in the order the server sent them.
        let parsed: async_graphql::Value = serde_json::from_str(&text).map_err(|_| {
            format!(
                "the admin API at {} answered HTTP {status}: {}",
                self.url,
                text.trim()
            )
        })?;
        let failed = status != 200 || has_errors(&parsed);
        out(&serde_json::to_string_pretty(&parsed).map_err(|e| e.to_string())?);
        Ok(failed)
    }

    /// A subscription over the admin listener's SSE transport (`GET /api/graphql/sse`): each
    /// event's payload to `out` as it arrives. A refusal answered as JSON is handed over whole.
    fn stream(
        &self,
        document: &str,
        variables: Map<String, Value>,
        out: &mut dyn FnMut(&str),
    ) -> Result<bool, String> {
        use std::io::BufRead;
        let url = format!("{}/sse", self.url);
        let mut response = Self::agent()
            .get(&url)
            .query("query", document)
            .query("variables", Value::Object(variables).to_string())
            .header("authorization", self.credentials())
            .header("accept", "text/event-stream")
            .call()
            .map_err(|e| format!("cannot reach the admin API at {url}: {e}"))?;
        let status = response.status().as_u16();
        let events = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let reader = response.body_mut().with_config().limit(u64::MAX).reader();
        if !events {
            let text = std::io::read_to_string(reader)
                .map_err(|e| format!("cannot read the admin API's answer: {e}"))?;
            let parsed: async_graphql::Value = serde_json::from_str(&text).map_err(|_| {
                format!(
                    "the admin API at {url} answered HTTP {status}: {}",
                    text.trim()
                )
            })?;
            out(&serde_json::to_string_pretty(&parsed).map_err(|e| e.to_string())?);
            return Ok(true);
        }
        let mut failed = false;
        for line in std::io::BufReader::new(reader).lines() {
            let line = line.map_err(|e| format!("the event stream broke: {e}"))?;
            let Some(data) = line.strip_prefix("data:") else {
                continue;
            };
            let parsed: async_graphql::Value = serde_json::from_str(data.trim())
                .map_err(|e| format!("an event that is not JSON: {e}"))?;
            failed |= has_errors(&parsed);
            out(&serde_json::to_string_pretty(&parsed).map_err(|e| e.to_string())?);
        }
        Ok(failed)
    }
}

/// Whether the document's operation is a subscription (sent over SSE); a document that does
/// not parse goes by POST, for the server to answer its error.
pub fn is_subscription(document: &str) -> bool {
    use async_graphql::parser::types::OperationType;
    async_graphql::parser::parse_query(document).is_ok_and(|d| {
        d.operations
            .iter()
            .any(|(_, op)| op.node.ty == OperationType::Subscription)
    })
}

fn has_errors(response: &async_graphql::Value) -> bool {
    matches!(response, async_graphql::Value::Object(o) if o.contains_key("errors"))
}

#[cfg(test)]
mod tests {
    use super::*;

    static TABLE: &[Category] = &[Category {
        name: "account",
        description: "Account management",
        commands: &[
            Command {
                name: "countUsers",
                description: "Count users",
                operation: "query",
                document: "query ($domain: DomainName!) { account { countUsers(domain: $domain) } }",
                args: &[Arg {
                    name: "domain",
                    ty: "DomainName!",
                    base: "DomainName",
                    kind: ArgKind::Scalar,
                    list: false,
                    required: true,
                }],
            },
            Command {
                name: "listUsers",
                description: "List users",
                operation: "query",
                document: "query ($limit: Int, $kinds: [Kind!], $filter: Filter) { ... }",
                args: &[
                    Arg {
                        name: "limit",
                        ty: "Int",
                        base: "Int",
                        kind: ArgKind::Scalar,
                        list: false,
                        required: false,
                    },
                    Arg {
                        name: "kinds",
                        ty: "[Kind!]",
                        base: "Kind",
                        kind: ArgKind::Enum,
                        list: true,
                        required: false,
                    },
                    Arg {
                        name: "filter",
                        ty: "Filter",
                        base: "Filter",
                        kind: ArgKind::Input,
                        list: false,
                        required: false,
                    },
                ],
            },
        ],
    }];

    fn run(args: &[&str]) -> Outcome {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        process(TABLE, &args)
    }

    fn error(args: &[&str]) -> String {
        match run(args) {
            Outcome::Error(e) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn values_by_type() {
        let Outcome::Run { variables, .. } = run(&[
            "account",
            "listUsers",
            "--limit",
            "-3",
            "--kinds",
            "[\"A\"]",
            "--filter",
            "{\"x\": 1}",
        ]) else {
            panic!()
        };
        assert_eq!(
            Value::Object(variables),
            serde_json::json!({"limit": -3, "kinds": ["A"], "filter": {"x": 1}})
        );
        let Outcome::Run { variables, .. } = run(&["account", "countUsers", "--domain", "a b"])
        else {
            panic!()
        };
        assert_eq!(
            Value::Object(variables),
            serde_json::json!({"domain": "a b"})
        );
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let first = |args: &[&str]| error(args).lines().next().unwrap().to_string();
        assert_eq!(first(&["nope"]), "Unknown category 'nope'");
        assert_eq!(
            first(&["account", "makeCoffee"]),
            "Unknown command 'makeCoffee'"
        );
        assert_eq!(
            first(&["account", "countUsers", "now"]),
            "Could not parse the command arguments"
        );
        assert_eq!(
            first(&["account", "countUsers", "--domain"]),
            "Could not parse the command arguments"
        );
        assert_eq!(
            first(&["account", "countUsers", "domain", "x"]),
            "Could not parse the command arguments"
        );
        assert_eq!(
            first(&["account", "countUsers", "--x", "y"]),
            "Unknown argument 'x' for command 'countUsers'"
        );
        assert_eq!(
            first(&["account", "listUsers", "--limit", "ten"]),
            "Invalid value 'ten' of argument 'limit' for command 'listUsers'"
        );
        assert_eq!(
            first(&["account", "listUsers", "--filter", "x"]),
            "Invalid value 'x' of argument 'filter' for command 'listUsers'"
        );
        assert_eq!(
            first(&["account", "countUsers"]),
            "Missing mandatory arguments for command 'countUsers': 'domain'"
        );
        assert_eq!(
            first(&["graphql"]),
            "This command requires one string type argument!"
        );
        assert_eq!(
            first(&["graphql", "{}", "--variables", "[]"]),
            "Invalid value '[]' of argument 'variables' for command 'graphql'"
        );
        assert!(error(&["account", "countUsers"]).contains("\n  domain  DomainName!\n"));
        assert!(error(&["account", "makeCoffee"]).contains("\n  countUsers  Count users\n"));
    }

    #[test]
    fn listings() {
        let Outcome::Usage(all) = run(&[]) else {
            panic!()
        };
        assert!(all.contains("\n  account  Account management\n"), "{all}");
        assert_eq!(run(&["--help"]), Outcome::Usage(all));
        let Outcome::Usage(cat) = run(&["account"]) else {
            panic!()
        };
        assert!(cat.contains("\n  countUsers  Count users\n  listUsers   List users\n"));
        let Outcome::Usage(help) = run(&["account", "listUsers", "--help"]) else {
            panic!()
        };
        assert!(help.contains("\n  limit   Int\n  kinds   [Kind!]\n  filter  Filter\n"));
    }
}
