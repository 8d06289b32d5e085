//! Recovery kit text (24 words or `VS1-…` shares) from a person: parsing never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::{RecoveryKey, Share};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(k) = RecoveryKey::from_words(s) {
        // Whatever parses must print back to words that parse to the same key.
        let again = RecoveryKey::from_words(k.to_words().expose_secret());
        assert!(again.is_ok_and(|a| a == k));
    }
    let shares: Vec<Share> = s.split_whitespace().filter_map(|t| Share::from_text(t).ok()).collect();
    let _ = RecoveryKey::combine(&shares);
});
