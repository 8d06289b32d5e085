//! A worked example of the whole core, end to end, with no server: two users,
//! a shared vault, every item type, offline unlock, password change, key
//! rotation after revoking a member, and a Shamir recovery split.
//!
//! Run: `cargo run -p vault-core --example walkthrough`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use vault_core::*;

fn main() -> Result<()> {
    let mut rng = rng::os_rng();
    let params = KdfParams::DEFAULT;
    let policy = KdfPolicy::default();

    // 1. Alice registers, with a device-held Secret Key (2SKD).
    let alice_sk = SecretKey::generate(&mut rng);
    let t = std::time::Instant::now();
    let (alice, alice_creds) = UnlockedAccount::create(
        "correct horse battery staple",
        Some(&alice_sk),
        params,
        &mut rng,
    )?;
    println!(
        "alice registered in {:?} (Argon2id {params:?})",
        t.elapsed()
    );
    let sk_text = alice_sk.to_display_string();
    println!(
        "  Secret Key for her Emergency Kit: {}-…",
        sk_text.get(..9).unwrap_or_default()
    );
    println!("  fingerprint: {}", alice.fingerprint());
    let (bob, _bob_creds) = UnlockedAccount::create("bob's passphrase", None, params, &mut rng)?;
    println!("bob registered; fingerprint: {}", bob.fingerprint());

    // 2. Alice creates a vault and adds one item of each kind.
    let (vk, vault, _wrapped) = alice.create_vault(
        &VaultMeta {
            name: "Team".into(),
            description: "shared secrets".into(),
        },
        &mut rng,
    )?;
    let items = [
        ItemData::Login {
            username: "admin".into(),
            password: "s3cret!".into(),
            uris: vec!["https://db.example.com".into()],
            totp: "JBSWY3DPEHPK3PXP".into(),
        },
        ItemData::SecureNote,
        ItemData::ApiKey {
            entries: EnvEntry::parse_dotenv("DATABASE_URL=postgres://db\nAPI_TOKEN=tok_123\n")?,
        },
        ItemData::Card {
            cardholder: "Alice".into(),
            brand: "Visa".into(),
            number: "4111111111111111".into(),
            exp_month: "12".into(),
            exp_year: "2030".into(),
            code: "123".into(),
        },
        ItemData::Identity {
            full_name: "Alice Example".into(),
            email: "alice@example.com".into(),
            phone: String::new(),
            address: String::new(),
            document_number: "X1234567".into(),
        },
        ItemData::SshKey {
            private_key: "-----BEGIN OPENSSH PRIVATE KEY-----…".into(),
            public_key: "ssh-ed25519 AAAA… alice".into(),
            fingerprint: "SHA256:…".into(),
        },
    ];
    let mut encrypted = Vec::new();
    for (i, data) in items.into_iter().enumerate() {
        let item = Item {
            title: format!("item {i}"),
            data,
            notes: "notes are encrypted too".into(),
            tags: vec!["demo".into()],
            favorite: i == 0,
            custom_fields: vec![CustomField {
                name: "extra".into(),
                value: "v".into(),
                kind: FieldKind::Hidden,
            }],
        };
        encrypted.push(vk.encrypt_item(ItemId::generate(&mut rng), 1, &item, &mut rng)?);
    }
    println!(
        "\nvault {:?} with {} items; the server would store e.g.:",
        vk.open_meta(&vault)?.name,
        encrypted.len()
    );
    let blob = serde_json::to_string(&encrypted[0]).unwrap_or_default();
    println!("  {}…", blob.get(..120).unwrap_or(&blob));

    // 3. Share with Bob (after comparing fingerprints out of band).
    let grant = alice.grant_vault(&vk, bob.public_identity(), Role::Editor, &mut rng)?;
    let bob_vk = bob.open_grant(&grant, alice.public_identity())?;
    println!("\nbob opened the grant and lists the vault:");
    for row in bob_vk.decrypt_list(&encrypted) {
        let row = row?;
        let kind = format!("{:?}", row.overview.kind);
        println!(
            "  {:<8} {kind:<11} {}",
            row.overview.title, row.overview.subtitle
        );
    }

    // 4. Offline unlock on another device: record + password + Secret Key, no server.
    let again =
        alice_creds
            .encrypted
            .unlock("correct horse battery staple", Some(&alice_sk), &policy)?;
    assert_eq!(again.account_id(), alice.account_id());
    let wrong = alice_creds
        .encrypted
        .unlock("wrong", Some(&alice_sk), &policy);
    println!(
        "\noffline unlock ok; wrong password -> {}",
        wrong.err().map(|e| e.to_string()).unwrap_or_default()
    );

    // 5. Password change re-wraps the account key only.
    let changed = again.change_password(
        &alice_creds.encrypted,
        "new passphrase",
        Some(&alice_sk),
        params,
        &mut rng,
    )?;
    changed
        .encrypted
        .unlock("new passphrase", Some(&alice_sk), &policy)?;
    println!("password changed; items untouched");

    // 6. Revoke Bob: rotate the vault key, re-wrap item keys only.
    let (vk2, _vault2, rewrapped) = vk.rotate(&vault, &encrypted, &mut rng)?;
    assert!(bob_vk.decrypt_item(&rewrapped[0]).is_err());
    println!(
        "bob revoked: key generation {} -> {}; his old key opens nothing new",
        vk.key_version(),
        vk2.key_version()
    );

    // 7. A 2-of-3 Shamir split of the account key for a recovery kit.
    let shares = shamir::split(alice.account_key().expose_secret(), 2, 3, &mut rng)?;
    let back = shamir::combine(&shares[1..])?;
    assert_eq!(back.expose_secret(), alice.account_key().expose_secret());
    println!(
        "recovery kit: 2 of {} shares recover the account key (share text starts {}…)",
        shares.len(),
        &shares[0].to_text()[..9]
    );
    Ok(())
}
