//! The `mimql` command line.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use mimql::config::Config;
use mimql::jid::Jid;

#[derive(Parser)]
#[command(
    name = "mimql",
    version,
    about = "A server for the MongooseIM GraphQL User API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct ConfigArg {
    /// TOML config file; without one the documented defaults are used
    /// (SQLite file ./mimql.db, user API on 127.0.0.1:5561, admin API on 127.0.0.1:5551 with
    /// the password that `serve` generates into ./admin-password).
    #[arg(long, short)]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server in the foreground (stops cleanly on SIGTERM/SIGINT).
    Serve(ConfigArg),
    /// Apply pending database migrations and exit.
    Migrate(ConfigArg),
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Print the schema.
    Schema {
        #[command(subcommand)]
        command: SchemaCommand,
    },
    /// Check the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Run an admin API command on the running server: `mimql admin [--config FILE] <category>
    /// <command> --arg value ...` (`mimql admin` lists the categories).
    #[command(disable_help_flag = true)]
    Admin {
        /// TOML config file of the running server (its [listen.admin] address and credentials);
        /// before the category.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// The category, the command and its `--name value` arguments (or `graphql DOCUMENT
        /// [--variables JSON]`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Cluster operations (`[cluster]`, docs/cluster.md).
    Cluster {
        #[command(subcommand)]
        command: ClusterCommand,
    },
}

