//! OPAQUE registration record decoding (JSON and raw): never panics, and decoding round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::opaque::RegistrationRecord;

fn check(m: RegistrationRecord) {
    assert_eq!(
        RegistrationRecord::from_json(&m.to_json()).ok(),
        Some(m.clone())
    );
    assert_eq!(RegistrationRecord::from_bytes(&m.to_bytes()).ok(), Some(m));
}

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = RegistrationRecord::from_bytes(data) {
        check(m);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(m) = RegistrationRecord::from_json(s) {
            check(m);
        }
    }
});
