//! Machine-readable performance figures for `bench/compare.sh`.
//!
//! Prints one `key=value` line per figure (times are medians over several
//! timed batches measured with `std::time::Instant`). Build it the way apps
//! ship the core:
//!
//! ```text
//! cargo run --release -p vault-core --features parallel --example bench_figures
//! ```
//!
//! Optional arguments select sections: `argon2`, `aead`, `field`, `unlock`
//! (default: all). `BENCH_ARGON2_RUNS` sets the number of Argon2id runs (default 7).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../benches/fixtures/mod.rs"]
mod fixtures;

use fixtures::{build_vault, sealed_bytes_per_item};
use std::hint::black_box;
use std::time::{Duration, Instant};
use vault_core::{
    AccountId, Algorithm, Context, Envelope, ItemId, KdfParams, SymmetricKey, VaultId,
    hazmat::primitives,
};

/// Median of a list of figures.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Median time of one call of `f`, in nanoseconds: `f` is run in `batches`
/// timed batches of about `batch` wall time each (after one warm-up batch).
fn time_per_op(batch: Duration, batches: usize, mut f: impl FnMut()) -> f64 {
    // Calibrate: how many calls fill one batch.
    let t0 = Instant::now();
    let mut calls = 0u64;
    while t0.elapsed() < batch / 4 {
        f();
        calls += 1;
    }
    let per_call = t0.elapsed().as_secs_f64() / calls as f64;
    let iters = ((batch.as_secs_f64() / per_call) as u64).max(1);
    let mut samples = Vec::with_capacity(batches);
    for i in 0..=batches {
        let t = Instant::now();
        for _ in 0..iters {
            f();
        }
        let ns = t.elapsed().as_nanos() as f64 / iters as f64;
        if i > 0 {
            samples.push(ns); // batch 0 is warm-up
        }
    }
    median(samples)
}

/// Median wall time of `runs` single calls (for slow operations), in ms.
fn time_runs_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm-up (page faults, thread pool start)
    let samples = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    median(samples)
}

fn emit(key: &str, value: f64) {
    println!("{key}={value:.3}");
}

fn emit_str(key: &str, value: &str) {
    println!("{key}={value}");
}

fn mbps(bytes: usize, ns_per_op: f64) -> f64 {
    bytes as f64 / ns_per_op * 1e3 // bytes/ns = GB/s; ×1000 = MB/s
}

fn argon2_section() {
    let runs: usize = std::env::var("BENCH_ARGON2_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let p = KdfParams::DEFAULT;
    // The same inputs `bench/compare.sh` gives the C reference, so the
    // outputs can be compared (proof that both ran the same parameters).
    let pw = b"password";
    let salt = *b"somesaltsomesalt";
    let out = vault_core::kdf::argon2id_raw(pw, &salt, &p).unwrap();
    let hex: String = out
        .expose_secret()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    emit_str("argon2id_check_hex", &hex);
    let run = || {
        black_box(vault_core::kdf::argon2id_raw(black_box(pw), &salt, &p).unwrap());
    };
    emit("argon2id_runs", runs as f64);
    emit(
        "argon2id_parallel_feature",
        f64::from(u8::from(cfg!(feature = "parallel"))),
    );
    emit("argon2id_ms", time_runs_ms(runs, run));
    #[cfg(feature = "parallel")]
    {
        emit("argon2id_threads", rayon::current_num_threads() as f64);
        // Same build, lanes forced onto one thread: what the parallel lanes buy.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        emit(
            "argon2id_1thread_ms",
            pool.install(|| time_runs_ms(runs.min(5), run)),
        );
    }
}

fn aead_section() {
    let key = [0x42u8; 32];
    let sk = SymmetricKey::from_bytes(key);
    let ctx = Context::ItemDetails {
        vault: VaultId([1; 16]),
        item: ItemId([2; 16]),
        revision: 1,
    };
    let aad = [0u8; 13]; // TLS-record-sized AAD, as `openssl speed -aead` uses
    let batch = Duration::from_millis(20);
    let batches = 15;
    let mut rng = vault_core::rng::os_rng();
    for size in [256usize, 16384] {
        let pt = vec![0xa5u8; size];
        let mut out = vec![0u8; size];
        let mut back = vec![0u8; size];

        // Primitive level: caller buffers, no allocation, fixed nonce (as
        // `openssl speed` does), one key setup per message.
        macro_rules! prim {
            ($name:literal, $seal:path, $open:path, $nlen:expr) => {{
                let nonce = [9u8; $nlen];
                let ns = time_per_op(batch, batches, || {
                    black_box($seal(&key, &nonce, &aad, black_box(&pt), &mut out).unwrap());
                });
                emit(&format!("prim_seal_{}_{size}_MBps", $name), mbps(size, ns));
                let tag = $seal(&key, &nonce, &aad, &pt, &mut out).unwrap();
                let ns = time_per_op(batch, batches, || {
                    $open(&key, &nonce, &aad, black_box(&out), &tag, &mut back).unwrap();
                    black_box(&back);
                });
                emit(&format!("prim_open_{}_{size}_MBps", $name), mbps(size, ns));
            }};
        }
        prim!(
            "xchacha",
            primitives::xchacha20poly1305_seal,
            primitives::xchacha20poly1305_open,
            24
        );
        prim!(
            "chacha",
            primitives::chacha20poly1305_seal,
            primitives::chacha20poly1305_open,
            12
        );
        prim!(
            "aesgcm",
            primitives::aes256gcm_seal,
            primitives::aes256gcm_open,
            12
        );

        // Envelope level: what callers get (fresh OS-random nonce, header,
        // AAD from the context, output allocation).
        for (name, alg) in [
            ("xchacha", Algorithm::XChaCha20Poly1305),
            ("aesgcm", Algorithm::Aes256Gcm),
        ] {
            let ns = time_per_op(batch, batches, || {
                black_box(Envelope::seal_with(&sk, alg, &ctx, black_box(&pt), &mut rng).unwrap());
            });
            emit(&format!("env_seal_{name}_{size}_MBps"), mbps(size, ns));
            let env = Envelope::seal_with(&sk, alg, &ctx, &pt, &mut rng).unwrap();
            let ns = time_per_op(batch, batches, || {
                black_box(black_box(&env).open(&sk, &ctx).unwrap());
            });
            emit(&format!("env_open_{name}_{size}_MBps"), mbps(size, ns));
        }
    }
}

