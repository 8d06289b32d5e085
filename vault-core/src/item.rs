//! The item model and item encryption.
//!
//! Each item revision gets a fresh random item key, wrapped by the vault key.
//! The item is sealed in two parts under that key: a small *overview* (kind,
//! title, subtitle, icon URL, tags) that the list screen decrypts for every
//! item, and the *details* (the whole item) opened on demand. Both bind vault,
//! item and revision in their associated data.

use crate::context::Context;
use crate::envelope::{Algorithm, Envelope};
use crate::error::{Error, Result};
use crate::ids::{ItemId, VaultId};
use crate::secret::{SecretString, SymmetricKey};
use crate::vault::VaultKey;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

mod fields;

pub use fields::NoPrimarySecret;

/// Version of the item payload JSON (the `v` field of overview and details).
pub const ITEM_PAYLOAD_VERSION: u8 = 1;

/// An item's plaintext. Everything in it, names included, is encrypted.
/// `Debug` output redacts secret fields.
#[derive(
    Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, Zeroize, ZeroizeOnDrop,
)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Item {
    /// Display title.
    pub title: String,
    /// The typed content.
    pub data: ItemData,
    /// Free-form notes (may be sensitive).
    #[serde(default, skip_serializing_if = "SecretString::is_empty")]
    pub notes: SecretString,
    /// User tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Pinned by the user.
    #[serde(default, skip_serializing_if = "is_false")]
    pub favorite: bool,
    /// Extra user-defined fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomField>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The type-specific part of an item.
///
/// JSON: `{"type": "<snake_case variant>", …its fields}`; fields marked
/// default may be left out, fields of other types are rejected.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Zeroize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ItemData {
    /// A website or app login.
    Login {
        /// User name or email.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        username: String,
        /// The password.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        password: SecretString,
        /// Where it is used (also drives the icon).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        uris: Vec<String>,
        /// TOTP secret (otpauth:// URI or base32).
        #[serde(default, skip_serializing_if = "SecretString::is_empty")]
        totp: SecretString,
    },
    /// Free text only (the item's notes hold it).
    SecureNote,
    /// An API key or a set of environment-style `KEY=VALUE` secrets.
    ApiKey {
        /// The variables, in order.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        entries: Vec<EnvEntry>,
    },
    /// A payment card.
    Card {
        /// Name on the card.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        cardholder: String,
        /// Brand (Visa, Mastercard, …).
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        brand: String,
        /// Card number.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        number: SecretString,
        /// Expiry month 1–12, as typed.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        exp_month: String,
        /// Expiry year, as typed.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        exp_year: String,
        /// Security code.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        code: SecretString,
    },
    /// A person's identity details.
    Identity {
        /// Full name.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        full_name: String,
        /// Email.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        email: String,
        /// Phone.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        phone: String,
        /// Postal address.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        address: String,
        /// Passport, ID card or licence number.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        document_number: SecretString,
    },
    /// An SSH key pair.
    SshKey {
        /// Private key (OpenSSH PEM).
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        private_key: SecretString,
        /// Public key (authorized_keys line).
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        public_key: String,
        /// Key fingerprint as shown by ssh-keygen.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        fingerprint: String,
    },
}

