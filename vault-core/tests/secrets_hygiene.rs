//! Secret hygiene: redacted `Debug` (pinned), error messages without secrets,
//! per-item failure isolation in list decryption, and context binding at the
//! item level (a blob moved between items, fields, vaults, revisions or key
//! versions does not decrypt).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use vault_core::{
    AccountId, Algorithm, Context, CustomField, EncryptedAccount, EncryptedItem, EnvEntry,
    Envelope, Error, FieldKind, IdentityKeys, Item, ItemData, ItemId, KdfConfig, KdfParams,
    KdfPolicy, KdfSalt, RecoveryKey, Role, SecretBytes, SecretKey, SecretString, Share,
    SymmetricKey, UnlockedAccount, VaultGrant, VaultId, VaultKey, VaultMeta, hazmat::primitives,
    kdf, shamir,
};

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

const PASSWORD: &str = "Tr0ub4dor&3-correct-horse";
const CARD_NUMBER: &str = "4111 1111 1111 1111";
const CARD_CODE: &str = "8642";
const LOGIN_PASSWORD: &str = "s3cr3t-L0gin-pw!";
const TOTP: &str = "JBSWY3DPEHPK3PXP";
const NOTE: &str = "the vault combination is 31-41-59";
const CUSTOM: &str = "pin-2718";

/// Asserts that `text` contains none of the given secret strings.
fn assert_no_secret_text(text: &str, secrets: &[&str], what: &str) {
    for s in secrets {
        assert!(!text.contains(s), "{what} leaks secret {s:?} in:\n{text}");
    }
}

/// Asserts that `text` shows no rendering of `bytes`: decimal list (as `Debug`
/// of a byte array prints it, checked on every 6-byte window), lowercase and
/// uppercase hex, or unpadded base64url.
fn assert_no_secret_bytes(text: &str, bytes: &[u8], what: &str) {
    let hex = hex::encode(bytes);
    assert!(!text.contains(&hex), "{what} leaks key bytes as hex");
    assert!(
        !text.contains(&hex.to_uppercase()),
        "{what} leaks key bytes as HEX"
    );
    let b64 = vault_core::encoding::b64_encode(bytes);
    assert!(!text.contains(&b64), "{what} leaks key bytes as base64");
    for w in bytes.windows(6) {
        let dec = w.iter().map(u8::to_string).collect::<Vec<_>>().join(", ");
        assert!(
            !text.contains(&dec),
            "{what} leaks key bytes as a decimal list"
        );
        let hexlist = w
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(", ");
        assert!(
            !text.contains(&hexlist),
            "{what} leaks key bytes as a hex list"
        );
    }
}

/// `{:?}` and `{:#?}` of `v`.
fn debugs<T: std::fmt::Debug>(v: &T) -> [String; 2] {
    [format!("{v:?}"), format!("{v:#?}")]
}

fn sample_login() -> Item {
    Item {
        title: "Bank".into(),
        data: ItemData::Login {
            username: "ada".into(),
            password: LOGIN_PASSWORD.into(),
            uris: vec!["https://bank.example".into()],
            totp: TOTP.into(),
        },
        notes: NOTE.into(),
        tags: vec![],
        favorite: false,
        custom_fields: vec![CustomField {
            name: "PIN".into(),
            value: CUSTOM.into(),
            kind: FieldKind::Hidden,
        }],
    }
}

fn sample_card() -> ItemData {
    ItemData::Card {
        cardholder: "Ada Lovelace".into(),
        brand: "Visa".into(),
        number: CARD_NUMBER.into(),
        exp_month: "12".into(),
        exp_year: "2030".into(),
        code: CARD_CODE.into(),
    }
}

// ------------------------------------------------------------ Debug

