//! Building and editing items from flags (fields are read back with
//! `vault_core::Item::field`).

use crate::args::{
    AddKind, ApiKeyArgs, CardArgs, EditFields, IdentityArgs, LoginArgs, MetaArgs, SshArgs,
};
use crate::error::{CliError, CliResult};
use std::io::Read;
use vault_core::{
    CustomField, EnvEntry, FieldKind, Item, ItemData, ItemKind, SecretString, SymmetricKey,
};
use zeroize::Zeroizing;

/// Standard input as a source of secret values: `-` reads it, once.
#[derive(Debug, Default)]
pub struct Input {
    used: bool,
}

impl Input {
    /// Marks stdin as taken (by `--password-stdin`).
    pub fn take_for_password(&mut self) -> CliResult<()> {
        if self.used {
            return Err(CliError::usage("standard input can only be read once"));
        }
        self.used = true;
        Ok(())
    }

    /// `v`, or all of stdin (without its final newline) when `v` is `-`.
    pub fn value(&mut self, v: &str) -> CliResult<String> {
        if v != "-" {
            return Ok(v.to_owned());
        }
        if self.used {
            return Err(CliError::usage(
                "standard input can only be read once: give only one value as `-`",
            ));
        }
        self.used = true;
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| CliError::usage(format!("cannot read standard input: {e}")))?;
        if s.ends_with('\n') {
            s.pop();
            if s.ends_with('\r') {
                s.pop();
            }
        }
        Ok(s)
    }

    fn secret(&mut self, v: &str) -> CliResult<SecretString> {
        self.value(v).map(SecretString::from)
    }
}

/// A random password from the OS RNG (rejection sampling, no bias).
pub fn generate_password(length: usize, symbols: bool) -> CliResult<String> {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const SYMBOLS: &[u8] = b"-_.!@#%^*+=";
    if !(8..=256).contains(&length) {
        return Err(CliError::usage(
            "a generated password is 8 to 256 characters",
        ));
    }
    let mut set = ALNUM.to_vec();
    if symbols {
        set.extend_from_slice(SYMBOLS);
    }
    let n = set.len();
    let limit = 256 - (256 % n);
    let mut rng = vault_core::rng::os_rng();
    let mut out = String::with_capacity(length);
    while out.len() < length {
        let block = SymmetricKey::generate(&mut rng);
        for b in block.expose_secret() {
            let b = usize::from(*b);
            if b < limit
                && out.len() < length
                && let Some(c) = set.get(b % n)
            {
                out.push(char::from(*c));
            }
        }
    }
    Ok(out)
}

fn split_pair(s: &str, what: &str) -> CliResult<(String, String)> {
    s.split_once('=')
        .filter(|(k, _)| !k.trim().is_empty())
        .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
        .ok_or_else(|| CliError::usage(format!("{what} must be NAME=VALUE")))
}

fn login_set(a: &LoginArgs) -> bool {
    a.username.is_some()
        || a.password.is_some()
        || a.generate_password.is_some()
        || !a.uris.is_empty()
        || a.totp.is_some()
}
fn api_key_set(a: &ApiKeyArgs) -> bool {
    !a.env.is_empty() || a.dotenv.is_some() || !a.unset_env.is_empty()
}
fn card_set(a: &CardArgs) -> bool {
    a.cardholder.is_some()
        || a.brand.is_some()
        || a.number.is_some()
        || a.exp_month.is_some()
        || a.exp_year.is_some()
        || a.code.is_some()
}
fn identity_set(a: &IdentityArgs) -> bool {
    a.full_name.is_some()
        || a.email.is_some()
        || a.phone.is_some()
        || a.address.is_some()
        || a.document_number.is_some()
}
fn ssh_set(a: &SshArgs) -> bool {
    a.private_key.is_some()
        || a.private_key_file.is_some()
        || a.public_key.is_some()
        || a.key_fingerprint.is_some()
}

