//! The config file (`--config FILE`, `EDGEIO_CONFIG`): a flat TOML table
//! whose keys are the binary's long flags (`ping-interval = 25000`, or
//! `ping_interval`), every value checked by the flag's own parser when the
//! file is read, then handed to clap as the flag's default, so that a flag
//! or an `EDGEIO_*` variable still wins over the file. [`load`] does it all;
//! `edgeio config` shows the result ([`Loaded::effective_toml`]).

mod key;
mod load;
mod show;

pub use load::{load, Loaded, CONFIG_ENV};

use std::fmt;
use std::path::{Path, PathBuf};

use clap::{Arg, Command, Id};
use toml::Value;

use self::key::Kind;

/// The `--config` flag.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConfigArgs {
    /// A TOML file of settings: keys are the long flags (`ping-interval =
    /// 25000`); flags and EDGEIO_* variables override it.
    #[arg(long, env = "EDGEIO_CONFIG", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
}

/// Why the configuration cannot be loaded: each names the file, and the key
/// when one is at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read (missing, unreadable, not UTF-8).
    #[error("config file {}: cannot read it: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not TOML.
    #[error("config file {}: not valid TOML: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message, with the line.
        message: String,
    },
    /// A key is unknown, or its value of the wrong type or refused by the
    /// flag's parser.
    #[error("config file {}: key {key:?}: {message}", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// The key as the file spells it.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// The flags or variables are wrong (or `--help`, `--version`): clap's
    /// own message, to be shown by [`clap::Error::exit`].
    #[error(transparent)]
    Cli(#[from] clap::Error),
}

/// A config file's values, checked, by flag.
#[derive(Clone)]
pub struct ConfigFile {
    /// Where it was read from.
    pub path: PathBuf,
    values: Vec<(Id, Vec<String>)>,
}

impl ConfigFile {
    /// Reads and checks the file at `path` against `cmd`'s flags.
    pub fn read(path: &Path, cmd: &Command) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &text, cmd)
    }

    /// Checks `text`, the content of `path`, against `cmd`'s flags: every key
    /// a flag, every value of its type and accepted by its parser (even if a
    /// flag overrides it: the file is wrong either way).
    pub fn parse(path: &Path, text: &str, cmd: &Command) -> Result<Self, ConfigError> {
        let table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Syntax {
                    path: path.to_owned(),
                    message: e.to_string().trim_end().to_owned(),
                })?;
        let mut values: Vec<(Id, Vec<String>)> = Vec::new();
        for (name, value) in &table {
            let fail = |message: String| ConfigError::Key {
                path: path.to_owned(),
                key: name.clone(),
                message,
            };
            let Some(arg) = key::find(cmd, name) else {
                return Err(fail(unknown(value)));
            };
            if values.iter().any(|(id, _)| id == arg.get_id()) {
                return Err(fail("given twice (as kebab-case and snake_case)".into()));
            }
            let texts = texts(arg, value).map_err(fail)?;
            check(cmd, arg, &texts).map_err(fail)?;
            values.push((arg.get_id().clone(), texts));
        }
        Ok(Self {
            path: path.to_owned(),
            values,
        })
    }

    /// `cmd` with the file's values as its flags' defaults (which `--help`
    /// shows, but a secret's).
    pub fn apply(&self, cmd: Command) -> Command {
        self.values.iter().fold(cmd, |cmd, (id, texts)| {
            cmd.mut_arg(id, |arg| {
                let hide = key::is_secret(&arg) && arg.get_action().takes_values();
                arg.default_values(texts.clone()).hide_default_value(hide)
            })
        })
    }

    /// Whether the file sets the flag `id`.
    pub fn sets(&self, id: &Id) -> bool {
        self.values.iter().any(|(set, _)| set == id)
    }
}

/// The file and the flags it sets, not their values: one may be a secret.
impl fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&str> = self.values.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("ConfigFile")
            .field("path", &self.path)
            .field("sets", &keys)
            .finish()
    }
}

/// Why `value`'s key is no key.
fn unknown(value: &Value) -> String {
    if value.is_table() {
        "unknown key: the file is flat, [sections] are not supported".into()
    } else {
        "unknown key: keys are the long flags of `edgeio --help` (not a subcommand's)".into()
    }
}

/// `value` as the texts `arg` takes on the command line.
fn texts(arg: &Arg, value: &Value) -> Result<Vec<String>, String> {
    let kind = Kind::of(arg);
    match value {
        Value::Array(items) if key::is_list(arg) => items.iter().map(|v| text(kind, v)).collect(),
        Value::Array(_) => Err(format!(
            "expected {}, found an array (the flag takes one value)",
            kind.expected()
        )),
        v => Ok(vec![text(kind, v)?]),
    }
}

/// One TOML value of a flag of `kind` as its text.
fn text(kind: Kind, value: &Value) -> Result<String, String> {
    match (kind, value) {
        (Kind::Switch | Kind::Bool, Value::Boolean(b)) => Ok(b.to_string()),
        (Kind::Integer | Kind::Float, Value::Integer(i)) => Ok(i.to_string()),
        (Kind::Float, Value::Float(f)) => Ok(f.to_string()),
        (Kind::Integer | Kind::Text, Value::String(s)) => Ok(s.clone()),
        (kind, v) => Err(format!(
            "expected {}, found {}",
            kind.expected(),
            describe(v)
        )),
    }
}

/// A TOML value's type, for an error message.
fn describe(value: &Value) -> String {
    format!("{} {}", article(value.type_str()), value.type_str())
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Whether `arg`'s parser takes `texts`: `cmd` parsed with nothing but
/// `texts` as `arg`'s default (no flag, no variable), so the parser and its
/// message are the flag's own.
fn check(cmd: &Command, arg: &Arg, texts: &[String]) -> Result<(), String> {
    cmd.clone()
        .mut_args(|a| a.env(None))
        .mut_arg(arg.get_id(), |a| a.default_values(texts.to_vec()))
        .try_get_matches_from(["edgeio"])
        .map(drop)
        .map_err(|e| reason(&e))
}

/// The cause in a clap error: the parser's own message when there is one,
/// else clap's first lines without its `error:` and `--help` hint.
fn reason(err: &clap::Error) -> String {
    if let Some(source) = std::error::Error::source(err) {
        return source.to_string();
    }
    let text = err.to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .collect();
    lines.join(" ").trim_start_matches("error: ").to_owned()
}
