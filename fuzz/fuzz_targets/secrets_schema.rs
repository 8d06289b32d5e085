//! `secrets.schema.json` files and `vault://` templates from a repository:
//! parsing never panics; a parsed schema's own output parses again to the
//! same names, and rendering never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vault_core::machine::schema::SecretsSchema;
use vault_core::machine::template::{EnvTemplate, references, render};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(schema) = SecretsSchema::parse(s) {
        let again = SecretsSchema::parse(&schema.to_json());
        assert!(again.is_ok_and(|a| a.names() == schema.names()));
        let _ = schema.to_typescript("Secrets");
    }
    if let Ok(t) = EnvTemplate::parse(s) {
        let _ = t.references();
    }
    if references(s).is_ok() {
        let _ = render(s, |r| Some(format!("{r:?}")));
    }
});
