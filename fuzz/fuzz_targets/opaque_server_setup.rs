//! OPAQUE server setup decoding (JSON and raw; a server-side secret): never panics,
//! and decoding round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::opaque::ServerSetup;

fn check(m: ServerSetup) {
    let json = m.to_json();
    let again = ServerSetup::from_json(json.expose_secret())
        .ok()
        .map(|x| x.to_bytes());
    assert_eq!(again, Some(m.to_bytes()));
    let raw = ServerSetup::from_bytes(m.to_bytes().expose_secret())
        .ok()
        .map(|x| x.to_bytes());
    assert_eq!(raw, Some(m.to_bytes()));
    let _ = m.public_key();
}

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = ServerSetup::from_bytes(data) {
        check(m);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(m) = ServerSetup::from_json(s) {
            check(m);
        }
    }
});
