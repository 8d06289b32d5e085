//! OPAQUE server login state decoding (JSON and raw; a server-side secret): never panics,
//! and decoding round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::opaque::ServerLogin;

fn check(m: ServerLogin) {
    let json = m.to_json();
    let again = ServerLogin::from_json(json.expose_secret())
        .ok()
        .map(|x| x.to_bytes());
    assert_eq!(again, Some(m.to_bytes()));
    let raw = ServerLogin::from_bytes(m.to_bytes().expose_secret())
        .ok()
        .map(|x| x.to_bytes());
    assert_eq!(raw, Some(m.to_bytes()));
}

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = ServerLogin::from_bytes(data) {
        check(m);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(m) = ServerLogin::from_json(s) {
            check(m);
        }
    }
});
