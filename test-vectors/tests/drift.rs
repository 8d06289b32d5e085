//! The committed vector files must be exactly what the generator produces.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[test]
fn committed_vectors_match_generator() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = vault_test_vectors::generate_all().unwrap();
    assert!(files.len() >= 10);
    for f in files {
        let path = dir.join(format!("{}.json", f.name));
        let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run `cargo run -p vault-test-vectors`",
                path.display()
            )
        });
        let fresh = serde_json::to_string_pretty(&f.doc).unwrap() + "\n";
        assert!(
            committed == fresh,
            "{} drifted from the generator; run `cargo run -p vault-test-vectors` and review the diff",
            path.display()
        );
    }
}
