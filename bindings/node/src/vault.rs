//! Vault keys, items (every type, as plain objects) and the list screen.

use crate::convert::{Opts, from_js, parse_id, to_js, v8_parse, v8_stringify};
use crate::error::{OrNapi, OrThrow, Result, invalid, malformed};
use crate::keys::SymmetricKey;
use crate::rng::{Rng, with_rng};
use crate::task::{IntoJs, Job, spawn};
use napi::bindgen_prelude::{AbortSignal, Array, AsyncTask, ClassInstance, FromNapiValue, Object};
use napi::{Env, Unknown};
use napi_derive::napi;
use vault_core::{
    Algorithm, EncryptedItem, EncryptedVault, EnvEntry, Item, ItemId, ListRow, VaultId, VaultMeta,
};

/// One vault's key of one generation, in native memory.
#[napi]
pub struct VaultKey {
    pub(crate) inner: vault_core::VaultKey,
}

impl From<vault_core::VaultKey> for VaultKey {
    fn from(inner: vault_core::VaultKey) -> Self {
        VaultKey { inner }
    }
}

fn revision_of(revision: i64) -> Result<u64> {
    u64::try_from(revision).map_err(|_| invalid("revision must be a non-negative integer"))
}

/// An encrypted item object (the stored JSON form).
fn encrypted_item(env: &Env, value: Unknown<'_>) -> Result<EncryptedItem> {
    from_js(env, value, "encrypted item")
}

/// One list-screen result: the row, or why this item could not be shown.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum RowJs<'a> {
    Ok {
        ok: bool,
        item: &'a ItemId,
        revision: u64,
        overview: &'a vault_core::Overview,
    },
    Err {
        ok: bool,
        item: Option<ItemId>,
        revision: Option<u64>,
        code: &'static str,
        message: String,
    },
}

/// What the worker gives back for one input item.
pub struct RowOut {
    ids: Option<(ItemId, u64)>,
    result: vault_core::Result<ListRow>,
}

fn row_js(row: &RowOut) -> RowJs<'_> {
    match &row.result {
        Ok(r) => RowJs::Ok {
            ok: true,
            item: &r.item,
            revision: r.revision,
            overview: &r.overview,
        },
        Err(e) => RowJs::Err {
            ok: false,
            item: row.ids.map(|(i, _)| i),
            revision: row.ids.map(|(_, r)| r),
            code: e.code(),
            message: e.to_string(),
        },
    }
}

fn row_to_js<'e>(env: &'e Env, row: &RowOut) -> Result<Unknown<'e>> {
    let text = serde_json::to_string(&row_js(row)).map_err(|_| invalid("list row"))?;
    v8_parse(env, text)
}

/// The rows of a list, built on the main thread.
pub struct Rows(Vec<RowOut>);

impl IntoJs for Rows {
    type Js<'e> = Unknown<'e>;
    fn into_js<'e>(self, env: &'e Env) -> Result<Unknown<'e>> {
        rows_to_js(env, &self.0)
    }
}

fn rows_to_js<'e>(env: &'e Env, rows: &[RowOut]) -> Result<Unknown<'e>> {
    let js: Vec<RowJs<'_>> = rows.iter().map(row_js).collect();
    let text = serde_json::to_string(&js).map_err(|_| invalid("list rows"))?;
    v8_parse(env, text)
}

type Parsed = Vec<std::result::Result<EncryptedItem, vault_core::Error>>;

const NOT_AN_ITEM: vault_core::Error = vault_core::Error::Malformed {
    what: "encrypted item",
    reason: "not a valid value of this type",
};

/// The input of a list call: JSON text (given, or made by V8's
/// `JSON.stringify`), parsed later (on the worker for `decryptList`), or
/// the elements already parsed when the array could not be stringified.
pub enum ListInput {
    /// JSON text of an array of encrypted items.
    Text(String),
    /// Elements parsed one by one through N-API.
    Parsed(Parsed),
}

