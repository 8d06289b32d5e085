//! The item model (every item type) and encrypted items.
//!
//! Secret fields (passwords, card numbers, notes…) are plain strings on the
//! foreign side: an app has to show them. Inside Rust they live in the core's
//! zeroizing types.
//!
//! ## Why these records mirror vault-core's types (decided per type)
//!
//! Deriving the UniFFI traits on the core types behind a vault-core feature
//! (`cfg_attr(feature = "uniffi", derive(uniffi::Record))`, as
//! matrix-rust-sdk's crypto-ffi does) is not possible here without changing
//! the generated API: UniFFI files a derived type under the crate that
//! derives it, so the core would need its own `uniffi::setup_scaffolding!()`
//! and the types would be generated into a second module (Kotlin package
//! `uniffi.vault_core`, a second Swift module and Python file) instead of
//! `vault_ffi`, where the Kotlin, Swift and Python suites expect them.
//! Beyond that, per type:
//!
//! - [`Item`], [`ItemData`], [`EnvEntry`], [`CustomField`]: **mirrors with a
//!   hand-written redacted `Debug`** (field names, `<redacted>` for every
//!   field the core keeps as a zeroizing `SecretString`: notes, passwords,
//!   TOTP secrets, card numbers and codes, document numbers, private keys,
//!   entry and custom-field values). The core fields are `SecretString`,
//!   which UniFFI could lower only through a custom type (a new
//!   `SecretString` typealias in every generated language), and the core
//!   `Item` is `ZeroizeOnDrop`: a record's generated lift/lower moves fields
//!   out, which Rust forbids for a type with `Drop`. The foreign side gets
//!   plain strings either way (an app has to show them); the conversions
//!   below are where they enter and leave the zeroizing types. The `Debug`
//!   is pinned by `tests` at the bottom of this file.
//! - [`FieldKind`], [`ItemKind`], [`Overview`]: no secret; mirrors only for
//!   the namespace reason above (derived `Debug` is fine).
//! - [`ListRow`], [`ListEntry`], [`EncryptedItem`]: no secret; the API
//!   exposes ids and envelopes as text (`String`), where the core has
//!   `ItemId`/`VaultId`/`Envelope`, and `ListEntry` flattens the core's
//!   `Result`.

use crate::convert;
use crate::error::Result;
use vault_core::SecretString;

/// An item's plaintext. Everything in it, names included, is encrypted.
// `Debug` is hand-written (redacted), below; so for the next three types.
#[derive(uniffi::Record, Clone, PartialEq, Eq)]
pub struct Item {
    /// Display title.
    pub title: String,
    /// The typed content.
    pub data: ItemData,
    /// Free-form notes (may be sensitive).
    #[uniffi(default = "")]
    pub notes: String,
    /// User tags.
    #[uniffi(default = [])]
    pub tags: Vec<String>,
    /// Pinned by the user.
    #[uniffi(default = false)]
    pub favorite: bool,
    /// Extra user-defined fields.
    #[uniffi(default = [])]
    pub custom_fields: Vec<CustomField>,
}

/// The type-specific part of an item.
#[derive(uniffi::Enum, Clone, PartialEq, Eq)]
pub enum ItemData {
    /// A website or app login.
    Login {
        /// User name or email.
        username: String,
        /// The password.
        password: String,
        /// Where it is used (the first one drives the icon).
        uris: Vec<String>,
        /// TOTP secret (otpauth:// URI or base32); empty if none.
        totp: String,
    },
    /// Free text only (the item's notes hold it).
    SecureNote,
    /// An API key or environment-style `KEY=VALUE` secrets.
    ApiKey {
        /// The variables, in order.
        entries: Vec<EnvEntry>,
    },
    /// A payment card.
    Card {
        /// Name on the card.
        cardholder: String,
        /// Brand (Visa, Mastercard, …).
        brand: String,
        /// Card number.
        number: String,
        /// Expiry month, as typed.
        exp_month: String,
        /// Expiry year, as typed.
        exp_year: String,
        /// Security code.
        code: String,
    },
    /// A person's identity details.
    Identity {
        /// Full name.
        full_name: String,
        /// Email.
        email: String,
        /// Phone.
        phone: String,
        /// Postal address.
        address: String,
        /// Passport, ID card or licence number.
        document_number: String,
    },
    /// An SSH key pair.
    SshKey {
        /// Private key (OpenSSH PEM).
        private_key: String,
        /// Public key (authorized_keys line).
        public_key: String,
        /// Fingerprint as ssh-keygen shows it.
        fingerprint: String,
    },
}