/// Parsed without serde's buffering of tagged enums (see `crate::tagged`):
/// no unwiped copy of a secret field is left in a buffer, and the code is
/// compiled once. Accepts exactly what `#[serde(tag = "type",
/// deny_unknown_fields)]` with the field defaults above accepted.
impl<'de> serde::Deserialize<'de> for ItemData {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        use crate::tagged::{Field, Mismatch};
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Tag {
            Login,
            SecureNote,
            ApiKey,
            Card,
            Identity,
            SshKey,
        }
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            #[serde(rename = "type")]
            tag: Tag,
            #[serde(default)]
            username: Field<String>,
            #[serde(default)]
            password: Field<SecretString>,
            #[serde(default)]
            uris: Field<Vec<String>>,
            #[serde(default)]
            totp: Field<SecretString>,
            #[serde(default)]
            entries: Field<Vec<EnvEntry>>,
            #[serde(default)]
            cardholder: Field<String>,
            #[serde(default)]
            brand: Field<String>,
            #[serde(default)]
            number: Field<SecretString>,
            #[serde(default)]
            exp_month: Field<String>,
            #[serde(default)]
            exp_year: Field<String>,
            #[serde(default)]
            code: Field<SecretString>,
            #[serde(default)]
            full_name: Field<String>,
            #[serde(default)]
            email: Field<String>,
            #[serde(default)]
            phone: Field<String>,
            #[serde(default)]
            address: Field<String>,
            #[serde(default)]
            document_number: Field<SecretString>,
            #[serde(default)]
            private_key: Field<SecretString>,
            #[serde(default)]
            public_key: Field<String>,
            #[serde(default)]
            fingerprint: Field<String>,
        }
        fn build(r: Raw) -> core::result::Result<ItemData, Mismatch> {
            let login = matches!(r.tag, Tag::Login);
            let card = matches!(r.tag, Tag::Card);
            let identity = matches!(r.tag, Tag::Identity);
            let ssh = matches!(r.tag, Tag::SshKey);
            // Members of the other item types must be absent.
            let strings = [
                (login, &r.username, "username"),
                (card, &r.cardholder, "cardholder"),
                (card, &r.brand, "brand"),
                (card, &r.exp_month, "exp_month"),
                (card, &r.exp_year, "exp_year"),
                (identity, &r.full_name, "full_name"),
                (identity, &r.email, "email"),
                (identity, &r.phone, "phone"),
                (identity, &r.address, "address"),
                (ssh, &r.public_key, "public_key"),
                (ssh, &r.fingerprint, "fingerprint"),
            ];
            for (mine, f, name) in strings {
                if !mine {
                    f.forbid(name)?;
                }
            }
            let secrets = [
                (login, &r.password, "password"),
                (login, &r.totp, "totp"),
                (card, &r.number, "number"),
                (card, &r.code, "code"),
                (identity, &r.document_number, "document_number"),
                (ssh, &r.private_key, "private_key"),
            ];
            for (mine, f, name) in secrets {
                if !mine {
                    f.forbid(name)?;
                }
            }
            if !login {
                r.uris.forbid("uris")?;
            }
            if !matches!(r.tag, Tag::ApiKey) {
                r.entries.forbid("entries")?;
            }
            Ok(match r.tag {
                Tag::Login => ItemData::Login {
                    username: r.username.or_default(),
                    password: r.password.or_default(),
                    uris: r.uris.or_default(),
                    totp: r.totp.or_default(),
                },
                Tag::SecureNote => ItemData::SecureNote,
                Tag::ApiKey => ItemData::ApiKey {
                    entries: r.entries.or_default(),
                },
                Tag::Card => ItemData::Card {
                    cardholder: r.cardholder.or_default(),
                    brand: r.brand.or_default(),
                    number: r.number.or_default(),
                    exp_month: r.exp_month.or_default(),
                    exp_year: r.exp_year.or_default(),
                    code: r.code.or_default(),
                },
                Tag::Identity => ItemData::Identity {
                    full_name: r.full_name.or_default(),
                    email: r.email.or_default(),
                    phone: r.phone.or_default(),
                    address: r.address.or_default(),
                    document_number: r.document_number.or_default(),
                },
                Tag::SshKey => ItemData::SshKey {
                    private_key: r.private_key.or_default(),
                    public_key: r.public_key.or_default(),
                    fingerprint: r.fingerprint.or_default(),
                },
            })
        }
        build(Raw::deserialize(d)?).map_err(Mismatch::into_error)
    }
}

/// One `KEY=VALUE` pair of an API-key item.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, Zeroize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EnvEntry {
    /// Variable name.
    pub key: String,
    /// Secret value.
    pub value: SecretString,
}

impl EnvEntry {
    /// Parses `.env`-style text: one `KEY=VALUE` per line, `#` comments and
    /// blank lines ignored, optional `export ` prefix and matching quotes removed.
    ///
    /// ```
    /// let e = vault_core::EnvEntry::parse_dotenv("export A=1\n# c\nB=\"two\"\n").unwrap();
    /// assert_eq!(e[1].key, "B");
    /// assert_eq!(e[1].value.expose_secret(), "two");
    /// ```
    pub fn parse_dotenv(text: &str) -> Result<Vec<EnvEntry>> {
        let mut out = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let (k, v) = line
                .split_once('=')
                .ok_or_else(|| Error::malformed("env line", "expected KEY=VALUE"))?;
            let k = k.trim();
            if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(Error::malformed("env line", "invalid variable name"));
            }
            let v = v.trim();
            let v = ['"', '\'']
                .iter()
                .find_map(|q| v.strip_prefix(*q).and_then(|s| s.strip_suffix(*q)))
                .unwrap_or(v);
            out.push(EnvEntry {
                key: k.to_owned(),
                value: SecretString::from(v),
            });
        }
        Ok(out)
    }
}