impl ListInput {
    fn read(env: &Env, items: Unknown<'_>) -> Result<Self> {
        if items.get_type().or_napi()? == napi::ValueType::String {
            return Ok(ListInput::Text(env.from_js_value(items).or_napi()?));
        }
        if let Some(text) = v8_stringify(env, items) {
            return Ok(ListInput::Text(text));
        }
        if !napi::JsValue::is_array(&items).or_napi()? {
            return Err(malformed("encrypted items"));
        }
        let arr = <Array<'_> as FromNapiValue>::from_unknown(items)
            .map_err(|_| malformed("encrypted items"))?;
        let len = arr.len();
        let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        for i in 0..len {
            let v: Option<Unknown<'_>> = arr.get(i).or_napi()?;
            out.push(match v {
                Some(v) => env
                    .from_js_value::<EncryptedItem, _>(v)
                    .map_err(|_| NOT_AN_ITEM),
                None => Err(NOT_AN_ITEM),
            });
        }
        Ok(ListInput::Parsed(out))
    }

    /// Every element parsed; one that is not an encrypted item becomes a
    /// `malformed` row instead of failing the whole list.
    fn parse(self) -> vault_core::Result<Parsed> {
        match self {
            ListInput::Parsed(p) => Ok(p),
            ListInput::Text(t) => {
                // Fast path: every element is an encrypted item.
                if let Ok(items) = serde_json::from_str::<Vec<EncryptedItem>>(&t) {
                    return Ok(items.into_iter().map(Ok).collect());
                }
                let values: Vec<serde_json::Value> =
                    serde_json::from_str(&t).map_err(|_| vault_core::Error::Malformed {
                        what: "encrypted items",
                        reason: "expected an array",
                    })?;
                Ok(values
                    .into_iter()
                    .map(|v| serde_json::from_value::<EncryptedItem>(v).map_err(|_| NOT_AN_ITEM))
                    .collect())
            }
        }
    }
}

/// An encrypted item given as an object (or its JSON text).
pub(crate) fn read_item(env: &Env, value: Unknown<'_>) -> Result<EncryptedItem> {
    let text = if value.get_type().or_napi()? == napi::ValueType::String {
        Some(env.from_js_value::<String, _>(value).or_napi()?)
    } else {
        v8_stringify(env, value)
    };
    match text {
        Some(t) => EncryptedItem::from_json(&t).or_throw(),
        None => encrypted_item(env, value),
    }
}

fn decrypt_rows(
    key: &vault_core::VaultKey,
    items: &[std::result::Result<EncryptedItem, vault_core::Error>],
) -> Vec<RowOut> {
    items
        .iter()
        .map(|it| match it {
            Ok(it) => RowOut {
                ids: Some((it.item, it.revision)),
                result: key.decrypt_overview(it),
            },
            Err(e) => RowOut {
                ids: None,
                result: Err(e.clone()),
            },
        })
        .collect()
}

#[napi]
impl VaultKey {
    /// A fresh key (generation 1) for a new vault; a fresh vault id unless
    /// one is given.
    #[napi(factory)]
    pub fn generate(vault_id: Option<String>, rng: Option<&mut Rng>) -> Result<Self> {
        with_rng(rng, |r| {
            let vault = match &vault_id {
                Some(id) => parse_id::<VaultId>(id)?,
                None => VaultId::generate(r),
            };
            Ok(VaultKey::from(vault_core::VaultKey::generate(vault, r)))
        })
    }

    /// Rebuilds a vault key from an exported key (explicit import).
    #[napi(factory)]
    pub fn from_parts(vault_id: String, key_version: u32, key: &SymmetricKey) -> Result<Self> {
        Ok(VaultKey::from(vault_core::VaultKey::from_parts(
            parse_id(&vault_id)?,
            key_version,
            key.inner.clone(),
        )))
    }

    /// The vault this key belongs to.
    #[napi(getter)]
    pub fn vault_id(&self) -> String {
        self.inner.vault_id().to_string()
    }

    /// The key generation (incremented by `rotate`).
    #[napi(getter)]
    pub fn key_version(&self) -> u32 {
        self.inner.key_version()
    }

