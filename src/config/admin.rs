//! The Admin UI's flags (`--admin-*`): off by default; on, it needs a user
//! name and a bcrypt password hash, or the server does not start.

use crate::apps::admin_ui::{self, AdminUiConfig};
use crate::server::Plugin;

use super::Cli;

/// Whether the official Socket.IO Admin UI is served (on `/admin`), and to
/// whom.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AdminArgs {
    /// Serve the Socket.IO Admin UI's namespace `/admin` (needs
    /// --admin-username and --admin-password-hash).
    #[arg(long, env = "EDGEIO_ADMIN_UI")]
    pub admin_ui: bool,

    /// The Admin UI's user name.
    #[arg(long, env = "EDGEIO_ADMIN_USERNAME", value_name = "NAME")]
    pub admin_username: Option<String>,

    /// The bcrypt hash of the Admin UI's password (e.g. from
    /// `htpasswd -bnBC 10 "" PASSWORD | tr -d ':\n'`).
    #[arg(long, env = "EDGEIO_ADMIN_PASSWORD_HASH", value_name = "BCRYPT")]
    pub admin_password_hash: Option<String>,

    /// The Admin UI only watches: no emit, join, leave or disconnect.
    #[arg(long, env = "EDGEIO_ADMIN_READONLY")]
    pub admin_readonly: bool,
}

impl Cli {
    /// The Admin UI's settings, when it is on; an error when it is on
    /// without valid credentials.
    pub fn admin_ui_config(&self) -> Result<Option<AdminUiConfig>, String> {
        let args = &self.admin;
        if !args.admin_ui {
            return Ok(None);
        }
        let (Some(username), Some(hash)) = (&args.admin_username, &args.admin_password_hash) else {
            return Err(
                "--admin-ui needs --admin-username and --admin-password-hash (a bcrypt hash)"
                    .into(),
            );
        };
        AdminUiConfig::new(username, hash, args.admin_readonly)
            .map(Some)
            .map_err(|e| format!("--admin-ui: {e}"))
    }

    /// The plugins the flags attach to the application's server.
    pub fn plugins(&self) -> Result<Vec<Plugin>, String> {
        Ok(self
            .admin_ui_config()?
            .map(admin_ui::plugin)
            .into_iter()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    const HASH: &str = "$2b$04$abcdefghijklmnopqrstuu5Lr5dpbo9cFiS9oMYYxJwX4ydlT7TNO";

    #[test]
    fn admin_flags_build_the_admin_ui_config() {
        let cli = Cli::try_parse_from(["edgeio"]).expect("valid");
        assert_eq!(cli.admin_ui_config(), Ok(None), "off by default");
        assert!(cli.plugins().expect("off").is_empty());
        let cli = Cli::try_parse_from([
            "edgeio",
            "--admin-ui",
            "--admin-username",
            "ops",
            "--admin-password-hash",
            HASH,
            "--admin-readonly",
        ])
        .expect("valid");
        let config = cli.admin_ui_config().expect("valid").expect("on");
        assert_eq!(config.username, "ops");
        assert_eq!(config.password_hash, HASH);
        assert!(config.readonly);
        assert_eq!(cli.plugins().expect("on").len(), 1);
    }

    #[test]
    fn admin_ui_without_credentials_is_refused() {
        for args in [
            &["edgeio", "--admin-ui"][..],
            &["edgeio", "--admin-ui", "--admin-username", "ops"],
            &["edgeio", "--admin-ui", "--admin-password-hash", HASH],
            &[
                "edgeio",
                "--admin-ui",
                "--admin-username",
                "ops",
                "--admin-password-hash",
                "not-bcrypt",
            ],
        ] {
            let cli = Cli::try_parse_from(args).expect("parses");
            let err = cli.admin_ui_config().expect_err("refused");
            assert!(err.contains("--admin-ui"), "{err}");
        }
    }
}
