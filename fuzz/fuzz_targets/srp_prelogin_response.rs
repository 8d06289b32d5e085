//! Pre-login response JSON decoding: never panics, agrees with serde, and round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::prelogin::PreloginResponse;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let decoded = PreloginResponse::from_json(s).ok();
    // serde inside a larger document must accept exactly the same inputs.
    assert_eq!(serde_json::from_str::<PreloginResponse>(s).ok(), decoded);
    if let Some(m) = decoded {
        assert_eq!(
            PreloginResponse::from_json(&m.to_json()).ok(),
            Some(m.clone())
        );
        let _ = m.checked_kdf(&vault_core::KdfPolicy::default());
    }
});