/// The name people use for a kind.
pub fn kind_name(k: ItemKind) -> &'static str {
    match k {
        ItemKind::Login => "login",
        ItemKind::SecureNote => "note",
        ItemKind::ApiKey => "api-key",
        ItemKind::Card => "card",
        ItemKind::Identity => "identity",
        ItemKind::SshKey => "ssh-key",
    }
}

fn wrong_kind(flag: &str, kind: ItemKind) -> CliError {
    CliError::usage(format!(
        "{flag} does not apply to a {} item",
        kind_name(kind)
    ))
}

/// Applies the given flags to `item`; flags for another item type are an error.
pub fn apply(item: &mut Item, f: &EditFields, input: &mut Input) -> CliResult<()> {
    let kind = item.data.kind();
    apply_meta(item, &f.meta, input)?;
    if login_set(&f.login) && kind != ItemKind::Login {
        return Err(wrong_kind("--username/--password/--uri/--totp", kind));
    }
    if api_key_set(&f.api_key) && kind != ItemKind::ApiKey {
        return Err(wrong_kind("--env/--dotenv", kind));
    }
    if card_set(&f.card) && kind != ItemKind::Card {
        return Err(wrong_kind("card flags", kind));
    }
    if identity_set(&f.identity) && kind != ItemKind::Identity {
        return Err(wrong_kind("identity flags", kind));
    }
    if ssh_set(&f.ssh) && kind != ItemKind::SshKey {
        return Err(wrong_kind("SSH key flags", kind));
    }
    match &mut item.data {
        ItemData::Login {
            username,
            password,
            uris,
            totp,
        } => {
            let a = &f.login;
            if let Some(u) = &a.username {
                *username = u.clone();
            }
            if let Some(p) = &a.password {
                *password = input.secret(p)?;
            }
            if let Some(len) = a.generate_password {
                *password = SecretString::from(generate_password(len, true)?);
            }
            if !a.uris.is_empty() {
                *uris = a.uris.clone();
            }
            if let Some(t) = &a.totp {
                *totp = input.secret(t)?;
            }
        }
        ItemData::ApiKey { entries } => {
            let a = &f.api_key;
            if let Some(path) = &a.dotenv {
                let text = Zeroizing::new(if path.as_os_str() == "-" {
                    input.value("-")?
                } else {
                    std::fs::read_to_string(path).map_err(|e| {
                        CliError::usage(format!("cannot read {}: {e}", path.display()))
                    })?
                });
                for e in EnvEntry::parse_dotenv(&text)? {
                    set_env(entries, e);
                }
            }
            for pair in &a.env {
                let (k, v) = split_pair(pair, "--env")?;
                set_env(
                    entries,
                    EnvEntry {
                        key: k,
                        value: input.secret(&v)?,
                    },
                );
            }
            for k in &a.unset_env {
                entries.retain(|e| &e.key != k);
            }
        }
        ItemData::Card {
            cardholder,
            brand,
            number,
            exp_month,
            exp_year,
            code,
        } => {
            let a = &f.card;
            if let Some(v) = &a.cardholder {
                *cardholder = v.clone();
            }
            if let Some(v) = &a.brand {
                *brand = v.clone();
            }
            if let Some(v) = &a.number {
                *number = input.secret(v)?;
            }
            if let Some(v) = &a.exp_month {
                *exp_month = v.clone();
            }
            if let Some(v) = &a.exp_year {
                *exp_year = v.clone();
            }
            if let Some(v) = &a.code {
                *code = input.secret(v)?;
            }
        }
        ItemData::Identity {
            full_name,
            email,
            phone,
            address,
            document_number,
        } => {
            let a = &f.identity;
            if let Some(v) = &a.full_name {
                *full_name = v.clone();
            }
            if let Some(v) = &a.email {
                *email = v.clone();
            }
            if let Some(v) = &a.phone {
                *phone = v.clone();
            }
            if let Some(v) = &a.address {
                *address = v.clone();
            }
            if let Some(v) = &a.document_number {
                *document_number = input.secret(v)?;
            }
        }
        ItemData::SshKey {
            private_key,
            public_key,
            fingerprint,
        } => {
            let a = &f.ssh;
            if let Some(v) = &a.private_key {
                *private_key = input.secret(v)?;
            }
            if let Some(path) = &a.private_key_file {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
                *private_key = SecretString::from(text);
            }
            if let Some(v) = &a.public_key {
                *public_key = v.clone();
            }
            if let Some(v) = &a.key_fingerprint {
                *fingerprint = v.clone();
            }
        }
        ItemData::SecureNote => {}
    }
    Ok(())
}