/// One `KEY=VALUE` pair of an API-key item.
#[derive(uniffi::Record, Clone, PartialEq, Eq)]
pub struct EnvEntry {
    /// Variable name.
    pub key: String,
    /// Secret value.
    pub value: String,
}

/// A user-defined field.
#[derive(uniffi::Record, Clone, PartialEq, Eq)]
pub struct CustomField {
    /// Field name.
    pub name: String,
    /// Field value.
    pub value: String,
    /// How apps show it.
    pub kind: FieldKind,
}

/// How a custom field is displayed.
#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FieldKind {
    /// Plain text.
    #[default]
    Text,
    /// Masked until revealed.
    Hidden,
    /// A URL.
    Url,
    /// `true`/`false`.
    Boolean,
}

/// The kind of an item, as lists show it.
#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// A login.
    Login,
    /// A secure note.
    SecureNote,
    /// An API key.
    ApiKey,
    /// A payment card.
    Card,
    /// An identity.
    Identity,
    /// An SSH key.
    SshKey,
}

/// What a list screen shows for an item. Sealed apart from the details.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct Overview {
    /// Payload version (1).
    pub v: u8,
    /// Item kind.
    pub kind: ItemKind,
    /// Title.
    pub title: String,
    /// Secondary line (user name, masked card number…). Never a secret.
    pub subtitle: String,
    /// URL to fetch an icon for (a login's first URI).
    pub icon_url: Option<String>,
    /// Tags, for filtering.
    pub tags: Vec<String>,
    /// Pinned.
    pub favorite: bool,
}

/// One decrypted row of the list screen.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct ListRow {
    /// The item id (UUID text).
    pub item: String,
    /// Its revision.
    pub revision: u64,
    /// The decrypted overview.
    pub overview: Overview,
}

/// One slot of a list decryption: the row, or why this item could not be
/// shown (the other items still decrypt).
#[derive(uniffi::Enum, Clone, Debug, PartialEq, Eq)]
pub enum ListEntry {
    /// The item's overview decrypted.
    Row {
        /// The row.
        row: ListRow,
    },
    /// This item failed (corrupt, foreign or from a newer client).
    Failed {
        /// Stable error code (as [`crate::VaultError::code`]).
        code: String,
        /// Message without secrets.
        reason: String,
    },
}

/// An item as the server stores it: ids and counters in the clear, three
/// envelopes (text form) for the rest.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct EncryptedItem {
    /// The vault (UUID text).
    pub vault: String,
    /// The item (UUID text).
    pub item: String,
    /// Revision this blob was sealed for.
    pub revision: u64,
    /// Vault key generation wrapping `item_key`.
    pub key_version: u32,
    /// The item key under the vault key.
    pub item_key: String,
    /// The overview under the item key.
    pub overview: String,
    /// The details under the item key.
    pub details: String,
}

// ---------------------------------------------------------------------------
// Redacted Debug: field names, and `<redacted>` for each field the core keeps
// as a `SecretString` (what `vault_core::Item`'s own `Debug` hides).

/// Prints `<redacted>` in place of a secret.
pub(crate) struct Redacted;

impl core::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl core::fmt::Debug for Item {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Item")
            .field("title", &self.title)
            .field("data", &self.data)
            .field("notes", &Redacted)
            .field("tags", &self.tags)
            .field("favorite", &self.favorite)
            .field("custom_fields", &self.custom_fields)
            .finish()
    }
}

impl core::fmt::Debug for ItemData {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ItemData::Login { username, uris, .. } => f
                .debug_struct("Login")
                .field("username", username)
                .field("password", &Redacted)
                .field("uris", uris)
                .field("totp", &Redacted)
                .finish(),
            ItemData::SecureNote => f.write_str("SecureNote"),
            ItemData::ApiKey { entries } => {
                f.debug_struct("ApiKey").field("entries", entries).finish()
            }
            ItemData::Card {
                cardholder,
                brand,
                exp_month,
                exp_year,
                ..
            } => f
                .debug_struct("Card")
                .field("cardholder", cardholder)
                .field("brand", brand)
                .field("number", &Redacted)
                .field("exp_month", exp_month)
                .field("exp_year", exp_year)
                .field("code", &Redacted)
                .finish(),
            ItemData::Identity {
                full_name,
                email,
                phone,
                address,
                ..
            } => f
                .debug_struct("Identity")
                .field("full_name", full_name)
                .field("email", email)
                .field("phone", phone)
                .field("address", address)
                .field("document_number", &Redacted)
                .finish(),
            ItemData::SshKey {
                public_key,
                fingerprint,
                ..
            } => f
                .debug_struct("SshKey")
                .field("private_key", &Redacted)
                .field("public_key", public_key)
                .field("fingerprint", fingerprint)
                .finish(),
        }
    }
}

