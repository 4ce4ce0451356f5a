//! The code `build.rs` generates from `schema/` (see `mimql schema print --rust`).

/// Newtypes and codec traits of the custom scalars (codecs in `scalars.rs`).
pub mod scalars {
    include!(concat!(env!("OUT_DIR"), "/scalars.rs"));
}

/// The user API: types, resolver traits (implemented in `api/`) and glue.
pub mod user {
    include!(concat!(env!("OUT_DIR"), "/user.rs"));
}

/// The admin API (implemented in `admin_api/`). Its resolver signatures take the reference's
/// arguments (MUC Light `createRoom` has six, plus the context).
#[allow(clippy::too_many_arguments)]
pub mod admin {
    include!(concat!(env!("OUT_DIR"), "/admin.rs"));
}

/// The command table of `mimql admin` (types in `admin_cli`).
pub mod admin_commands {
    include!(concat!(env!("OUT_DIR"), "/admin_commands.rs"));
}

/// The generated source, for `mimql schema print --rust`.
pub const SOURCES: [(&str, &str); 4] = [
    (
        "scalars",
        include_str!(concat!(env!("OUT_DIR"), "/scalars.rs")),
    ),
    ("user", include_str!(concat!(env!("OUT_DIR"), "/user.rs"))),
    ("admin", include_str!(concat!(env!("OUT_DIR"), "/admin.rs"))),
    (
        "admin_commands",
        include_str!(concat!(env!("OUT_DIR"), "/admin_commands.rs")),
    ),
];
