//! Loading the binary's settings: the config file's path is found first
//! (`--config FILE` in the arguments, else `EDGEIO_CONFIG`), the file read
//! and checked, and its values made the defaults of their flags; clap then
//! parses as usual, so the precedence is flags > `EDGEIO_*` variables >
//! the file > the built-in defaults, for every flag there is.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use clap::{ArgMatches, CommandFactory, FromArgMatches};

use super::{ConfigError, ConfigFile};
use crate::config::Cli;

/// The variable naming the config file when `--config` is not given.
pub const CONFIG_ENV: &str = "EDGEIO_CONFIG";

/// The settings, and where each came from.
pub struct Loaded {
    /// The settings.
    pub cli: Cli,
    /// What clap made of the arguments, variables and defaults.
    pub(super) matches: ArgMatches,
    /// The flags, as declared (a file's defaults would reorder them).
    pub(super) command: clap::Command,
    /// The config file, if one was given.
    pub(super) file: Option<ConfigFile>,
}

/// The settings (whose `Debug` hides the secrets) and the file, not clap's
/// raw values, which do not.
impl fmt::Debug for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loaded")
            .field("cli", &self.cli)
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

/// The settings from `args` (the program's name first), the process's
/// `EDGEIO_*` variables and the config file they name. Nothing is opened but
/// the config file.
pub fn load<I, T>(args: I) -> Result<Loaded, ConfigError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let path = config_path(&args, std::env::var_os(CONFIG_ENV));
    let declared = Cli::command();
    let file = match &path {
        Some(path) => Some(ConfigFile::read(path, &declared)?),
        None => None,
    };
    let mut command = match &file {
        Some(file) => file.apply(declared.clone()),
        None => declared.clone(),
    };
    let matches = command.try_get_matches_from_mut(&args)?;
    let cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command))?;
    if cli.config_file.config != path {
        // The scan below and clap disagree on the arguments: refuse rather
        // than run with a file other than the one named.
        return Err(ConfigError::Cli(command.error(
            clap::error::ErrorKind::ArgumentConflict,
            "--config: give it as `--config FILE` or `--config=FILE`",
        )));
    }
    Ok(Loaded {
        cli,
        matches,
        command: declared,
        file,
    })
}

