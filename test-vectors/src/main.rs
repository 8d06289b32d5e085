//! Writes every vector file into `test-vectors/` (or checks them with `--check`).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let check = std::env::args().any(|a| a == "--check");
    let files = match vault_test_vectors::generate_all() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("generation failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stale = 0;
    for f in files {
        let path = dir.join(format!("{}.json", f.name));
        let text = match serde_json::to_string_pretty(&f.doc) {
            Ok(t) => t + "\n",
            Err(e) => {
                eprintln!("{}: {e}", f.name);
                return ExitCode::FAILURE;
            }
        };
        if check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                eprintln!("stale: {}", path.display());
                stale += 1;
            }
        } else if let Err(e) = std::fs::write(&path, text) {
            eprintln!("{}: {e}", path.display());
            return ExitCode::FAILURE;
        } else {
            println!("wrote {}", path.display());
        }
    }
    if stale > 0 {
        eprintln!("{stale} vector file(s) drifted: run `cargo run -p vault-test-vectors`");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
