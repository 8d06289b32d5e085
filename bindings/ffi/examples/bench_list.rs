//! The Rust side of the Kotlin 10,000-item bench (`bindings/kotlin/src/bench`):
//! the same list decryption natively in vault-core, and through vault-ffi's
//! exported functions without crossing a foreign boundary, so the binding's
//! own overhead can be read off.
//!
//! `cargo run --release -p vault-ffi --example bench_list [items] [rounds]`

use std::time::Instant;
use vault_ffi::{EncryptedItem, EncryptedItemList, Item, ItemData, Rng, VaultError, VaultKey};

fn best_ms(rounds: usize, mut f: impl FnMut() -> usize, n: usize) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..rounds {
        let t = Instant::now();
        let got = f();
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(got, n);
    }
    best
}

fn main() -> Result<(), VaultError> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(15);
    let rng = Rng::os();
    let vk = VaultKey::generate(&vault_ffi::new_item_id(&rng), &rng)?;
    let template = Item {
        title: "Bank".into(),
        data: ItemData::Login {
            username: "alice@example.com".into(),
            password: "p@ssw0rd!".into(),
            uris: vec!["https://bank.example".into()],
            totp: String::new(),
        },
        notes: String::new(),
        tags: vec!["finance".into()],
        favorite: true,
        custom_fields: vec![],
    };
    let items = (0..n)
        .map(|i| {
            let mut it = template.clone();
            it.title = format!("Item {i}");
            vk.encrypt_item(&vault_ffi::new_item_id(&rng), 1, &it, &rng)
        })
        .collect::<Result<Vec<EncryptedItem>, _>>()?;
    let json = format!(
        "[{}]",
        items
            .iter()
            .map(EncryptedItem::to_json)
            .collect::<Result<Vec<_>, _>>()?
            .join(",")
    );
    let core_items: Vec<vault_core::EncryptedItem> =
        serde_json::from_str(&json).map_err(|_| VaultError::Malformed {
            reason: "bench JSON".into(),
        })?;
    let core_key = vault_core::VaultKey::from_parts(
        vk.vault_id().parse()?,
        vk.key_version(),
        vault_core::SymmetricKey::from_slice(&vk.key().expose_secret())?,
    );
    let held = EncryptedItemList::from_json(&json)?;

    let core = best_ms(rounds, || core_key.decrypt_list(&core_items).len(), n);
    let ffi = best_ms(rounds, || vk.decrypt_list(items.clone()).len(), n);
    let ffi_held = best_ms(rounds, || vk.decrypt_item_list(&held).len(), n);
    println!("rust: vault-core decrypt_list of {n} items: best {core:.1} ms");
    println!("rust: vault-ffi decrypt_list (records in, entries out, no JNA): best {ffi:.1} ms");
    println!(
        "rust: vault-ffi decrypt_item_list (held items, entries out, no JNA): best {ffi_held:.1} ms"
    );
    Ok(())
}
