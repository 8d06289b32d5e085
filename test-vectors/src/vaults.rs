//! Vectors of vaults, items, list screens, grants, fingerprints and Shamir.

use super::*;
use serde_json::{Value, json};
use vault_core::hazmat::{export_identity_secrets, seeded_rng};
use vault_core::*;

pub(crate) fn vault_key_json(vk: &VaultKey) -> Value {
    json!({"vault": vk.vault_id(), "key_version": vk.key_version(), "key_hex": hx(vk.key().expose_secret())})
}

pub(crate) fn sample_items() -> Vec<Item> {
    let base = |title: &str, data: ItemData| Item {
        title: title.into(),
        data,
        notes: SecretString::default(),
        tags: vec![],
        favorite: false,
        custom_fields: vec![],
    };
    let mut login = base(
        "Bank",
        ItemData::Login {
            username: "alice@example.com".into(),
            password: "p@ssw0rd!".into(),
            uris: vec!["https://bank.example".into(), "android://com.bank".into()],
            totp: "otpauth://totp/Bank:alice?secret=JBSWY3DPEHPK3PXP".into(),
        },
    );
    login.tags = vec!["finance".into()];
    login.favorite = true;
    login.custom_fields = vec![
        CustomField {
            name: "PIN".into(),
            value: "1234".into(),
            kind: FieldKind::Hidden,
        },
        CustomField {
            name: "Branch".into(),
            value: "Main St".into(),
            kind: FieldKind::Text,
        },
    ];
    let mut note = base("Wi-Fi", ItemData::SecureNote);
    note.notes = "SSID home / pass hunter2".into();
    vec![
        login,
        note,
        base(
            "Prod env",
            ItemData::ApiKey {
                entries: vec![
                    EnvEntry {
                        key: "DATABASE_URL".into(),
                        value: "postgres://u:p@db/prod".into(),
                    },
                    EnvEntry {
                        key: "API_TOKEN".into(),
                        value: "tok_123".into(),
                    },
                ],
            },
        ),
        base(
            "Visa",
            ItemData::Card {
                cardholder: "Alice A".into(),
                brand: "Visa".into(),
                number: "4111 1111 1111 1111".into(),
                exp_month: "12".into(),
                exp_year: "2030".into(),
                code: "123".into(),
            },
        ),
        base(
            "Passport",
            ItemData::Identity {
                full_name: "Alice Example".into(),
                email: "alice@example.com".into(),
                phone: "+1 555 0100".into(),
                address: "1 Main St".into(),
                document_number: "X1234567".into(),
            },
        ),
        base(
            "Deploy key",
            ItemData::SshKey {
                private_key:
                    "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----"
                        .into(),
                public_key: "ssh-ed25519 AAAAC3Nza alice@host".into(),
                fingerprint: "SHA256:abc".into(),
            },
        ),
    ]
}

pub(crate) fn fixed_vault_key() -> VaultKey {
    VaultKey::from_parts(VaultId([0x22; 16]), 1, SymmetricKey::from_bytes([0x77; 32]))
}

