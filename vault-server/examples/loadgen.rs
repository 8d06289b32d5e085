//! Load generator for `vault-server`: N concurrent keep-alive connections
//! for a fixed time; prints throughput and latency percentiles (one human
//! line on stderr, one JSON line on stdout for `bench/server/run.sh`).
//!
//! ```text
//! loadgen --url http://127.0.0.1:8080 delta          # GET /v1/sync/changes?since=<current> (no changes)
//! loadgen --url … write                               # PUT item, compare-and-swap, each connection its own item
//! loadgen --url … login-opaque                        # full OPAQUE login (start + finish)
//! loadgen --url … login-srp                           # full SRP login (server started with --protocol srp)
//! loadgen --url … initial-sync --items 10000          # seed, then time full syncs from scratch
//! ```
//!
//! Setup (accounts, vaults, items, cursors) happens before the clock
//! starts; the first `--warmup` seconds of load are not counted. Accounts
//! use the test-only KDF parameters: never point this at a real server.
//! Login benchmarks need the server's login throttle out of the way
//! (`--login-starts-per-minute` high): every login comes from 127.0.0.1.
//!
//! `initial-sync` reports both the client's wall time over loopback and
//! the server's own time, from the `vault_http_request_duration_seconds`
//! histogram (sum and count deltas) at `/metrics`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[path = "../tests/common/mod.rs"]
mod common;

use clap::{Parser, Subcommand};
use common::*;
use std::sync::Arc;
use std::time::{Duration, Instant};
use vault_core::sync::wire::{
    Cursor, OpId, PushRequest, PushResponse, PushResult, PushWrite, WIRE_VERSION,
};
use vault_core::{ItemId, SymmetricKey, rng};
use vault_sync::api::paths;

#[derive(Parser, Debug)]
#[command(about = "Load generator for vault-server")]
struct Args {
    /// Server base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Concurrent connections (one worker task each).
    #[arg(long, short = 'c', default_value_t = 32)]
    connections: usize,
    /// Measured seconds.
    #[arg(long, short = 'd', default_value_t = 10.0)]
    duration: f64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Accounts to spread the load over [default: one per connection].
    #[arg(long)]
    users: Option<usize>,
    /// Client runtime threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Label for the JSON line (e.g. the backend).
    #[arg(long, default_value = "")]
    label: String,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand, Debug, Clone)]
enum Scenario {
    /// Delta sync with no changes: GET /v1/sync/changes?since=<current cursor>.
    Delta {
        /// Items per account before measuring.
        #[arg(long, default_value_t = 20)]
        items: usize,
    },
    /// Sets up one account like `delta` does and prints `<path> <token>`
    /// (for an external load generator such as wrk).
    PrepareDelta {
        #[arg(long, default_value_t = 20)]
        items: usize,
    },
    /// Item writes: PUT /v1/vaults/{v}/items/{i} with base = last revision.
    Write,
    /// Full OPAQUE logins (two requests each).
    LoginOpaque,
    /// Full SRP logins (two requests each; server runs --protocol srp).
    LoginSrp,
    /// Seeds one vault with --items via /v1/sync/push, then times --runs
    /// full initial syncs (paging until has_more is false).
    InitialSync {
        #[arg(long, default_value_t = 10_000)]
        items: usize,
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Page size asked for.
        #[arg(long, default_value_t = 10_000)]
        limit: usize,
        /// The server's process id: also report its CPU time per sync
        /// (and that of every `postgres` process), from /proc.
        #[arg(long)]
        server_pid: Option<u32>,
    },
}

/// Latencies of one worker.
#[derive(Default)]
struct Samples {
    micros: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
}

struct Clock {
    measure_from: Instant,
    end: Instant,
}

impl Clock {
    fn new(warmup: f64, duration: f64) -> Clock {
        let start = Instant::now();
        let measure_from = start + Duration::from_secs_f64(warmup);
        Clock {
            measure_from,
            end: measure_from + Duration::from_secs_f64(duration),
        }
    }
    fn running(&self) -> bool {
        Instant::now() < self.end
    }
}

