//! [`CiphertextOnly`]: a compile-time proof that a type holds no plaintext.
//!
//! Every type the sync engine persists or puts on the wire is declared through
//! the crate-internal `ciphertext_only!` macro, which implements the marker
//! *and* checks at compile time that every field's type implements it too.
//! The recursion bottoms out in a short list of audited leaves: ids, counters,
//! [`Envelope`]s, and the core's server-storable records ([`EncryptedItem`],
//! [`EncryptedVault`], [`WrappedVaultKey`], [`VaultGrant`]), each of which is
//! destructured field by field below so that adding a field to one of them
//! fails to compile until someone re-audits it.
//!
//! Plaintext types ([`Item`](crate::Item), [`VaultKey`](crate::VaultKey),
//! [`SymmetricKey`](crate::SymmetricKey), [`SecretString`](crate::SecretString),
//! even a bare `String` or `Vec<u8>`) do not implement the trait, and the
//! trait is sealed, so nobody can add them:
//!
//! ```compile_fail
//! fn persistable<T: vault_core::sync::CiphertextOnly>() {}
//! persistable::<vault_core::Item>(); // error: `Item` is not `CiphertextOnly`
//! ```
//!
//! ```compile_fail
//! fn persistable<T: vault_core::sync::CiphertextOnly>() {}
//! persistable::<vault_core::VaultKey>(); // error: keys are not `CiphertextOnly`
//! ```
//!
//! ```
//! fn persistable<T: vault_core::sync::CiphertextOnly>() {}
//! persistable::<vault_core::sync::SyncEngine>();
//! persistable::<vault_core::sync::wire::PullPage>();
//! persistable::<vault_core::sync::wire::PushRequest>();
//! ```

use crate::envelope::Envelope;
use crate::ids::{AccountId, ItemId, VaultId};
use crate::item::EncryptedItem;
use crate::sharing::{Role, VaultGrant};
use crate::vault::{EncryptedVault, WrappedVaultKey};
use std::collections::BTreeMap;

pub(crate) mod sealed {
    /// Seals [`super::CiphertextOnly`]: only this crate decides what is ciphertext.
    pub trait Sealed {}
}

/// Marker for data that holds only ciphertext, wrapped keys, public keys,
/// signatures, ids and counters: safe to persist on a device or hand to the
/// server. Sealed; implemented only by audited types (see the [module
/// docs](self)).
///
/// ```
/// fn store<T: vault_core::sync::CiphertextOnly + serde::Serialize>(t: &T) -> String {
///     serde_json::to_string(t).unwrap()
/// }
/// let engine = vault_core::sync::SyncEngine::new();
/// assert!(store(&engine).starts_with("{\"v\":1"));
/// ```
pub trait CiphertextOnly: sealed::Sealed {}

/// Compile-time check used by `ciphertext_only!` for every field type.
pub(crate) const fn assert_ciphertext_only<T: CiphertextOnly + ?Sized>() {}

macro_rules! leaf {
    ($($t:ty),* $(,)?) => {
        $(
            impl sealed::Sealed for $t {}
            impl CiphertextOnly for $t {}
        )*
    };
}

// Counters and flags carry no secret.
leaf!(u8, u32, u64, bool);
// Ids are public by design (bound into associated data, visible to the server).
leaf!(AccountId, VaultId, ItemId, Role);
// An envelope is AEAD ciphertext.
leaf!(Envelope);
// The core's server-storable records, audited field by field below.
leaf!(EncryptedItem, EncryptedVault, WrappedVaultKey, VaultGrant);

impl<T: CiphertextOnly> sealed::Sealed for Option<T> {}
impl<T: CiphertextOnly> CiphertextOnly for Option<T> {}
impl<T: CiphertextOnly> sealed::Sealed for Vec<T> {}
impl<T: CiphertextOnly> CiphertextOnly for Vec<T> {}
impl<K: CiphertextOnly, V: CiphertextOnly> sealed::Sealed for BTreeMap<K, V> {}
impl<K: CiphertextOnly, V: CiphertextOnly> CiphertextOnly for BTreeMap<K, V> {}