impl core::fmt::Debug for EnvEntry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EnvEntry")
            .field("key", &self.key)
            .field("value", &Redacted)
            .finish()
    }
}

impl core::fmt::Debug for CustomField {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CustomField")
            .field("name", &self.name)
            .field("value", &Redacted)
            .field("kind", &self.kind)
            .finish()
    }
}

// ---------------------------------------------------------------------------
// Conversions

fn s(x: &SecretString) -> String {
    x.expose_secret().to_owned()
}

impl From<&vault_core::ItemData> for ItemData {
    fn from(d: &vault_core::ItemData) -> Self {
        use vault_core::ItemData as D;
        match d {
            D::Login {
                username,
                password,
                uris,
                totp,
            } => ItemData::Login {
                username: username.clone(),
                password: s(password),
                uris: uris.clone(),
                totp: s(totp),
            },
            D::SecureNote => ItemData::SecureNote,
            D::ApiKey { entries } => ItemData::ApiKey {
                entries: entries
                    .iter()
                    .map(|e| EnvEntry {
                        key: e.key.clone(),
                        value: s(&e.value),
                    })
                    .collect(),
            },
            D::Card {
                cardholder,
                brand,
                number,
                exp_month,
                exp_year,
                code,
            } => ItemData::Card {
                cardholder: cardholder.clone(),
                brand: brand.clone(),
                number: s(number),
                exp_month: exp_month.clone(),
                exp_year: exp_year.clone(),
                code: s(code),
            },
            D::Identity {
                full_name,
                email,
                phone,
                address,
                document_number,
            } => ItemData::Identity {
                full_name: full_name.clone(),
                email: email.clone(),
                phone: phone.clone(),
                address: address.clone(),
                document_number: s(document_number),
            },
            D::SshKey {
                private_key,
                public_key,
                fingerprint,
            } => ItemData::SshKey {
                private_key: s(private_key),
                public_key: public_key.clone(),
                fingerprint: fingerprint.clone(),
            },
        }
    }
}

impl From<&ItemData> for vault_core::ItemData {
    fn from(d: &ItemData) -> Self {
        use vault_core::ItemData as D;
        match d {
            ItemData::Login {
                username,
                password,
                uris,
                totp,
            } => D::Login {
                username: username.clone(),
                password: password.as_str().into(),
                uris: uris.clone(),
                totp: totp.as_str().into(),
            },
            ItemData::SecureNote => D::SecureNote,
            ItemData::ApiKey { entries } => D::ApiKey {
                entries: entries
                    .iter()
                    .map(|e| vault_core::EnvEntry {
                        key: e.key.clone(),
                        value: e.value.as_str().into(),
                    })
                    .collect(),
            },
            ItemData::Card {
                cardholder,
                brand,
                number,
                exp_month,
                exp_year,
                code,
            } => D::Card {
                cardholder: cardholder.clone(),
                brand: brand.clone(),
                number: number.as_str().into(),
                exp_month: exp_month.clone(),
                exp_year: exp_year.clone(),
                code: code.as_str().into(),
            },
            ItemData::Identity {
                full_name,
                email,
                phone,
                address,
                document_number,
            } => D::Identity {
                full_name: full_name.clone(),
                email: email.clone(),
                phone: phone.clone(),
                address: address.clone(),
                document_number: document_number.as_str().into(),
            },
            ItemData::SshKey {
                private_key,
                public_key,
                fingerprint,
            } => D::SshKey {
                private_key: private_key.as_str().into(),
                public_key: public_key.clone(),
                fingerprint: fingerprint.clone(),
            },
        }
    }
}

impl From<vault_core::FieldKind> for FieldKind {
    fn from(k: vault_core::FieldKind) -> Self {
        match k {
            vault_core::FieldKind::Text => FieldKind::Text,
            vault_core::FieldKind::Hidden => FieldKind::Hidden,
            vault_core::FieldKind::Url => FieldKind::Url,
            vault_core::FieldKind::Boolean => FieldKind::Boolean,
        }
    }
}