#[test]
fn debug_of_secret_types_is_pinned_and_redacted() {
    let key_bytes = [0x42u8; 32];
    let key = SymmetricKey::from_bytes(key_bytes);
    for d in debugs(&key) {
        assert_eq!(d, "SymmetricKey(<redacted>)");
    }

    let sb = SecretBytes::from(b"hunter2".to_vec());
    for d in debugs(&sb) {
        assert_eq!(d, "SecretBytes(<7 bytes redacted>)");
    }

    let ss = SecretString::from("correct horse battery staple");
    for d in debugs(&ss) {
        assert_eq!(d, "SecretString(<redacted>)");
    }

    let sk = SecretKey::from_bytes([0x17; 16]);
    let sk_text = sk.to_display_string();
    for d in debugs(&sk) {
        assert_eq!(d, "SecretKey(<redacted>)");
        assert_no_secret_text(&d, &[&sk_text[4..]], "SecretKey Debug");
    }

    let ik = IdentityKeys::generate(&mut rng(1));
    for d in debugs(&ik) {
        assert_eq!(d, "IdentityKeys(<redacted>)");
    }

    let rk = RecoveryKey::from_bytes([0x5a; 32]);
    let words = rk.to_words();
    let first_words: Vec<&str> = words.expose_secret().split(' ').take(3).collect();
    for d in debugs(&rk) {
        assert_eq!(d, "RecoveryKey(<redacted>)");
        assert_no_secret_text(&d, &first_words, "RecoveryKey Debug");
    }
    for d in debugs(&words) {
        assert_eq!(d, "SecretString(<redacted>)");
    }

    // A share with a known public header and known y bytes.
    let mut raw = vec![1u8, 2, 1, 0xaa, 0xbb, 0xcc, 0xdd];
    let y: Vec<u8> = (0x60..0x60 + 17).collect();
    raw.extend_from_slice(&y);
    let share = Share::from_bytes(&raw).unwrap();
    for d in debugs(&share) {
        assert_eq!(
            d,
            "Share { x: 1, threshold: 2, set: [aa, bb, cc, dd], y: <redacted> }"
        );
        assert_no_secret_bytes(&d, &y, "Share Debug");
    }
    // A real share too: its text body never shows up.
    let shares = shamir::split(b"recovery secret", 2, 3, &mut rng(2)).unwrap();
    for s in &shares {
        let text = s.to_text();
        for d in debugs(s) {
            assert!(d.ends_with("y: <redacted> }"), "{d}");
            assert_no_secret_bytes(&d, &s.to_bytes()[7..], "Share Debug");
            assert_no_secret_text(&d, &[&text[4..]], "Share Debug");
        }
    }
}

#[test]
fn debug_of_items_shows_no_secret_field() {
    let card = sample_card();
    assert_eq!(
        format!("{card:?}"),
        "Card { cardholder: \"Ada Lovelace\", brand: \"Visa\", number: SecretString(<redacted>), \
         exp_month: \"12\", exp_year: \"2030\", code: SecretString(<redacted>) }"
    );
    let login = sample_login();
    assert_eq!(
        format!("{login:?}"),
        "Item { title: \"Bank\", data: Login { username: \"ada\", password: SecretString(<redacted>), \
         uris: [\"https://bank.example\"], totp: SecretString(<redacted>) }, \
         notes: SecretString(<redacted>), tags: [], favorite: false, \
         custom_fields: [CustomField { name: \"PIN\", value: SecretString(<redacted>), kind: Hidden }] }"
    );
    let secrets = [
        CARD_NUMBER,
        "4111111111111111",
        "1111 1111",
        CARD_CODE,
        LOGIN_PASSWORD,
        TOTP,
        NOTE,
        CUSTOM,
    ];
    let card_item = Item {
        title: "Card".into(),
        data: card.clone(),
        notes: Default::default(),
        tags: vec![],
        favorite: false,
        custom_fields: vec![],
    };
    let others = [
        ItemData::ApiKey {
            entries: vec![EnvEntry {
                key: "AWS_SECRET".into(),
                value: LOGIN_PASSWORD.into(),
            }],
        },
        ItemData::Identity {
            full_name: "Ada".into(),
            email: "ada@example".into(),
            phone: String::new(),
            address: String::new(),
            document_number: CARD_CODE.into(),
        },
        ItemData::SshKey {
            private_key: NOTE.into(),
            public_key: "ssh-ed25519 AAAA".into(),
            fingerprint: "SHA256:abc".into(),
        },
    ];
    for d in debugs(&card)
        .into_iter()
        .chain(debugs(&login))
        .chain(debugs(&card_item))
        .chain(others.iter().flat_map(debugs))
    {
        assert_no_secret_text(&d, &secrets, "item Debug");
        assert!(d.contains("<redacted>"));
    }
    // The overview (what the list screen shows) masks the card number.
    let ov = card_item.overview();
    assert_eq!(ov.subtitle, "Visa •••• 1111");
    for d in debugs(&ov) {
        assert_no_secret_text(&d, &secrets, "Overview Debug");
    }
}

