//! Reading one value out of an item: the secret it stands for
//! ([`Item::primary_secret`]) and any field by name ([`Item::field`]).

use super::{EnvEntry, Item, ItemData};
use crate::secret::SecretString;

/// Why an item has no single default secret ([`Item::primary_secret`]);
/// ask for a field by name ([`Item::field`]) instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoPrimarySecret {
    /// An API-key item without entries.
    NoEntries,
    /// An API-key item with several entries: which one is meant is unclear.
    SeveralEntries,
    /// The item's kind has no default secret (an identity).
    NotForKind,
}

impl core::fmt::Display for NoPrimarySecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            NoPrimarySecret::NoEntries => "this API-key item has no entries",
            NoPrimarySecret::SeveralEntries => {
                "this API-key item has several entries: name one (an entry's key)"
            }
            NoPrimarySecret::NotForKind => "this kind of item has no default secret: name a field",
        })
    }
}

impl std::error::Error for NoPrimarySecret {}

/// A field name compared loosely: surrounding space trimmed, ASCII case
/// folded, `-` read as `_`.
fn field_name(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace('-', "_")
}

/// An API-key item's entries as `.env` text, built in one allocation so no
/// partial copy of a value is left behind in freed memory.
fn dotenv_text(entries: &[EnvEntry]) -> SecretString {
    let len = entries
        .iter()
        .map(|e| e.key.len() + e.value.expose_secret().len() + 2)
        .sum();
    let mut out = String::with_capacity(len);
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&e.key);
        out.push('=');
        out.push_str(e.value.expose_secret());
    }
    SecretString::from(out)
}

impl Item {
    /// The secret the item stands for, when no field is named: a login's
    /// password, a secure note's text (its notes), the value of an API-key
    /// item's only entry, a card's number, an SSH key's private key.
    /// Identities have none, and an API-key item with zero or several
    /// entries has no single one ([`NoPrimarySecret`]).
    ///
    /// ```
    /// use vault_core::item::NoPrimarySecret;
    /// use vault_core::{EnvEntry, Item, ItemData};
    /// let mut item = Item {
    ///     title: "Stripe".into(),
    ///     data: ItemData::ApiKey { entries: EnvEntry::parse_dotenv("STRIPE_KEY=sk_1")? },
    ///     notes: Default::default(), tags: vec![], favorite: false, custom_fields: vec![],
    /// };
    /// assert_eq!(item.primary_secret().map(|s| s.expose_secret()), Ok("sk_1"));
    /// item.data = ItemData::ApiKey { entries: EnvEntry::parse_dotenv("A=1\nB=2")? };
    /// assert_eq!(item.primary_secret(), Err(NoPrimarySecret::SeveralEntries));
    /// # Ok::<(), vault_core::Error>(())
    /// ```
    pub fn primary_secret(&self) -> core::result::Result<&SecretString, NoPrimarySecret> {
        match &self.data {
            ItemData::Login { password, .. } => Ok(password),
            ItemData::SecureNote => Ok(&self.notes),
            ItemData::ApiKey { entries } => match entries.as_slice() {
                [one] => Ok(&one.value),
                [] => Err(NoPrimarySecret::NoEntries),
                _ => Err(NoPrimarySecret::SeveralEntries),
            },
            ItemData::Card { number, .. } => Ok(number),
            ItemData::SshKey { private_key, .. } => Ok(private_key),
            ItemData::Identity { .. } => Err(NoPrimarySecret::NotForKind),
        }
    }

