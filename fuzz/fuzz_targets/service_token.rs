//! Service credentials as text (`vst1.` tokens, `vsa1.` auth headers,
//! `vpr1.` project references): parsing never panics, and what parses
//! prints back to text that parses to the same thing.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::machine::{ProjectRef, ServiceToken, parse_auth_header};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(t) = ServiceToken::parse(s) {
        let again = ServiceToken::parse(t.to_text().expose_secret());
        assert!(again.is_ok_and(|a| a.service() == t.service() && a.public() == t.public()));
        // Its own auth header authenticates against its own public part.
        assert!(t.public().check_auth(t.auth_header().expose_secret()).is_ok());
    }
    let _ = parse_auth_header(s);
    if let Ok(r) = s.parse::<ProjectRef>() {
        assert_eq!(r.to_string().parse::<ProjectRef>().ok(), Some(r));
    }
});