pub(crate) fn vault_vectors() -> Result<VectorFile> {
    let s = seed("vault/create");
    let (acct, _) = UnlockedAccount::create(
        "pw",
        None,
        KdfParams::INSECURE_TEST_ONLY,
        &mut seeded_rng(seed("vault/owner")),
    )?;
    let meta = VaultMeta {
        name: "Personal".into(),
        description: "my things".into(),
    };
    let (vk, enc_vault, wrapped) = acct.create_vault(&meta, &mut seeded_rng(s))?;
    let items: Vec<EncryptedItem> = sample_items()
        .iter()
        .take(2)
        .enumerate()
        .map(|(i, it)| {
            vk.encrypt_item(
                ItemId([i as u8 + 1; 16]),
                1,
                it,
                &mut seeded_rng(seed(&format!("vault/item/{i}"))),
            )
        })
        .collect::<Result<_>>()?;
    let rs = seed("vault/rotate");
    let (next, next_meta, next_items) = vk.rotate(&enc_vault, &items, &mut seeded_rng(rs))?;
    let ws = seed("vault/rotate/wrap");
    let next_wrapped = acct.wrap_vault_key(&next, &mut seeded_rng(ws))?;
    Ok(file(
        "vault",
        "Vault creation by the owner account (created with seeded_rng(owner_seed_hex), password 'pw', INSECURE_TEST_ONLY params): create_vault(meta) with seeded_rng(seed_hex). Rotation: VaultKey::rotate(vault, items) with seeded_rng(rotate.seed_hex) re-wraps item keys only; old key no longer opens the rotated items (rotate.fail_old_key_on_rotated_item is that error code); the owner then wraps the new key with seeded_rng(rotate.wrap_seed_hex). owner_account_key_hex is given for independent decoders.",
        vec![json!({
            "name": "create_and_rotate",
            "owner_seed_hex": hx(&seed("vault/owner")),
            "owner_account": acct.account_id(),
            "owner_account_key_hex": hx(acct.account_key().expose_secret()),
            "seed_hex": hx(&s),
            "meta": meta,
            "vault_key": vault_key_json(&vk),
            "encrypted_vault": enc_vault,
            "wrapped_key": wrapped,
            "items": items,
            "items_plaintext": sample_items().into_iter().take(2).collect::<Vec<_>>(),
            "rotate": {
                "wrap_seed_hex": hx(&ws),
                "wrapped_key": next_wrapped,
                "seed_hex": hx(&rs),
                "vault_key": vault_key_json(&next),
                "encrypted_vault": next_meta,
                "items": next_items,
                "fail_old_key_on_rotated_item": err_code(vk.decrypt_item(next_items.first().ok_or(Error::InvalidArgument("no items"))?)),
            },
        })],
    ))
}

pub(crate) fn item_vectors() -> Result<VectorFile> {
    let vk = fixed_vault_key();
    let mut v = Vec::new();
    for (i, item) in sample_items().iter().enumerate() {
        for alg in [Algorithm::XChaCha20Poly1305, Algorithm::Aes256Gcm] {
            let s = seed(&format!("item/{i}/{}", alg.id()));
            let id = ItemId([0x30 + i as u8; 16]);
            let enc = vk.encrypt_item_with(id, 3, item, alg, &mut seeded_rng(s))?;
            v.push(json!({
                "name": format!("{:?}_{}", item.data.kind(), alg.id()).to_lowercase(),
                "vault_key": vault_key_json(&vk),
                "seed_hex": hx(&s),
                "item_id": id,
                "revision": 3,
                "algorithm": alg,
                "item": item,
                "overview": item.overview(),
                "encrypted": enc,
            }));
        }
    }
    // Failure: blobs moved between items or revisions.
    let a = vk.encrypt_item(
        ItemId([0x41; 16]),
        1,
        sample_items()
            .first()
            .ok_or(Error::InvalidArgument("items"))?,
        &mut seeded_rng(seed("item/fail/a")),
    )?;
    let b = vk.encrypt_item(
        ItemId([0x42; 16]),
        1,
        sample_items()
            .get(1)
            .ok_or(Error::InvalidArgument("items"))?,
        &mut seeded_rng(seed("item/fail/b")),
    )?;
    let mut swapped_details = a.clone();
    swapped_details.details = b.details.clone();
    let mut swapped_key = a.clone();
    swapped_key.item_key = b.item_key.clone();
    let mut bumped = a.clone();
    bumped.revision = 2;
    let mut overview_as_details = a.clone();
    overview_as_details.details = a.overview.clone();
    for (name, enc) in [
        ("fail_details_from_other_item", swapped_details),
        ("fail_item_key_from_other_item", swapped_key),
        ("fail_revision_changed", bumped),
        ("fail_overview_as_details", overview_as_details),
    ] {
        v.push(json!({
            "name": name,
            "vault_key": vault_key_json(&vk),
            "encrypted": enc,
            "error": err_code(vk.decrypt_item(&enc)),
        }));
    }
    Ok(file(
        "item",
        "Item encryption: VaultKey (vault_key) .encrypt_item_with(item_id, revision, item, algorithm, seeded_rng(seed_hex)) gives `encrypted`; decrypt_item gives `item`, decrypt_overview gives `overview`. fail_*: decrypt_item(encrypted) fails with `error`.",
        v,
    ))
}