    /// One field's value by name, as apps and scripts ask for it (`vault get
    /// --field`, the Node client's `readSecret`). Names are matched with
    /// surrounding space ignored, case-insensitively, `-` as `_`.
    ///
    /// In order: the fields every item has (`title`, `notes`/`note`, `tags`
    /// comma-joined); the fields of the item's type by their JSON names and
    /// short aliases (login `username`/`user`/`login`, `password`/`pass`,
    /// `uri`/`url` (the first), `uris`/`urls` (one per line), `totp`/`otp`;
    /// card `cardholder`/`name`, `brand`, `number`, `exp_month`, `exp_year`,
    /// `expiry`/`exp` (`MM/YYYY` as typed), `code`/`cvv`/`cvc`; identity
    /// `full_name`/`name`, `email`, `phone`, `address`,
    /// `document_number`/`document`; SSH key `private_key`/`private`,
    /// `public_key`/`public`, `fingerprint`/`key_fingerprint`); for an
    /// API-key item an entry by its key, `env`/`dotenv` (every entry as
    /// `KEY=VALUE` lines), and `value`/`key`/`password` for its only entry;
    /// last a custom field by name. `None` when nothing matches.
    ///
    /// Every value comes back as a [`SecretString`], plain ones included.
    ///
    /// ```
    /// use vault_core::{CustomField, FieldKind, Item, ItemData};
    /// let item = Item {
    ///     title: "GitHub".into(),
    ///     data: ItemData::Login {
    ///         username: "alice".into(), password: "hunter2".into(),
    ///         uris: vec!["https://github.com".into()], totp: Default::default(),
    ///     },
    ///     notes: "work account".into(), tags: vec![], favorite: false,
    ///     custom_fields: vec![CustomField { name: "Recovery email".into(), value: "a@b.example".into(), kind: FieldKind::Text }],
    /// };
    /// let get = |name: &str| item.field(name).map(|v| v.expose_secret().to_owned());
    /// assert_eq!(get("Password").as_deref(), Some("hunter2"));
    /// assert_eq!(get("user").as_deref(), Some("alice"));
    /// assert_eq!(get("url").as_deref(), Some("https://github.com"));
    /// assert_eq!(get("recovery EMAIL").as_deref(), Some("a@b.example"));
    /// assert_eq!(get("notes").as_deref(), Some("work account"));
    /// assert_eq!(get("cvv"), None);
    /// assert_eq!(item.primary_secret().map(|s| s.expose_secret()), Ok("hunter2"));
    /// ```
    pub fn field(&self, name: &str) -> Option<SecretString> {
        let n = field_name(name);
        let plain = |s: &str| Some(SecretString::from(s));
        let secret = |s: &SecretString| Some(s.clone());
        let common = match n.as_str() {
            "title" => plain(&self.title),
            "notes" | "note" => secret(&self.notes),
            "tags" => Some(SecretString::from(self.tags.join(","))),
            _ => None,
        };
        if common.is_some() {
            return common;
        }
        let typed = match &self.data {
            ItemData::Login {
                username,
                password,
                uris,
                totp,
            } => match n.as_str() {
                "username" | "user" | "login" => plain(username),
                "password" | "pass" => secret(password),
                "uri" | "url" => uris.first().and_then(|u| plain(u)),
                "uris" | "urls" => Some(SecretString::from(uris.join("\n"))),
                "totp" | "otp" => secret(totp),
                _ => None,
            },
            ItemData::ApiKey { entries } => match n.as_str() {
                "env" | "dotenv" => Some(dotenv_text(entries)),
                _ => entries
                    .iter()
                    .find(|e| e.key == name.trim() || field_name(&e.key) == n)
                    .map(|e| e.value.clone())
                    .or_else(|| match (n.as_str(), entries.as_slice()) {
                        ("value" | "key" | "password", [one]) => secret(&one.value),
                        _ => None,
                    }),
            },
            ItemData::Card {
                cardholder,
                brand,
                number,
                exp_month,
                exp_year,
                code,
            } => match n.as_str() {
                "cardholder" | "name" => plain(cardholder),
                "brand" => plain(brand),
                "number" => secret(number),
                "exp_month" => plain(exp_month),
                "exp_year" => plain(exp_year),
                "expiry" | "exp" => Some(SecretString::from(format!("{exp_month}/{exp_year}"))),
                "code" | "cvv" | "cvc" => secret(code),
                _ => None,
            },
            ItemData::Identity {
                full_name,
                email,
                phone,
                address,
                document_number,
            } => match n.as_str() {
                "full_name" | "name" => plain(full_name),
                "email" => plain(email),
                "phone" => plain(phone),
                "address" => plain(address),
                "document_number" | "document" => secret(document_number),
                _ => None,
            },
            ItemData::SshKey {
                private_key,
                public_key,
                fingerprint,
            } => match n.as_str() {
                "private_key" | "private" => secret(private_key),
                "public_key" | "public" => plain(public_key),
                "fingerprint" | "key_fingerprint" => plain(fingerprint),
                _ => None,
            },
            ItemData::SecureNote => None,
        };
        typed.or_else(|| {
            self.custom_fields
                .iter()
                .find(|c| c.name == name.trim() || field_name(&c.name) == n)
                .map(|c| c.value.clone())
        })
    }
}