    /// The raw key as a `SymmetricKey` handle. Explicit export.
    #[napi]
    pub fn export_key(&self) -> SymmetricKey {
        SymmetricKey::from(self.inner.key().clone())
    }

    /// Same vault, generation and key (constant-time on the key).
    #[napi]
    pub fn equals(&self, other: &VaultKey) -> bool {
        self.inner == other.inner
    }

    /// Seals vault metadata (`{ name, description? }`).
    #[napi(ts_return_type = "EncryptedVault")]
    pub fn seal_meta<'e>(
        &self,
        env: &'e Env,
        #[napi(ts_arg_type = "VaultMeta")] meta: Unknown<'_>,
        rng: Option<&mut Rng>,
    ) -> Result<Unknown<'e>> {
        let meta: VaultMeta = from_js(env, meta, "vault meta")?;
        let v = with_rng(rng, |r| self.inner.seal_meta(&meta, r).or_throw())?;
        to_js(env, &v)
    }

    /// Opens vault metadata.
    #[napi(ts_return_type = "VaultMeta")]
    pub fn open_meta<'e>(
        &self,
        env: &'e Env,
        #[napi(ts_arg_type = "EncryptedVault")] vault: Unknown<'_>,
    ) -> Result<Unknown<'e>> {
        let v: EncryptedVault = from_js(env, vault, "encrypted vault")?;
        to_js(env, &self.inner.open_meta(&v).or_throw()?)
    }

    /// Rotation after revoking a member: a new key generation, every item key
    /// re-wrapped (contents untouched), the metadata re-sealed. All or
    /// nothing. Returns `{ vaultKey, vault, items }`.
    #[napi(ts_return_type = "RotatedVault")]
    pub fn rotate<'e>(
        &self,
        env: &'e Env,
        #[napi(ts_arg_type = "EncryptedVault")] vault: Unknown<'_>,
        #[napi(ts_arg_type = "EncryptedItem[]")] items: Unknown<'_>,
        rng: Option<&mut Rng>,
    ) -> Result<Object<'e>> {
        let v: EncryptedVault = from_js(env, vault, "encrypted vault")?;
        let items: Vec<EncryptedItem> = from_js(env, items, "encrypted items")?;
        let (next, meta, items) = with_rng(rng, |r| self.inner.rotate(&v, &items, r).or_throw())?;
        let mut o = Object::new(env).or_napi()?;
        o.set("vaultKey", VaultKey::from(next)).or_napi()?;
        o.set("vault", to_js(env, &meta)?).or_napi()?;
        o.set("items", to_js(env, &items)?).or_napi()?;
        Ok(o)
    }

    /// Encrypts `item` as revision `revision` of `itemId` under a fresh item
    /// key: overview and details sealed apart. Options: `algorithm`
    /// (`'x-cha-cha20-poly1305'`, the default, or `'aes256-gcm'`), `rng`.
    #[napi(
        ts_args_type = "itemId: string, revision: number, item: Item, options?: { algorithm?: Algorithm, rng?: Rng }",
        ts_return_type = "EncryptedItem"
    )]
    pub fn encrypt_item<'e>(
        &self,
        env: &'e Env,
        item_id: String,
        revision: i64,
        item: Unknown<'_>,
        options: Option<Object<'_>>,
    ) -> Result<Unknown<'e>> {
        let opts = Opts::new(options);
        let alg: Algorithm = opts
            .get_de(env, "algorithm", "algorithm")?
            .unwrap_or_default();
        let item: Item = from_js(env, item, "item")?;
        let id: ItemId = parse_id(&item_id)?;
        let revision = revision_of(revision)?;
        let mut rng = opts.get::<ClassInstance<'_, Rng>>("rng")?;
        let enc = with_rng(rng.as_deref_mut(), |r| {
            self.inner
                .encrypt_item_with(id, revision, &item, alg, r)
                .or_throw()
        })?;
        to_js(env, &enc)
    }

    /// Decrypts an item's details: the whole item.
    #[napi(ts_return_type = "Item")]
    pub fn decrypt_item<'e>(
        &self,
        env: &'e Env,
        #[napi(ts_arg_type = "EncryptedItem | string")] item: Unknown<'_>,
    ) -> Result<Unknown<'e>> {
        let it = read_item(env, item)?;
        to_js(env, &self.inner.decrypt_item(&it).or_throw()?)
    }

    /// Decrypts only the overview (one key unwrap, one small open):
    /// `{ ok: true, item, revision, overview }`. Throws on failure.
    #[napi(ts_return_type = "ListRow")]
    pub fn decrypt_overview<'e>(
        &self,
        env: &'e Env,
        #[napi(ts_arg_type = "EncryptedItem | string")] item: Unknown<'_>,
    ) -> Result<Unknown<'e>> {
        let it = read_item(env, item)?;
        let row = RowOut {
            ids: Some((it.item, it.revision)),
            result: Ok(self.inner.decrypt_overview(&it).or_throw()?),
        };
        row_to_js(env, &row)
    }

    /// The list screen, on a worker thread: one result per item, in order.
    /// A corrupt, foreign or malformed item yields `{ ok: false, code,
    /// message }` in its slot; the others still decrypt. `items` may also be
    /// the stored items' JSON text (an array). Reading the input and building
    /// the rows happen on the main thread; parsing and decrypting on a worker.
    #[napi(
        ts_args_type = "items: EncryptedItem[] | string, options?: { signal?: AbortSignal }",
        ts_return_type = "Promise<ListResult[]>"
    )]
    pub fn decrypt_list(
        &self,
        env: &Env,
        items: Unknown<'_>,
        options: Option<Object<'_>>,
    ) -> Result<AsyncTask<Job<Rows>>> {
        let opts = Opts::new(options);
        let input = ListInput::read(env, items)?;
        let key = self.inner.clone();
        Ok(spawn(
            move || Ok(Rows(decrypt_rows(&key, &input.parse()?))),
            opts.get::<AbortSignal>("signal")?,
        ))
    }

    /// Synchronous twin of `decryptList`.
    #[napi(
        ts_args_type = "items: EncryptedItem[] | string",
        ts_return_type = "ListResult[]"
    )]
    pub fn decrypt_list_sync<'e>(&self, env: &'e Env, items: Unknown<'_>) -> Result<Unknown<'e>> {
        let parsed = ListInput::read(env, items)?.parse().or_throw()?;
        rows_to_js(env, &decrypt_rows(&self.inner, &parsed))
    }
}

