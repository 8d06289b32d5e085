//! 128-bit identifiers for accounts, vaults, items, devices, services and
//! secrets.
//!
//! Ids are random (UUID version 4 layout) and rendered as lowercase hyphenated
//! UUID text. They are not secret; they are bound into every envelope's
//! associated data so a blob cannot be moved to another id.

use core::fmt;
use core::str::FromStr;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "Uuid", type = "string"))]
        pub struct $name(pub [u8; 16]);

        impl $name {
            /// A fresh random id (UUID v4 layout).
            pub fn generate(rng: &mut impl rand_core::CryptoRng) -> Self {
                let mut b = [0u8; 16];
                rng.fill_bytes(&mut b);
                b[6] = (b[6] & 0x0f) | 0x40;
                b[8] = (b[8] & 0x3f) | 0x80;
                $name(b)
            }
            /// The 16 raw bytes, as bound into associated data.
            pub fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt_uuid(&self.0, f)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }
        impl FromStr for $name {
            type Err = crate::Error;
            fn from_str(s: &str) -> crate::Result<Self> {
                parse_uuid(s).map($name)
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// Identifies an account (a user).
    ///
    /// ```
    /// let id: vault_core::AccountId = "6f1c2e1e-8d7a-4b4c-9a53-1f5e9c0b7a10".parse().unwrap();
    /// assert_eq!(id.to_string(), "6f1c2e1e-8d7a-4b4c-9a53-1f5e9c0b7a10");
    /// ```
    AccountId
);
id_type!(
    /// Identifies a vault (a collection of items sharing one vault key).
    VaultId
);
id_type!(
    /// Identifies an item inside a vault.
    ItemId
);
id_type!(
    /// Identifies one device (an app install) of an account: bound into the
    /// quick-unlock wraps that never leave it.
    DeviceId
);
id_type!(
    /// Identifies a service identity (a machine that reads a project's
    /// secrets with a service token).
    ServiceId
);
id_type!(
    /// Identifies a secret inside a project (stable across versions and
    /// renames; the name itself is sealed).
    SecretId
);

fn fmt_uuid(b: &[u8; 16], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            f.write_str("-")?;
        }
        write!(f, "{byte:02x}")?;
    }
    Ok(())
}

fn parse_uuid(s: &str) -> crate::Result<[u8; 16]> {
    let err = || crate::Error::malformed("id", "expected a hyphenated UUID");
    let bytes = s.as_bytes();
    if bytes.len() != 36 {
        return Err(err());
    }
    let mut out = [0u8; 16];
    let mut hex = bytes
        .iter()
        .enumerate()
        .filter(|(i, _)| !matches!(i, 8 | 13 | 18 | 23))
        .map(|(_, c)| *c);
    for (i, c) in bytes.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) && *c != b'-' {
            return Err(err());
        }
    }
    for o in out.iter_mut() {
        let hi = hex.next().and_then(hex_val).ok_or_else(err)?;
        let lo = hex.next().and_then(hex_val).ok_or_else(err)?;
        *o = (hi << 4) | lo;
    }
    Ok(out)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}
