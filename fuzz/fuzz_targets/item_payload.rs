//! Item payloads (details and overview JSON) and stored encrypted items: never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::{EncryptedItem, Item, Overview, SymmetricKey, VaultId, VaultKey};

fuzz_target!(|data: &[u8]| {
    if let Ok(item) = Item::from_payload(data) {
        // Anything accepted must round-trip.
        let again = item.to_payload().expect("serialise");
        assert_eq!(Item::from_payload(&again).ok().as_ref(), Some(&item));
        let _ = item.overview();
    }
    let _ = Overview::from_payload(data);
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(enc) = EncryptedItem::from_json(s) {
            let vk = VaultKey::from_parts(VaultId([2; 16]), 1, SymmetricKey::from_bytes([3; 32]));
            let _ = vk.decrypt_item(&enc);
            let _ = vk.decrypt_list(std::slice::from_ref(&enc));
        }
    }
});
