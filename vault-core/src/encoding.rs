//! Text encodings shared by the formats: unpadded base64url for binary fields
//! in JSON, and Crockford base32 for things people type (Secret Keys, shares).

use crate::error::{Error, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub(crate) fn serialize_b64<S: serde::Serializer>(
    bytes: &[u8],
    s: S,
) -> core::result::Result<S::Ok, S::Error> {
    s.serialize_str(&URL_SAFE_NO_PAD.encode(bytes))
}

pub(crate) fn deserialize_b64_array<'de, D: serde::Deserializer<'de>, const N: usize>(
    d: D,
) -> core::result::Result<[u8; N], D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    let v = URL_SAFE_NO_PAD
        .decode(s.as_bytes())
        .map_err(|_| serde::de::Error::custom("not unpadded base64url"))?;
    v.try_into()
        .map_err(|_| serde::de::Error::custom("wrong length"))
}

use serde::Deserialize as _;

/// Parses JSON text into `T` with serde_json's byte-slice reader.
///
/// Every JSON parse in vault-core goes through this reader (text is parsed as
/// its UTF-8 bytes, decrypted payloads as they are), so serde_json's parser
/// and each type's visitor are compiled once rather than once for `&str` and
/// once for `&[u8]`; that keeps the WebAssembly module smaller. Bindings that
/// parse core types themselves should use it too. Results are identical to
/// `serde_json::from_str`.
///
/// ```
/// let v: Vec<u32> = vault_core::encoding::json_from_str("[1, 2]")?;
/// assert_eq!(v, [1, 2]);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn json_from_str<'a, T: serde::Deserialize<'a>>(json: &'a str) -> serde_json::Result<T> {
    serde_json::from_slice(json.as_bytes())
}

/// Unpadded base64url, the text form of every binary field in JSON.
pub fn b64_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded base64url; rejects padding and other alphabets.
pub fn b64_decode(text: &str, what: &'static str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| Error::malformed(what, "not unpadded base64url"))
}

/// Serde adapter: `Vec<u8>` as unpadded base64url.
pub mod b64_vec {
    use super::*;
    /// Serialise.
    pub fn serialize<S: serde::Serializer>(
        v: &[u8],
        s: S,
    ) -> core::result::Result<S::Ok, S::Error> {
        serialize_b64(v, s)
    }
    /// Deserialise.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> core::result::Result<Vec<u8>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        URL_SAFE_NO_PAD
            .decode(s.as_bytes())
            .map_err(|_| serde::de::Error::custom("not unpadded base64url"))
    }
}

/// Serde adapter: `[u8; N]` as unpadded base64url.
pub mod b64_array {
    use super::*;
    /// Serialise.
    pub fn serialize<S: serde::Serializer, const N: usize>(
        v: &[u8; N],
        s: S,
    ) -> core::result::Result<S::Ok, S::Error> {
        serialize_b64(v, s)
    }
    /// Deserialise.
    pub fn deserialize<'de, D: serde::Deserializer<'de>, const N: usize>(
        d: D,
    ) -> core::result::Result<[u8; N], D::Error> {
        deserialize_b64_array(d)
    }
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn symbol(v: u32) -> char {
    // The mask keeps the index below 32, so the fallback is unreachable.
    char::from(CROCKFORD.get((v & 31) as usize).copied().unwrap_or(b'0'))
}

/// Crockford base32 (no padding), most significant bit first.
pub(crate) fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(symbol(acc >> bits));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(symbol(acc << (5 - bits)));
    }
    out
}

/// Decodes Crockford base32 into exactly `len` bytes. Case-insensitive;
/// `O`→0 and `I`/`L`→1 as Crockford specifies; `U` and other symbols are
/// rejected; unused trailing bits must be zero.
pub(crate) fn base32_decode(text: &str, len: usize, what: &'static str) -> Result<Vec<u8>> {
    if text.len() != (len * 8).div_ceil(5) {
        return Err(Error::malformed(what, "wrong number of characters"));
    }
    let mut out = Vec::with_capacity(len);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for c in text.bytes() {
        let v = match c.to_ascii_uppercase() {
            c @ b'0'..=b'9' => c - b'0',
            b'O' => 0,
            b'I' | b'L' => 1,
            c => CROCKFORD
                .iter()
                .position(|&x| x == c)
                .map(|p| p as u8)
                .ok_or_else(|| Error::malformed(what, "character outside Crockford base32"))?,
        };
        acc = (acc << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if acc != 0 {
        return Err(Error::malformed(what, "non-zero padding bits"));
    }
    Ok(out)
}

/// Removes separators people type or paste (hyphens, spaces) from a code.
pub(crate) fn strip_separators(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t' | '\n' | '\r'))
        .collect()
}

/// Strips a versioned code prefix such as `VK1` from an upper-cased, separator-free
/// code, forgiving `I`/`L` typed for the digit 1 as the body's decoding does.
pub(crate) fn strip_code_prefix<'a>(compact: &'a str, prefix: &str) -> Option<&'a str> {
    let head = compact.get(..prefix.len())?;
    let same = head.bytes().zip(prefix.bytes()).all(|(h, p)| {
        h == p || (p == b'1' && matches!(h, b'I' | b'L')) || (p == b'0' && h == b'O')
    });
    same.then(|| compact.get(prefix.len()..)).flatten()
}

/// Groups a code into blocks of `n` joined by hyphens.
pub(crate) fn group(text: &str, n: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / n);
    for (i, c) in text.chars().enumerate() {
        if i > 0 && i % n == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}
