//! Account identifiers in their one canonical form (format.md §15).

use crate::error::Result;

/// The canonical form of an account identifier (usually an email address):
/// PRECIS UsernameCaseMapped (width mapping, lower case, NFC), at most 256
/// bytes, one script per `@`/`.` label. Call it on what the user typed
/// **before** SRP or OPAQUE registration and login, and before looking
/// someone up to share with: the server normalises the same way, and a
/// login with another spelling derives different keys. Idempotent.
/// Refuses (code `malformed`) spaces, controls, invisible characters,
/// mixed-script look-alikes (a Cyrillic `а` in a Latin name), unassigned
/// code points and the empty string.
#[uniffi::export]
pub fn normalize_identifier(identifier: &str) -> Result<String> {
    Ok(vault_core::identifier::normalize_identifier(identifier)?)
}
