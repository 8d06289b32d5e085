//! Load generator for the machine-secrets gRPC interface, driven by
//! `bench/server/secrets.sh` (which builds the server, creates the project,
//! the secrets and an approved service with the `vault` CLI first).
//!
//! ```text
//! secrets_load --url http://127.0.0.1:8080 --token-file T get --name S0 --clients 8 --concurrency 4
//! secrets_load --url … --token-file T get-many --names S0,S1,…,S29 --runs 200
//! ```
//!
//! - `get`: `GetSecret` from `clients` connections × `concurrency` calls
//!   in flight each, for `--duration` seconds after `--warmup`; the
//!   client's cache is off, so every call goes to the server (which
//!   authenticates the token, checks the grant and writes an audit
//!   record) and is opened here. Prints throughput and latency
//!   percentiles.
//! - `get-many`: one connection, `GetSecrets` of all the names per call,
//!   one at a time, `--runs` times (cache off): end-to-end latency of the
//!   round trip and every value's verification and decryption, with the
//!   keyring already held. Also times the first
//!   call of a fresh client (connect + keyring + the batch).
//!
//! One human line on stderr, one JSON line on stdout per scenario.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::sync::Arc;
use std::time::{Duration, Instant};
use vault_secrets::{ClientOptions, SecretsClient, read_token_file};

struct Args {
    url: String,
    token_file: String,
    scenario: String,
    name: String,
    names: Vec<String>,
    clients: usize,
    concurrency: usize,
    duration: f64,
    warmup: f64,
    runs: usize,
    threads: usize,
    label: String,
}

fn usage() -> ! {
    eprintln!(
        "usage: secrets_load --url URL --token-file FILE [--threads N] [--label L] \
         (get --name NAME [--clients N] [--concurrency N] [--duration S] [--warmup S] \
         | get-many --names A,B,… [--runs N])"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args {
        url: String::new(),
        token_file: String::new(),
        scenario: String::new(),
        name: String::new(),
        names: Vec::new(),
        clients: 8,
        concurrency: 4,
        duration: 10.0,
        warmup: 2.0,
        runs: 200,
        threads: 2,
        label: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--url" => a.url = val(),
            "--token-file" => a.token_file = val(),
            "--name" => a.name = val(),
            "--names" => a.names = val().split(',').map(str::to_owned).collect(),
            "--clients" => a.clients = val().parse().unwrap_or_else(|_| usage()),
            "--concurrency" => a.concurrency = val().parse().unwrap_or_else(|_| usage()),
            "--duration" | "-d" => a.duration = val().parse().unwrap_or_else(|_| usage()),
            "--warmup" => a.warmup = val().parse().unwrap_or_else(|_| usage()),
            "--runs" => a.runs = val().parse().unwrap_or_else(|_| usage()),
            "--threads" => a.threads = val().parse().unwrap_or_else(|_| usage()),
            "--label" => a.label = val(),
            "get" | "get-many" => a.scenario = arg,
            _ => usage(),
        }
    }
    if a.url.is_empty() || a.token_file.is_empty() || a.scenario.is_empty() {
        usage()
    }
    a
}

fn options() -> ClientOptions {
    ClientOptions {
        // Every call goes to the server: this measures the server and the
        // client's decryption, not a hash-map lookup.
        cache_ttl: Duration::ZERO,
        ..ClientOptions::default()
    }
}

async fn connect(a: &Args) -> SecretsClient {
    let token = read_token_file(std::path::Path::new(&a.token_file)).expect("token file");
    SecretsClient::connect_with(&a.url, token, options())
        .await
        .expect("connect")
}

/// This process's CPU seconds so far (user + system), from /proc (Linux;
/// 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here;
    // the kernel's clock tick is 100 Hz on every Linux this runs on.
    (ticks(11) + ticks(12)) / 100.0
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

#[derive(Default)]
struct Samples {
    micros: Vec<u32>,
    /// Successful calls, warm-up included (each wrote one audit record).
    ok: u64,
    errors: u64,
    first_error: Option<String>,
}

