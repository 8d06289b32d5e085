//! Durability: `kill -9` the server in the middle of a stream of writes,
//! restart it on the same data, and check that every write that got a 2xx
//! is there at its acknowledged revision, on SQLite and on Postgres.
//!
//! Four writers fire item writes concurrently (three with `PUT` compare-and-
//! swap, one with `POST /v1/sync/push` batches), each on items of its own so
//! none conflict. Once enough writes are acknowledged the process gets
//! SIGKILL while requests are in flight. A write whose request failed in
//! transport is "unknown": it may or may not have committed, and either is
//! correct. After the restart, for every item: the server holds the last
//! acknowledged revision with exactly the acknowledged blob, or (only if a
//! write of that item was in flight) the in-flight one. The item reads and
//! the change feed (pulled from scratch) must agree. Three rounds of
//! write/kill/restart/check per backend, on the same data.
//!
//! What this shows: the server answers 2xx only after its commit. SIGKILL
//! of the server process leaves the OS page cache intact, so it does not
//! test the storage engines' own fsync discipline (SQLite runs with WAL and
//! `synchronous = FULL`; Postgres with its defaults).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use vault_core::sync::wire::{
    Change, ItemState, OpId, PushRequest, PushResponse, PushResult, PushWrite, WIRE_VERSION,
};
use vault_core::{EncryptedItem, ItemId, rng};
use vault_sync::api::paths;
use vault_testkit::{PgEnv, TempDir};

const WRITERS: usize = 4;
/// Kill once this many writes are acknowledged (or after `KILL_AFTER`).
const KILL_AT_ACKS: usize = 1000;
const KILL_AFTER: Duration = Duration::from_secs(8);

/// One writer's view of its items.
#[derive(Default)]
struct Ledger {
    /// Last acknowledged state per item: (revision, blob).
    acked: HashMap<ItemId, (u64, EncryptedItem)>,
    /// Writes whose outcome is unknown (transport failure): item → blob sent.
    unknown: HashMap<ItemId, EncryptedItem>,
    /// Acknowledged writes (each one, not each item).
    acks: usize,
    /// Non-2xx answers (must stay 0: nobody else touches these items).
    refused: Vec<String>,
    /// Items sealed so far (keeps every blob distinct across rounds).
    sealed: u64,
}

