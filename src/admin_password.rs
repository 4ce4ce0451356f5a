//! The admin API's password when the config sets none: generated at the first `mimql serve`,
//! kept in a file only the server's user can read (0600), and reused on later starts, so that
//! no installation runs with a password everyone knows.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use rand::Rng;

use crate::config::AdminListener;

/// The file's name when `[listen.admin] password_file` is not set.
pub const FILE_NAME: &str = "admin-password";

/// Generated passwords: 32 letters and digits (about 190 bits).
const LENGTH: usize = 32;

/// Where the generated password is kept: `password_file`, or [`FILE_NAME`] in the directory of
/// the SQLite database file, or in the working directory (PostgreSQL, in-memory SQLite).
pub fn path(admin: &AdminListener, database_url: &str) -> PathBuf {
    if !admin.password_file.is_empty() {
        return PathBuf::from(&admin.password_file);
    }
    beside_database(database_url).join(FILE_NAME)
}

/// The directory of the SQLite database file; the working directory (empty path) for other
/// databases and in-memory ones. Files the server makes at first start go there.
pub fn beside_database(database_url: &str) -> PathBuf {
    sqlite_file(database_url)
        .and_then(|db| db.parent().map(Path::to_path_buf))
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or_default()
}

/// The file of a SQLite URL (`sqlite://path?...`, `sqlite:path`); `None` for other databases
/// and for in-memory ones.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let file = rest.split('?').next().unwrap_or_default();
    (!file.is_empty() && !file.starts_with(":memory:")).then(|| PathBuf::from(file))
}

/// Fills in `admin.password` when the config leaves it empty: from its file, created with a new
/// random password if it does not exist yet. Logs where the password is.
pub fn resolve(admin: &mut AdminListener, database_url: &str) -> Result<(), String> {
    if !admin.password.is_empty() {
        return Ok(());
    }
    let path = path(admin, database_url);
    let shown = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
    let password: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(LENGTH)
        .map(char::from)
        .collect();
    match create(&path, &password) {
        Ok(()) => {
            tracing::info!(
                file = %shown.display(),
                username = %admin.username,
                "no admin password in the config: generated one for the admin API (see the file)"
            );
            admin.password = password;
            Ok(())
        }
        // Kept from an earlier start (or written by a concurrent one).
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            admin.password = read(&path).map_err(|e| {
                format!(
                    "cannot read the admin password from {}: {e}",
                    shown.display()
                )
            })?;
            tracing::info!(
                file = %shown.display(),
                username = %admin.username,
                "admin API password read from its file"
            );
            Ok(())
        }
        Err(e) => Err(format!(
            "cannot write the generated admin password to {} (set [listen.admin] password or \
             password_file): {e}",
            shown.display()
        )),
    }
}

/// Writes `password` to a new file that only its owner can read.
fn create(path: &Path, password: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    let written = file
        .write_all(format!("{password}\n").as_bytes())
        .and_then(|()| file.sync_all());
    if written.is_err() {
        // A half-written file would be read as the password on the next start.
        let _ = std::fs::remove_file(path);
    }
    written
}

/// The password kept in `path` by an earlier `mimql serve` (for `mimql admin`, which never
/// generates one).
pub fn read_existing(path: &Path) -> Result<String, String> {
    read(path)
}

fn read(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let password = text.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err("the file is empty (remove it to have a new password generated)".into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| e.to_string())?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                file = %path.display(),
                mode = %format!("{:o}", mode & 0o777),
                "the admin password file can be read by other users than its owner"
            );
        }
    }
    Ok(password.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin(password_file: &str) -> AdminListener {
        AdminListener {
            password_file: password_file.into(),
            ..AdminListener::default()
        }
    }

    #[test]
    fn beside_the_sqlite_file_or_in_the_working_directory() {
        for (url, expected) in [
            (
                "sqlite:///var/lib/mimql/mimql.db",
                "/var/lib/mimql/admin-password",
            ),
            (
                "sqlite:///var/lib/mimql/mimql.db?mode=rwc",
                "/var/lib/mimql/admin-password",
            ),
            ("sqlite://data/mimql.db?mode=rwc", "data/admin-password"),
            ("sqlite://mimql.db?mode=rwc", "admin-password"),
            ("sqlite:mimql.db", "admin-password"),
            ("sqlite::memory:", "admin-password"),
            ("postgres://u@h/db", "admin-password"),
        ] {
            assert_eq!(path(&admin(""), url), PathBuf::from(expected), "{url}");
        }
        assert_eq!(
            path(&admin("/etc/x/pw"), "sqlite:///var/lib/mimql/mimql.db"),
            PathBuf::from("/etc/x/pw")
        );
    }

    #[test]
    fn generated_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        let mut first = admin(file.to_str().unwrap());
        resolve(&mut first, "postgres://u@h/db").unwrap();
        assert_eq!(first.password.len(), LENGTH);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let mut second = admin(file.to_str().unwrap());
        resolve(&mut second, "postgres://u@h/db").unwrap();
        assert_eq!(second.password, first.password);

        // An explicit password wins; the file is not read.
        let mut explicit = AdminListener {
            password: "mine".into(),
            ..admin("/nonexistent/pw")
        };
        resolve(&mut explicit, "postgres://u@h/db").unwrap();
        assert_eq!(explicit.password, "mine");

        let e = resolve(&mut admin("/nonexistent/pw"), "").unwrap_err();
        assert!(e.contains("/nonexistent/pw"), "{e}");
        std::fs::write(&file, "\n").unwrap();
        let e = resolve(&mut admin(file.to_str().unwrap()), "").unwrap_err();
        assert!(e.contains("empty"), "{e}");
    }
}
