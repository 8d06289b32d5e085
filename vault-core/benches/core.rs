//! Criterion benches for vault-core's hot paths (issue 2, "Performance"):
//! Argon2id at the default params, envelope seal/open, one small field parse +
//! decrypt, and the list screen of a 10,000-item vault.
//!
//! ```text
//! cargo bench -p vault-core --bench core                       # lanes on one thread
//! cargo bench -p vault-core --bench core --features parallel   # rayon lanes, decrypt_list_parallel
//! ```
//!
//! Side-by-side ratios against the C reference and OpenSSL come from
//! `bench/compare.sh`, not from here.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "fixtures/mod.rs"]
mod fixtures;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use vault_core::{
    AccountId, Algorithm, Context, Envelope, ItemId, KdfParams, SymmetricKey, VaultId,
};

/// Which build this is, so the two runs' results are told apart.
const BUILD: &str = if cfg!(feature = "parallel") {
    "parallel"
} else {
    "serial"
};

fn argon2id(c: &mut Criterion) {
    let mut g = c.benchmark_group("argon2id");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    let p = KdfParams::DEFAULT;
    let run = || vault_core::kdf::argon2id_raw(black_box(b"password"), &[7u8; 16], &p).unwrap();
    g.bench_function(BenchmarkId::new("m=64MiB,t=3,p=4", BUILD), |b| b.iter(run));
    #[cfg(feature = "parallel")]
    {
        // The same parallel build with its lanes forced onto one thread.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        g.bench_function(
            BenchmarkId::new("m=64MiB,t=3,p=4", "parallel-1thread"),
            |b| b.iter(|| pool.install(run)),
        );
    }
    g.finish();
}

fn envelope(c: &mut Criterion) {
    let mut rng = vault_core::rng::os_rng();
    let key = SymmetricKey::generate(&mut rng);
    let ctx = Context::ItemDetails {
        vault: VaultId([1; 16]),
        item: ItemId([2; 16]),
        revision: 1,
    };
    for (name, alg) in [
        ("xchacha20poly1305", Algorithm::XChaCha20Poly1305),
        ("aes256gcm", Algorithm::Aes256Gcm),
    ] {
        let mut g = c.benchmark_group(format!("envelope/{name}"));
        g.measurement_time(Duration::from_secs(3));
        for size in [256usize, 16 * 1024] {
            let pt = vec![0xa5u8; size];
            g.throughput(Throughput::Bytes(size as u64));
            g.bench_with_input(BenchmarkId::new("seal", size), &pt, |b, pt| {
                b.iter(|| Envelope::seal_with(&key, alg, &ctx, black_box(pt), &mut rng).unwrap())
            });
            let env = Envelope::seal_with(&key, alg, &ctx, &pt, &mut rng).unwrap();
            g.bench_with_input(BenchmarkId::new("open", size), &env, |b, env| {
                b.iter(|| black_box(env).open(&key, &ctx).unwrap())
            });
        }
        g.finish();
    }
}

fn small_field(c: &mut Criterion) {
    let mut rng = vault_core::rng::os_rng();
    let key = SymmetricKey::generate(&mut rng);
    let ctx = Context::AccountKey {
        account: AccountId([3; 16]),
    };
    let text = Envelope::seal(&key, &ctx, &[0x61u8; 256], &mut rng)
        .unwrap()
        .to_text();
    let mut g = c.benchmark_group("field");
    g.throughput(Throughput::Elements(1));
    g.bench_function("256B parse+open", |b| {
        b.iter(|| {
            Envelope::from_text(black_box(&text))
                .unwrap()
                .open(&key, &ctx)
                .unwrap()
        })
    });
    g.finish();
}

fn unlock(c: &mut Criterion) {
    let n = 10_000;
    let (vk, items) = fixtures::build_vault(n);
    assert!(vk.decrypt_list(&items).iter().all(Result::is_ok));
    eprintln!(
        "unlock: {n} items, {:.0} B sealed per item",
        fixtures::sealed_bytes_per_item(&items)
    );
    let mut g = c.benchmark_group("unlock_10k");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(n as u64));
    g.bench_function("decrypt_list (1 core)", |b| {
        b.iter(|| vk.decrypt_list(black_box(&items)))
    });
    #[cfg(feature = "parallel")]
    g.bench_function("decrypt_list_parallel (all cores)", |b| {
        b.iter(|| vk.decrypt_list_parallel(black_box(&items)))
    });
    g.finish();
}

criterion_group!(benches, argon2id, envelope, small_field, unlock);
criterion_main!(benches);