impl From<FieldKind> for vault_core::FieldKind {
    fn from(k: FieldKind) -> Self {
        match k {
            FieldKind::Text => vault_core::FieldKind::Text,
            FieldKind::Hidden => vault_core::FieldKind::Hidden,
            FieldKind::Url => vault_core::FieldKind::Url,
            FieldKind::Boolean => vault_core::FieldKind::Boolean,
        }
    }
}

impl From<vault_core::ItemKind> for ItemKind {
    fn from(k: vault_core::ItemKind) -> Self {
        match k {
            vault_core::ItemKind::Login => ItemKind::Login,
            vault_core::ItemKind::SecureNote => ItemKind::SecureNote,
            vault_core::ItemKind::ApiKey => ItemKind::ApiKey,
            vault_core::ItemKind::Card => ItemKind::Card,
            vault_core::ItemKind::Identity => ItemKind::Identity,
            vault_core::ItemKind::SshKey => ItemKind::SshKey,
        }
    }
}

impl From<&vault_core::Item> for Item {
    fn from(i: &vault_core::Item) -> Self {
        Item {
            title: i.title.clone(),
            data: (&i.data).into(),
            notes: s(&i.notes),
            tags: i.tags.clone(),
            favorite: i.favorite,
            custom_fields: i
                .custom_fields
                .iter()
                .map(|f| CustomField {
                    name: f.name.clone(),
                    value: s(&f.value),
                    kind: f.kind.into(),
                })
                .collect(),
        }
    }
}

impl From<&Item> for vault_core::Item {
    fn from(i: &Item) -> Self {
        vault_core::Item {
            title: i.title.clone(),
            data: (&i.data).into(),
            notes: i.notes.as_str().into(),
            tags: i.tags.clone(),
            favorite: i.favorite,
            custom_fields: i
                .custom_fields
                .iter()
                .map(|f| vault_core::CustomField {
                    name: f.name.clone(),
                    value: f.value.as_str().into(),
                    kind: f.kind.into(),
                })
                .collect(),
        }
    }
}

impl From<vault_core::Overview> for Overview {
    fn from(o: vault_core::Overview) -> Self {
        Overview {
            v: o.v,
            kind: o.kind.into(),
            title: o.title,
            subtitle: o.subtitle,
            icon_url: o.icon_url,
            tags: o.tags,
            favorite: o.favorite,
        }
    }
}

impl From<vault_core::ListRow> for ListRow {
    fn from(r: vault_core::ListRow) -> Self {
        ListRow {
            item: r.item.to_string(),
            revision: r.revision,
            overview: r.overview.into(),
        }
    }
}

impl From<vault_core::Result<vault_core::ListRow>> for ListEntry {
    fn from(r: vault_core::Result<vault_core::ListRow>) -> Self {
        match r {
            Ok(row) => ListEntry::Row { row: row.into() },
            Err(e) => ListEntry::Failed {
                code: e.code().to_owned(),
                reason: e.to_string(),
            },
        }
    }
}

impl From<&vault_core::EncryptedItem> for EncryptedItem {
    fn from(e: &vault_core::EncryptedItem) -> Self {
        EncryptedItem {
            vault: e.vault.to_string(),
            item: e.item.to_string(),
            revision: e.revision,
            key_version: e.key_version,
            item_key: e.item_key.to_text(),
            overview: e.overview.to_text(),
            details: e.details.to_text(),
        }
    }
}

impl TryFrom<&EncryptedItem> for vault_core::EncryptedItem {
    type Error = crate::error::VaultError;
    fn try_from(e: &EncryptedItem) -> Result<Self> {
        Ok(vault_core::EncryptedItem {
            vault: convert::id(&e.vault)?,
            item: convert::id(&e.item)?,
            revision: e.revision,
            key_version: e.key_version,
            item_key: convert::envelope(&e.item_key)?,
            overview: convert::envelope(&e.overview)?,
            details: convert::envelope(&e.details)?,
        })
    }
}

// ---------------------------------------------------------------------------
// Exports

#[uniffi::export]
impl Item {
    /// The overview a list shows for this item (what `encrypt_item` seals
    /// as the overview).
    pub fn overview(&self) -> Overview {
        vault_core::Item::from(self).overview().into()
    }

