//! OPAQUE KE3 decoding (JSON and raw), then a server finish against a fixed
//! state: never panics, and decoding round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::opaque::{Ke3, ServerLogin};

fn check(m: Ke3) {
    assert_eq!(Ke3::from_json(&m.to_json()).ok(), Some(m.clone()));
    assert_eq!(Ke3::from_bytes(&m.to_bytes()).ok(), Some(m.clone()));
    if let Ok(state) = ServerLogin::from_bytes(&[3u8; 128]) {
        let _ = state.finish(&m);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Ke3::from_bytes(data) {
        check(m);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(m) = Ke3::from_json(s) {
            check(m);
        }
    }
});
