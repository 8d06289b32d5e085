//! SRP server challenge (salt, B) JSON decoding: never panics, agrees with serde, and round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::srp::ServerChallenge;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let decoded = ServerChallenge::from_json(s).ok();
    // serde inside a larger document must accept exactly the same inputs.
    assert_eq!(serde_json::from_str::<ServerChallenge>(s).ok(), decoded);
    if let Some(m) = decoded {
        assert_eq!(
            ServerChallenge::from_json(&m.to_json()).ok(),
            Some(m.clone())
        );
    }
});