    /// The kind of this item.
    pub fn kind(&self) -> ItemKind {
        vault_core::ItemData::from(&self.data).kind().into()
    }
}

#[uniffi::export]
impl EncryptedItem {
    /// The canonical JSON form (what the server stores).
    pub fn to_json(&self) -> Result<String> {
        convert::to_json(&vault_core::EncryptedItem::try_from(self)?)
    }
}

/// Parses an encrypted item from its JSON form.
#[uniffi::export]
pub fn encrypted_item_from_json(json: &str) -> Result<EncryptedItem> {
    Ok((&vault_core::EncryptedItem::from_json(json)?).into())
}

/// Parses a JSON array of encrypted items (a server's list response).
#[uniffi::export]
pub fn encrypted_items_from_json(json: &str) -> Result<Vec<EncryptedItem>> {
    let items: Vec<vault_core::EncryptedItem> = convert::from_json(json, "encrypted items")?;
    Ok(items.iter().map(EncryptedItem::from).collect())
}

/// Parses `.env`-style text into API-key entries: one `KEY=VALUE` per line,
/// `#` comments and blank lines ignored, `export ` and matching quotes removed.
#[uniffi::export]
pub fn parse_dotenv(text: &str) -> Result<Vec<EnvEntry>> {
    Ok(vault_core::EnvEntry::parse_dotenv(text)?
        .iter()
        .map(|e| EnvEntry {
            key: e.key.clone(),
            value: s(&e.value),
        })
        .collect())
}

/// A fresh random item id (UUID text) for a new item.
#[uniffi::export]
pub fn new_item_id(rng: &crate::rng::Rng) -> String {
    rng.with(vault_core::ItemId::generate).to_string()
}

/// Encrypted items parsed once and kept in Rust: for a list screen that
/// decrypts the same items again and again, only the results cross the
/// boundary on each [`VaultKey::decrypt_item_list`](crate::VaultKey::decrypt_item_list)
/// call, not the ciphertexts.
#[derive(uniffi::Object, Debug)]
pub struct EncryptedItemList(pub(crate) Vec<vault_core::EncryptedItem>);

#[uniffi::export]
impl EncryptedItemList {
    /// Parses a JSON array of encrypted items (a server's list response).
    #[uniffi::constructor]
    pub fn from_json(json: &str) -> Result<std::sync::Arc<Self>> {
        let items: Vec<vault_core::EncryptedItem> = convert::from_json(json, "encrypted items")?;
        Ok(std::sync::Arc::new(EncryptedItemList(items)))
    }

    /// From records (e.g. rows of the app's local store).
    #[uniffi::constructor]
    pub fn from_records(items: Vec<EncryptedItem>) -> Result<std::sync::Arc<Self>> {
        let items = items
            .iter()
            .map(vault_core::EncryptedItem::try_from)
            .collect::<Result<Vec<_>>>()?;
        Ok(std::sync::Arc::new(EncryptedItemList(items)))
    }

    /// Number of items.
    pub fn len(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The item at `index` as a record, if any.
    pub fn get(&self, index: u32) -> Option<EncryptedItem> {
        self.0.get(index as usize).map(EncryptedItem::from)
    }

    /// All items as records.
    pub fn to_records(&self) -> Vec<EncryptedItem> {
        self.0.iter().map(EncryptedItem::from).collect()
    }
}

#[cfg(test)]
mod tests {
    //! Secret hygiene of the mirror records, as vault-core's
    //! tests/secrets_hygiene.rs pins the core's: `{:?}` and `{:#?}` of every
    //! secret-bearing record show its field names and none of its secrets.
    use super::*;

    const PASSWORD: &str = "s3cr3t-L0gin-pw!";
    const TOTP: &str = "JBSWY3DPEHPK3PXP";
    const NOTE: &str = "the vault combination is 31-41-59";
    const CUSTOM: &str = "pin-2718";
    const CARD_NUMBER: &str = "4111 1111 1111 1111";
    const CARD_CODE: &str = "8642";
    const DOCUMENT: &str = "X1234567-passport";
    const PRIVATE_KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----b3BlbnNzaC1rZXktdjE";
    const ENV_VALUE: &str = "sk_live_51Habcdefghijkl";

    fn debugs<T: core::fmt::Debug>(v: &T) -> [String; 2] {
        [format!("{v:?}"), format!("{v:#?}")]
    }

