//! `uniffi-bindgen`: generates Kotlin, Swift and Python from the vault-ffi
//! library (`generate --library <libvault_ffi.so> --language <lang>`). It lives
//! in the workspace so the generator and the runtime are the same uniffi version.

fn main() {
    uniffi::uniffi_bindgen_main()
}