/// A user-defined field.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, Zeroize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CustomField {
    /// Field name (encrypted like everything else).
    pub name: String,
    /// Field value.
    pub value: SecretString,
    /// How apps show it.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub kind: FieldKind,
}

/// How a custom field is displayed.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, Zeroize,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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

/// The kind of an item, as shown in lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ItemKind {
    /// [`ItemData::Login`].
    Login,
    /// [`ItemData::SecureNote`].
    SecureNote,
    /// [`ItemData::ApiKey`].
    ApiKey,
    /// [`ItemData::Card`].
    Card,
    /// [`ItemData::Identity`].
    Identity,
    /// [`ItemData::SshKey`].
    SshKey,
}

impl ItemData {
    /// The kind of this data.
    pub fn kind(&self) -> ItemKind {
        match self {
            ItemData::Login { .. } => ItemKind::Login,
            ItemData::SecureNote => ItemKind::SecureNote,
            ItemData::ApiKey { .. } => ItemKind::ApiKey,
            ItemData::Card { .. } => ItemKind::Card,
            ItemData::Identity { .. } => ItemKind::Identity,
            ItemData::SshKey { .. } => ItemKind::SshKey,
        }
    }
}

/// The overview: what a list screen shows. Sealed apart from the details.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Overview {
    /// Payload version ([`ITEM_PAYLOAD_VERSION`]).
    pub v: u8,
    /// Item kind.
    pub kind: ItemKind,
    /// Title.
    pub title: String,
    /// Secondary line (user name, masked card number, key name…). Never a secret.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subtitle: String,
    /// URL to fetch an icon for (a login's first URI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    /// Tags, for filtering.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Pinned.
    #[serde(default, skip_serializing_if = "is_false")]
    pub favorite: bool,
}

impl Item {
    /// Builds the overview shown in lists.
    pub fn overview(&self) -> Overview {
        let subtitle = match &self.data {
            ItemData::Login { username, .. } => username.clone(),
            ItemData::Card { brand, number, .. } => {
                let digits: Vec<char> = number
                    .expose_secret()
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect();
                let last4: String = digits.iter().skip(digits.len().saturating_sub(4)).collect();
                match (brand.is_empty(), last4.is_empty()) {
                    (_, true) => brand.clone(),
                    (true, false) => format!("•••• {last4}"),
                    (false, false) => format!("{brand} •••• {last4}"),
                }
            }
            ItemData::Identity { full_name, .. } => full_name.clone(),
            ItemData::ApiKey { entries } => entries
                .iter()
                .map(|e| e.key.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            ItemData::SshKey { fingerprint, .. } => fingerprint.clone(),
            ItemData::SecureNote => String::new(),
        };
        let icon_url = match &self.data {
            ItemData::Login { uris, .. } => uris.first().cloned(),
            _ => None,
        };
        Overview {
            v: ITEM_PAYLOAD_VERSION,
            kind: self.data.kind(),
            title: self.title.clone(),
            subtitle,
            icon_url,
            tags: self.tags.clone(),
            favorite: self.favorite,
        }
    }
}

impl Item {
    /// Parses a details payload (`{"v":1,"item":{…}}`, the plaintext of the
    /// details envelope), rejecting unknown versions and unknown fields.
    pub fn from_payload(json: &[u8]) -> Result<Item> {
        let d: DetailsIn = serde_json::from_slice(json)
            .map_err(|_| Error::malformed("item details", "invalid item JSON"))?;
        if d.v != ITEM_PAYLOAD_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "item payload",
                version: d.v,
            });
        }
        Ok(d.item)
    }

    /// The details payload for this item (what the details envelope seals).
    pub fn to_payload(&self) -> Result<Zeroizing<Vec<u8>>> {
        serde_json::to_vec(&DetailsOut {
            v: ITEM_PAYLOAD_VERSION,
            item: self,
        })
        .map(Zeroizing::new)
        .map_err(|_| Error::InvalidArgument("item"))
    }
}

impl Overview {
    /// Parses an overview payload, rejecting unknown versions and fields.
    pub fn from_payload(json: &[u8]) -> Result<Overview> {
        let o: Overview = serde_json::from_slice(json)
            .map_err(|_| Error::malformed("item overview", "invalid overview JSON"))?;
        if o.v != ITEM_PAYLOAD_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "item payload",
                version: o.v,
            });
        }
        Ok(o)
    }
}

