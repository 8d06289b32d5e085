//! `get_all`'s two halves that need no server: which secrets a struct
//! wants (its field names, read from serde's derive without a value), and
//! filling the struct from opened values without a JSON copy of them.

use crate::error::SecretsError;
use serde::de::{self, DeserializeOwned, Deserializer, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

/// The field names serde's derive declares for `T` (renames applied), or
/// `None` if `T` is not a struct with named fields.
pub(crate) fn struct_fields<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    let mut found = None;
    // The probe always fails after recording what it saw: no value of T
    // is ever made.
    let _ = T::deserialize(Probe(&mut found));
    found.filter(|f| !f.is_empty())
}

/// The secret a field names: a field without upper-case letters is the
/// upper-cased name (`database_url` → `DATABASE_URL`); anything else
/// (`#[serde(rename = "Api.Key")]`) is taken as written.
pub(crate) fn secret_name_of(field: &str) -> String {
    if field.chars().any(|c| c.is_uppercase()) {
        field.to_owned()
    } else {
        field.to_ascii_uppercase()
    }
}

struct Probe<'a>(&'a mut Option<&'static [&'static str]>);

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _v: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = Some(fields);
        Err(de::Error::custom("probed"))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// Deserialises `T` from `(key, value)` pairs, each value a string.
/// serde's message is dropped: it may quote a value.
pub(crate) fn from_pairs<'a, T: DeserializeOwned>(
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<T, SecretsError> {
    let map = de::value::MapDeserializer::<_, de::value::Error>::new(
        pairs.map(|(k, v)| (k.into_deserializer(), v.into_deserializer())),
    );
    T::deserialize(map).map_err(|_| SecretsError::Deserialize)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::HashMap;
    use vault_core::SecretString;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Plain {
        database_url: String,
        stripe_key: Option<SecretString>,
        #[serde(rename = "Api.Key")]
        api: Option<String>,
    }

    #[test]
    fn fields_come_from_the_derive() {
        assert_eq!(
            struct_fields::<Plain>().unwrap(),
            &["database_url", "stripe_key", "Api.Key"]
        );
        assert!(struct_fields::<String>().is_none());
        assert!(struct_fields::<HashMap<String, String>>().is_none());
        assert!(struct_fields::<(String, String)>().is_none());
        let names: Vec<String> = struct_fields::<Plain>()
            .unwrap()
            .iter()
            .map(|f| secret_name_of(f))
            .collect();
        assert_eq!(names, ["DATABASE_URL", "STRIPE_KEY", "Api.Key"]);
    }

    #[test]
    fn structs_fill_from_pairs_and_errors_quote_nothing() {
        let p: Plain = from_pairs(
            [("database_url", "postgres://x"), ("ignored", "y")]
                .iter()
                .copied(),
        )
        .unwrap();
        assert_eq!(p.database_url, "postgres://x");
        assert!(p.stripe_key.is_none());
        // Missing required field.
        assert!(matches!(
            from_pairs::<Plain>(std::iter::empty()),
            Err(SecretsError::Deserialize)
        ));
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Port {
            port: u16,
        }
        let e = from_pairs::<Port>([("port", "hunter2")].iter().copied()).unwrap_err();
        assert!(!e.to_string().contains("hunter2"));
        assert!(!format!("{e:?}").contains("hunter2"));
    }
}
