//! The item model (every item type) and encrypted items.
//!
//! Secret fields (passwords, card numbers, notes…) are plain strings on the
//! foreign side: an app has to show them. Inside Rust they live in the core's
//! zeroizing types.

use crate::convert;
use crate::error::Result;
use vault_core::SecretString;

/// An item's plaintext. Everything in it, names included, is encrypted.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
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
#[derive(uniffi::Enum, Clone, Debug, PartialEq, Eq)]
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
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct EnvEntry {
    /// Variable name.
    pub key: String,
    /// Secret value.
    pub value: String,
}

/// A user-defined field.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
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