/// The config file `args` name (`--config FILE` or `--config=FILE`, the
/// first one), else `env` if not empty.
fn config_path(args: &[OsString], env: Option<OsString>) -> Option<PathBuf> {
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        if arg == "--" {
            break;
        }
        if arg == "--config" {
            return rest.next().map(PathBuf::from);
        }
        if let Some(path) = arg.to_str().and_then(|a| a.strip_prefix("--config=")) {
            return Some(PathBuf::from(path));
        }
    }
    env.filter(|v| !v.is_empty()).map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_config_path_comes_from_the_flag_then_the_variable() {
        let env = || Some(OsString::from("/env.toml"));
        let path = |args: &[&str], env| config_path(&os(args), env);
        assert_eq!(
            path(&["edgeio", "--config", "/a.toml"], env()),
            Some("/a.toml".into())
        );
        assert_eq!(
            path(&["edgeio", "--path", "/x/", "--config=/b.toml"], env()),
            Some("/b.toml".into())
        );
        assert_eq!(
            path(&["edgeio", "token", "--config", "/c.toml"], None),
            Some("/c.toml".into()),
            "a global flag may follow the subcommand"
        );
        assert_eq!(path(&["edgeio"], env()), Some("/env.toml".into()));
        assert_eq!(path(&["edgeio"], Some(OsString::new())), None);
        assert_eq!(path(&["edgeio", "--configx", "/d"], None), None);
        assert_eq!(path(&["--config", "/argv0-is-skipped"], None), None);
        assert_eq!(path(&["edgeio", "--", "--config", "/e"], None), None);
    }

    fn write(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().expect("a temp file");
        std::fs::write(file.path(), text).expect("write the config file");
        file
    }

    #[test]
    fn the_file_sets_what_no_flag_does() {
        let file = write(
            "ping-interval = 300\nmax_payload = 4096\ntransports = [\"websocket\"]\n\
             cors-origin = [\"https://a.example\", \"https://b.example\"]\n\
             cors-credentials = true\ncookie = \"io\"\ncleanup-empty-namespaces = false\n\
             data-dir = \"/srv/edgeio\"\n",
        );
        let path = file.path().to_str().expect("UTF-8");
        let loaded = load(["edgeio", "--config", path, "--ping-interval", "400"]).expect("valid");
        let cli = &loaded.cli;
        assert_eq!(cli.config_file.config.as_deref(), Some(file.path()));
        assert_eq!(cli.ping_interval, 400, "the flag wins over the file");
        assert_eq!(cli.max_payload, 4096, "snake_case is a key too");
        let engine = cli.engine_config().expect("valid");
        assert_eq!(
            engine.transports,
            vec![crate::engine::TransportKind::WebSocket]
        );
        assert_eq!(cli.cors_origins, ["https://a.example", "https://b.example"]);
        assert!(cli.cors_credentials);
        assert_eq!(cli.cookie.as_deref(), Some("io"));
        assert!(!cli.sio.cleanup_empty_namespaces);
        assert_eq!(cli.data_dir, std::path::Path::new("/srv/edgeio"));
        assert_eq!(cli.ping_timeout, 20_000, "the default where neither says");
        let sub = load(["edgeio", "token", "--user", "a", "--config", path]).expect("valid");
        assert_eq!(sub.cli.ping_interval, 300, "after the subcommand too");
    }

    #[test]
    fn debug_shows_no_secret() {
        let file = write("jwt-secret = \"s3cr3t\"");
        let path = file.path().to_str().expect("UTF-8");
        let loaded = load(["edgeio", "--config", path]).expect("valid");
        assert_eq!(loaded.cli.jwt.jwt_secret.as_deref(), Some("s3cr3t"));
        let debug = format!("{loaded:?}");
        assert!(
            !debug.contains("s3cr3t") && debug.contains("jwt_secret"),
            "{debug}"
        );
    }

    #[test]
    fn a_bad_file_is_refused_with_its_key() {
        let cases = [
            ("nope = 1", "\"nope\": unknown key"),
            (
                "[server]\nport = 1",
                "\"server\": unknown key: the file is flat",
            ),
            ("user = \"alice\"", "\"user\": unknown key"),
            ("config = \"/x\"", "\"config\": unknown key"),
            (
                "ping-interval = \"abc\"",
                "\"ping-interval\": invalid digit",
            ),
            (
                "ping-interval = true",
                "expected an integer, found a boolean",
            ),
            ("path = 5", "\"path\": expected a string, found an integer"),
            ("cors-credentials = 1", "expected a boolean"),
            (
                "path = [\"/a/\"]",
                "found an array (the flag takes one value)",
            ),
            ("transports = [\"pigeon\"]", "unknown transport"),
            ("transports = \"pigeon\"", "unknown transport"),
            ("store = \"redis\"", "\"store\": invalid value 'redis'"),
            ("ping-interval = 1\nping_interval = 2", "given twice"),
            ("ping-interval = ", "not valid TOML"),
        ];
        for (text, expected) in cases {
            let file = write(text);
            let path = file.path().to_str().expect("UTF-8");
            let err = load(["edgeio", "--config", path, "--ping-interval", "9"])
                .expect_err(text)
                .to_string();
            assert!(
                err.contains(expected) && err.contains(path),
                "{text:?}: {err}"
            );
        }
        let file = write("store = \"redis\"");
        let path = file.path().to_str().expect("UTF-8");
        let err = load(["edgeio", "--config", path]).expect_err("redis");
        assert_eq!(
            err.to_string(),
            format!(
                "config file {path}: key \"store\": invalid value 'redis' for \
                 '--store <STORE>' [possible values: sled, memory]"
            ),
            "clap's message on one line, without its --help hint"
        );
        let err = load(["edgeio", "--config", "/no/such/edgeio.toml"]).expect_err("missing");
        assert!(
            err.to_string()
                .starts_with("config file /no/such/edgeio.toml: cannot read it"),
            "{err}"
        );
    }
}
