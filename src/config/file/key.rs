//! The keys of the config file: the binary's own long flags, each with the
//! TOML type it takes, read off clap's description of the flag (its action
//! and the type its value parser makes), so that a flag added to [`Cli`]
//! is a key with no further code.
//!
//! [`Cli`]: crate::config::Cli

use std::any::TypeId;

use clap::{Arg, ArgAction, Command};

/// Flags that are no config keys: clap's own, and `--config` itself.
const NOT_KEYS: [&str; 3] = ["help", "version", "config"];

/// The TOML type of one value of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A switch (`--cors-credentials`): a TOML boolean.
    Switch,
    /// A flag taking `true` or `false`: a TOML boolean.
    Bool,
    /// A flag taking a whole number: a TOML integer (or a string, for the
    /// flag's parser).
    Integer,
    /// A flag taking a number: a TOML float or integer.
    Float,
    /// Any other flag (text, address, path, name, duration): a TOML string.
    Text,
}

impl Kind {
    /// The kind of `arg`'s values.
    pub fn of(arg: &Arg) -> Self {
        if matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse) {
            return Self::Switch;
        }
        let ty = arg.get_value_parser().type_id();
        let is = |t: TypeId| ty == t;
        if is(TypeId::of::<bool>()) {
            Self::Bool
        } else if [
            TypeId::of::<u8>(),
            TypeId::of::<u16>(),
            TypeId::of::<u32>(),
            TypeId::of::<u64>(),
            TypeId::of::<usize>(),
            TypeId::of::<i8>(),
            TypeId::of::<i16>(),
            TypeId::of::<i32>(),
            TypeId::of::<i64>(),
            TypeId::of::<isize>(),
        ]
        .into_iter()
        .any(is)
        {
            Self::Integer
        } else if is(TypeId::of::<f64>()) || is(TypeId::of::<f32>()) {
            Self::Float
        } else {
            Self::Text
        }
    }

    /// What a value of this kind is, for an error message.
    pub fn expected(self) -> &'static str {
        match self {
            Self::Switch | Self::Bool => "a boolean (true or false)",
            Self::Integer => "an integer",
            Self::Float => "a number",
            Self::Text => "a string",
        }
    }
}

/// Whether `arg` takes many values (repeatable or comma-separated): a TOML
/// array in the file.
pub fn is_list(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::Append) || arg.get_value_delimiter().is_some()
}

/// Whether `arg` is a secret, masked by `edgeio config` and never shown as
/// a default by `--help`. The one mark of a secret is clap's
/// `hide_env_values = true` on the flag (as on `--jwt-secret`): a value
/// `--help` must not show is one `edgeio config` must not print.
pub fn is_secret(arg: &Arg) -> bool {
    arg.is_hide_env_values_set()
}

/// The config keys of `cmd`, in its order: every flag with a long name but
/// clap's own and `--config` (a subcommand's flags are none).
pub fn keys(cmd: &Command) -> impl Iterator<Item = &Arg> {
    cmd.get_arguments().filter(|arg| {
        arg.get_long().is_some_and(|long| !NOT_KEYS.contains(&long))
            && matches!(
                arg.get_action(),
                ArgAction::Set | ArgAction::Append | ArgAction::SetTrue | ArgAction::SetFalse
            )
    })
}

/// The flag a config key names: its long name, or the same in snake_case
/// (`ping_interval` for `ping-interval`).
pub fn find<'a>(cmd: &'a Command, key: &str) -> Option<&'a Arg> {
    let long = key.replace('_', "-");
    keys(cmd).find(|arg| arg.get_long() == Some(long.as_str()))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::config::Cli;

    #[test]
    fn every_long_flag_is_a_key_of_its_type() {
        let cmd = Cli::command();
        let kind = |key: &str| Kind::of(find(&cmd, key).expect(key));
        assert_eq!(kind("ping-interval"), Kind::Integer);
        assert_eq!(kind("max-payload"), Kind::Integer);
        assert_eq!(kind("cors-credentials"), Kind::Switch);
        assert_eq!(kind("cleanup-empty-namespaces"), Kind::Bool);
        assert_eq!(kind("path"), Kind::Text);
        assert_eq!(kind("listen"), Kind::Text);
        assert_eq!(kind("transports"), Kind::Text);
        assert_eq!(kind("jwt-alg"), Kind::Text);
        let list = |key: &str| is_list(find(&cmd, key).expect(key));
        assert!(list("transports") && list("cors-origin") && list("chat-rate-limit"));
        assert!(!list("path") && !list("ping-interval") && !list("cors-credentials"));
        assert!(
            find(&cmd, "ping_interval").is_some(),
            "snake_case names the same key"
        );
        for not_a_key in ["help", "version", "config", "user", "ttl", "nope"] {
            assert!(find(&cmd, not_a_key).is_none(), "{not_a_key}");
        }
        assert!(
            keys(&cmd).count() > 30,
            "flattened flags are keys too: {}",
            keys(&cmd).count()
        );
    }

    #[test]
    fn the_kind_follows_the_type_the_parser_makes() {
        let of = |arg: Arg| Kind::of(&arg.long("x"));
        let arg = || Arg::new("x");
        assert_eq!(
            of(arg().value_parser(clap::value_parser!(f64))),
            Kind::Float
        );
        assert_eq!(
            of(arg().value_parser(clap::value_parser!(f32))),
            Kind::Float
        );
        assert_eq!(
            of(arg().value_parser(clap::value_parser!(i32))),
            Kind::Integer
        );
        assert_eq!(
            of(arg().value_parser(clap::value_parser!(u16))),
            Kind::Integer
        );
        assert_eq!(
            of(arg().value_parser(clap::value_parser!(bool))),
            Kind::Bool
        );
        assert_eq!(of(arg().action(ArgAction::SetFalse)), Kind::Switch);
        assert_eq!(
            of(arg().value_parser(clap::value_parser!(String))),
            Kind::Text
        );
        assert!(is_list(&arg().action(ArgAction::Append)), "repeatable");
        assert!(is_list(&arg().value_delimiter(',')), "comma-separated");
        assert!(!is_list(&arg().action(ArgAction::Set)));
    }

    #[test]
    fn the_jwt_secret_is_the_secret() {
        let cmd = Cli::command();
        let secrets: Vec<_> = keys(&cmd)
            .filter(|a| is_secret(a))
            .filter_map(Arg::get_long)
            .collect();
        assert!(secrets.contains(&"jwt-secret"), "{secrets:?}");
        assert!(!secrets.contains(&"jwt-public-key"), "{secrets:?}");
    }
}
