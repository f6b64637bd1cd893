//! The chat service's token flags (`--jwt-*`) and the `edgeio token`
//! subcommand's. The flags are global, so that they (and `--data-dir`) may
//! also follow the subcommand: `edgeio token --user alice --data-dir DIR`.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::apps::chat::auth::{parse_ttl, validate_user_id, AuthConfig, JwtAlg};

use super::Cli;

/// Where the chat service's token keys come from. With none of them, an
/// HS256 secret is generated once and kept in DATA_DIR/jwt-secret.
#[derive(Clone, Default, clap::Args)]
pub struct JwtArgs {
    /// HS256 secret for the chat service's tokens [default: generated once
    /// and kept in DATA_DIR/jwt-secret].
    #[arg(
        long,
        env = "EDGEIO_JWT_SECRET",
        value_name = "SECRET",
        global = true,
        // The mark of a secret: `--help` hides it, `edgeio config` masks it.
        hide_env_values = true
    )]
    pub jwt_secret: Option<String>,

    /// PEM public key that checks RS256 or ES256 tokens.
    #[arg(
        long,
        env = "EDGEIO_JWT_PUBLIC_KEY",
        value_name = "FILE",
        global = true
    )]
    pub jwt_public_key: Option<PathBuf>,

    /// PEM private key matching --jwt-public-key, only to mint tokens
    /// (`edgeio token`).
    #[arg(
        long,
        env = "EDGEIO_JWT_PRIVATE_KEY",
        value_name = "FILE",
        global = true
    )]
    pub jwt_private_key: Option<PathBuf>,

    /// The one algorithm tokens may use: HS256, RS256 or ES256 [default:
    /// HS256 with a secret, else what the public key is for].
    #[arg(long, env = "EDGEIO_JWT_ALG", value_name = "ALG", global = true)]
    pub jwt_alg: Option<JwtAlg>,
}

impl fmt::Debug for JwtArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtArgs")
            .field(
                "jwt_secret",
                &self.jwt_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("jwt_public_key", &self.jwt_public_key)
            .field("jwt_private_key", &self.jwt_private_key)
            .field("jwt_alg", &self.jwt_alg)
            .finish()
    }
}

/// `edgeio token --user ID [--ttl 1h]`.
#[derive(Debug, Clone, clap::Args)]
pub struct TokenArgs {
    /// The user id (the token's `sub`): at most 128 bytes, no ':',
    /// whitespace or control characters.
    #[arg(long, value_name = "ID", value_parser = parse_user)]
    pub user: String,

    /// How long the token is valid: 30s, 15m, 1h, 7d, or plain seconds (at
    /// most 365d).
    #[arg(long, value_name = "TTL", default_value = "1h", value_parser = parse_ttl)]
    pub ttl: Duration,
}

/// A user id as `--user` takes it, checked before any key is loaded or made.
fn parse_user(id: &str) -> Result<String, String> {
    validate_user_id(id)
        .map(|()| id.to_owned())
        .map_err(|e| format!("the user id {e}"))
}

impl Cli {
    /// The token keys these flags describe.
    pub fn auth_config(&self) -> AuthConfig {
        AuthConfig {
            alg: self.jwt.jwt_alg,
            secret: self.jwt.jwt_secret.clone(),
            public_key: self.jwt.jwt_public_key.clone(),
            private_key: self.jwt.jwt_private_key.clone(),
            data_dir: self.data_dir.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    use crate::config::Command;

    #[test]
    fn jwt_flags_build_the_auth_config() {
        let cli = Cli::try_parse_from(["edgeio", "--data-dir", "/d"]).expect("valid");
        let auth = cli.auth_config();
        assert_eq!(auth.data_dir, PathBuf::from("/d"));
        assert_eq!((auth.alg, auth.secret, auth.public_key), (None, None, None));
        assert!(cli.command.is_none());

        let cli = Cli::try_parse_from([
            "edgeio",
            "--jwt-alg",
            "es256",
            "--jwt-public-key",
            "/pub.pem",
            "--jwt-private-key",
            "/priv.pem",
        ])
        .expect("valid");
        let auth = cli.auth_config();
        assert_eq!(auth.alg, Some(JwtAlg::Es256));
        assert_eq!(auth.public_key, Some(PathBuf::from("/pub.pem")));
        assert_eq!(auth.private_key, Some(PathBuf::from("/priv.pem")));
        assert_eq!(auth.data_dir, PathBuf::from("./data"));

        let cli = Cli::try_parse_from(["edgeio", "--jwt-secret", "s3cr3t"]).expect("valid");
        assert_eq!(cli.auth_config().secret.as_deref(), Some("s3cr3t"));
        assert!(!format!("{cli:?}").contains("s3cr3t"), "Debug hides it");
        assert!(Cli::try_parse_from(["edgeio", "--jwt-alg", "HS512"]).is_err());
    }

    #[test]
    fn the_token_subcommand_takes_the_global_flags_on_either_side() {
        for args in [
            &[
                "edgeio",
                "token",
                "--user",
                "alice",
                "--data-dir",
                "/d",
                "--jwt-secret",
                "s",
            ][..],
            &[
                "edgeio",
                "--data-dir",
                "/d",
                "--jwt-secret",
                "s",
                "token",
                "--user",
                "alice",
            ],
        ] {
            let cli = Cli::try_parse_from(args).expect("valid");
            let Some(Command::Token(token)) = &cli.command else {
                panic!("{args:?}: no subcommand");
            };
            assert_eq!(token.user, "alice");
            assert_eq!(token.ttl, Duration::from_secs(3600), "1h by default");
            assert_eq!(cli.auth_config().data_dir, PathBuf::from("/d"));
            assert_eq!(cli.auth_config().secret.as_deref(), Some("s"));
        }
        let cli =
            Cli::try_parse_from(["edgeio", "token", "--user", "a", "--ttl", "15m"]).expect("valid");
        let Some(Command::Token(token)) = cli.command else {
            panic!("no subcommand");
        };
        assert_eq!(token.ttl, Duration::from_secs(900));
        assert!(Cli::try_parse_from(["edgeio", "token", "--user", "a", "--ttl", "soon"]).is_err());
        assert!(
            Cli::try_parse_from(["edgeio", "token"]).is_err(),
            "--user is required"
        );
    }
}