async fn writer(
    api: Api,
    token: String,
    vault: TestVault,
    index: usize,
    stop: Arc<AtomicBool>,
    total: Arc<AtomicUsize>,
    mut l: Ledger,
) -> Ledger {
    let mut order: Vec<ItemId> = l.acked.keys().copied().collect();
    order.sort();
    let mut rng = rng::os_rng();
    let mut n: u64 = ((index as u64) << 32) + l.sealed;
    let batch = index == WRITERS - 1;
    while !stop.load(Ordering::Relaxed) {
        // Which writes: new items every third step, else updates of known ones.
        let count = if batch { 5 } else { 1 };
        let mut writes: Vec<(u64, EncryptedItem)> = Vec::with_capacity(count);
        for k in 0..count {
            n += 1;
            l.sealed += 1;
            let reuse = !order.is_empty() && !n.is_multiple_of(3);
            let (id, base) = if reuse {
                let id = order[(n as usize + k * 7) % order.len()];
                if writes.iter().any(|(_, w)| w.item == id) {
                    continue;
                }
                (id, l.acked[&id].0)
            } else {
                (ItemId::generate(&mut rng), 0)
            };
            writes.push((base, seal(&vault, id, base + 1, n)));
        }
        let outcome = if batch {
            let req = PushRequest {
                v: WIRE_VERSION,
                writes: writes
                    .iter()
                    .enumerate()
                    .map(|(i, (base, item))| PushWrite::Upsert {
                        op: OpId(i as u64),
                        base: *base,
                        item: item.clone(),
                    })
                    .collect(),
            };
            api.json(reqwest::Method::POST, paths::PUSH, Some(&token), &req)
                .await
                .map(|r| {
                    if r.status != 200 {
                        return Err(format!("push: {} {}", r.status, r.text()));
                    }
                    let resp: PushResponse = r.json();
                    Ok(resp
                        .results
                        .into_iter()
                        .map(|res| match res {
                            PushResult::Ok { revision, .. } => Ok(revision),
                            other => Err(format!("push result: {other:?}")),
                        })
                        .collect::<Vec<_>>())
                })
        } else {
            let (base, item) = &writes[0];
            put_item(&api, &token, *base, item).await.map(|r| {
                if r.status != 200 {
                    return Err(format!("put: {} {}", r.status, r.text()));
                }
                Ok(vec![Ok(r.json::<vault_sync::api::ItemWritten>().revision)])
            })
        };
        match outcome {
            Ok(Ok(results)) => {
                for ((_, item), res) in writes.into_iter().zip(results) {
                    match res {
                        Ok(rev) => {
                            assert_eq!(rev, item.revision, "acknowledged revision");
                            if !l.acked.contains_key(&item.item) {
                                order.push(item.item);
                            }
                            l.acked.insert(item.item, (rev, item));
                            l.acks += 1;
                            total.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => l.refused.push(e),
                    }
                }
            }
            Ok(Err(e)) => {
                // A 5xx while the process dies would also land here.
                l.refused.push(e);
            }
            Err(_transport) => {
                // The server went away mid-request: outcome unknown.
                for (_, item) in writes {
                    l.unknown.insert(item.item, item);
                }
                break;
            }
        }
    }
    l
}

/// Kill/restart rounds per backend.
const ROUNDS: usize = 3;

/// What one round found.
#[derive(Default)]
struct Tally {
    unknown: usize,
    unknown_landed: usize,
    lost: Vec<String>,
}

/// Checks every writer's items against the restarted server, then folds
/// what the server holds into the ledgers (an in-flight write that landed
/// becomes the item's acknowledged state) for the next round.
async fn verify(
    name: &str,
    api: &Api,
    token: &str,
    vault: &TestVault,
    ledgers: &mut [Ledger],
) -> Tally {
    let (changes, _) = pull_all(api, token, None).await;
    let feed: HashMap<ItemId, ItemState> = changes
        .iter()
        .filter_map(Change::item_state)
        .map(|s| (s.item_id(), s))
        .collect();
    let mut t = Tally::default();
    for l in ledgers.iter_mut() {
        t.unknown += l.unknown.len();
        let mut ids: Vec<ItemId> = l.acked.keys().chain(l.unknown.keys()).copied().collect();
        ids.sort();
        ids.dedup();
        for id in ids {
            let state = get_item(api, token, vault.id, id).await;
            assert_eq!(
                state.as_ref(),
                feed.get(&id),
                "{name}: item read and feed disagree for {id}"
            );
            let got = state.as_ref().and_then(ItemState::live).cloned();
            let acked = l.acked.get(&id).map(|(_, b)| b.clone());
            let in_flight = l.unknown.remove(&id);
            let ok = match (&got, &acked, &in_flight) {
                (Some(g), _, Some(u)) if g == u => {
                    t.unknown_landed += 1;
                    l.acked.insert(id, (g.revision, g.clone()));
                    true
                }
                (Some(g), Some(a), _) => g == a,
                (None, None, Some(_)) => true,
                _ => false,
            };
            if !ok {
                t.lost.push(format!(
                    "{id}: acknowledged revision {:?}, in flight {:?}, found {:?}",
                    acked.map(|a| a.revision),
                    in_flight.map(|u| u.revision),
                    got.map(|g| g.revision)
                ));
            }
        }
    }
    t
}

async fn run(name: &str, pg: Option<&PgEnv>) {
    let dir = TempDir::new(&format!("durability-{name}"));
    let mut args = base_args(dir.path());
    if let Some(pg) = pg {
        args.extend(pg.server_args(true));
    }
    let bin = env!("CARGO_BIN_EXE_vault-server");
    let log = dir.path().join("server.log");
    let mut server = Server::start(bin, &args, &log);
    let user = new_user(&server.api(), "durable").await;
    let vault = create_vault(&server.api(), &user, "Durable").await;
    let mut ledgers: Vec<Ledger> = (0..WRITERS).map(|_| Ledger::default()).collect();
    let (mut acks, mut unknown, mut landed) = (0, 0, 0);
    for round in 1..=ROUNDS {
        let api = server.api();
        let stop = Arc::new(AtomicBool::new(false));
        let total = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = std::mem::take(&mut ledgers)
            .into_iter()
            .enumerate()
            .map(|(i, mut l)| {
                l.acks = 0;
                tokio::spawn(writer(
                    api.clone(),
                    user.token().to_owned(),
                    vault.clone(),
                    i,
                    stop.clone(),
                    total.clone(),
                    l,
                ))
            })
            .collect();
        let started = Instant::now();
        while total.load(Ordering::Relaxed) < KILL_AT_ACKS && started.elapsed() < KILL_AFTER {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let acked_at_kill = total.load(Ordering::Relaxed);
        server.kill9();
        let killed_after = started.elapsed();
        // Writers stop at their first transport error; make sure they all do.
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            ledgers.push(t.await.unwrap());
        }
        let refused: Vec<&String> = ledgers.iter().flat_map(|l| &l.refused).collect();
        assert!(refused.is_empty(), "{name}: writes refused: {refused:?}");

        // Restart on the same data directory (secrets, SQLite file) / database.
        server = Server::start(bin, &args, &log);
        let api = server.api();
        // The session survives the restart: the token still works.
        let account = api.get(paths::ACCOUNT, Some(user.token())).await;
        assert_eq!(
            account.status,
            200,
            "{name}: session after restart: {}",
            account.text()
        );
        let round_acks: usize = ledgers.iter().map(|l| l.acks).sum();
        let t = verify(name, &api, user.token(), &vault, &mut ledgers).await;
        let items: usize = ledgers.iter().map(|l| l.acked.len()).sum();
        eprintln!(
            "durability[{name}] round {round}: {WRITERS} writers, killed after {killed_after:.2?} with \
             {acked_at_kill} acknowledged; {round_acks} writes acknowledged this round, all present at \
             their acknowledged revision: {}; {} in flight at the kill ({} landed); {items} items in all",
            t.lost.is_empty(),
            t.unknown,
            t.unknown_landed,
        );
        assert!(
            t.lost.is_empty(),
            "{name}: acknowledged writes missing after kill -9 (round {round}):\n{}",
            t.lost.join("\n")
        );
        assert!(
            round_acks >= 50,
            "{name}: too few writes before the kill to mean anything ({round_acks})"
        );
        acks += round_acks;
        unknown += t.unknown;
        landed += t.unknown_landed;
    }
    eprintln!(
        "durability[{name}]: {ROUNDS} kill -9 rounds, {acks} acknowledged writes, none lost; \
         {unknown} writes in flight at the kills, {landed} of them landed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill9_mid_writes_sqlite() {
    run("sqlite", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill9_mid_writes_postgres() {
    let pg = PgEnv::setup("durability").await;
    run("postgres", Some(&pg)).await;
}