fn set_env(entries: &mut Vec<EnvEntry>, e: EnvEntry) {
    match entries.iter_mut().find(|x| x.key == e.key) {
        Some(x) => *x = e,
        None => entries.push(e),
    }
}

fn apply_meta(item: &mut Item, m: &MetaArgs, input: &mut Input) -> CliResult<()> {
    if let Some(n) = &m.notes {
        item.notes = input.secret(n)?;
    }
    if !m.tags.is_empty() {
        item.tags = m.tags.clone();
    }
    if let Some(f) = m.favorite {
        item.favorite = f;
    }
    for (pairs, kind) in [
        (&m.fields, FieldKind::Text),
        (&m.hidden_fields, FieldKind::Hidden),
    ] {
        for pair in pairs {
            let (name, value) = split_pair(pair, "--field")?;
            let field = CustomField {
                name,
                value: input.secret(&value)?,
                kind,
            };
            match item.custom_fields.iter_mut().find(|c| c.name == field.name) {
                Some(c) => *c = field,
                None => item.custom_fields.push(field),
            }
        }
    }
    for name in &m.remove_fields {
        item.custom_fields.retain(|c| &c.name != name);
    }
    Ok(())
}

/// A new item from `vault add <type> …`: its vault query and content.
pub fn from_add(kind: AddKind, input: &mut Input) -> CliResult<(Option<String>, Item)> {
    let (common, data, fields) = match kind {
        AddKind::Login { common, login } => (
            common,
            ItemData::Login {
                username: String::new(),
                password: SecretString::default(),
                uris: vec![],
                totp: SecretString::default(),
            },
            EditFields {
                login,
                ..EditFields::default()
            },
        ),
        AddKind::Note { common } => (common, ItemData::SecureNote, EditFields::default()),
        AddKind::ApiKey { common, env } => (
            common,
            ItemData::ApiKey { entries: vec![] },
            EditFields {
                api_key: env,
                ..EditFields::default()
            },
        ),
        AddKind::Card { common, card } => (
            common,
            ItemData::Card {
                cardholder: String::new(),
                brand: String::new(),
                number: SecretString::default(),
                exp_month: String::new(),
                exp_year: String::new(),
                code: SecretString::default(),
            },
            EditFields {
                card,
                ..EditFields::default()
            },
        ),
        AddKind::Identity { common, identity } => (
            common,
            ItemData::Identity {
                full_name: String::new(),
                email: String::new(),
                phone: String::new(),
                address: String::new(),
                document_number: SecretString::default(),
            },
            EditFields {
                identity,
                ..EditFields::default()
            },
        ),
        AddKind::SshKey { common, ssh } => (
            common,
            ItemData::SshKey {
                private_key: SecretString::default(),
                public_key: String::new(),
                fingerprint: String::new(),
            },
            EditFields {
                ssh,
                ..EditFields::default()
            },
        ),
    };
    if common.title.trim().is_empty() {
        return Err(CliError::usage("--title must not be empty"));
    }
    let mut item = Item {
        title: common.title.clone(),
        data,
        notes: SecretString::default(),
        tags: vec![],
        favorite: false,
        custom_fields: vec![],
    };
    let fields = EditFields {
        meta: common.meta,
        ..fields
    };
    apply(&mut item, &fields, input)?;
    Ok((common.vault, item))
}