    fn assert_redacted<T: core::fmt::Debug>(v: &T, secrets: &[&str], names: &[&str]) {
        for text in debugs(v) {
            for s in secrets {
                assert!(!text.contains(s), "Debug leaks {s:?} in:\n{text}");
            }
            for n in names {
                assert!(text.contains(n), "Debug lacks field {n:?} in:\n{text}");
            }
            assert!(text.contains("<redacted>"), "no <redacted> in:\n{text}");
        }
    }

    fn item(data: ItemData) -> Item {
        Item {
            title: "Bank".into(),
            data,
            notes: NOTE.into(),
            tags: vec!["work".into()],
            favorite: true,
            custom_fields: vec![CustomField {
                name: "PIN".into(),
                value: CUSTOM.into(),
                kind: FieldKind::Hidden,
            }],
        }
    }

    #[test]
    fn login_item_debug_is_redacted() {
        let login = item(ItemData::Login {
            username: "ada".into(),
            password: PASSWORD.into(),
            uris: vec!["https://bank.example".into()],
            totp: TOTP.into(),
        });
        assert_redacted(
            &login,
            &[PASSWORD, TOTP, NOTE, CUSTOM],
            &[
                "title",
                "notes",
                "password",
                "totp",
                "custom_fields",
                "value",
            ],
        );
        // What is not secret still shows.
        let text = format!("{login:?}");
        assert!(text.contains("ada") && text.contains("https://bank.example"));
        assert!(text.contains("Bank") && text.contains("PIN"));
    }

    #[test]
    fn every_item_type_debug_is_redacted() {
        let card = ItemData::Card {
            cardholder: "Ada Lovelace".into(),
            brand: "Visa".into(),
            number: CARD_NUMBER.into(),
            exp_month: "12".into(),
            exp_year: "2031".into(),
            code: CARD_CODE.into(),
        };
        assert_redacted(
            &item(card),
            &[CARD_NUMBER, CARD_CODE, NOTE, CUSTOM],
            &["number", "code"],
        );
        let identity = ItemData::Identity {
            full_name: "Ada Lovelace".into(),
            email: "ada@example.org".into(),
            phone: "+44 20 0000 0000".into(),
            address: "12 St James's Square".into(),
            document_number: DOCUMENT.into(),
        };
        assert_redacted(
            &item(identity),
            &[DOCUMENT, NOTE, CUSTOM],
            &["document_number"],
        );
        let ssh = ItemData::SshKey {
            private_key: PRIVATE_KEY.into(),
            public_key: "ssh-ed25519 AAAAC3Nza ada@host".into(),
            fingerprint: "SHA256:abc".into(),
        };
        assert_redacted(
            &item(ssh),
            &[PRIVATE_KEY, NOTE, CUSTOM],
            &["private_key", "public_key"],
        );
        let api = ItemData::ApiKey {
            entries: vec![EnvEntry {
                key: "STRIPE_KEY".into(),
                value: ENV_VALUE.into(),
            }],
        };
        assert_redacted(
            &item(api),
            &[ENV_VALUE, NOTE, CUSTOM],
            &["entries", "STRIPE_KEY"],
        );
        assert_redacted(
            &item(ItemData::SecureNote),
            &[NOTE, CUSTOM],
            &["SecureNote", "notes"],
        );
    }

    #[test]
    fn entries_and_fields_alone_are_redacted() {
        let entry = EnvEntry {
            key: "TOKEN".into(),
            value: ENV_VALUE.into(),
        };
        assert_redacted(&entry, &[ENV_VALUE], &["key", "value", "TOKEN"]);
        let field = CustomField {
            name: "PIN".into(),
            value: CUSTOM.into(),
            kind: FieldKind::Text,
        };
        assert_redacted(&field, &[CUSTOM], &["name", "value", "kind"]);
        let parsed = parse_dotenv(&format!("API_KEY={ENV_VALUE}\n")).unwrap_or_default();
        assert_eq!(parsed.len(), 1);
        assert_redacted(&parsed, &[ENV_VALUE], &["API_KEY"]);
    }

    #[test]
    fn converted_items_stay_redacted() {
        // Through the core and back: what `decrypt_item` hands out.
        let login = item(ItemData::Login {
            username: "ada".into(),
            password: PASSWORD.into(),
            uris: vec![],
            totp: TOTP.into(),
        });
        let back = Item::from(&vault_core::Item::from(&login));
        assert_eq!(back, login);
        assert_redacted(&back, &[PASSWORD, TOTP, NOTE, CUSTOM], &["password"]);
    }
}
