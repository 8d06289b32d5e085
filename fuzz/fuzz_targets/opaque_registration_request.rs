//! OPAQUE registration request decoding (JSON and raw), then the server's OPRF
//! evaluation on whatever decoded: never panics, and decoding round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use vault_core::opaque::{RegistrationRequest, ServerSetup};

/// A fixed setup: OPRF seed [7; 64] || private key [1; 32] (a canonical
/// non-zero scalar) || fake-record public key (the ristretto255 base point).
fn setup() -> &'static ServerSetup {
    static SETUP: OnceLock<ServerSetup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let mut b = vec![7u8; 64];
        b.extend_from_slice(&[1u8; 32]);
        b.extend_from_slice(&[
            0xe2, 0xf2, 0xae, 0x0a, 0x6a, 0xbc, 0x4e, 0x71, 0xa8, 0x84, 0xa9, 0x61, 0xc5, 0x00,
            0x51, 0x5f, 0x58, 0xe3, 0x0b, 0x6a, 0xa5, 0x82, 0xdd, 0x8d, 0xb6, 0xa6, 0x59, 0x45,
            0xe0, 0x8d, 0x2d, 0x76,
        ]);
        match ServerSetup::from_bytes(&b) {
            Ok(s) => s,
            Err(e) => panic!("fixed setup must decode: {e}"),
        }
    })
}

fn check(req: RegistrationRequest) {
    assert_eq!(
        RegistrationRequest::from_json(&req.to_json()).ok(),
        Some(req.clone())
    );
    assert_eq!(
        RegistrationRequest::from_bytes(&req.to_bytes()).ok(),
        Some(req.clone())
    );
    let _ = setup().registration_response("fuzz@example.com", &req);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = RegistrationRequest::from_bytes(data) {
        check(req);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(req) = RegistrationRequest::from_json(s) {
            check(req);
        }
    }
});
