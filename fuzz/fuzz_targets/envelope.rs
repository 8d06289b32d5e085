//! Envelope binary and text parsing, then opening under a fixed key: never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::{AccountId, Context, Envelope, SymmetricKey};

fuzz_target!(|data: &[u8]| {
    let key = SymmetricKey::from_bytes([7; 32]);
    let ctx = Context::AccountKey { account: AccountId([1; 16]) };
    if let Ok(env) = Envelope::from_bytes(data.to_vec()) {
        let _ = env.open(&key, &ctx);
        let text = env.to_text();
        assert_eq!(Envelope::from_text(&text).ok().as_ref(), Some(&env));
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(env) = Envelope::from_text(s) {
            let _ = env.open(&key, &ctx);
        }
    }
});