pub(crate) fn list_vectors() -> Result<VectorFile> {
    let vk = fixed_vault_key();
    let mut items: Vec<EncryptedItem> = sample_items()
        .iter()
        .enumerate()
        .map(|(i, it)| {
            vk.encrypt_item(
                ItemId([0x50 + i as u8; 16]),
                1,
                it,
                &mut seeded_rng(seed(&format!("list/{i}"))),
            )
        })
        .collect::<Result<_>>()?;
    if let Some(bad) = items.get_mut(2) {
        bad.revision = 9; // corrupt one slot: its overview no longer opens
    }
    let other = VaultKey::from_parts(VaultId([0x23; 16]), 1, SymmetricKey::from_bytes([0x78; 32]));
    items.push(
        other.encrypt_item(
            ItemId([0x5f; 16]),
            1,
            sample_items()
                .first()
                .ok_or(Error::InvalidArgument("items"))?,
            &mut seeded_rng(seed("list/foreign")),
        )?,
    );
    let results: Vec<Value> = vk
        .decrypt_list(&items)
        .into_iter()
        .map(|r| match r {
            Ok(row) => json!({"ok": {"item": row.item, "revision": row.revision, "overview": row.overview}}),
            Err(e) => json!({"error": e.code()}),
        })
        .collect();
    Ok(file(
        "list",
        "List-screen decryption with partial failure: decrypt_list(items) under vault_key yields one result per item; item 2 has a tampered revision and the last belongs to another vault.",
        vec![
            json!({"name": "partial_failure", "vault_key": vault_key_json(&vk), "items": items, "results": results}),
        ],
    ))
}

