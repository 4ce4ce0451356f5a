//! `importUsers`: registers the accounts listed in a CSV file on the server's filesystem, one
//! `user,domain,password` record per line, as the reference's `mongoose_import_users`. Each
//! record is one registration (its own transaction, through [`Accounts::register`]); the
//! summary sorts the records by outcome, in file order.

use std::path::Path;

use crate::accounts::{AccountError, Accounts};
use crate::jid::Jid;

/// What importing did with each record.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Registered (bare JIDs).
    pub created: Vec<String>,
    /// Registered already.
    pub existing: Vec<String>,
    /// Of a domain not served here.
    pub not_allowed: Vec<String>,
    /// A user or domain that is not a valid JID part: the record as written, fields joined
    /// with `,`.
    pub invalid_jid: Vec<String>,
    /// An empty password.
    pub empty_password: Vec<String>,
    /// Not exactly three fields: the record, fields joined with `,`.
    pub invalid_record: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The path does not name a readable regular file.
    #[error("file not found")]
    FileNotFound,
    /// A record is not CSV (bad UTF-8, say): the records before it were imported.
    #[error("the file is not CSV: {0}")]
    Csv(String),
    #[error(transparent)]
    Account(AccountError),
}

/// Imports the users of the CSV file at `path`.
pub async fn import(accounts: &Accounts, path: &Path) -> Result<Summary, ImportError> {
    let text = match tokio::fs::metadata(path).await {
        Ok(m) if m.is_file() => tokio::fs::read(path)
            .await
            .map_err(|_| ImportError::FileNotFound)?,
        _ => return Err(ImportError::FileNotFound),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_slice());
    let mut summary = Summary::default();
    for record in reader.records() {
        let record = record.map_err(|e| ImportError::Csv(e.to_string()))?;
        let fields: Vec<&str> = record.iter().collect();
        let [user, domain, password] = fields[..] else {
            summary.invalid_record.push(fields.join(","));
            continue;
        };
        let separators = |s: &str| s.contains(['@', '/']);
        let parsed = (!separators(user) && !separators(domain))
            .then(|| Jid::parse_bare(&format!("{user}@{domain}")).ok())
            .flatten();
        let Some(jid) = parsed else {
            summary.invalid_jid.push(fields.join(","));
            continue;
        };
        let bare = jid.to_string();
        match accounts.register(&jid, password).await {
            Ok(()) => summary.created.push(bare),
            Err(AccountError::AlreadyExists) => summary.existing.push(bare),
            Err(AccountError::UnknownDomain) => summary.not_allowed.push(bare),
            Err(AccountError::EmptyPassword) => summary.empty_password.push(bare),
            Err(e) => return Err(ImportError::Account(e)),
        }
    }
    Ok(summary)
}
