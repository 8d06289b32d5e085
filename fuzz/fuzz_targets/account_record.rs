//! Account records from a server: parsing and unlocking with a fixed KEK never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::{EncryptedAccount, SymmetricKey};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(acct) = EncryptedAccount::from_json(s) {
        let _ = acct.unlock_with_kek(&SymmetricKey::from_bytes([5; 32]));
    }
});
