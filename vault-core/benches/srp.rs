//! SRP-6a login cost (issue 3, "Performance"): one full login, client side
//! and server side timed separately, for SRP-3072 and SRP-4096.
//!
//! ```text
//! cargo bench -p vault-core --bench srp
//! cargo bench -p vault-core --bench srp -- --warm-up-time 1 --measurement-time 3   # quick
//! ```
//!
//! Client side: `start` + `process_challenge` + `verify_server`.
//! Server side: `SrpServer::start` + persisting the state (`to_json`) +
//! loading it (`from_json`) + `finish`, i.e. the work of the two HTTP
//! requests minus the database. After criterion, the bench prints server
//! logins per second per core (from a separate single-threaded timing loop).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{Criterion, criterion_group};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::hint::black_box;
use std::time::{Duration, Instant};
use vault_core::SymmetricKey;
use vault_core::srp::{ServerAwaitingClientProof, SrpClient, SrpGroup, SrpRegistration, SrpServer};

const ID: &str = "bench@example.com";

struct Fixture {
    auth_key: SymmetricKey,
    record: SrpRegistration,
    rng: ChaCha20Rng,
}

impl Fixture {
    fn new(group: SrpGroup) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let auth_key = SymmetricKey::generate(&mut rng);
        let record = SrpClient::register(ID, &auth_key, group, &mut rng).unwrap();
        Fixture {
            auth_key,
            record,
            rng,
        }
    }

    /// One full login; returns (client time, server time).
    fn login(&mut self) -> (Duration, Duration) {
        let rng = &mut self.rng;
        let t = Instant::now();
        let (client, hello) =
            SrpClient::start(ID, &self.auth_key, self.record.group(), rng).unwrap();
        let mut client_time = t.elapsed();

        let t = Instant::now();
        let (server, challenge) = SrpServer::start(&self.record, &hello, rng).unwrap();
        let stored = server.to_json();
        let mut server_time = t.elapsed();

        let t = Instant::now();
        let (client, proof) = client.process_challenge(&challenge).unwrap();
        client_time += t.elapsed();

        let t = Instant::now();
        let server = ServerAwaitingClientProof::from_json(stored.expose_secret()).unwrap();
        let (m2, server_key) = server.finish(black_box(&proof)).unwrap();
        server_time += t.elapsed();

        let t = Instant::now();
        let client_key = client.verify_server(&m2).unwrap();
        client_time += t.elapsed();

        assert_eq!(client_key, server_key);
        (client_time, server_time)
    }
}

fn groups() -> [(SrpGroup, &'static str); 2] {
    [
        (SrpGroup::Rfc5054_3072, "srp-3072"),
        (SrpGroup::Rfc5054_4096, "srp-4096"),
    ]
}

fn bench_srp(c: &mut Criterion) {
    for (group, name) in groups() {
        let mut g = c.benchmark_group(format!("{name} login"));
        let mut fx = Fixture::new(group);
        g.bench_function("client", |b| {
            b.iter_custom(|iters| (0..iters).map(|_| fx.login().0).sum())
        });
        g.bench_function("server", |b| {
            b.iter_custom(|iters| (0..iters).map(|_| fx.login().1).sum())
        });
        g.finish();
    }
}

/// Server logins per second on one core, from a plain timing loop.
fn print_figures() {
    println!();
    for (group, name) in groups() {
        let mut fx = Fixture::new(group);
        for _ in 0..3 {
            fx.login(); // warm up
        }
        let n = 40u32;
        let (mut client, mut server) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..n {
            let (c, s) = fx.login();
            client += c;
            server += s;
        }
        let (client, server) = (client / n, server / n);
        println!(
            "{name}: server {:.2} ms/login = {:.0} server logins/s/core; client {:.2} ms/login",
            server.as_secs_f64() * 1e3,
            1.0 / server.as_secs_f64(),
            client.as_secs_f64() * 1e3,
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench_srp
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo test --benches` runs this binary without `--bench`: skip the loop there.
    if std::env::args().any(|a| a == "--bench") {
        print_figures();
    }
}
