//! Shamir share text and binary parsing, and combining parsed shares: never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::{Share, shamir};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let shares: Vec<Share> = s.lines().filter_map(|l| Share::from_text(l).ok()).collect();
        let _ = shamir::combine(&shares);
        for sh in &shares {
            assert_eq!(Share::from_text(&sh.to_text()).ok().as_ref(), Some(sh));
        }
    }
    if let Ok(sh) = Share::from_bytes(data) {
        assert_eq!(Share::from_bytes(&sh.to_bytes()).ok().as_ref(), Some(&sh));
        let _ = shamir::combine(&[sh.clone(), sh]);
    }
});
