//! Criterion benches for OPAQUE (issue 3): one full login, client side and
//! server side timed separately, plus KE2 for a real and a fake record (the
//! two must cost the same, or timing tells accounts apart). Ends by printing
//! server logins per second on one core.
//!
//! ```text
//! cargo bench -p vault-core --bench opaque
//! cargo bench -p vault-core --bench opaque -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! The client side excludes Argon2id: the auth key is an input here (see
//! the `core` bench for the KDF).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{Criterion, criterion_group};
use std::hint::black_box;
use std::time::{Duration, Instant};
use vault_core::SymmetricKey;
use vault_core::opaque::*;
use vault_core::rng::{OsRng, os_rng};

const ID: &str = "alice@example.com";

struct Fixture {
    setup: ServerSetup,
    record: RegistrationRecord,
    key: SymmetricKey,
    rng: OsRng,
}

fn fixture() -> Fixture {
    let mut rng = os_rng();
    let setup = ServerSetup::generate(&mut rng);
    let key = SymmetricKey::generate(&mut rng);
    let (client, req) = ClientRegistration::start(ID, &key, &mut rng).unwrap();
    let resp = setup.registration_response(ID, &req).unwrap();
    let record = client.finish(&resp, &mut rng).unwrap().record;
    Fixture {
        setup,
        record,
        key,
        rng,
    }
}

/// Runs `iters` full logins; returns (client time, server time).
fn logins(f: &mut Fixture, iters: u64) -> (Duration, Duration) {
    let (mut client_t, mut server_t) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..iters {
        let t = Instant::now();
        let (client, ke1) = ClientLogin::start(ID, &f.key, &mut f.rng).unwrap();
        client_t += t.elapsed();

        let t = Instant::now();
        let (server, ke2) =
            ServerLogin::start(&f.setup, ID, Some(&f.record), &ke1, &mut f.rng).unwrap();
        server_t += t.elapsed();

        let t = Instant::now();
        let done = client.finish(&ke2, &mut f.rng).unwrap();
        client_t += t.elapsed();

        let t = Instant::now();
        let key = server.finish(&done.ke3).unwrap();
        server_t += t.elapsed();
        black_box(key);
    }
    (client_t, server_t)
}

fn login(c: &mut Criterion) {
    let mut f = fixture();
    let mut g = c.benchmark_group("opaque/login");
    g.bench_function("client (start + finish)", |b| {
        b.iter_custom(|iters| logins(&mut f, iters).0)
    });
    g.bench_function("server (start + finish)", |b| {
        b.iter_custom(|iters| logins(&mut f, iters).1)
    });
    g.finish();
}

fn ke2_real_vs_fake(c: &mut Criterion) {
    let mut f = fixture();
    let (_, ke1) = ClientLogin::start(ID, &f.key, &mut f.rng).unwrap();
    let mut g = c.benchmark_group("opaque/ke2");
    g.bench_function("real record", |b| {
        b.iter(|| ServerLogin::start(&f.setup, ID, Some(&f.record), black_box(&ke1), &mut f.rng))
    });
    g.bench_function("fake record", |b| {
        b.iter(|| ServerLogin::start(&f.setup, ID, None, black_box(&ke1), &mut f.rng))
    });
    g.finish();
}

criterion_group!(benches, login, ke2_real_vs_fake);

/// Server logins per second on this one thread, over about two seconds of
/// server time (the client halves run too, untimed).
fn server_logins_per_core() {
    let mut f = fixture();
    let (mut n, mut server_t) = (0u64, Duration::ZERO);
    while server_t < Duration::from_secs(2) {
        server_t += logins(&mut f, 50).1;
        n += 50;
    }
    let per_s = n as f64 / server_t.as_secs_f64();
    println!(
        "opaque: server logins/s/core = {per_s:.0} ({:.1} µs per login, {n} logins)",
        1e6 / per_s
    );
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // Only for real bench runs, not `cargo test --benches`.
    if std::env::args().any(|a| a == "--bench") {
        server_logins_per_core();
    }
}
