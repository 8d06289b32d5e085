//! What the standards suites share: where the standard test data lives and
//! what happens when it is missing.

use std::path::PathBuf;

/// `$VAULT_TEST_DATA`, else `../shared/test-data` beside the repository.
#[allow(dead_code)] // not every suite that includes this module reads files by path
pub fn test_data_dir() -> PathBuf {
    match std::env::var_os("VAULT_TEST_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/test-data"
        )),
    }
}

/// A standard data set is missing: skipped (said out loud) on a developer's
/// machine, a failure under `CI=true`, where a silent skip would hide that
/// the suite never ran.
pub fn missing_test_data(msg: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg} (CI=true: standard test data must be present)");
    }
    println!("SKIPPED: {msg}");
}
