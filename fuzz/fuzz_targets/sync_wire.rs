//! Sync wire messages and persisted engine state: decoders never panic, and a
//! fresh engine fed any decoded page or push response never panics either.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::sync::SyncEngine;
use vault_core::sync::wire::{PullPage, PullRequest, PushRequest, PushResponse};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let _ = PullRequest::from_json(s);
    let _ = PushRequest::from_json(s);
    if let Ok(page) = PullPage::from_json(s) {
        let mut engine = SyncEngine::new();
        let _ = engine.apply_pull(page);
        let _ = engine.plan_push();
    }
    if let Ok(resp) = PushResponse::from_json(s) {
        let mut engine = SyncEngine::new();
        let _ = engine.apply_push(resp);
    }
    if let Ok(engine) = SyncEngine::from_json(s) {
        let _ = engine.to_json();
    }
});
