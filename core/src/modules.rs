//! Which server modules are enabled, and the `@use` check the generated glue runs.
//! In mimql every served host has the same modules; MUC services live on `muc.<host>` and
//! MUC Light services on `muclight.<host>`.

use crate::state::AppState;

/// The modules a request needs that are disabled (the API answers `deps_not_loaded`).
#[derive(Debug, PartialEq, Eq)]
pub struct MissingModules<'a>(pub Vec<&'a str>);

/// The domain part of a JID or domain string (what follows `@`, up to `/`).
pub fn domain_of(s: &str) -> String {
    let no_res = s.split('/').next().unwrap_or(s);
    let domain = no_res.rsplit_once('@').map(|(_, d)| d).unwrap_or(no_res);
    domain.to_lowercase()
}

/// Whether `domain` belongs to this server: a served host, or a MUC / MUC Light service of one
/// whose module is enabled. Checks on domains that do not resolve are skipped (the resolver then
/// reports the unknown domain itself), as in the reference.
fn resolves(state: &AppState, domain: &str) -> bool {
    let hosts = state.accounts.hosts();
    if hosts.iter().any(|h| h == domain) {
        return true;
    }
    let service = |prefix: &str, module: &str| {
        state.config.module_enabled(module)
            && domain
                .strip_prefix(prefix)
                .is_some_and(|h| hosts.iter().any(|x| x == h))
    };
    service("muc.", "mod_muc") || service("muclight.", "mod_muc_light")
}

/// Which of `modules` are disabled for the host of `domain`, if any.
pub fn require<'a>(
    state: &AppState,
    domain: &str,
    modules: &[&'a str],
) -> Result<(), MissingModules<'a>> {
    if !resolves(state, domain) {
        return Ok(());
    }
    let missing: Vec<&str> = modules
        .iter()
        .copied()
        .filter(|m| !state.config.module_enabled(m))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(MissingModules(missing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert_eq!(domain_of("room@muc.localhost"), "muc.localhost");
        assert_eq!(domain_of("a@Localhost/r@x"), "localhost");
        assert_eq!(domain_of("muclight.localhost"), "muclight.localhost");
    }
}