impl EncryptedItem {
    /// Parses the stored JSON form of an encrypted item.
    pub fn from_json(json: &str) -> Result<EncryptedItem> {
        crate::encoding::json_from_str(json)
            .map_err(|_| Error::malformed("encrypted item", "invalid JSON"))
    }
}

/// Details envelope plaintext: `{"v":1,"item":{…}}`.
#[derive(serde::Serialize)]
struct DetailsOut<'a> {
    v: u8,
    item: &'a Item,
}
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DetailsIn {
    v: u8,
    item: Item,
}

/// An item as the server stores it (all ciphertext but ids and counters).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EncryptedItem {
    /// The vault.
    pub vault: VaultId,
    /// The item.
    pub item: ItemId,
    /// Revision this blob was sealed for.
    pub revision: u64,
    /// Vault key generation wrapping `item_key`.
    pub key_version: u32,
    /// The item key under the vault key (`Context::ItemKey`).
    pub item_key: Envelope,
    /// [`Overview`] JSON under the item key (`Context::ItemOverview`).
    pub overview: Envelope,
    /// Details JSON under the item key (`Context::ItemDetails`).
    pub details: Envelope,
}

/// One row of the list screen, or why that item could not be shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListRow {
    /// The item.
    pub item: ItemId,
    /// Its revision.
    pub revision: u64,
    /// The decrypted overview.
    pub overview: Overview,
}