#[test]
fn debug_of_composite_key_holders_is_redacted() {
    let mut r = rng(3);
    let sk = SecretKey::generate(&mut r);
    let (acct, creds) =
        UnlockedAccount::create(PASSWORD, Some(&sk), KdfParams::INSECURE_TEST_ONLY, &mut r)
            .unwrap();
    let account_key = *acct.account_key().expose_secret();
    let identity_secret = creds
        .encrypted
        .wrapped_identity
        .open(
            acct.account_key(),
            &Context::IdentityKeys {
                account: acct.account_id(),
            },
        )
        .unwrap();
    assert_eq!(identity_secret.len(), 64);
    let auth_key = *creds.auth_key.expose_secret();
    let keys = kdf::derive_master_keys(
        PASSWORD,
        Some(&sk),
        &creds.encrypted.kdf,
        &KdfPolicy::PERMISSIVE_TEST_ONLY,
    )
    .unwrap();
    assert_eq!(
        format!("{keys:?}"),
        "MasterKeys { auth_key: SymmetricKey(<redacted>), kek: SymmetricKey(<redacted>) }"
    );
    let kek = *keys.kek.expose_secret();
    let (vk, _, _) = acct.create_vault(&VaultMeta::default(), &mut r).unwrap();
    let vault_key = *vk.key().expose_secret();
    assert_eq!(
        format!("{vk:?}"),
        format!(
            "VaultKey {{ vault: VaultId({}), key_version: 1, key: SymmetricKey(<redacted>) }}",
            vk.vault_id()
        )
    );

    let all = debugs(&acct)
        .into_iter()
        .chain(debugs(&creds))
        .chain(debugs(&keys))
        .chain(debugs(&vk));
    for d in all {
        for (name, bytes) in [
            ("account key", &account_key[..]),
            ("identity secret", &identity_secret[..32]),
            ("identity seed", &identity_secret[32..]),
            ("auth key", &auth_key[..]),
            ("kek", &kek[..]),
            ("vault key", &vault_key[..]),
        ] {
            assert_no_secret_bytes(&d, bytes, name);
        }
        assert_no_secret_text(&d, &[PASSWORD, &sk.to_display_string()[4..]], "Debug");
    }
    assert!(format!("{acct:?}").contains("account_key: SymmetricKey(<redacted>)"));
    assert!(format!("{acct:?}").contains("identity: IdentityKeys(<redacted>)"));
    assert!(format!("{creds:?}").contains("auth_key: SymmetricKey(<redacted>)"));
}

// ------------------------------------------------------------ errors

/// Display, Debug and code of an error, checked for secrets.
fn assert_clean_error(e: &Error, text_secrets: &[&str], byte_secrets: &[&[u8]], what: &str) {
    for s in [
        e.to_string(),
        format!("{e:?}"),
        format!("{e:#?}"),
        e.code().to_string(),
    ] {
        assert_no_secret_text(&s, text_secrets, what);
        for b in byte_secrets {
            assert_no_secret_bytes(&s, b, what);
        }
    }
}

