//! Device-unlock wraps, recovery wraps and rotation change sets from storage
//! or a server: parsing and opening them with fixed keys never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::{
    AccountKeyRotation, DeviceUnlock, EncryptedAccount, PinUnlock, RecoveryKey, RecoveryWrap,
    SymmetricKey,
};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    // One input holds a record and a wrap, separated by a newline.
    let (a, b) = s.split_once('\n').unwrap_or((s, s));
    let Ok(record) = EncryptedAccount::from_json(a) else {
        let _ = DeviceUnlock::from_json(b);
        let _ = PinUnlock::from_json(b);
        let _ = RecoveryWrap::from_json(b);
        let _ = AccountKeyRotation::from_json(b);
        return;
    };
    if let Ok(w) = DeviceUnlock::from_json(b) {
        let _ = w.unlock(&SymmetricKey::from_bytes([3; 32]), &record);
    }
    if let Ok(w) = RecoveryWrap::from_json(b) {
        let _ = w.check_auth_token(&SymmetricKey::from_bytes([4; 32]));
        let _ = w.recover(&RecoveryKey::from_bytes([5; 32]), &record);
    }
    if let Ok(c) = AccountKeyRotation::from_json(b) {
        let _ = c.check_against(&record);
    }
    // PIN wraps are parsed only: unlocking runs Argon2id with the record's
    // own (fuzzed) params, which is the policy's job to bound, not a parser's.
    let _ = PinUnlock::from_json(b);
});
