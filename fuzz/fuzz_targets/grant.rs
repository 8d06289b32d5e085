//! Grant JSON parsing, verification and opening against fixed identities: never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use vault_core::hazmat::seeded_rng;
use vault_core::{KdfParams, PublicIdentity, UnlockedAccount, VaultGrant};

fn accounts() -> &'static (UnlockedAccount, UnlockedAccount) {
    static A: OnceLock<(UnlockedAccount, UnlockedAccount)> = OnceLock::new();
    A.get_or_init(|| {
        let p = KdfParams::INSECURE_TEST_ONLY;
        let a = UnlockedAccount::create("a", None, p, &mut seeded_rng([1; 32])).expect("a").0;
        let b = UnlockedAccount::create("b", None, p, &mut seeded_rng([2; 32])).expect("b").0;
        (a, b)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let (alice, bob) = accounts();
    if let Ok(g) = VaultGrant::from_json(s) {
        let _ = g.verify(alice.public_identity());
        let _ = bob.open_grant(&g, alice.public_identity());
    }
    if let Ok(id) = serde_json::from_str::<PublicIdentity>(s) {
        let _ = id.verify();
        let _ = id.fingerprint();
    }
});
