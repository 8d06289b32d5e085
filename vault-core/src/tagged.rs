//! Deserialising internally tagged JSON objects (`{"type": "login", …}`)
//! without serde's buffering.
//!
//! `#[serde(tag = "…")]` on an enum makes serde buffer the whole object into
//! its private `Content` tree before it can look at the tag, and compiles a
//! second deserializer, over `Content`, for every type nested inside. That
//! doubles the code of everything under a tagged enum (the WebAssembly module
//! carried ~80 KB of it) and leaves unwiped copies of every string in the
//! buffer, secrets included. The enums that must parse fast, small and
//! strictly instead deserialize into a private "raw" struct whose fields are
//! [`Field`]s (every field any variant has, each remembering whether it was
//! present), then build the variant the tag names, requiring its fields and
//! rejecting the others. Unknown fields, duplicate fields, a missing tag and
//! unknown tags are errors exactly as with `deny_unknown_fields`; the
//! serialised form is unchanged (serialisation still uses serde's derive).

use crate::ids::ItemId;
use crate::item::EncryptedItem;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

/// One member of a tagged object: absent, or present with its value.
pub(crate) enum Field<T> {
    /// Not in the object.
    Absent,
    /// In the object.
    Present(T),
}

// Written out: `#[derive(Default)]` would require `T: Default`, which the
// member types (an encrypted item, an id) are not.
#[allow(clippy::derivable_impls)]
impl<T> Default for Field<T> {
    fn default() -> Self {
        Field::Absent
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Field::Present)
    }
}

/// Why a tagged object does not fit the variant its tag names; turned into
/// the deserializer's error by [`Mismatch::into_error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mismatch {
    /// A member the variant requires is missing.
    Missing(&'static str),
    /// A member of another variant is present.
    Unexpected(&'static str),
    /// A member has the wrong kind of value for this variant.
    WrongKind(&'static str),
}

impl Mismatch {
    /// The deserializer's error for this mismatch.
    pub(crate) fn into_error<E: de::Error>(self) -> E {
        match self {
            Mismatch::Missing(name) => E::missing_field(name),
            Mismatch::Unexpected(name) => E::unknown_field(name, &[]),
            Mismatch::WrongKind(what) => E::custom(what),
        }
    }
}

impl<T> Field<T> {
    /// The value of a member the variant requires.
    pub(crate) fn required(self, name: &'static str) -> Result<T, Mismatch> {
        match self {
            Field::Present(v) => Ok(v),
            Field::Absent => Err(Mismatch::Missing(name)),
        }
    }

    /// The value of a member with a default (`#[serde(default)]`).
    pub(crate) fn or_default(self) -> T
    where
        T: Default,
    {
        match self {
            Field::Present(v) => v,
            Field::Absent => T::default(),
        }
    }

    /// Rejects a member that belongs to another variant.
    pub(crate) fn forbid(&self, name: &'static str) -> Result<(), Mismatch> {
        match self {
            Field::Absent => Ok(()),
            Field::Present(_) => Err(Mismatch::Unexpected(name)),
        }
    }
}

impl<T> Field<Option<T>> {
    /// The value of an `Option` member: absent and `null` are both `None`
    /// (serde's derive treats a missing `Option` field the same way).
    pub(crate) fn optional(self) -> Option<T> {
        match self {
            Field::Present(v) => v,
            Field::Absent => None,
        }
    }
}

/// The `item` member of the sync wire enums: an item id (a UUID string) in
/// some variants, a whole [`EncryptedItem`] (an object) in others. Told
/// apart by the JSON type, without buffering.
pub(crate) enum ItemOrId {
    /// A UUID string.
    Id(ItemId),
    /// An object.
    Item(Box<EncryptedItem>),
}

impl ItemOrId {
    /// The id, or an error if this was an object.
    pub(crate) fn id(self) -> Result<ItemId, Mismatch> {
        match self {
            ItemOrId::Id(id) => Ok(id),
            ItemOrId::Item(_) => Err(Mismatch::WrongKind("item: expected an item id")),
        }
    }

    /// The item, or an error if this was an id.
    pub(crate) fn item(self) -> Result<EncryptedItem, Mismatch> {
        match self {
            ItemOrId::Item(item) => Ok(*item),
            ItemOrId::Id(_) => Err(Mismatch::WrongKind("item: expected an encrypted item")),
        }
    }
}

impl<'de> Deserialize<'de> for ItemOrId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ItemOrId;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("an item id or an encrypted item")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<ItemOrId, E> {
                s.parse()
                    .map(ItemOrId::Id)
                    .map_err(|_| E::custom("item: invalid id"))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ItemOrId, A::Error> {
                // The same visitor instantiation as a direct parse of an item.
                EncryptedItem::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|i| ItemOrId::Item(Box::new(i)))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        #[serde(default)]
        a: Field<u32>,
        #[serde(default)]
        b: Field<Option<u32>>,
    }

    fn raw(json: &str) -> Raw {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn fields_remember_presence() {
        let r = raw(r#"{"a":1}"#);
        assert!(r.b.forbid("b").is_ok());
        assert_eq!(r.a.required("a"), Ok(1));
        let r = raw(r#"{"b":null}"#);
        assert!(r.b.forbid("b").is_err());
        assert_eq!(r.a.required("a"), Err(Mismatch::Missing("a")));
        assert_eq!(raw(r#"{"b":null}"#).b.optional(), None);
        assert_eq!(raw("{}").b.optional(), None);
        assert_eq!(raw(r#"{"b":2}"#).b.optional(), Some(2));
        assert_eq!(raw("{}").a.or_default(), 0);
        assert!(serde_json::from_str::<Raw>(r#"{"a":1,"a":2}"#).is_err());
        assert!(serde_json::from_str::<Raw>(r#"{"c":1}"#).is_err());
    }

    #[test]
    fn item_or_id() {
        let id: ItemOrId =
            serde_json::from_str(r#""02020202-0202-0202-0202-020202020202""#).unwrap();
        assert_eq!(id.id(), Ok(ItemId([2; 16])));
        assert!(serde_json::from_str::<ItemOrId>(r#""nope""#).is_err());
        assert!(serde_json::from_str::<ItemOrId>("7").is_err());
        assert!(serde_json::from_str::<ItemOrId>(r#"{"vault":1}"#).is_err());
    }
}