pub(crate) fn grant_vectors() -> Result<VectorFile> {
    let p = KdfParams::INSECURE_TEST_ONLY;
    let (alice, _) =
        UnlockedAccount::create("alice", None, p, &mut seeded_rng(seed("grant/alice")))?;
    let (bob, _) = UnlockedAccount::create("bob", None, p, &mut seeded_rng(seed("grant/bob")))?;
    let (mallory, _) =
        UnlockedAccount::create("mallory", None, p, &mut seeded_rng(seed("grant/mallory")))?;
    let vk = fixed_vault_key();
    let s = seed("grant/seal");
    let grant = alice.grant_vault(&vk, bob.public_identity(), Role::Editor, &mut seeded_rng(s))?;
    let mut v = vec![json!({
        "name": "alice_to_bob_editor",
        "sender_seed_hex": hx(&seed("grant/alice")),
        "recipient_seed_hex": hx(&seed("grant/bob")),
        "sender_identity": alice.public_identity(),
        "recipient_identity": bob.public_identity(),
        "vault_key": vault_key_json(&vk),
        "role": Role::Editor,
        "seed_hex": hx(&s),
        "recipient_x25519_secret_hex": hx(export_identity_secrets(&bob).get(..32).unwrap_or_default()),
        "hpke_info_hex": hx(&VaultGrant::hpke_info(&vk.vault_id(), vk.key_version(), alice.public_identity(), bob.public_identity())),
        "grant": grant,
    })];
    let mut tampered_role = grant.clone();
    tampered_role.role = Role::Owner;
    let mut tampered_ct = grant.clone();
    if let Some(b) = tampered_ct.ciphertext.first_mut() {
        *b ^= 1;
    }
    let mut resigned = tampered_ct.clone();
    // Even a correctly signed grant with a bad ciphertext must not open.
    resigned.signature = [0; 64];
    let mut future = grant.clone();
    future.v = 2;
    let mut short_ct = grant.clone();
    short_ct.ciphertext.truncate(47);
    let cases: [(&str, VaultGrant, &UnlockedAccount, &PublicIdentity); 6] = [
        (
            "fail_unknown_grant_version",
            future,
            &bob,
            alice.public_identity(),
        ),
        (
            "fail_ciphertext_wrong_length",
            short_ct,
            &bob,
            alice.public_identity(),
        ),
        (
            "fail_role_escalated",
            tampered_role,
            &bob,
            alice.public_identity(),
        ),
        (
            "fail_ciphertext_tampered",
            tampered_ct,
            &bob,
            alice.public_identity(),
        ),
        (
            "fail_wrong_sender_identity",
            grant.clone(),
            &bob,
            mallory.public_identity(),
        ),
        (
            "fail_wrong_recipient",
            grant.clone(),
            &mallory,
            alice.public_identity(),
        ),
    ];
    for (name, g, who, sender) in cases {
        v.push(json!({
            "name": name,
            "recipient_seed_hex": hx(&seed(match who.account_id() == mallory.account_id() { true => "grant/mallory", false => "grant/bob" })),
            "recipient_account": who.account_id(),
            "recipient_x25519_secret_hex": hx(export_identity_secrets(who).get(..32).unwrap_or_default()),
            "sender_identity": sender,
            "grant": g,
            "error": err_code(who.open_grant(&g, sender)),
        }));
    }
    Ok(file(
        "grant",
        "Vault sharing: accounts are created with seeded_rng(<who>_seed_hex), password = their name, INSECURE_TEST_ONLY params. sender.grant_vault(vault_key, recipient_identity, role, seeded_rng(seed_hex)) gives `grant`; recipient.open_grant(grant, sender_identity) gives the vault key. fail_*: open_grant fails with `error`.",
        v,
    ))
}

pub(crate) fn fingerprint_vectors() -> Result<VectorFile> {
    let mut v = Vec::new();
    for name in ["alice", "bob"] {
        let (acct, _) = UnlockedAccount::create(
            name,
            None,
            KdfParams::INSECURE_TEST_ONLY,
            &mut seeded_rng(seed(&format!("grant/{name}"))),
        )?;
        v.push(json!({"name": name, "identity": acct.public_identity(), "fingerprint": acct.fingerprint()}));
    }
    let mut forged = v.first().cloned().unwrap_or_default();
    if let Some(id) = forged.get_mut("identity") {
        id["x25519"] = json!(encoding::b64_encode(&[9u8; 32]));
    }
    let forged_id: PublicIdentity = serde_json::from_value(forged["identity"].clone())
        .map_err(|_| Error::InvalidArgument("json"))?;
    v.push(json!({"name": "fail_identity_key_substituted", "identity": forged_id, "error": err_code(forged_id.verify())}));
    Ok(file(
        "fingerprint",
        "Identity fingerprints: SHA-256('VLT1 fingerprint' || account || ed25519 || x25519), first 30 bytes as six 5-byte big-endian integers mod 100000, zero-padded, space-separated. fail_*: PublicIdentity::verify fails.",
        v,
    ))
}