impl VaultKey {
    /// Encrypts `item` as revision `revision` of `item_id`, under a fresh item
    /// key, with the default algorithm.
    ///
    /// ```
    /// use vault_core::*;
    /// let mut rng = vault_core::rng::os_rng();
    /// let vk = VaultKey::generate(VaultId::generate(&mut rng), &mut rng);
    /// let item = Item {
    ///     title: "Bank".into(),
    ///     data: ItemData::Login { username: "me".into(), password: "pw".into(), uris: vec![], totp: Default::default() },
    ///     notes: Default::default(), tags: vec![], favorite: false, custom_fields: vec![],
    /// };
    /// let id = ItemId::generate(&mut rng);
    /// let enc = vk.encrypt_item(id, 1, &item, &mut rng).unwrap();
    /// assert_eq!(vk.decrypt_item(&enc).unwrap(), item);
    /// assert_eq!(vk.decrypt_overview(&enc).unwrap().overview.subtitle, "me");
    /// ```
    pub fn encrypt_item(
        &self,
        item_id: ItemId,
        revision: u64,
        item: &Item,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<EncryptedItem> {
        self.encrypt_item_with(item_id, revision, item, Algorithm::default(), rng)
    }

    /// As [`encrypt_item`](Self::encrypt_item) with an explicit algorithm for the item's contents.
    pub fn encrypt_item_with(
        &self,
        item_id: ItemId,
        revision: u64,
        item: &Item,
        alg: Algorithm,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<EncryptedItem> {
        let item_key = SymmetricKey::generate(rng);
        let overview = Zeroizing::new(
            serde_json::to_vec(&item.overview()).map_err(|_| Error::InvalidArgument("item"))?,
        );
        let details = item.to_payload()?;
        let (ov_ctx, de_ctx) = item_contexts(self.vault, item_id, revision);
        Ok(EncryptedItem {
            vault: self.vault,
            item: item_id,
            revision,
            key_version: self.key_version,
            item_key: self.wrap_item_key(&item_key, item_id, rng)?,
            overview: Envelope::seal_with(&item_key, alg, &ov_ctx, &overview, rng)?,
            details: Envelope::seal_with(&item_key, alg, &de_ctx, &details, rng)?,
        })
    }

    pub(crate) fn wrap_item_key(
        &self,
        item_key: &SymmetricKey,
        item: ItemId,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<Envelope> {
        let ctx = Context::ItemKey {
            vault: self.vault,
            item,
            key_version: self.key_version,
        };
        Envelope::seal(&self.key, &ctx, item_key.expose_secret(), rng)
    }

    pub(crate) fn unwrap_item_key(&self, it: &EncryptedItem) -> Result<SymmetricKey> {
        if it.vault != self.vault || it.key_version != self.key_version {
            return Err(Error::Decrypt);
        }
        let ctx = Context::ItemKey {
            vault: self.vault,
            item: it.item,
            key_version: self.key_version,
        };
        it.item_key.open_key(&self.key, &ctx)
    }

    /// Decrypts an item's details (the whole item).
    pub fn decrypt_item(&self, it: &EncryptedItem) -> Result<Item> {
        let key = self.unwrap_item_key(it)?;
        let (_, ctx) = item_contexts(it.vault, it.item, it.revision);
        let pt = it.details.open(&key, &ctx)?;
        Item::from_payload(&pt)
    }

    /// Decrypts only the overview (one key unwrap, one small open).
    pub fn decrypt_overview(&self, it: &EncryptedItem) -> Result<ListRow> {
        let key = self.unwrap_item_key(it)?;
        let (ctx, _) = item_contexts(it.vault, it.item, it.revision);
        let pt = it.overview.open(&key, &ctx)?;
        let overview = Overview::from_payload(&pt)?;
        Ok(ListRow {
            item: it.item,
            revision: it.revision,
            overview,
        })
    }

    /// Decrypts the list screen: one result per item, in order. A corrupt or
    /// foreign item yields an error in its slot; the others still decrypt.
    pub fn decrypt_list(&self, items: &[EncryptedItem]) -> Vec<Result<ListRow>> {
        items.iter().map(|it| self.decrypt_overview(it)).collect()
    }

    /// [`decrypt_list`](Self::decrypt_list) on all cores (rayon).
    #[cfg(feature = "parallel")]
    pub fn decrypt_list_parallel(&self, items: &[EncryptedItem]) -> Vec<Result<ListRow>> {
        use rayon::prelude::*;
        items
            .par_iter()
            .with_min_len(256)
            .map(|it| self.decrypt_overview(it))
            .collect()
    }
}

fn item_contexts(vault: VaultId, item: ItemId, revision: u64) -> (Context, Context) {
    (
        Context::ItemOverview {
            vault,
            item,
            revision,
        },
        Context::ItemDetails {
            vault,
            item,
            revision,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn item_data_parses_strictly_without_buffering() {
        let good = [
            json!({"type": "login", "username": "u", "password": "p", "uris": ["https://x"], "totp": "t"}),
            json!({"type": "login"}),
            json!({"type": "secure_note"}),
            json!({"type": "api_key", "entries": [{"key": "A", "value": "1"}]}),
            json!({"type": "api_key"}),
            json!({"type": "card", "cardholder": "A", "brand": "Visa", "number": "4111", "exp_month": "1", "exp_year": "2030", "code": "123"}),
            json!({"type": "identity", "full_name": "A", "email": "e", "phone": "p", "address": "a", "document_number": "d"}),
            json!({"type": "ssh_key", "private_key": "k", "public_key": "p", "fingerprint": "f"}),
        ];
        for g in good {
            let d: ItemData =
                serde_json::from_value(g.clone()).unwrap_or_else(|e| panic!("{g}: {e}"));
            let again: ItemData =
                serde_json::from_value(serde_json::to_value(&d).unwrap()).unwrap();
            assert_eq!(again, d);
        }
        let login: ItemData =
            serde_json::from_value(json!({"username": "u", "type": "login"})).unwrap();
        assert_eq!(
            login,
            ItemData::Login {
                username: "u".into(),
                password: SecretString::default(),
                uris: vec![],
                totp: SecretString::default()
            }
        );
        for bad in [
            json!({"username": "u"}),
            json!({"type": "password"}),
            json!({"type": "login", "number": "4111"}),
            json!({"type": "login", "extra": 1}),
            json!({"type": "login", "password": 42}),
            json!({"type": "card", "password": "p"}),
            json!({"type": "identity", "private_key": "k"}),
            json!({"type": "ssh_key", "entries": []}),
            json!({"type": "api_key", "uris": []}),
            // serde's derive let a unit variant carry any field; this parser does not.
            json!({"type": "secure_note", "username": "u"}),
        ] {
            assert!(
                serde_json::from_value::<ItemData>(bad.clone()).is_err(),
                "accepted {bad}"
            );
        }
        let dup = r#"{"type":"login","username":"a","username":"b"}"#;
        assert!(crate::encoding::json_from_str::<ItemData>(dup).is_err());
        let dup_tag = r#"{"type":"login","type":"card"}"#;
        assert!(crate::encoding::json_from_str::<ItemData>(dup_tag).is_err());
    }
}