#[derive(Subcommand)]
enum ClusterCommand {
    /// Replace the key that signs messages between nodes (the old one stays accepted for a
    /// minute after each node sees the new one).
    RotateKey(ConfigArg),
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate the config file and print the effective configuration (passwords masked).
    Check(ConfigArg),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Register JID; the password is read from the first line of stdin.
    Add {
        jid: String,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Remove JID and everything it owns.
    Remove {
        jid: String,
        #[command(flatten)]
        config: ConfigArg,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Api {
    User,
    Admin,
}

#[derive(Subcommand)]
enum SchemaCommand {
    /// Print the SDL the server serves, or with --rust the code generated from schema/.
    Print {
        #[arg(value_enum, default_value = "user")]
        api: Api,
        #[arg(long)]
        rust: bool,
    },
}

fn load(arg: &ConfigArg) -> Result<Config, String> {
    match &arg.config {
        Some(path) => mimql::options::load(path),
        None => Ok(Config::default()),
    }
}

/// `serve` logs at the configured level; the other commands print what they did on stdout and
/// log only warnings and errors (unless `RUST_LOG` says otherwise).
fn init_logging(config: &Config, serving: bool) -> Result<(), String> {
    let level = if serving {
        config.general.log_level.as_str()
    } else {
        "warn"
    };
    mimql::logging::init(level, config.general.log_format)
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

fn parse_jid(s: &str) -> Result<Jid, String> {
    Jid::parse(s)
        .map(|j| j.to_bare())
        .map_err(|e| format!("invalid JID {s:?}: {}", e.as_str()))
}

/// Runs the command; `admin` has exit statuses of its own, the others fail with status 1.
fn run(command: Command) -> Result<ExitCode, String> {
    let done: Result<(), String> = match command {
        Command::Admin { config, args } => return Ok(admin(config, &args)),
        Command::Serve(arg) => {
            let config = load(&arg)?;
            init_logging(&config, true)?;
            if arg.config.is_none() {
                tracing::warn!("no --config given: using the defaults");
            }
            match mimql::open_files::raise() {
                Some((soft, hard)) => {
                    tracing::info!(soft, hard, "open-file limit (one per connection)")
                }
                None => tracing::warn!("the open-file limit could not be read"),
            }
            let grace = config.general.shutdown_timeout_secs;
            actix_web::rt::System::new().block_on(async move {
                let running = mimql::server::start(config, None, None).await?;
                let signal = mimql::server::shutdown_signal().await;
                tracing::info!(
                    signal,
                    shutdown_timeout_secs = grace,
                    "stopping: no new connections; in-flight requests may finish"
                );
                tokio::select! {
                    stopped = running.shutdown() => {
                        stopped.map_err(|e| e.to_string())?;
                        tracing::info!("mimql stopped");
                        Ok(())
                    }
                    again = mimql::server::shutdown_signal() => {
                        tracing::warn!(signal = again, "stopping without waiting for requests");
                        Err(format!("{again}: stopped without waiting for in-flight requests"))
                    }
                }
            })
        }
        Command::Migrate(arg) => {
            let config = load(&arg)?;
            init_logging(&config, false)?;
            runtime()?.block_on(async {
                let (db, applied) = mimql::server::open_database(&config).await?;
                db.close().await.ok();
                if applied.is_empty() {
                    println!("Database schema is up to date");
                } else {
                    println!("Applied {} migrations:", applied.len());
                    for name in applied {
                        println!("  {name}");
                    }
                }
                Ok(())
            })
        }
        Command::Cluster {
            command: ClusterCommand::RotateKey(arg),
        } => {
            let config = load(&arg)?;
            init_logging(&config, false)?;
            runtime()?.block_on(async {
                let (db, _) = mimql::server::open_database(&config).await?;
                let id = mimql::cluster::signing::rotate(&db)
                    .await
                    .map_err(|e| format!("cannot rotate the cluster signing key: {e}"))?;
                db.close().await.ok();
                println!("Cluster signing key rotated (new key id {id})");
                Ok(())
            })
        }
        Command::Config {
            command: ConfigCommand::Check(arg),
        } => {
            let config = load(&arg)?;
            let source = match &arg.config {
                Some(path) => format!("{} is valid", path.display()),
                None => "no --config: the defaults".to_string(),
            };
            let text = config.masked().to_toml();
            let _ = write!(std::io::stdout().lock(), "# {source}\n{text}");
            Ok(())
        }
        Command::User { command } => {
            let (jid, arg, add) = match &command {
                UserCommand::Add { jid, config } => (jid, config, true),
                UserCommand::Remove { jid, config } => (jid, config, false),
            };
            let config = load(arg)?;
            init_logging(&config, false)?;
            let jid = parse_jid(jid)?;
            let password = if add {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
                line.trim_end_matches(['\r', '\n']).to_string()
            } else {
                String::new()
            };
            runtime()?.block_on(async {
                let state = mimql::server::prepare(config).await?;
                if add {
                    state
                        .accounts
                        .register(&jid, &password)
                        .await
                        .map_err(|e| format!("{jid}: {e}"))?;
                    println!("User {jid} successfully registered");
                } else {
                    state
                        .remove_user(&jid)
                        .await
                        .map_err(|e| format!("{jid}: {e}"))?;
                    println!("User {jid} successfully unregistered");
                }
                Ok(())
            })
        }
        Command::Schema {
            command: SchemaCommand::Print { api, rust },
        } => {
            if rust {
                let name = match api {
                    Api::User => "user",
                    Api::Admin => "admin",
                };
                let mut out = std::io::stdout().lock();
                for (module, source) in mimql::generated::SOURCES {
                    if (module.starts_with(name) || module == "scalars")
                        && writeln!(out, "// ==== generated::{module} ====\n{source}").is_err()
                    {
                        break;
                    }
                }
            } else {
                let sdl = match api {
                    Api::User => mimql::generated::user::schema_builder().finish().sdl(),
                    Api::Admin => mimql::generated::admin::schema_builder().finish().sdl(),
                };
                // A closed pipe (`| head`) is not an error worth a panic.
                let _ = std::io::stdout().lock().write_all(sdl.as_bytes());
            }
            Ok(())
        }
    };
    done.map(|()| ExitCode::SUCCESS)
}

/// `mimql admin`: a listing (exit 0), a usage error (2), or the document sent and the response
/// printed (1 when it has errors or the server cannot be reached).
fn admin(config: Option<PathBuf>, args: &[String]) -> ExitCode {
    use mimql::admin_cli::{EXIT_USAGE, Endpoint, Outcome, process};
    let (document, variables) = match process(mimql::generated::admin_commands::CATEGORIES, args) {
        Outcome::Usage(text) => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            return ExitCode::SUCCESS;
        }
        Outcome::Error(text) => {
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
            return ExitCode::from(EXIT_USAGE);
        }
        Outcome::Run {
            document,
            variables,
        } => (document, variables),
    };
    let mut print = |pretty: &str| {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{pretty}");
        let _ = stdout.flush();
    };
    let sent = load(&ConfigArg { config }).and_then(|config| {
        init_logging(&config, false)?;
        Endpoint::from_config(&config)?.run(&document, variables, &mut print)
    });
    match sent {
        Ok(failed) => {
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("mimql: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    mimql::allocator::tune();
    match run(Cli::parse().command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mimql: {e}");
            ExitCode::FAILURE
        }
    }
}
