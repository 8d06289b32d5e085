//! Registers a fresh user on a running `vault-server`, signs in (OPAQUE),
//! gives the user a vault with one item, and prints the access token on
//! stdout (for tools such as `bench/server/schemathesis.sh`).
//!
//! ```text
//! cargo run -p vault-server --example login_token -- http://127.0.0.1:8080
//! ```
//!
//! Accounts use the test-only KDF parameters: never against a real server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use vault_core::{ItemId, rng};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let api = Api::new(&url);
    let user = new_user(&api, "token").await;
    let vault = create_vault(&api, &user, "Tool").await;
    let item = ItemId::generate(&mut rng::os_rng());
    let r = put_item(&api, user.token(), 0, &seal(&vault, item, 1, 1))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "put item: {}", r.text());
    eprintln!(
        "signed in as {} (vault {}, item {item})",
        user.identifier, vault.id
    );
    println!("{}", user.token());
}