#[test]
fn error_messages_carry_no_secret() {
    let mut r = rng(4);
    let sk = SecretKey::generate(&mut r);
    let sk_text = sk.to_display_string();
    let (alice, creds) =
        UnlockedAccount::create(PASSWORD, Some(&sk), KdfParams::INSECURE_TEST_ONLY, &mut r)
            .unwrap();
    let (bob, _) =
        UnlockedAccount::create("bob's pw", None, KdfParams::INSECURE_TEST_ONLY, &mut r).unwrap();
    let (vk, meta, _) = alice.create_vault(&VaultMeta::default(), &mut r).unwrap();
    let account_key = *alice.account_key().expose_secret();
    let vault_key = *vk.key().expose_secret();
    let texts: &[&str] = &[
        PASSWORD,
        &sk_text[4..],
        "hunter2",
        LOGIN_PASSWORD,
        CARD_NUMBER,
        "4111111111111111",
    ];
    let bytes: &[&[u8]] = &[&account_key, &vault_key];
    let mut errors: Vec<(&str, Error)> = Vec::new();
    let mut push = |what: &'static str, res: Result<(), Error>| {
        let e = res.expect_err(what);
        errors.push((what, e));
    };

    let p = &KdfPolicy::PERMISSIVE_TEST_ONLY;
    push(
        "wrong password",
        creds.encrypted.unlock("hunter2", Some(&sk), p).map(|_| ()),
    );
    push(
        "missing secret key",
        creds.encrypted.unlock(PASSWORD, None, p).map(|_| ()),
    );
    let other_sk = SecretKey::generate(&mut r);
    push(
        "wrong secret key",
        creds
            .encrypted
            .unlock(PASSWORD, Some(&other_sk), p)
            .map(|_| ()),
    );
    push(
        "default policy rejects test params",
        creds
            .encrypted
            .unlock(PASSWORD, Some(&sk), &KdfPolicy::default())
            .map(|_| ()),
    );
    push(
        "KDF ceiling",
        kdf::derive_master_keys(
            PASSWORD,
            None,
            &KdfConfig {
                params: KdfParams {
                    memory_kib: u32::MAX,
                    iterations: 3,
                    parallelism: 4,
                },
                salt: KdfSalt([0; 16]),
            },
            &KdfPolicy::default(),
        )
        .map(|_| ()),
    );
    // A typo in the Secret Key: flip one body character to another symbol.
    let mut typo = sk_text.clone().into_bytes();
    typo[5] = if typo[5] == b'Z' { b'Y' } else { b'Z' };
    let typo = String::from_utf8(typo).unwrap();
    push("secret key typo", SecretKey::parse(&typo).map(|_| ()));
    push(
        "secret key garbage",
        SecretKey::parse("hunter2").map(|_| ()),
    );
    push(
        "secret key wrong prefix",
        SecretKey::parse(&sk_text.replace("VK1", "VK2")).map(|_| ()),
    );
    let shares = shamir::split(PASSWORD.as_bytes(), 2, 3, &mut r).unwrap();
    let share_text = shares[0].to_text();
    let mut styp = share_text.clone().into_bytes();
    styp[10] = if styp[10] == b'Z' { b'Y' } else { b'Z' };
    push(
        "share typo",
        Share::from_text(&String::from_utf8(styp).unwrap()).map(|_| ()),
    );
    let mut tampered = shares[1].to_bytes().to_vec();
    tampered[10] ^= 1;
    push(
        "tampered share",
        shamir::combine(&[shares[0].clone(), Share::from_bytes(&tampered).unwrap()]).map(|_| ()),
    );
    push("too few shares", shamir::combine(&shares[..1]).map(|_| ()));
    push(
        "split arguments",
        shamir::split(PASSWORD.as_bytes(), 1, 3, &mut r).map(|_| ()),
    );
    push(
        "envelope garbage text",
        Envelope::from_text("password=hunter2").map(|_| ()),
    );
    push(
        "envelope unknown version",
        Envelope::from_bytes(vec![9; 60]).map(|_| ()),
    );
    push(
        "envelope unknown algorithm",
        Envelope::from_bytes(vec![1, 9, 0, 0]).map(|_| ()),
    );
    push(
        "envelope wrong context",
        meta.meta
            .open(
                vk.key(),
                &Context::VaultMeta {
                    vault: vk.vault_id(),
                    key_version: 2,
                },
            )
            .map(|_| ()),
    );
    push(
        "account JSON with an unknown field",
        EncryptedAccount::from_json(r#"{"v":1,"password":"hunter2"}"#).map(|_| ()),
    );
    push(
        "grant JSON garbage",
        VaultGrant::from_json(r#"{"secret":"hunter2"}"#).map(|_| ()),
    );
    push(
        "item JSON garbage",
        EncryptedItem::from_json(r#"{"item_key":"hunter2"}"#).map(|_| ()),
    );
    push(
        "item payload with a secret and an unknown field",
        Item::from_payload(
            format!(
                r#"{{"v":1,"item":{{"title":"t","data":{{"type":"login","password":"{LOGIN_PASSWORD}","bogus":"{CARD_NUMBER}"}}}}}}"#
            )
            .as_bytes(),
        )
        .map(|_| ()),
    );
    push(
        "item payload version",
        Item::from_payload(
            format!(r#"{{"v":2,"item":{{"title":"t","data":{{"type":"login","password":"{LOGIN_PASSWORD}"}}}}}}"#)
                .as_bytes(),
        )
        .map(|_| ()),
    );
    push(
        "dotenv bad name",
        EnvEntry::parse_dotenv("MY SECRET=hunter2").map(|_| ()),
    );
    push(
        "dotenv no equals",
        EnvEntry::parse_dotenv("hunter2").map(|_| ()),
    );
    push("id garbage", "hunter2".parse::<AccountId>().map(|_| ()));
    push(
        "key from slice",
        SymmetricKey::from_slice(b"hunter2").map(|_| ()),
    );
    push(
        "low-order X25519",
        primitives::x25519(&account_key, &[0u8; 32]).map(|_| ()),
    );
    push(
        "Ed25519 bad signature",
        primitives::ed25519_verify(&alice.public_identity().ed25519, b"msg", &[7u8; 64]),
    );

    let item = sample_login();
    let enc = vk
        .encrypt_item(ItemId::generate(&mut r), 1, &item, &mut r)
        .unwrap();
    let other_vk = VaultKey::generate(vk.vault_id(), &mut r);
    push(
        "item under the wrong vault key",
        other_vk.decrypt_item(&enc).map(|_| ()),
    );
    let grant = alice
        .grant_vault(&vk, bob.public_identity(), Role::Viewer, &mut r)
        .unwrap();
    let mut forged = grant.clone();
    forged.role = Role::Owner;
    push(
        "forged grant",
        bob.open_grant(&forged, alice.public_identity()).map(|_| ()),
    );
    push(
        "grant to someone else",
        alice
            .open_grant(&grant, alice.public_identity())
            .map(|_| ()),
    );
    push(
        "unwrap a vault key wrapped for another account",
        bob.unwrap_vault_key(&alice.wrap_vault_key(&vk, &mut r).unwrap())
            .map(|_| ()),
    );

    assert!(errors.len() >= 30);
    for (what, e) in &errors {
        assert_clean_error(e, texts, bytes, what);
        // Secret Key and share groups (5 characters) never appear either.
        let msg = e.to_string();
        for group in sk_text[4..].split('-').chain(share_text[4..].split('-')) {
            if group.len() == 5 {
                assert!(!msg.contains(group), "{what}: message shows a code group");
            }
        }
    }
    // Decryption failures are all the same opaque error.
    for what in [
        "wrong password",
        "missing secret key",
        "wrong secret key",
        "envelope wrong context",
        "item under the wrong vault key",
        "unwrap a vault key wrapped for another account",
    ] {
        let e = &errors.iter().find(|(w, _)| *w == what).unwrap().1;
        assert_eq!(e, &Error::Decrypt, "{what}");
        assert_eq!(e.to_string(), "decryption failed");
    }
    for (what, e) in &errors {
        println!("{what:>48}: [{}] {e}", e.code());
    }
}

// ------------------------------------------------------------ partial list decryption

fn flip_byte(env: &Envelope, i: usize) -> Envelope {
    let mut b = env.as_bytes().to_vec();
    let i = i % b.len();
    b[i] ^= 0x01;
    Envelope::from_bytes(b).unwrap()
}

/// An item whose envelopes all authenticate but whose overview payload is
/// `overview_json` (not what `encrypt_item` would write).
fn item_with_overview(
    vk: &VaultKey,
    id: ItemId,
    overview_json: &[u8],
    r: &mut ChaCha20Rng,
) -> EncryptedItem {
    let good = vk.encrypt_item(id, 1, &sample_login(), r).unwrap();
    let item_key = SymmetricKey::generate(r);
    let item_key_env = Envelope::seal(
        vk.key(),
        &Context::ItemKey {
            vault: vk.vault_id(),
            item: id,
            key_version: vk.key_version(),
        },
        item_key.expose_secret(),
        r,
    )
    .unwrap();
    let ov_ctx = Context::ItemOverview {
        vault: vk.vault_id(),
        item: id,
        revision: 1,
    };
    EncryptedItem {
        item_key: item_key_env,
        overview: Envelope::seal(&item_key, &ov_ctx, overview_json, r).unwrap(),
        ..good
    }
}

#[test]
fn one_bad_item_fails_only_its_own_slot() {
    let mut r = rng(5);
    let vk = VaultKey::generate(VaultId::generate(&mut r), &mut r);
    let other_vk = VaultKey::generate(VaultId::generate(&mut r), &mut r);
    let titles = ["a", "b", "c", "d", "e", "f", "g", "h"];
    let mut items: Vec<EncryptedItem> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut item = sample_login();
            item.title = (*t).into();
            let alg = if i % 2 == 0 {
                Algorithm::XChaCha20Poly1305
            } else {
                Algorithm::Aes256Gcm
            };
            vk.encrypt_item_with(ItemId::generate(&mut r), 1, &item, alg, &mut r)
                .unwrap()
        })
        .collect();
    // 1: a flipped ciphertext byte in the overview.
    items[1].overview = flip_byte(&items[1].overview, 40);
    // 3: an item of another vault.
    items[3] = other_vk
        .encrypt_item(ItemId::generate(&mut r), 1, &sample_login(), &mut r)
        .unwrap();
    // 4: the item key envelope's tag damaged.
    let n = items[4].item_key.as_bytes().len();
    items[4].item_key = flip_byte(&items[4].item_key, n - 1);
    // 5: authenticates, but the overview is not JSON.
    items[5] = item_with_overview(&vk, items[5].item, b"not json", &mut r);
    // 6: authenticates, but the overview is from a future payload version.
    items[6] = item_with_overview(
        &vk,
        items[6].item,
        br#"{"v":2,"kind":"login","title":"g"}"#,
        &mut r,
    );

    let rows = vk.decrypt_list(&items);
    assert_eq!(rows.len(), items.len());
    for (i, (row, it)) in rows.iter().zip(&items).enumerate() {
        match i {
            1 | 3 | 4 => assert_eq!(row.as_ref().map(|_| ()), Err(&Error::Decrypt), "slot {i}"),
            5 => assert!(
                matches!(row, Err(Error::Malformed { .. })),
                "slot {i}: {row:?}"
            ),
            6 => assert!(
                matches!(row, Err(Error::UnsupportedVersion { version: 2, .. })),
                "slot {i}: {row:?}"
            ),
            _ => {
                let row = row.as_ref().unwrap();
                assert_eq!(row.item, it.item, "slot {i}");
                assert_eq!(row.overview.title, titles[i], "slot {i}");
                assert_eq!(row.overview.subtitle, "ada");
                assert_eq!(vk.decrypt_item(it).unwrap().title, titles[i]);
            }
        }
    }
    // Corrupting the overview leaves the details of that item readable.
    assert_eq!(vk.decrypt_item(&items[1]).unwrap().title, "b");
    #[cfg(feature = "parallel")]
    assert_eq!(vk.decrypt_list_parallel(&items), rows);
}

// ------------------------------------------------------------ context binding at the item level

fn assert_undecryptable(vk: &VaultKey, it: &EncryptedItem, what: &str) {
    assert_eq!(
        vk.decrypt_overview(it).map(|_| ()),
        Err(Error::Decrypt),
        "{what}: overview opened"
    );
    assert_eq!(
        vk.decrypt_item(it).map(|_| ()),
        Err(Error::Decrypt),
        "{what}: details opened"
    );
}

#[test]
fn blobs_moved_between_items_fields_vaults_revisions_and_key_versions_fail() {
    let mut r = rng(6);
    let vk = VaultKey::generate(VaultId::generate(&mut r), &mut r);
    let (id_a, id_b) = (ItemId::generate(&mut r), ItemId::generate(&mut r));
    let a = vk.encrypt_item(id_a, 1, &sample_login(), &mut r).unwrap();
    let mut card = sample_login();
    card.data = sample_card();
    let b = vk.encrypt_item(id_b, 1, &card, &mut r).unwrap();
    assert!(vk.decrypt_item(&a).is_ok() && vk.decrypt_item(&b).is_ok());

    // Between items of one vault.
    let b_with_a_overview = EncryptedItem {
        overview: a.overview.clone(),
        ..b.clone()
    };
    assert_eq!(
        vk.decrypt_overview(&b_with_a_overview).map(|_| ()),
        Err(Error::Decrypt)
    );
    assert!(
        vk.decrypt_item(&b_with_a_overview).is_ok(),
        "details untouched"
    );
    let b_with_a_details = EncryptedItem {
        details: a.details.clone(),
        ..b.clone()
    };
    assert_eq!(
        vk.decrypt_item(&b_with_a_details).map(|_| ()),
        Err(Error::Decrypt)
    );
    assert!(
        vk.decrypt_overview(&b_with_a_details).is_ok(),
        "overview untouched"
    );
    let b_with_a_key = EncryptedItem {
        item_key: a.item_key.clone(),
        ..b.clone()
    };
    assert_undecryptable(&vk, &b_with_a_key, "item key from another item");
    let a_as_b = EncryptedItem {
        item: id_b,
        ..a.clone()
    };
    assert_undecryptable(&vk, &a_as_b, "item relabelled with another id");
    let a_new_id = EncryptedItem {
        item: ItemId::generate(&mut r),
        ..a.clone()
    };
    assert_undecryptable(&vk, &a_new_id, "item relabelled with a fresh id");
    // Even the whole set of B's blobs under A's id.
    let b_blobs_as_a = EncryptedItem {
        item: id_a,
        ..b.clone()
    };
    assert_undecryptable(&vk, &b_blobs_as_a, "all blobs moved to another item");

    // Between fields of one item.
    let swapped = EncryptedItem {
        overview: a.details.clone(),
        details: a.overview.clone(),
        ..a.clone()
    };
    assert_undecryptable(&vk, &swapped, "overview and details swapped");
    let key_as_overview = EncryptedItem {
        overview: a.item_key.clone(),
        ..a.clone()
    };
    assert_eq!(
        vk.decrypt_overview(&key_as_overview).map(|_| ()),
        Err(Error::Decrypt)
    );

    // Between revisions.
    for rev in [0, 2, u64::MAX] {
        let moved = EncryptedItem {
            revision: rev,
            ..a.clone()
        };
        assert_undecryptable(&vk, &moved, "revision changed");
    }
    let a2 = vk.encrypt_item(id_a, 2, &sample_login(), &mut r).unwrap();
    assert!(vk.decrypt_item(&a2).is_ok());
    let old_overview_in_new = EncryptedItem {
        overview: a.overview.clone(),
        ..a2.clone()
    };
    assert_eq!(
        vk.decrypt_overview(&old_overview_in_new).map(|_| ()),
        Err(Error::Decrypt)
    );
    let old_blobs_as_new = EncryptedItem {
        revision: 2,
        ..a.clone()
    };
    assert_undecryptable(
        &vk,
        &old_blobs_as_new,
        "revision 1 blobs labelled revision 2",
    );
    let old_key_new_blobs = EncryptedItem {
        item_key: a.item_key.clone(),
        ..a2.clone()
    };
    assert_undecryptable(
        &vk,
        &old_key_new_blobs,
        "revision 1 item key with revision 2 blobs",
    );

    // Between vaults.
    let vk2 = VaultKey::generate(VaultId::generate(&mut r), &mut r);
    let moved = EncryptedItem {
        vault: vk2.vault_id(),
        ..a.clone()
    };
    assert_undecryptable(&vk2, &moved, "item moved to another vault");
    assert_undecryptable(&vk, &moved, "item relabelled with another vault id");
    let same_key_other_vault = VaultKey::from_parts(vk2.vault_id(), 1, vk.key().clone());
    assert_undecryptable(
        &same_key_other_vault,
        &moved,
        "item moved to a vault that (wrongly) shares the key",
    );

    // Between key versions.
    let meta = vk.seal_meta(&VaultMeta::default(), &mut r).unwrap();
    let (vk_v2, meta_v2, rotated) = vk.rotate(&meta, &[a.clone(), b.clone()], &mut r).unwrap();
    assert_eq!(vk_v2.key_version(), 2);
    assert!(vk_v2.decrypt_item(&rotated[0]).is_ok() && vk_v2.decrypt_item(&rotated[1]).is_ok());
    assert_undecryptable(&vk_v2, &a, "old-generation item under the new key");
    assert_undecryptable(&vk, &rotated[0], "new-generation item under the old key");
    let relabelled = EncryptedItem {
        key_version: 2,
        ..a.clone()
    };
    assert_undecryptable(&vk_v2, &relabelled, "old item key labelled generation 2");
    let downgraded = EncryptedItem {
        key_version: 1,
        ..rotated[0].clone()
    };
    assert_undecryptable(&vk, &downgraded, "new item key labelled generation 1");
    // Same key bytes, other generation: the generation is in the associated data.
    let same_bytes_v2 = VaultKey::from_parts(vk.vault_id(), 2, vk.key().clone());
    assert_undecryptable(
        &same_bytes_v2,
        &relabelled,
        "generation bound in the item key's context",
    );
    let cross = EncryptedItem {
        item_key: rotated[1].item_key.clone(),
        ..rotated[0].clone()
    };
    assert_undecryptable(&vk_v2, &cross, "rotated item keys swapped");
    // Vault metadata is bound to its generation and vault too.
    assert_eq!(vk_v2.open_meta(&meta).map(|_| ()), Err(Error::Decrypt));
    assert_eq!(vk.open_meta(&meta_v2).map(|_| ()), Err(Error::Decrypt));
    let mut meta_relabelled = meta.clone();
    meta_relabelled.key_version = 2;
    assert_eq!(
        same_bytes_v2.open_meta(&meta_relabelled).map(|_| ()),
        Err(Error::Decrypt)
    );
}
