//! OPAQUE registration response decoding (JSON and raw): never panics, and decoding round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::opaque::RegistrationResponse;

fn check(m: RegistrationResponse) {
    assert_eq!(
        RegistrationResponse::from_json(&m.to_json()).ok(),
        Some(m.clone())
    );
    assert_eq!(
        RegistrationResponse::from_bytes(&m.to_bytes()).ok(),
        Some(m)
    );
}

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = RegistrationResponse::from_bytes(data) {
        check(m);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(m) = RegistrationResponse::from_json(s) {
            check(m);
        }
    }
});