impl Samples {
    /// Records one operation that started at `t0`.
    fn record(&mut self, clock: &Clock, t0: Instant, result: Result<(), String>) {
        if t0 < clock.measure_from || Instant::now() > clock.end {
            return;
        }
        match result {
            Ok(()) => self
                .micros
                .push(u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX)),
            Err(e) => {
                self.errors += 1;
                self.first_error.get_or_insert(e);
            }
        }
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

fn report(args: &Args, name: &str, requests_per_op: u32, all: Vec<Samples>, measured: f64) {
    let mut lat: Vec<u32> = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for s in all {
        lat.extend(s.micros);
        errors += s.errors;
        if first_error.is_none() {
            first_error = s.first_error;
        }
    }
    lat.sort_unstable();
    let ops = lat.len() as f64 / measured;
    let (p50, p90, p99, max) = (
        percentile(&lat, 0.50),
        percentile(&lat, 0.90),
        percentile(&lat, 0.99),
        lat.last().map_or(f64::NAN, |m| f64::from(*m) / 1000.0),
    );
    eprintln!(
        "{name:<14} {:>9.0} ops/s ({:.0} req/s)  p50 {p50:>7.2} ms  p90 {p90:>7.2} ms  p99 {p99:>7.2} ms  max {max:>8.2} ms  \
         {} ops, {errors} errors, {} connections, {measured:.0} s{}",
        ops,
        ops * f64::from(requests_per_op),
        lat.len(),
        args.connections,
        first_error
            .map(|e| format!(" (first error: {e})"))
            .unwrap_or_default()
    );
    println!(
        "{}",
        serde_json::json!({
            "label": args.label, "scenario": name, "connections": args.connections,
            "ops_per_s": ops, "requests_per_op": requests_per_op, "p50_ms": p50, "p90_ms": p90,
            "p99_ms": p99, "max_ms": max, "ops": lat.len(), "errors": errors, "seconds": measured,
        })
    );
}

/// Runs `connections` workers; each gets its index and returns its samples.
async fn run_workers<F, Fut>(args: &Args, worker: F) -> (Vec<Samples>, f64)
where
    F: Fn(usize, Arc<Clock>) -> Fut,
    Fut: std::future::Future<Output = Samples> + Send + 'static,
{
    let clock = Arc::new(Clock::new(args.warmup, args.duration));
    let handles: Vec<_> = (0..args.connections)
        .map(|i| tokio::spawn(worker(i, clock.clone())))
        .collect();
    let mut all = Vec::new();
    for h in handles {
        all.push(h.await.unwrap());
    }
    let measured = clock
        .end
        .min(Instant::now())
        .duration_since(clock.measure_from)
        .as_secs_f64();
    (all, measured)
}

/// Registers (and signs in) `n` users, a few at a time.
async fn users(api: &Api, n: usize, srp: bool) -> Vec<Arc<User>> {
    let mut out = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(16) {
        let mut hs = Vec::new();
        for _ in chunk {
            let api = api.clone();
            hs.push(tokio::spawn(async move {
                if srp {
                    let identifier = unique_identifier("bench-srp");
                    let (account, auth_key) = register_srp(&api, &identifier).await;
                    let session = login_srp(&api, &identifier, &auth_key)
                        .await
                        .unwrap()
                        .unwrap();
                    User {
                        identifier,
                        account,
                        auth_key,
                        session,
                    }
                } else {
                    new_user(&api, "bench").await
                }
            }));
        }
        for h in hs {
            out.push(Arc::new(h.await.unwrap()));
        }
    }
    out
}

async fn push_items(api: &Api, user: &User, vault: &TestVault, count: usize) {
    let mut n = 0u64;
    let mut rng = rng::os_rng();
    while (n as usize) < count {
        let batch = (count - n as usize).min(100);
        let writes: Vec<PushWrite> = (0..batch)
            .map(|i| {
                n += 1;
                PushWrite::Upsert {
                    op: OpId(i as u64),
                    base: 0,
                    item: seal(vault, ItemId::generate(&mut rng), 1, n),
                }
            })
            .collect();
        let r = api
            .post(
                paths::PUSH,
                Some(user.token()),
                &PushRequest {
                    v: WIRE_VERSION,
                    writes,
                },
            )
            .await;
        let resp: PushResponse = r.ok();
        assert!(
            resp.results
                .iter()
                .all(|r| matches!(r, PushResult::Ok { .. })),
            "seeding: a write was refused"
        );
    }
}

fn status_err(status: u16, body: &[u8]) -> String {
    format!(
        "{status} {}",
        String::from_utf8_lossy(&body[..body.len().min(120)])
    )
}

async fn delta(args: &Args, api: Api, items: usize) {
    let n = args.users.unwrap_or(args.connections).max(1);
    let us = users(&api, n, false).await;
    let mut setups = Vec::new();
    for u in &us {
        let vault = create_vault(&api, u, "Bench").await;
        push_items(&api, u, &vault, items).await;
        let (_, cursor) = pull_all(&api, u.token(), None).await;
        setups.push((u.token().to_owned(), changes_path(Some(&cursor), None)));
    }
    let setups = Arc::new(setups);
    let (all, measured) = run_workers(args, |i, clock| {
        let api = api.clone();
        let setups = setups.clone();
        async move {
            let (token, path) = &setups[i % setups.len()];
            let url = api.url(path);
            let mut s = Samples::default();
            while clock.running() {
                let t0 = Instant::now();
                let r = async {
                    let resp = api
                        .http
                        .get(&url)
                        .bearer_auth(token)
                        .send()
                        .await
                        .map_err(|e| e.to_string())?;
                    let status = resp.status().as_u16();
                    let body = resp.bytes().await.map_err(|e| e.to_string())?;
                    const EMPTY: &[u8] = b"\"changes\":[]";
                    if status != 200 || !body.windows(EMPTY.len()).any(|w| w == EMPTY) {
                        return Err(status_err(status, &body));
                    }
                    Ok(())
                }
                .await;
                s.record(&clock, t0, r);
            }
            s
        }
    })
    .await;
    report(args, "delta-sync", 1, all, measured);
}

async fn write(args: &Args, api: Api) {
    let n = args.users.unwrap_or(args.connections).max(1);
    let us = users(&api, n, false).await;
    let mut vaults = Vec::new();
    for u in &us {
        vaults.push(create_vault(&api, u, "Bench").await);
    }
    let ctx = Arc::new((us, vaults));
    let (all, measured) = run_workers(args, |i, clock| {
        let api = api.clone();
        let ctx = ctx.clone();
        async move {
            let (us, vaults) = &*ctx;
            let (user, vault) = (&us[i % us.len()], &vaults[i % vaults.len()]);
            let id = ItemId::generate(&mut rng::os_rng());
            let mut rev = 0u64;
            let mut s = Samples::default();
            let mut n = (i as u64) << 40;
            while clock.running() {
                n += 1;
                let item = seal(vault, id, rev + 1, n);
                let t0 = Instant::now();
                let r = match put_item(&api, user.token(), rev, &item).await {
                    Ok(r) if r.status == 200 => {
                        rev += 1;
                        Ok(())
                    }
                    Ok(r) => Err(status_err(r.status, &r.body)),
                    Err(e) => Err(e.to_string()),
                };
                s.record(&clock, t0, r);
            }
            s
        }
    })
    .await;
    report(args, "item-write", 1, all, measured);
}

async fn login(args: &Args, api: Api, srp: bool) {
    let n = args.users.unwrap_or(args.connections).max(1);
    let us = Arc::new(users(&api, n, srp).await);
    let (all, measured) = run_workers(args, |i, clock| {
        let api = api.clone();
        let us = us.clone();
        async move {
            let u = &us[i % us.len()];
            let key: SymmetricKey = u.auth_key.clone();
            let mut s = Samples::default();
            while clock.running() {
                let t0 = Instant::now();
                let r = if srp {
                    login_srp(&api, &u.identifier, &key).await
                } else {
                    login_opaque_with(&api, &u.identifier, &key, &[]).await
                };
                let r = match r {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(f)) => Err(format!("{f:?}")),
                    Err(e) => Err(e.to_string()),
                };
                s.record(&clock, t0, r);
            }
            s
        }
    })
    .await;
    report(
        args,
        if srp { "login-srp" } else { "login-opaque" },
        2,
        all,
        measured,
    );
}

