//! The machine-secrets JSON records a server or a peer hands out
//! (docs/format.md §16): decoding and the checks that need no key never
//! panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::machine::{
    EncryptedProjectKeys, EncryptedSecret, EncryptedSecretVersion, ProjectPublic, SealedToProject,
    ServiceGrant, ServicePublic,
};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(p) = serde_json::from_str::<ProjectPublic>(s) {
        let _ = p.verify(None);
        let _ = p.fingerprint();
    }
    if let Ok(p) = serde_json::from_str::<ServicePublic>(s) {
        let _ = p.verify();
        let _ = p.check_auth("vsa1.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    }
    if let Ok(g) = serde_json::from_str::<ServiceGrant>(s) {
        let _ = g.verify(&[7; 32]);
    }
    if let Ok(h) = serde_json::from_str::<SealedToProject>(s) {
        let _ = h.check_shape();
    }
    let _ = serde_json::from_str::<EncryptedSecret>(s);
    let _ = serde_json::from_str::<EncryptedSecretVersion>(s);
    let _ = serde_json::from_str::<EncryptedProjectKeys>(s);
});
