//! Generates the gRPC code of the service-facing interface
//! (`proto/vault/secrets/v1/secrets.proto`, package `vault.secrets.v1`)
//! into `OUT_DIR/vault.secrets.v1.rs`: the messages, the server stubs with
//! the `server` feature, the client stubs with the `grpc-client` feature.
//!
//! Why protox + tonic-prost-build: tonic 0.14's generator wants a
//! `FileDescriptorSet`, normally from a `protoc` binary. protox parses and
//! checks the `.proto` in pure Rust, so a build needs no system package and
//! runs no downloaded executable (`protoc-bin-vendored` would execute a
//! prebuilt `protoc` shipped inside a crate, and has no build for some
//! hosts). It is a build dependency only, compiled when the `grpc` feature
//! is on. The committed `.proto` stays the contract: any other toolchain
//! (`grpc_tools.protoc`, `buf`) compiles the same file.

fn main() {
    #[cfg(feature = "grpc")]
    if let Err(e) = grpc::generate() {
        // A build script reports failure by exiting non-zero; cargo prints
        // this message with the build error.
        eprintln!("vault-sync build script: {e}");
        std::process::exit(1);
    }
}

#[cfg(feature = "grpc")]
mod grpc {
    use std::path::PathBuf;

    /// Where the `.proto` tree is: `proto/` in the workspace, one level up
    /// from this crate (or inside the crate, for a copy that carries it).
    fn proto_root() -> Result<PathBuf, String> {
        let manifest = PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR is not set")?,
        );
        for root in [manifest.join("proto"), manifest.join("..").join("proto")] {
            if root.join(FILE).is_file() {
                return Ok(root);
            }
        }
        Err(format!(
            "{FILE} not found under proto/ (next to or above this crate)"
        ))
    }

    const FILE: &str = "vault/secrets/v1/secrets.proto";

    pub fn generate() -> Result<(), String> {
        let root = proto_root()?;
        println!("cargo:rerun-if-changed={}", root.join(FILE).display());
        let fds = protox::compile([FILE], [&root]).map_err(|e| format!("{FILE}: {e}"))?;
        tonic_prost_build::configure()
            .build_server(cfg!(feature = "server"))
            .build_client(cfg!(feature = "grpc-client"))
            // No `connect(url)` helpers: they need tonic's transport in the
            // generated code; callers build a `Channel` and use `new`.
            .build_transport(false)
            .emit_rerun_if_changed(false)
            .compile_fds(fds)
            .map_err(|e| format!("generating the gRPC code: {e}"))
    }
}