/// A fresh random item id (UUID text).
#[napi]
pub fn generate_item_id(rng: Option<&mut Rng>) -> Result<String> {
    with_rng(rng, |r| Ok(ItemId::generate(r).to_string()))
}

/// A fresh random vault id (UUID text).
#[napi]
pub fn generate_vault_id(rng: Option<&mut Rng>) -> Result<String> {
    with_rng(rng, |r| Ok(VaultId::generate(r).to_string()))
}

/// The overview a list screen shows for `item` (what `encryptItem` seals
/// apart from the details).
#[napi(ts_return_type = "Overview")]
pub fn item_overview<'e>(
    env: &'e Env,
    #[napi(ts_arg_type = "Item")] item: Unknown<'_>,
) -> Result<Unknown<'e>> {
    let item: Item = from_js(env, item, "item")?;
    to_js(env, &item.overview())
}

/// Parses `.env`-style text into API-key entries (`KEY=VALUE` lines; `#`
/// comments, blank lines, `export ` and matching quotes handled).
#[napi(ts_return_type = "EnvEntry[]")]
pub fn parse_dotenv<'e>(env: &'e Env, text: String) -> Result<Unknown<'e>> {
    let text = zeroize::Zeroizing::new(text);
    let entries: Vec<EnvEntry> = EnvEntry::parse_dotenv(&text).or_throw()?;
    to_js(env, &entries)
}

/// Checks that an object is a valid item (every type, strict members).
#[napi]
pub fn validate_item(env: &Env, #[napi(ts_arg_type = "Item")] item: Unknown<'_>) -> Result<()> {
    from_js::<Item>(env, item, "item")
        .map(|_| ())
        .map_err(|_| malformed("item"))
}