/// Fixed cost versus size: ns per seal at several sizes (investigation; not
/// part of the default run).
fn sweep_section() {
    let key = [0x42u8; 32];
    let aad = [0u8; 13];
    for size in [0usize, 32, 64, 128, 256, 1024, 4096, 16384] {
        let pt = vec![0xa5u8; size];
        let mut out = vec![0u8; size];
        let x = time_per_op(Duration::from_millis(10), 9, || {
            black_box(
                primitives::xchacha20poly1305_seal(&key, &[9; 24], &aad, black_box(&pt), &mut out)
                    .unwrap(),
            );
        });
        let c = time_per_op(Duration::from_millis(10), 9, || {
            black_box(
                primitives::chacha20poly1305_seal(&key, &[9; 12], &aad, black_box(&pt), &mut out)
                    .unwrap(),
            );
        });
        let a = time_per_op(Duration::from_millis(10), 9, || {
            black_box(
                primitives::aes256gcm_seal(&key, &[9; 12], &aad, black_box(&pt), &mut out).unwrap(),
            );
        });
        emit(&format!("sweep_seal_ns_{size}_xchacha"), x);
        emit(&format!("sweep_seal_ns_{size}_chacha"), c);
        emit(&format!("sweep_seal_ns_{size}_aesgcm"), a);
    }
}

fn field_section() {
    // One small field: a 256 B secret stored as envelope text in JSON.
    let mut rng = vault_core::rng::os_rng();
    let sk = SymmetricKey::generate(&mut rng);
    let ctx = Context::AccountKey {
        account: AccountId([3; 16]),
    };
    let text = Envelope::seal(&sk, &ctx, &[0x61u8; 256], &mut rng)
        .unwrap()
        .to_text();
    let ns = time_per_op(Duration::from_millis(20), 15, || {
        let env = Envelope::from_text(black_box(&text)).unwrap();
        black_box(env.open(&sk, &ctx).unwrap());
    });
    emit("field256_parse_open_ns", ns);
    emit("field256_parse_open_ops_per_s", 1e9 / ns);
}

fn unlock_section() {
    let n = 10_000;
    let (vk, items) = build_vault(n);
    emit("unlock_items", n as f64);
    emit(
        "unlock_sealed_bytes_per_item",
        sealed_bytes_per_item(&items),
    );
    // What the list screen actually opens: the wrapped item key and the overview.
    let touched: usize = items
        .iter()
        .map(|it| it.item_key.as_bytes().len() + it.overview.as_bytes().len())
        .sum();
    emit("unlock_opened_bytes_per_item", touched as f64 / n as f64);
    let check = |rows: &[vault_core::Result<vault_core::ListRow>]| {
        assert!(rows.iter().all(Result::is_ok));
    };
    check(&vk.decrypt_list(&items));
    emit(
        "unlock_1core_ms",
        time_runs_ms(15, || {
            black_box(vk.decrypt_list(black_box(&items)));
        }),
    );
    #[cfg(feature = "parallel")]
    {
        check(&vk.decrypt_list_parallel(&items));
        emit("unlock_threads", rayon::current_num_threads() as f64);
        emit(
            "unlock_allcores_ms",
            time_runs_ms(15, || {
                black_box(vk.decrypt_list_parallel(black_box(&items)));
            }),
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let want = |s: &str| args.is_empty() || args.iter().any(|a| a == s);
    emit(
        "cores",
        std::thread::available_parallelism().map_or(1, |n| n.get()) as f64,
    );
    if want("argon2") {
        argon2_section();
    }
    if want("aead") {
        aead_section();
    }
    if want("field") {
        field_section();
    }
    if args.iter().any(|a| a == "sweep") {
        sweep_section();
    }
    if want("unlock") {
        unlock_section();
    }
}