async fn get(a: &Args) {
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(a.warmup);
    let end = measure_from + Duration::from_secs_f64(a.duration);
    let mut tasks = Vec::new();
    for _ in 0..a.clients {
        // One client = one HTTP/2 connection; its calls multiplex on it.
        let client = connect(a).await;
        client.get(&a.name).await.expect("first GetSecret");
        for _ in 0..a.concurrency {
            let client = client.clone();
            let name = a.name.clone();
            tasks.push(tokio::spawn(async move {
                let mut s = Samples::default();
                loop {
                    let t0 = Instant::now();
                    if t0 >= end {
                        break;
                    }
                    let r = client.get(&name).await;
                    s.ok += u64::from(r.is_ok());
                    if t0 >= measure_from {
                        match r {
                            Ok(_) => s
                                .micros
                                .push(u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX)),
                            Err(e) => {
                                s.errors += 1;
                                s.first_error.get_or_insert_with(|| e.to_string());
                            }
                        }
                    }
                }
                s
            }));
        }
    }
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    let mut all: Vec<u32> = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    // The first call of each client (above) succeeded too.
    let mut ok = a.clients as u64;
    for t in tasks {
        let s = t.await.expect("worker");
        ok += s.ok;
        all.extend(s.micros);
        errors += s.errors;
        if first_error.is_none() {
            first_error = s.first_error;
        }
    }
    let client_cpu = (cpu_seconds() - cpu0) / wall0.elapsed().as_secs_f64() * 100.0;
    all.sort_unstable();
    let rps = all.len() as f64 / a.duration;
    let (p50, p90, p99, max) = (
        percentile(&all, 0.50),
        percentile(&all, 0.90),
        percentile(&all, 0.99),
        percentile(&all, 1.0),
    );
    eprintln!(
        "get-secret: {rps:.0} req/s, p50 {p50:.2} ms, p90 {p90:.2} ms, p99 {p99:.2} ms, max {max:.2} ms, \
         {errors} errors ({} clients x {} in flight, {} s; this client used {client_cpu:.0}% of one core){}",
        a.clients,
        a.concurrency,
        a.duration,
        first_error
            .map(|e| format!("; first error: {e}"))
            .unwrap_or_default()
    );
    println!(
        "{{\"label\":\"{}\",\"scenario\":\"get-secret\",\"rps\":{rps:.1},\"p50_ms\":{p50:.3},\"p90_ms\":{p90:.3},\"p99_ms\":{p99:.3},\"max_ms\":{max:.3},\"errors\":{errors},\"in_flight\":{},\"calls_ok\":{ok},\"client_cpu_pct\":{client_cpu:.0}}}",
        a.label,
        a.clients * a.concurrency
    );
}

async fn get_many(a: &Args) {
    // A fresh client's first call: connect, fetch and open the keyring,
    // then the batch.
    let t0 = Instant::now();
    let client = connect(a).await;
    let first = client.get_many(&a.names).await.expect("GetSecrets");
    let cold_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let failed = first.iter().filter(|r| r.is_err()).count();
    assert_eq!(
        failed,
        0,
        "{failed} of {} names did not open",
        a.names.len()
    );
    let mut micros = Vec::with_capacity(a.runs);
    for _ in 0..a.runs {
        let t0 = Instant::now();
        let got = client.get_many(&a.names).await.expect("GetSecrets");
        micros.push(u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX));
        assert!(got.iter().all(Result::is_ok));
    }
    micros.sort_unstable();
    let (p50, p90, p99) = (
        percentile(&micros, 0.50),
        percentile(&micros, 0.90),
        percentile(&micros, 0.99),
    );
    eprintln!(
        "get-secrets ({} names): p50 {p50:.2} ms, p90 {p90:.2} ms, p99 {p99:.2} ms over {} calls; \
         a fresh client's first call (connect + keyring + batch) {cold_ms:.1} ms",
        a.names.len(),
        a.runs
    );
    println!(
        "{{\"label\":\"{}\",\"scenario\":\"get-secrets\",\"names\":{},\"p50_ms\":{p50:.3},\"p90_ms\":{p90:.3},\"p99_ms\":{p99:.3},\"cold_ms\":{cold_ms:.3},\"runs\":{}}}",
        a.label,
        a.names.len(),
        a.runs
    );
}

fn main() {
    let a = Arc::new(parse_args());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.threads)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        match a.scenario.as_str() {
            "get" => get(&a).await,
            _ => get_many(&a).await,
        }
    });
}
