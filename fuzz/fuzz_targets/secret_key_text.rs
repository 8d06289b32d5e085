//! Secret Key text parsing: never panics; anything accepted round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::SecretKey;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(sk) = SecretKey::parse(s) {
        assert_eq!(SecretKey::parse(&sk.to_display_string()).ok(), Some(sk));
    }
});