/// The fields shown by `vault get`: (label, value, secret?).
pub fn display_fields(item: &Item) -> Vec<(String, String, bool)> {
    let mut out: Vec<(String, String, bool)> = Vec::new();
    let mut push = |label: &str, value: &str, secret: bool| {
        if !value.is_empty() {
            out.push((label.to_owned(), value.to_owned(), secret));
        }
    };
    match &item.data {
        ItemData::Login {
            username,
            password,
            uris,
            totp,
        } => {
            push("username", username, false);
            push("password", password.expose_secret(), true);
            for u in uris {
                push("uri", u, false);
            }
            push("totp", totp.expose_secret(), true);
        }
        ItemData::ApiKey { entries } => {
            for e in entries {
                push(&e.key, e.value.expose_secret(), true);
            }
        }
        ItemData::Card {
            cardholder,
            brand,
            number,
            exp_month,
            exp_year,
            code,
        } => {
            push("cardholder", cardholder, false);
            push("brand", brand, false);
            push("number", number.expose_secret(), true);
            if !exp_month.is_empty() || !exp_year.is_empty() {
                push("expiry", &format!("{exp_month}/{exp_year}"), false);
            }
            push("code", code.expose_secret(), true);
        }
        ItemData::Identity {
            full_name,
            email,
            phone,
            address,
            document_number,
        } => {
            push("full_name", full_name, false);
            push("email", email, false);
            push("phone", phone, false);
            push("address", address, false);
            push("document_number", document_number.expose_secret(), true);
        }
        ItemData::SshKey {
            private_key,
            public_key,
            fingerprint,
        } => {
            push("public_key", public_key, false);
            push("fingerprint", fingerprint, false);
            push("private_key", private_key.expose_secret(), true);
        }
        ItemData::SecureNote => {}
    }
    for c in &item.custom_fields {
        push(
            &c.name,
            c.value.expose_secret(),
            c.kind == FieldKind::Hidden,
        );
    }
    if !item.tags.is_empty() {
        push("tags", &item.tags.join(", "), false);
    }
    push("notes", item.notes.expose_secret(), false);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn generated_passwords() {
        let p = generate_password(32, false).unwrap();
        assert_eq!(p.len(), 32);
        assert!(p.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(p, generate_password(32, false).unwrap());
        assert!(generate_password(4, true).is_err());
    }

    #[test]
    fn fields_by_name() {
        let item = Item {
            title: "t".into(),
            data: ItemData::ApiKey {
                entries: EnvEntry::parse_dotenv("API_TOKEN=abc\nOTHER=def").unwrap(),
            },
            notes: "n".into(),
            tags: vec![],
            favorite: false,
            custom_fields: vec![CustomField {
                name: "Account No".into(),
                value: "42".into(),
                kind: FieldKind::Text,
            }],
        };
        // `vault get --field` reads fields through vault-core's `Item::field`.
        let field_value = |name: &str| item.field(name).map(|v| v.expose_secret().to_owned());
        assert_eq!(field_value("API_TOKEN").unwrap(), "abc");
        assert_eq!(field_value("api-token").unwrap(), "abc");
        assert_eq!(field_value("env").unwrap(), "API_TOKEN=abc\nOTHER=def");
        assert_eq!(field_value("Account No").unwrap(), "42");
        assert_eq!(field_value("notes").unwrap(), "n");
        assert!(field_value("password").is_none());
    }

    #[test]
    fn flags_for_another_type_are_refused() {
        let mut item = Item {
            title: "n".into(),
            data: ItemData::SecureNote,
            notes: Default::default(),
            tags: vec![],
            favorite: false,
            custom_fields: vec![],
        };
        let mut f = EditFields::default();
        f.login.username = Some("x".into());
        assert!(apply(&mut item, &f, &mut Input::default()).is_err());
        let mut f = EditFields::default();
        f.meta.fields = vec!["PIN=1234".into()];
        apply(&mut item, &f, &mut Input::default()).unwrap();
        assert_eq!(item.custom_fields[0].value.expose_secret(), "1234");
    }
}
