//! Loading a configuration: the file's own rules ([`Config::parse`]), then the checks of the
//! modules that build something from their options (MUC Light's room schema, the S3 backend's
//! signer), so that `mimql config check` and every command refuse what `serve` would refuse.
//! It sits above those modules so that the configuration itself stays a leaf.

use std::path::Path;

use crate::config::{Config, UploadBackend};

/// Reads, parses and checks a config file.
pub fn load(path: &Path) -> Result<Config, String> {
    let config = Config::load(path)?;
    check(&config).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(config)
}

/// Parses and checks a configuration.
pub fn parse(text: &str) -> Result<Config, String> {
    let config = Config::parse(text)?;
    check(&config)?;
    Ok(config)
}

/// The modules' checks of their options.
pub fn check(config: &Config) -> Result<(), String> {
    crate::muc_light::config::Schema::from_options(&config.muc_light.config_schema)
        .map_err(|e| format!("[modules.mod_muc_light] config_schema: {e}"))?;
    if let (UploadBackend::S3, Some(s3)) = (&config.http_upload.backend, &config.http_upload.s3) {
        crate::upload::s3::Presigner::new(s3)
            .map_err(|e| format!("[modules.mod_http_upload] {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_module_options() {
        for bad in [
            "[[modules.mod_muc_light.config_schema]]\nfield = \"a\"",
            "[[modules.mod_muc_light.config_schema]]\nfield = \"a\"\nstring_value = \"\"\n\
             integer_value = 1",
            "[[modules.mod_muc_light.config_schema]]\nfield = \"a b\"\nstring_value = \"\"",
            "[modules.mod_http_upload]\nbackend = \"s3\"\ns3.bucket_url = \"ftp://x/b\"\n\
             s3.region = \"r\"\ns3.access_key_id = \"k\"\ns3.secret_access_key = \"s\"",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn accepts_the_defaults() {
        check(&Config::default()).expect("the defaults pass");
    }
}