/// The audit of the leaf records: an exhaustive destructuring (no `..`), so a
/// new field is a compile error here until it is reviewed.
const _: fn(&EncryptedItem, &EncryptedVault, &WrappedVaultKey, &VaultGrant) = |i, v, w, g| {
    fn ok<T: CiphertextOnly>(_: &T) {}
    let EncryptedItem {
        vault,
        item,
        revision,
        key_version,
        item_key,
        overview,
        details,
    } = i;
    ok(vault);
    ok(item);
    ok(revision);
    ok(key_version);
    ok(item_key);
    ok(overview);
    ok(details);
    let EncryptedVault {
        vault,
        key_version,
        meta,
    } = v;
    ok(vault);
    ok(key_version);
    ok(meta);
    let WrappedVaultKey {
        vault,
        account,
        key_version,
        envelope,
    } = w;
    ok(vault);
    ok(account);
    ok(key_version);
    ok(envelope);
    let VaultGrant {
        v,
        vault,
        key_version,
        sender,
        recipient,
        role,
        // Audited by hand: the HPKE encapsulated key is a public value, the
        // ciphertext is HPKE-sealed, the signature is public.
        enc: _,
        ciphertext: _,
        signature: _,
    } = g;
    ok(v);
    ok(vault);
    ok(key_version);
    ok(sender);
    ok(recipient);
    ok(role);
};

/// Declares a struct or enum, implements [`CiphertextOnly`] for it, and checks
/// at compile time that every field type is [`CiphertextOnly`] as well.
macro_rules! ciphertext_only {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field : $ty ),*
        }
        impl $crate::sync::ciphertext::sealed::Sealed for $name {}
        impl $crate::sync::ciphertext::CiphertextOnly for $name {}
        const _: fn() = || {
            $( $crate::sync::ciphertext::assert_ciphertext_only::<$ty>(); )*
        };
    };
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident ( $(#[$fmeta:meta])* $fvis:vis $ty:ty ) ;
    ) => {
        $(#[$meta])*
        $vis struct $name ( $(#[$fmeta])* $fvis $ty );
        impl $crate::sync::ciphertext::sealed::Sealed for $name {}
        impl $crate::sync::ciphertext::CiphertextOnly for $name {}
        const _: fn() = || {
            $crate::sync::ciphertext::assert_ciphertext_only::<$ty>();
        };
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident
                $( { $( $(#[$fmeta:meta])* $field:ident : $fty:ty ),* $(,)? } )?
                $( ( $(#[$tmeta:meta])* $tty:ty ) )?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $(
                $(#[$vmeta])*
                $variant
                $( { $( $(#[$fmeta])* $field : $fty ),* } )?
                $( ( $(#[$tmeta])* $tty ) )?
            ),*
        }
        impl $crate::sync::ciphertext::sealed::Sealed for $name {}
        impl $crate::sync::ciphertext::CiphertextOnly for $name {}
        const _: fn() = || {
            $(
                $( $( $crate::sync::ciphertext::assert_ciphertext_only::<$fty>(); )* )?
                $( $crate::sync::ciphertext::assert_ciphertext_only::<$tty>(); )?
            )*
        };
    };
}
pub(crate) use ciphertext_only;

/// Implements the marker for a hand-written type after a manual audit (used for
/// [`Cursor`](super::wire::Cursor) and [`RejectReason`](super::wire::RejectReason),
/// whose serde impls are hand-written).
macro_rules! audited_leaf {
    ($($t:ty),* $(,)?) => {
        $(
            impl $crate::sync::ciphertext::sealed::Sealed for $t {}
            impl $crate::sync::ciphertext::CiphertextOnly for $t {}
        )*
    };
}
pub(crate) use audited_leaf;