fn changes_metric(text: &str) -> (f64, f64) {
    let route = [("route", "/v1/sync/changes")];
    (
        metric_value(text, "vault_http_request_duration_seconds_sum", &route),
        metric_value(text, "vault_http_request_duration_seconds_count", &route),
    )
}

/// CPU seconds (user + system) of these processes, from /proc (Linux; the
/// kernel's USER_HZ is 100 on every mainstream architecture).
fn cpu_seconds(pids: &[u32]) -> f64 {
    pids.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
        .filter_map(|s| {
            // Fields after the parenthesised command name; utime and stime are 14 and 15.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?)
        })
        .sum::<f64>()
        / 100.0
}

/// Every process named `postgres`.
fn postgres_pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .filter(|p| {
                    std::fs::read_to_string(format!("/proc/{p}/comm"))
                        .is_ok_and(|c| c.trim() == "postgres")
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn initial_sync(
    args: &Args,
    api: Api,
    items: usize,
    runs: usize,
    limit: usize,
    server_pid: Option<u32>,
) {
    let user = new_user(&api, "bench-initial").await;
    let vault = create_vault(&api, &user, "Big").await;
    let t = Instant::now();
    push_items(&api, &user, &vault, items).await;
    eprintln!("seeded {items} items in {:.1?}", t.elapsed());
    let token = user.token().to_owned();
    // One untimed pass (warms the caches the way a second device would find them).
    let full = |api: Api, token: String| async move {
        let mut since: Option<Cursor> = None;
        let (mut pages, mut changes, mut bytes) = (0usize, 0usize, 0usize);
        loop {
            let r = api
                .get(&changes_path(since.as_ref(), Some(limit)), Some(&token))
                .await;
            assert_eq!(r.status, 200, "{}", r.text());
            bytes += r.body.len();
            let page: vault_core::sync::wire::PullPage = r.json();
            pages += 1;
            changes += page.changes.len();
            since = Some(page.next);
            if !page.has_more {
                return (pages, changes, bytes);
            }
        }
    };
    let (pages, changes, bytes) = full(api.clone(), token.clone()).await;
    assert_eq!(changes, items + 1, "one vault entry and every item");
    let pg = postgres_pids();
    let cpu0 = server_pid.map(|p| (cpu_seconds(&[p]), cpu_seconds(&pg)));
    let before = changes_metric(&api.get(paths::METRICS, None).await.text());
    let mut wall = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        full(api.clone(), token.clone()).await;
        wall.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let after = changes_metric(&api.get(paths::METRICS, None).await.text());
    let cpu = cpu0.zip(server_pid).map(|((s0, p0), pid)| {
        (
            (cpu_seconds(&[pid]) - s0) * 1000.0 / runs as f64,
            (cpu_seconds(&pg) - p0) * 1000.0 / runs as f64,
        )
    });
    let server_ms = (after.0 - before.0) * 1000.0 / runs as f64;
    let requests = (after.1 - before.1) / runs as f64;
    wall.sort_by(f64::total_cmp);
    let median = wall[wall.len() / 2];
    let min = wall[0];
    eprintln!(
        "initial-sync   {items} items in {pages} page(s) of ≤{limit}, {:.1} MB: server time {server_ms:.1} ms per full sync \
         (mean of {runs}, {requests:.0} requests each); client wall over loopback: median {median:.1} ms, best {min:.1} ms{}",
        bytes as f64 / 1e6,
        cpu.map(|(s, p)| format!("; CPU per sync: vault-server {s:.0} ms, postgres {p:.0} ms"))
            .unwrap_or_default()
    );
    println!(
        "{}",
        serde_json::json!({
            "label": args.label, "scenario": "initial-sync", "items": items, "limit": limit, "pages": pages, "bytes": bytes,
            "server_ms": server_ms, "wall_median_ms": median, "wall_best_ms": min, "runs": runs,
            "server_cpu_ms": cpu.map(|c| c.0), "postgres_cpu_ms": cpu.map(|c| c.1),
        })
    );
}

fn main() {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut api = Api::new(&args.url);
        api.http = reqwest::Client::builder()
            .pool_max_idle_per_host(args.connections.max(1) * 2)
            .timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .build()
            .unwrap();
        match args.scenario.clone() {
            Scenario::Delta { items } => delta(&args, api, items).await,
            Scenario::PrepareDelta { items } => {
                let u = new_user(&api, "bench-wrk").await;
                let vault = create_vault(&api, &u, "Bench").await;
                push_items(&api, &u, &vault, items).await;
                let (_, cursor) = pull_all(&api, u.token(), None).await;
                println!("{} {}", changes_path(Some(&cursor), None), u.token());
            }
            Scenario::Write => write(&args, api).await,
            Scenario::LoginOpaque => login(&args, api, false).await,
            Scenario::LoginSrp => login(&args, api, true).await,
            Scenario::InitialSync {
                items,
                runs,
                limit,
                server_pid,
            } => initial_sync(&args, api, items, runs, limit, server_pid).await,
        }
    });
}
