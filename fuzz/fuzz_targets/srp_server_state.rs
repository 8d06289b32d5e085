//! Persisted SRP server state JSON decoding: never panics, and round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::srp::ServerAwaitingClientProof;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(m) = ServerAwaitingClientProof::from_json(s) {
        let json = m.to_json();
        let again = ServerAwaitingClientProof::from_json(json.expose_secret()).ok();
        assert_eq!(again.map(|a| a.to_json()), Some(json));
    }
});