pub(crate) fn shamir_vectors() -> Result<VectorFile> {
    let mut v = Vec::new();
    for (name, secret, k, n) in [
        (
            "two_of_three",
            b"0123456789abcdef0123456789abcdef".to_vec(),
            2u8,
            3u8,
        ),
        ("three_of_five", b"recovery".to_vec(), 3, 5),
    ] {
        let s = seed(&format!("shamir/{name}"));
        let shares = shamir::split(&secret, k, n, &mut seeded_rng(s))?;
        v.push(json!({
            "name": name,
            "seed_hex": hx(&s),
            "secret_hex": hx(&secret),
            "threshold": k,
            "shares": n,
            "share_texts": shares.iter().map(Share::to_text).collect::<Vec<_>>(),
            "share_bytes_hex": shares.iter().map(|s| hx(&s.to_bytes())).collect::<Vec<_>>(),
        }));
    }
    let s = seed("shamir/two_of_three");
    let shares = shamir::split(
        b"0123456789abcdef0123456789abcdef",
        2,
        3,
        &mut seeded_rng(s),
    )?;
    let other = shamir::split(
        b"0123456789abcdef0123456789abcdef",
        2,
        3,
        &mut seeded_rng(seed("shamir/other")),
    )?;
    let texts: Vec<String> = shares.iter().map(Share::to_text).collect();
    let mut tampered = shares
        .first()
        .map(|s| s.to_bytes().to_vec())
        .unwrap_or_default();
    if let Some(b) = tampered.last_mut() {
        *b ^= 1;
    }
    let tampered_share = Share::from_bytes(&tampered)?;
    let combine = |list: Vec<Share>| err_code(shamir::combine(&list));
    let first = shares
        .first()
        .cloned()
        .ok_or(Error::InvalidArgument("shares"))?;
    let second = shares
        .get(1)
        .cloned()
        .ok_or(Error::InvalidArgument("shares"))?;
    v.push(json!({"name": "fail_tampered_share", "share_bytes_hex": [hx(&tampered), hx(&second.to_bytes())], "error": combine(vec![tampered_share, second.clone()])}));
    v.push(json!({"name": "fail_mixed_splits", "share_bytes_hex": [hx(&first.to_bytes()), hx(&other.get(1).map(|s| s.to_bytes().to_vec()).unwrap_or_default())], "error": combine(vec![first.clone(), other.get(1).cloned().ok_or(Error::InvalidArgument("shares"))?])}));
    let mut zero_x = first.to_bytes().to_vec();
    if let Some(b) = zero_x.get_mut(2) {
        *b = 0;
    }
    let mut k1 = first.to_bytes().to_vec();
    if let Some(b) = k1.get_mut(1) {
        *b = 1;
    }
    let mut v2 = first.to_bytes().to_vec();
    if let Some(b) = v2.get_mut(0) {
        *b = 2;
    }
    for (name, bytes) in [
        ("fail_share_x_zero", zero_x),
        ("fail_share_threshold_one", k1),
        ("fail_share_unknown_version", v2),
        (
            "fail_share_too_short",
            first.to_bytes().get(..20).unwrap_or_default().to_vec(),
        ),
    ] {
        v.push(json!({"name": name, "share_bytes_hex": [hx(&bytes)], "error": err_code(Share::from_bytes(&bytes))}));
    }
    v.push(json!({"name": "fail_too_few", "share_bytes_hex": [hx(&first.to_bytes())], "error": combine(vec![first.clone()])}));
    v.push(json!({"name": "fail_duplicate", "share_bytes_hex": [hx(&first.to_bytes()), hx(&first.to_bytes())], "error": combine(vec![first.clone(), first.clone()])}));
    let mut typo = texts.first().cloned().unwrap_or_default().into_bytes();
    if let Some(c) = typo.get_mut(8) {
        *c = if *c == b'A' { b'B' } else { b'A' };
    }
    let typo = String::from_utf8(typo).unwrap_or_default();
    v.push(json!({"name": "fail_text_typo", "share_text": typo, "error": err_code(Share::from_text(&typo))}));
    Ok(file(
        "shamir",
        "Shamir over GF(2^8) (AES polynomial 0x11b) with a 16-byte SHA-256 integrity tag appended to the secret before splitting. split(secret, threshold, shares, seeded_rng(seed_hex)) gives the shares; any `threshold` of them combine to the secret. fail_*: combining share_bytes_hex (or parsing share_text) fails with `error`.",
        v,
    ))
}
