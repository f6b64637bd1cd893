//! `edgeio config`: the effective settings as a config file that
//! `--config` reads back, each with its flag's help and where its value came
//! from; a secret is never written, only said to be set.

use std::fmt::Write;

use clap::parser::ValueSource;
use clap::Arg;
use toml::Value;

use super::key::{self, Kind};
use super::Loaded;

/// The longest line of a help comment.
const WIDTH: usize = 78;

impl Loaded {
    /// The effective settings (flags > `EDGEIO_*` > file > defaults) as TOML
    /// that `--config` accepts; secrets masked.
    pub fn effective_toml(&self) -> String {
        let mut out = String::from(
            "# edgeio's effective configuration: flags > EDGEIO_* variables > config\n\
             # file > defaults. `edgeio --config FILE` reads it back; secrets are\n\
             # never written (set them with their flag or variable).\n",
        );
        match &self.file {
            Some(file) => writeln!(out, "# Config file: {}", file.path.display()),
            None => writeln!(out, "# Config file: none"),
        }
        .ok();
        for arg in key::keys(&self.command) {
            out.push('\n');
            self.entry(&mut out, arg);
        }
        out
    }

    /// One key: its help as a comment, then `key = value  # from ...`.
    fn entry(&self, out: &mut String, arg: &Arg) {
        let id = arg.get_id().as_str();
        let long = arg.get_long().unwrap_or(id);
        if let Some(help) = arg.get_help() {
            comment(out, &help.to_string());
        }
        let from = self.source(arg);
        let suffix = from.map(|f| format!("  # {f}")).unwrap_or_default();
        let Some(raw) = self.matches.get_raw(id) else {
            writeln!(out, "# {long} = (not set)").ok();
            return;
        };
        if key::is_secret(arg) {
            writeln!(out, "# {long} = (secret, masked){suffix}").ok();
            return;
        }
        let kind = Kind::of(arg);
        let values: Vec<Value> = raw.map(|v| value(kind, &v.to_string_lossy())).collect();
        let value = if key::is_list(arg) {
            Value::Array(values)
        } else {
            match values.into_iter().next() {
                Some(v) => v,
                None => return,
            }
        };
        writeln!(out, "{long} = {value}{suffix}").ok();
    }

    /// Where `arg`'s value came from, unless from the built-in default.
    fn source(&self, arg: &Arg) -> Option<String> {
        let id = arg.get_id();
        match self.matches.value_source(id.as_str())? {
            ValueSource::CommandLine => Some("from the command line".into()),
            ValueSource::EnvVariable => Some(format!(
                "from {}",
                arg.get_env().map_or("env".into(), |e| e.to_string_lossy())
            )),
            ValueSource::DefaultValue if self.file.as_ref().is_some_and(|f| f.sets(id)) => {
                Some("from the config file".into())
            }
            _ => None,
        }
    }
}

/// One value's text as the TOML value the file takes for it.
fn value(kind: Kind, text: &str) -> Value {
    let typed = match kind {
        Kind::Switch | Kind::Bool => text.parse().ok().map(Value::Boolean),
        Kind::Integer => text.parse().ok().map(Value::Integer),
        Kind::Float => text.parse().ok().map(Value::Float),
        Kind::Text => None,
    };
    typed.unwrap_or_else(|| Value::String(text.to_owned()))
}

/// `text` as `#` comment lines at most [`WIDTH`] long.
fn comment(out: &mut String, text: &str) {
    let mut line = String::from("#");
    for word in text.split_whitespace() {
        if line.len() + 1 + word.len() > WIDTH && line.len() > 1 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::super::load;
    use super::*;

    #[test]
    fn keys_keep_their_order_when_a_file_sets_them() {
        let file = tempfile::NamedTempFile::new().expect("a temp file");
        std::fs::write(file.path(), "store = \"memory\"\npath = \"/x/\"\n").expect("write");
        let path = file.path().to_str().expect("UTF-8");
        let out = load(["edgeio", "--config", path])
            .expect("valid")
            .effective_toml();
        let at = |key: &str| out.find(&format!("\n{key} = ")).expect(key);
        assert!(
            at("path") < at("ping-interval") && at("ping-interval") < at("store"),
            "{out}"
        );
        assert!(out.contains(&format!("# Config file: {path}\n")), "{out}");
    }

    #[test]
    fn values_are_written_as_their_toml_type() {
        assert_eq!(value(Kind::Integer, "25000"), Value::Integer(25_000));
        assert_eq!(value(Kind::Switch, "true"), Value::Boolean(true));
        assert_eq!(value(Kind::Bool, "false"), Value::Boolean(false));
        assert_eq!(value(Kind::Float, "0.5"), Value::Float(0.5));
        assert_eq!(value(Kind::Text, "25"), Value::String("25".into()));
        assert_eq!(
            value(Kind::Integer, "99999999999999999999"),
            Value::String("99999999999999999999".into()),
            "past i64: a string, which the flag's parser reads back"
        );
    }

    #[test]
    fn help_comments_wrap() {
        let mut out = String::new();
        comment(&mut out, &"word ".repeat(40));
        assert!(out.lines().count() > 1);
        assert!(out.lines().all(|l| l.starts_with("# ") && l.len() <= WIDTH));
    }

    #[test]
    fn the_output_has_every_key_and_no_secret() {
        let loaded = load([
            "edgeio",
            "--ping-interval",
            "300",
            "--cors-origin",
            "https://a.example",
            "--jwt-secret",
            "s3cr3t",
        ])
        .expect("valid");
        let out = loaded.effective_toml();
        assert!(!out.contains("s3cr3t"), "{out}");
        let lines: Vec<&str> = out.lines().collect();
        for line in [
            "ping-interval = 300  # from the command line",
            "ping-timeout = 20000",
            "path = \"/socket.io/\"",
            "transports = [\"polling\", \"websocket\"]",
            "cors-origin = [\"https://a.example\"]  # from the command line",
            "cors-credentials = false",
            "cleanup-empty-namespaces = true",
            "# cookie = (not set)",
            "# jwt-secret = (secret, masked)  # from the command line",
        ] {
            assert!(lines.contains(&line), "{line:?} not in:\n{out}");
        }
        let table: toml::Table = out.parse().expect("the output is TOML");
        let at = |key: &str| out.find(&format!("\n{key} = ")).expect(key);
        assert!(at("path") < at("ping-interval") && at("ping-interval") < at("store"));
        assert_eq!(table.get("ping-interval"), Some(&Value::Integer(300)));
        assert!(!table.contains_key("jwt-secret"));
        assert!(!table.contains_key("config") && !table.contains_key("help"));
    }
}
