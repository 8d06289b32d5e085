//! Sync engine: step-by-step scenarios and a property test of random interleavings, driving simulated devices against an in-memory reference server (CAS writes, tombstones, a paginated per-user feed), with every message crossing the wire as JSON.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;
use vault_core::sync::wire::*;
use vault_core::sync::*;
use vault_core::*;

// ============================================================ reference server

/// The blind server, as a model: opaque blobs, revisions, tombstones, members.
#[derive(serde::Serialize)]
struct Server {
    seq: u64,
    page_size: usize,
    vaults: BTreeMap<VaultId, SVault>,
    items: BTreeMap<VaultId, BTreeMap<ItemId, (ItemState, u64)>>,
    /// Every state the server ever stored (accepted writes and rotations).
    history: Vec<ItemState>,
}

#[derive(serde::Serialize)]
struct SVault {
    meta: Option<EncryptedVault>,
    meta_seq: u64,
    key_version: u32,
    members: BTreeMap<AccountId, SMember>,
    removed: BTreeMap<AccountId, u64>,
}

#[derive(serde::Serialize)]
struct SMember {
    role: Role,
    keys: Vec<MemberKey>,
    seq: u64,
}

/// A feed position: (effective seq, 0 = vault row / 1 = item row, vault, item).
type Pos = (u64, u8, VaultId, ItemId);

fn encode(p: &Pos) -> Cursor {
    Cursor::new(format!("{}.{}.{}.{}", p.0, p.1, p.2, p.3)).unwrap()
}

fn decode(c: &Cursor) -> Pos {
    let parts: Vec<&str> = c.as_str().split('.').collect();
    (
        parts[0].parse().unwrap(),
        parts[1].parse().unwrap(),
        parts[2].parse().unwrap(),
        parts[3].parse().unwrap(),
    )
}

const NIL_ITEM: ItemId = ItemId([0; 16]);

impl Server {
    fn new(page_size: usize) -> Self {
        Server {
            seq: 0,
            page_size,
            vaults: BTreeMap::new(),
            items: BTreeMap::new(),
            history: Vec::new(),
        }
    }

    fn tick(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn create_vault(&mut self, owner: AccountId, meta: EncryptedVault, key: MemberKey) {
        let seq = self.tick();
        let mut members = BTreeMap::new();
        members.insert(
            owner,
            SMember {
                role: Role::Owner,
                keys: vec![key],
                seq,
            },
        );
        self.vaults.insert(
            meta.vault,
            SVault {
                key_version: meta.key_version,
                meta: Some(meta),
                meta_seq: seq,
                members,
                removed: BTreeMap::new(),
            },
        );
    }

    fn set_member(&mut self, vault: VaultId, user: AccountId, role: Role, keys: Vec<MemberKey>) {
        let seq = self.tick();
        let v = self.vaults.get_mut(&vault).unwrap();
        v.removed.remove(&user);
        v.members.insert(user, SMember { role, keys, seq });
    }

    fn remove_member(&mut self, vault: VaultId, user: AccountId) {
        let seq = self.tick();
        let v = self.vaults.get_mut(&vault).unwrap();
        v.members.remove(&user);
        v.removed.insert(user, seq);
    }

    /// Applies a key rotation atomically: new meta, re-wrapped items (same
    /// revisions), new keys for the remaining members.
    fn rotate(
        &mut self,
        meta: EncryptedVault,
        items: Vec<EncryptedItem>,
        keys: BTreeMap<AccountId, Vec<MemberKey>>,
    ) {
        let seq = self.tick();
        let vault = meta.vault;
        let v = self.vaults.get_mut(&vault).unwrap();
        v.key_version = meta.key_version;
        v.meta = Some(meta);
        v.meta_seq = seq;
        for (user, keys) in keys {
            let m = v.members.get_mut(&user).unwrap();
            m.keys = keys;
            m.seq = seq;
        }
        for item in items {
            let state = ItemState::Live { item };
            self.history.push(state.clone());
            self.items
                .entry(vault)
                .or_default()
                .insert(state.item_id(), (state, seq));
        }
    }

    fn live(&self, vault: VaultId) -> Vec<EncryptedItem> {
        self.items
            .get(&vault)
            .into_iter()
            .flatten()
            .filter_map(|(_, (s, _))| s.live().cloned())
            .collect()
    }

    fn feed(&self, user: AccountId, since: Option<&Cursor>) -> PullPage {
        let from = since.map(decode);
        let mut entries: Vec<(Pos, Change)> = Vec::new();
        for (vid, v) in &self.vaults {
            if let Some(m) = v.members.get(&user) {
                entries.push((
                    (m.seq.max(v.meta_seq), 0, *vid, NIL_ITEM),
                    Change::Vault {
                        vault: *vid,
                        role: m.role,
                        meta: v.meta.clone(),
                        keys: m.keys.clone(),
                    },
                ));
                for (iid, (state, seq)) in self.items.get(vid).into_iter().flatten() {
                    let change = match state {
                        ItemState::Live { item } => Change::Item { item: item.clone() },
                        ItemState::Deleted {
                            vault,
                            item,
                            revision,
                        } => Change::Tombstone {
                            vault: *vault,
                            item: *item,
                            revision: *revision,
                        },
                    };
                    entries.push(((*seq.max(&m.seq), 1, *vid, *iid), change));
                }
            } else if let Some(seq) = v.removed.get(&user) {
                entries.push((
                    (*seq, 0, *vid, NIL_ITEM),
                    Change::VaultRemoved { vault: *vid },
                ));
            }
        }
        entries.sort_by_key(|a| a.0);
        let rest: Vec<(Pos, Change)> = entries
            .into_iter()
            .filter(|(p, _)| from.is_none_or(|f| *p > f))
            .collect();
        let has_more = rest.len() > self.page_size;
        let page: Vec<(Pos, Change)> = rest.into_iter().take(self.page_size).collect();
        let next = page
            .last()
            .map(|(p, _)| encode(p))
            .or_else(|| since.cloned())
            .unwrap_or_else(|| encode(&(0, 0, VaultId([0; 16]), NIL_ITEM)));
        PullPage {
            v: WIRE_VERSION,
            since: since.cloned(),
            next,
            has_more,
            changes: page.into_iter().map(|(_, c)| c).collect(),
        }
    }

    fn push(&mut self, user: AccountId, req: PushRequest) -> PushResponse {
        assert_eq!(req.v, WIRE_VERSION);
        assert!(req.writes.len() <= MAX_WRITES_PER_PUSH);
        let results = req
            .writes
            .into_iter()
            .map(|w| self.write(user, w))
            .collect();
        PushResponse {
            v: WIRE_VERSION,
            results,
        }
    }

    fn write(&mut self, user: AccountId, w: PushWrite) -> PushResult {
        let op = w.op();
        let rejected = |reason| PushResult::Rejected { op, reason };
        let Some(v) = self.vaults.get(&w.vault()) else {
            return rejected(RejectReason::NotFound);
        };
        match v.members.get(&user) {
            Some(m) if m.role != Role::Viewer => {}
            _ => return rejected(RejectReason::Forbidden),
        }
        if w.validate().is_err() {
            return rejected(RejectReason::Invalid);
        }
        if let PushWrite::Upsert { item, .. } = &w
            && item.key_version != v.key_version
        {
            return rejected(RejectReason::StaleKey);
        }
        let current = self
            .items
            .get(&w.vault())
            .and_then(|m| m.get(&w.item_id()))
            .map(|(s, _)| s.clone());
        let cur_rev = current.as_ref().map_or(0, ItemState::revision);
        if current.is_none() && w.base() > 0 {
            return rejected(RejectReason::NotFound);
        }
        if cur_rev != w.base() {
            return PushResult::Conflict {
                op,
                current: current.unwrap(),
            };
        }
        let state = w.resulting_state();
        let seq = self.tick();
        self.items
            .entry(w.vault())
            .or_default()
            .insert(w.item_id(), (state.clone(), seq));
        self.history.push(state);
        PushResult::Ok {
            op,
            revision: w.revision(),
        }
    }

    fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap()
    }
}

// ============================================================ devices

struct Device {
    user: AccountId,
    engine: SyncEngine,
    pages: usize,
}

/// The server state each queued edit would produce, by op (to check acks).
fn pending_states(engine: &SyncEngine) -> HashMap<OpId, ItemState> {
    engine
        .pending_edits()
        .map(|(v, i, e)| (e.op, e.resulting_state(v, i)))
        .collect()
}

/// Every acknowledged write is on the server, exactly as the device wrote it.
fn check_acks(acks: &[Ack], before: &HashMap<OpId, ItemState>, server: &Server) {
    for ack in acks {
        let state = &before[&ack.op];
        assert_eq!(state.revision(), ack.revision);
        assert_eq!((state.vault(), state.item_id()), (ack.vault, ack.item));
        assert!(
            server.history.contains(state),
            "acknowledged write not on the server"
        );
    }
}

/// Engine invariants visible through the public API.
fn check_engine(engine: &SyncEngine) {
    let mut chains: BTreeMap<(VaultId, ItemId), Vec<&PendingEdit>> = BTreeMap::new();
    for (v, i, e) in engine.pending_edits() {
        chains.entry((v, i)).or_default().push(e);
    }
    for ((v, i), chain) in chains {
        let known = engine.server_item(v, i).map_or(0, ItemState::revision);
        assert_eq!(chain[0].base, known, "a chain builds on the known revision");
        for pair in chain.windows(2) {
            assert_eq!(pair[1].base, pair[0].revision(), "edits chain");
            assert!(pair[0].sent || !pair[1].sent);
        }
        for e in &chain[1..] {
            assert!(!e.sent, "only a chain's first edit is ever sent");
        }
    }
}

impl Device {
    fn new(user: AccountId) -> Self {
        Device {
            user,
            engine: SyncEngine::new(),
            pages: 0,
        }
    }

    /// One pull round trip, through JSON, checking that a replay is a no-op.
    fn pull_page(&mut self, server: &Server) -> PullOutcome {
        self.pages += 1;
        let req = PullRequest::from_json(&self.engine.plan_pull().to_json()).unwrap();
        let page =
            PullPage::from_json(&server.feed(self.user, req.since.as_ref()).to_json()).unwrap();
        let before = pending_states(&self.engine);
        let out = self.engine.apply_pull(page.clone()).unwrap();
        assert!(out.applied);
        check_acks(&out.acknowledged, &before, server);
        let snapshot = self.engine.clone();
        let moved = page.since.as_ref() != Some(&page.next);
        let again = self.engine.apply_pull(page).unwrap();
        // A replay is refused, unless the page left the cursor where it was
        // (an empty page at the head), in which case it is a no-op anyway.
        assert_eq!(again.applied, !moved);
        assert!(again.changed.is_empty() && again.conflicts.is_empty());
        assert_eq!(self.engine, snapshot, "a replayed page changes nothing");
        check_engine(&self.engine);
        out
    }

    fn pull(&mut self, server: &Server) -> PullOutcome {
        let mut all = PullOutcome::default();
        for _ in 0..10_000 {
            let out = self.pull_page(server);
            all.changed.extend(out.changed);
            all.vaults_changed.extend(out.vaults_changed);
            all.acknowledged.extend(out.acknowledged);
            all.conflicts.extend(out.conflicts);
            if !out.has_more {
                return all;
            }
        }
        panic!("feed never ended");
    }

    /// One push round trip; with `lose`, the server applies it but the answer
    /// never arrives.
    fn push_once(&mut self, server: &mut Server, lose: bool) -> Option<PushOutcome> {
        let req = self.engine.plan_push()?;
        let resp = server.push(self.user, PushRequest::from_json(&req.to_json()).unwrap());
        if lose {
            return Some(PushOutcome::default());
        }
        let resp = PushResponse::from_json(&resp.to_json()).unwrap();
        let before = pending_states(&self.engine);
        let out = self.engine.apply_push(resp.clone()).unwrap();
        check_acks(&out.acknowledged, &before, server);
        let snapshot = self.engine.clone();
        let again = self.engine.apply_push(resp).unwrap();
        assert!(!again.progressed());
        assert_eq!(self.engine, snapshot, "a replayed response changes nothing");
        check_engine(&self.engine);
        Some(out)
    }

    fn push(&mut self, server: &mut Server) -> PushOutcome {
        let mut all = PushOutcome::default();
        for _ in 0..10_000 {
            match self.push_once(server, false) {
                None => return all,
                Some(out) => {
                    let progressed = out.progressed();
                    all.acknowledged.extend(out.acknowledged);
                    all.conflicts.extend(out.conflicts);
                    if !progressed {
                        return all;
                    }
                }
            }
        }
        panic!("push never ended");
    }

    fn sync(&mut self, server: &mut Server) {
        self.pull(server);
        self.push(server);
        self.pull(server);
    }

    fn reload(&mut self) {
        let json = self.engine.to_json().unwrap();
        let back = SyncEngine::from_json(&json).unwrap();
        assert_eq!(back, self.engine);
        self.engine = back;
    }

    fn upsert(&mut self, vk: &VaultKey, id: ItemId, item: &Item, rng: &mut ChaCha20Rng) {
        let rev = self.engine.next_revision(vk.vault_id(), id);
        let blob = vk.encrypt_item(id, rev, item, rng).unwrap();
        self.engine.local_upsert(blob).unwrap();
    }

    fn titles(&self, vk: &VaultKey) -> Vec<String> {
        let mut t: Vec<String> = self
            .engine
            .items(vk.vault_id())
            .map(|i| vk.decrypt_item(i).unwrap().title.clone())
            .collect();
        t.sort();
        t
    }
}

// ============================================================ fixtures

fn item(title: &str) -> Item {
    Item {
        title: title.into(),
        data: ItemData::Login {
            username: "someone".into(),
            password: format!("PLAINTEXT-password-{title}").into(),
            uris: vec![],
            totp: Default::default(),
        },
        notes: "PLAINTEXT-note".into(),
        tags: vec![],
        favorite: false,
        custom_fields: vec![],
    }
}

fn account(name: &str, rng: &mut ChaCha20Rng) -> UnlockedAccount {
    UnlockedAccount::create(name, None, KdfParams::INSECURE_TEST_ONLY, rng)
        .unwrap()
        .0
}

fn shared_account() -> &'static UnlockedAccount {
    static ACCOUNT: OnceLock<UnlockedAccount> = OnceLock::new();
    ACCOUNT.get_or_init(|| account("user", &mut ChaCha20Rng::seed_from_u64(7)))
}

/// A vault owned by `owner`, registered on the server.
fn new_vault(
    server: &mut Server,
    owner: &UnlockedAccount,
    name: &str,
    rng: &mut ChaCha20Rng,
) -> VaultKey {
    let (vk, meta, wrapped) = owner
        .create_vault(
            &VaultMeta {
                name: name.into(),
                ..Default::default()
            },
            rng,
        )
        .unwrap();
    server.create_vault(owner.account_id(), meta, MemberKey::Wrapped(wrapped));
    vk
}

struct Setup {
    rng: ChaCha20Rng,
    server: Server,
    user: UnlockedAccount,
    vk: VaultKey,
    a: Device,
    b: Device,
}

fn setup(page_size: usize) -> Setup {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut server = Server::new(page_size);
    let user = shared_account().clone();
    let vk = new_vault(&mut server, &user, "Personal", &mut rng);
    let a = Device::new(user.account_id());
    let b = Device::new(user.account_id());
    Setup {
        rng,
        server,
        user,
        vk,
        a,
        b,
    }
}

fn assert_converged(server: &Server, devices: &[&Device], vaults: &[VaultId]) {
    for d in devices {
        assert_eq!(d.engine.pending_count(), 0);
        assert!(d.engine.conflicts().is_empty());
        for v in vaults {
            let view: Vec<EncryptedItem> = d.engine.items(*v).cloned().collect();
            assert_eq!(view, server.live(*v), "device differs from the server");
        }
    }
}

fn assert_no_plaintext(json: &str) {
    assert!(!json.contains("PLAINTEXT"), "plaintext leaked");
    assert!(!json.contains("[m"), "plaintext title leaked");
}

// ============================================================ scenarios

#[test]
fn two_devices_create_pull_edit() {
    let Setup {
        mut rng,
        mut server,
        user,
        vk,
        mut a,
        mut b,
    } = setup(3);
    let v = vk.vault_id();
    let id = ItemId::generate(&mut rng);

    // A pulls its membership, creates an item offline, then pushes.
    a.pull(&server);
    let m = a.engine.membership(v).unwrap();
    assert_eq!(m.role, Role::Owner);
    let MemberKey::Wrapped(w) = &m.keys[0] else {
        panic!("owner key is wrapped")
    };
    assert_eq!(user.unwrap_vault_key(w).unwrap(), vk);
    assert_eq!(
        vk.open_meta(m.meta.as_ref().unwrap()).unwrap().name,
        "Personal"
    );
    a.upsert(&vk, id, &item("Router"), &mut rng);
    assert_eq!(a.engine.pending_count(), 1);
    let out = a.push(&mut server);
    assert_eq!(out.acknowledged.len(), 1);
    assert_eq!(out.acknowledged[0].revision, 1);
    assert_eq!(a.engine.pending_count(), 0);

    // B sees it, edits it, pushes; A pulls the edit.
    b.pull(&server);
    assert_eq!(b.titles(&vk), ["Router"]);
    assert_eq!(b.engine.next_revision(v, id), 2);
    b.upsert(&vk, id, &item("Router (5 GHz)"), &mut rng);
    b.push(&mut server);
    let out = a.pull(&server);
    assert!(out.changed.contains(&(v, id)));
    assert_eq!(a.titles(&vk), ["Router (5 GHz)"]);
    // A's own write came back in the feed: nothing to do.
    assert!(out.acknowledged.is_empty() && out.conflicts.is_empty());

    // B deletes it; A's pull applies the tombstone.
    b.engine.local_delete(v, id).unwrap();
    assert!(b.engine.item(v, id).is_none(), "hidden while queued");
    b.push(&mut server);
    a.pull(&server);
    assert!(a.titles(&vk).is_empty());
    assert!(matches!(
        a.engine.server_item(v, id),
        Some(ItemState::Deleted { revision: 3, .. })
    ));
    b.pull(&server);
    assert_converged(&server, &[&a, &b], &[v]);
    assert_no_plaintext(&server.to_json());
}

#[test]
fn concurrent_edits_keep_both_versions() {
    let Setup {
        mut rng,
        mut server,
        vk,
        mut a,
        mut b,
        ..
    } = setup(3);
    let v = vk.vault_id();
    let id = ItemId::generate(&mut rng);
    a.upsert(&vk, id, &item("Bank"), &mut rng);
    a.sync(&mut server);
    b.sync(&mut server);

    // Both edit offline; A gets there first.
    a.upsert(&vk, id, &item("Bank (A)"), &mut rng);
    b.upsert(&vk, id, &item("Bank (B)"), &mut rng);
    a.push(&mut server);
    let out = b.push(&mut server);
    assert!(out.acknowledged.is_empty());
    assert_eq!(out.conflicts.len(), 1);

    // B now shows the server's version; its own is kept in the conflict.
    assert_eq!(b.titles(&vk), ["Bank (A)"]);
    let c = &b.engine.conflicts()[0];
    assert_eq!((c.vault, c.item, c.base), (v, id, 1));
    let LocalChange::Upsert(mine) = &c.local else {
        panic!()
    };
    assert_eq!(vk.decrypt_item(mine).unwrap().title, "Bank (B)");
    assert!(matches!(
        &c.cause,
        ConflictCause::Diverged { server: ItemState::Live { item } } if item.revision == 2
    ));
    // The conflict survives a restart.
    b.reload();

    let done = b
        .engine
        .resolve_default(std::slice::from_ref(&vk), " (conflict)", &mut rng);
    assert_eq!(done.len(), 1);
    assert!(matches!(done[0].action, AutoAction::KeptBoth { .. }));
    assert_eq!(b.titles(&vk), ["Bank (A)", "Bank (B) (conflict)"]);
    b.sync(&mut server);
    a.sync(&mut server);
    assert_eq!(a.titles(&vk), ["Bank (A)", "Bank (B) (conflict)"]);
    assert_converged(&server, &[&a, &b], &[v]);
}

#[test]
fn pull_finds_the_conflict_before_the_push() {
    let Setup {
        mut rng,
        mut server,
        vk,
        mut a,
        mut b,
        ..
    } = setup(3);
    let v = vk.vault_id();
    let id = ItemId::generate(&mut rng);
    a.upsert(&vk, id, &item("Mail"), &mut rng);
    a.sync(&mut server);
    b.sync(&mut server);
    a.upsert(&vk, id, &item("Mail (A)"), &mut rng);
    a.push(&mut server);
    b.upsert(&vk, id, &item("Mail (B)"), &mut rng);
    let out = b.pull(&server);
    assert_eq!(out.conflicts.len(), 1);
    assert_eq!(b.engine.pending_count(), 0, "nothing left to push");
    assert!(b.engine.plan_push().is_none());
    // Keep the local version instead, at the next revision, over A's.
    let id_c = out.conflicts[0];
    b.engine
        .resolve_keep_local(id_c, std::slice::from_ref(&vk), &mut rng)
        .unwrap();
    assert_eq!(b.engine.pending(v, id)[0].base, 2);
    b.sync(&mut server);
    a.sync(&mut server);
    assert_eq!(a.titles(&vk), ["Mail (B)"]);
    assert_converged(&server, &[&a, &b], &[v]);
    // A's version is not lost either: it is in the server's history.
    assert!(
        server.history.iter().filter_map(ItemState::live).any(|i| vk
            .decrypt_item(i)
            .unwrap()
            .title
            == "Mail (A)")
    );
}

#[test]
fn remote_delete_does_not_delete_a_local_edit() {
    let Setup {
        mut rng,
        mut server,
        vk,
        mut a,
        mut b,
        ..
    } = setup(3);
    let v = vk.vault_id();
    let id = ItemId::generate(&mut rng);
    a.upsert(&vk, id, &item("SSH"), &mut rng);
    a.sync(&mut server);
    b.sync(&mut server);

    a.engine.local_delete(v, id).unwrap();
    a.push(&mut server);
    b.upsert(&vk, id, &item("SSH (rotated)"), &mut rng);
    let out = b.pull(&server);
    assert_eq!(out.conflicts.len(), 1);
    let c = b.engine.conflict(out.conflicts[0]).unwrap().clone();
    assert!(matches!(
        c.cause,
        ConflictCause::Diverged {
            server: ItemState::Deleted { revision: 2, .. }
        }
    ));
    assert!(
        b.engine.item(v, id).is_none(),
        "shows the server's deletion"
    );
    let done = b
        .engine
        .resolve_default(std::slice::from_ref(&vk), " (conflict)", &mut rng);
    assert_eq!(done[0].action, AutoAction::Recreated);
    assert_eq!(
        b.engine.next_revision(v, id),
        3,
        "recreated over the tombstone"
    );
    b.sync(&mut server);
    a.sync(&mut server);
    assert_eq!(a.titles(&vk), ["SSH (rotated)"]);
    assert_converged(&server, &[&a, &b], &[v]);
}

#[test]
fn local_delete_loses_to_a_remote_edit_and_says_so() {
    let Setup {
        mut rng,
        mut server,
        vk,
        mut a,
        mut b,
        ..
    } = setup(3);
    let v = vk.vault_id();
    let id = ItemId::generate(&mut rng);
    a.upsert(&vk, id, &item("Card"), &mut rng);
    a.sync(&mut server);
    b.sync(&mut server);
    a.upsert(&vk, id, &item("Card (new expiry)"), &mut rng);
    a.push(&mut server);
    b.engine.local_delete(v, id).unwrap();
    let out = b.push(&mut server);
    assert_eq!(out.conflicts.len(), 1);
    assert_eq!(
        b.engine.conflicts()[0].local,
        LocalChange::Delete,
        "the deletion is kept, not dropped"
    );
    let done = b
        .engine
        .resolve_default(std::slice::from_ref(&vk), "", &mut rng);
    assert_eq!(done[0].action, AutoAction::KeptServerEdit);
    b.sync(&mut server);
    assert_eq!(b.titles(&vk), ["Card (new expiry)"]);
    assert_converged(&server, &[&a, &b], &[v]);
}

#[test]
fn a_lost_push_answer_is_recovered_on_retry_or_by_the_feed() {
    let Setup {
        mut rng,
        mut server,
        vk,
        mut a,
        ..
    } = setup(3);
    let v = vk.vault_id();
    let (x, y) = (ItemId::generate(&mut rng), ItemId::generate(&mut rng));
    a.upsert(&vk, x, &item("X"), &mut rng);
    a.upsert(&vk, y, &item("Y"), &mut rng);
    a.push_once(&mut server, true).unwrap(); // stored, answer lost
    assert_eq!(a.engine.pending_count(), 2, "not acknowledged yet");
    assert!(a.engine.pending_edits().all(|(_, _, e)| e.sent));

    // Retry: the server answers 409 with our own blob, which acknowledges it.
    let req = a.engine.plan_push().unwrap();
    assert_eq!(req.writes.len(), 2, "unanswered writes are resent");
    let resp = server.push(a.user, req);
    assert!(
        resp.results
            .iter()
            .all(|r| matches!(r, PushResult::Conflict { .. }))
    );
    let out = a.engine.apply_push(resp).unwrap();
    assert_eq!(out.acknowledged.len(), 2);
    assert!(out.conflicts.is_empty());
    assert_eq!(a.engine.pending_count(), 0);

    // Again, but this time the feed brings the echo before any retry.
    a.upsert(&vk, x, &item("X2"), &mut rng);
    a.push_once(&mut server, true).unwrap();
    let out = a.pull(&server);
    assert_eq!(out.acknowledged.len(), 1);
    assert!(out.conflicts.is_empty());
    assert_eq!(a.engine.pending_count(), 0);
    assert!(a.engine.plan_push().is_none());
    assert_converged(&server, &[&a], &[v]);
}

#[test]
fn offline_edits_replace_unsent_ones_and_chain_after_sent_ones() {
    let Setup {
        mut rng,
        mut server,
        vk,
        mut a,
        mut b,
        ..
    } = setup(3);
    let v = vk.vault_id();
    let id = ItemId::generate(&mut rng);
    for n in 0..5 {
        a.upsert(&vk, id, &item(&format!("draft {n}")), &mut rng);
    }
    assert_eq!(a.engine.pending_count(), 1, "unsent edits coalesce");
    assert_eq!(a.engine.next_revision(v, id), 1);

    // Once sent, the edit is frozen; the next edit chains after it.
    let req = a.engine.plan_push().unwrap();
    a.upsert(&vk, id, &item("final"), &mut rng);
    assert_eq!(a.engine.pending_count(), 2);
    assert_eq!(a.engine.pending(v, id)[1].base, 1);
    // A blob sealed for a stale revision is refused.
    let stale = vk.encrypt_item(id, 1, &item("stale"), &mut rng).unwrap();
    assert!(a.engine.local_upsert(stale).is_err());
    // The chained edit is not sent before its predecessor is acknowledged.
    let resp = server.push(a.user, req);
    a.engine.apply_push(resp).unwrap();
    let req = a.engine.plan_push().unwrap();
    assert_eq!(req.writes.len(), 1);
    assert_eq!(req.writes[0].base(), 1);
    let resp = server.push(a.user, req);
    a.engine.apply_push(resp).unwrap();
    assert_eq!(a.engine.pending_count(), 0);
    b.sync(&mut server);
    assert_eq!(b.titles(&vk), ["final"]);

    // Created and deleted before any push: nothing reaches the server.
    let tmp = ItemId::generate(&mut rng);
    a.upsert(&vk, tmp, &item("tmp"), &mut rng);
    a.engine.local_delete(v, tmp).unwrap();
    assert_eq!(a.engine.pending_count(), 0);
    assert!(a.engine.plan_push().is_none());
    // Deleting twice is a no-op; deleting the unknown is an error.
    a.engine.local_delete(v, id).unwrap();
    a.engine.local_delete(v, id).unwrap();
    assert_eq!(a.engine.pending_count(), 1);
    assert!(
        a.engine
            .local_delete(v, ItemId::generate(&mut rng))
            .is_err()
    );
    a.sync(&mut server);
    b.sync(&mut server);
    assert_converged(&server, &[&a, &b], &[v]);
}

#[test]
fn pagination_delivers_everything_while_writes_continue() {
    let Setup {
        mut rng,
        mut server,
        vk,
        mut a,
        mut b,
        ..
    } = setup(3);
    let v = vk.vault_id();
    for n in 0..25 {
        a.upsert(
            &vk,
            ItemId::generate(&mut rng),
            &item(&format!("{n:02}")),
            &mut rng,
        );
    }
    a.push(&mut server);
    // B reads page by page while A keeps writing between pages.
    let mut pages = 0;
    loop {
        let out = b.pull_page(&server);
        pages += 1;
        if pages == 2 {
            a.upsert(&vk, ItemId::generate(&mut rng), &item("late"), &mut rng);
            let first = a.engine.items(v).next().unwrap().item;
            a.engine.local_delete(v, first).unwrap();
            a.push(&mut server);
        }
        if !out.has_more {
            break;
        }
    }
    assert!(pages >= 9, "26 rows at 3 per page: {pages}");
    assert_eq!(b.titles(&vk).len(), 25);
    assert!(b.titles(&vk).contains(&"late".to_string()));
    let before = b.engine.clone();
    assert!(b.pull(&server).changed.is_empty(), "caught up");
    assert_eq!(b.engine.items(v).count(), before.items(v).count());
    assert_converged(&server, &[&a, &b], &[v]);
}

#[test]
fn sharing_viewers_and_revocation() {
    let Setup {
        mut rng,
        mut server,
        user: alice,
        vk,
        mut a,
        ..
    } = setup(4);
    let v = vk.vault_id();
    let bob = account("bob", &mut rng);
    let mut bob_dev = Device::new(bob.account_id());
    for n in 0..6 {
        a.upsert(
            &vk,
            ItemId::generate(&mut rng),
            &item(&format!("team {n}")),
            &mut rng,
        );
    }
    a.sync(&mut server);
    bob_dev.pull(&server);
    assert!(bob_dev.engine.vaults().next().is_none(), "not shared yet");

    // Alice shares the vault with Bob as a viewer: the feed brings the
    // membership with the grant and every existing item of the vault.
    let grant = alice
        .grant_vault(&vk, bob.public_identity(), Role::Viewer, &mut rng)
        .unwrap();
    server.set_member(
        v,
        bob.account_id(),
        Role::Viewer,
        vec![MemberKey::Grant(grant)],
    );
    let out = bob_dev.pull(&server);
    assert_eq!(out.vaults_changed, [v]);
    let m = bob_dev.engine.membership(v).unwrap();
    let MemberKey::Grant(g) = &m.keys[0] else {
        panic!()
    };
    let bob_vk = bob.open_grant(g, alice.public_identity()).unwrap();
    assert_eq!(bob_dev.titles(&bob_vk).len(), 6);
    let some = bob_dev.engine.items(v).next().unwrap().item;
    let blob = bob_vk.encrypt_item(some, 2, &item("x"), &mut rng).unwrap();
    assert!(
        bob_dev.engine.local_upsert(blob).is_err(),
        "viewers cannot edit"
    );

    // Promoted to editor, Bob edits offline, then loses access before pushing.
    let grant = alice
        .grant_vault(&vk, bob.public_identity(), Role::Editor, &mut rng)
        .unwrap();
    server.set_member(
        v,
        bob.account_id(),
        Role::Editor,
        vec![MemberKey::Grant(grant)],
    );
    bob_dev.pull(&server);
    assert_eq!(bob_dev.engine.membership(v).unwrap().role, Role::Editor);
    bob_dev.upsert(&bob_vk, some, &item("bob's edit"), &mut rng);
    server.remove_member(v, bob.account_id());
    let out = bob_dev.pull(&server);
    assert_eq!(out.vaults_changed, [v]);
    assert_eq!(bob_dev.engine.items(v).count(), 0, "the vault is gone");
    assert!(bob_dev.engine.membership(v).is_none());
    // The queued edit went to the conflict list, still readable with the key
    // Bob had, and is left for the app to decide.
    let c = &bob_dev.engine.conflicts()[0];
    assert_eq!(c.cause, ConflictCause::VaultUnavailable);
    let LocalChange::Upsert(mine) = &c.local else {
        panic!()
    };
    assert_eq!(bob_vk.decrypt_item(mine).unwrap().title, "bob's edit");
    let done = bob_dev
        .engine
        .resolve_default(std::slice::from_ref(&bob_vk), "", &mut rng);
    assert_eq!(done[0].action, AutoAction::Left(None));
    assert_eq!(bob_dev.engine.conflicts().len(), 1);
    assert!(bob_dev.engine.plan_push().is_none());
    assert_no_plaintext(&server.to_json());
    assert_no_plaintext(&bob_dev.engine.to_json().unwrap());
}

#[test]
fn key_rotation_rejects_stale_writes_which_are_resealed() {
    let Setup {
        mut rng,
        mut server,
        user,
        vk,
        mut a,
        mut b,
    } = setup(3);
    let v = vk.vault_id();
    let (x, y) = (ItemId::generate(&mut rng), ItemId::generate(&mut rng));
    a.upsert(&vk, x, &item("X"), &mut rng);
    a.upsert(&vk, y, &item("Y"), &mut rng);
    a.sync(&mut server);
    b.sync(&mut server);

    // B edits offline under generation 1; meanwhile A rotates the vault key.
    b.upsert(&vk, x, &item("X by B"), &mut rng);
    let meta = server.vaults[&v].meta.clone().unwrap();
    let (vk2, meta2, items2) = vk.rotate(&meta, &server.live(v), &mut rng).unwrap();
    let wrapped = user.wrap_vault_key(&vk2, &mut rng).unwrap();
    let mut keys = BTreeMap::new();
    keys.insert(user.account_id(), vec![MemberKey::Wrapped(wrapped)]);
    server.rotate(meta2, items2, keys);

    // The pull brings the re-wrapped items at the same revisions: no conflict.
    let out = b.pull(&server);
    assert!(out.conflicts.is_empty());
    assert_eq!(
        b.engine
            .server_item(v, y)
            .unwrap()
            .live()
            .unwrap()
            .key_version,
        2
    );
    assert_eq!(b.engine.pending_count(), 1);
    // The push is rejected as stale; resolving re-seals under generation 2.
    let out = b.push(&mut server);
    assert_eq!(out.conflicts.len(), 1);
    assert!(matches!(
        b.engine.conflicts()[0].cause,
        ConflictCause::Rejected {
            reason: RejectReason::StaleKey
        }
    ));
    // Without the new key the default policy leaves it.
    let done = b
        .engine
        .resolve_default(std::slice::from_ref(&vk), "", &mut rng);
    assert_eq!(done[0].action, AutoAction::Left(None));
    let done = b
        .engine
        .resolve_default(&[vk.clone(), vk2.clone()], "", &mut rng);
    assert_eq!(done[0].action, AutoAction::Resealed);
    b.sync(&mut server);
    a.sync(&mut server);
    assert_eq!(a.titles(&vk2), ["X by B", "Y"]);
    assert_converged(&server, &[&a, &b], &[v]);
}

#[test]
fn identical_concurrent_edits_resolve_without_a_copy() {
    let Setup {
        mut rng,
        mut server,
        vk,
        mut a,
        mut b,
        ..
    } = setup(3);
    let v = vk.vault_id();
    let id = ItemId::generate(&mut rng);
    a.upsert(&vk, id, &item("Same"), &mut rng);
    a.sync(&mut server);
    b.sync(&mut server);
    a.upsert(&vk, id, &item("Fixed"), &mut rng);
    b.upsert(&vk, id, &item("Fixed"), &mut rng);
    a.push(&mut server);
    b.push(&mut server);
    let done = b
        .engine
        .resolve_default(std::slice::from_ref(&vk), " (conflict)", &mut rng);
    assert_eq!(done[0].action, AutoAction::KeptServerIdentical);
    b.sync(&mut server);
    assert_eq!(b.titles(&vk), ["Fixed"]);
    assert_converged(&server, &[&a, &b], &[v]);
}

#[test]
fn malformed_answers_are_refused_and_change_nothing() {
    let Setup {
        mut rng,
        mut server,
        vk,
        mut a,
        ..
    } = setup(3);
    let id = ItemId::generate(&mut rng);
    a.upsert(&vk, id, &item("Z"), &mut rng);
    let snapshot = a.engine.clone();

    // Pages: another version, an unknown field, revision 0, no progress.
    let ok = r#"{"v":1,"since":null,"next":"c","has_more":false,"changes":[]}"#;
    assert!(PullPage::from_json(ok).is_ok());
    let e = PullPage::from_json(&ok.replace("\"v\":1", "\"v\":2")).unwrap_err();
    assert_eq!(e.code(), "unsupported_version");
    let mut page = PullPage::from_json(ok).unwrap();
    page.v = 2;
    assert!(a.engine.apply_pull(page).is_err());
    assert!(PullPage::from_json(&ok.replace("\"changes\"", "\"extra\":1,\"changes\"")).is_err());
    assert!(PullPage::from_json(&ok.replace("\"c\"", "\"a b\"")).is_err());
    let zero = format!(
        r#"{{"v":1,"since":null,"next":"c","has_more":false,"changes":[{{"type":"tombstone","vault":"{}","item":"{}","revision":0}}]}}"#,
        vk.vault_id(),
        id
    );
    assert!(
        a.engine
            .apply_pull(PullPage::from_json(&zero).unwrap())
            .is_err()
    );
    a.engine
        .apply_pull(PullPage::from_json(ok).unwrap())
        .unwrap();
    let stuck = r#"{"v":1,"since":"c","next":"c","has_more":true,"changes":[]}"#;
    let after_ok = a.engine.clone();
    assert!(
        a.engine
            .apply_pull(PullPage::from_json(stuck).unwrap())
            .is_err()
    );
    assert_eq!(a.engine, after_ok);
    a.engine = snapshot.clone();

    // Push answers: ok at the wrong revision, a conflict about another item.
    let req = a.engine.plan_push().unwrap();
    let op = req.writes[0].op();
    let planned = a.engine.clone();
    let bad = PushResponse {
        v: 1,
        results: vec![PushResult::Ok { op, revision: 9 }],
    };
    assert_eq!(
        a.engine.apply_push(bad).unwrap_err().code(),
        "invalid_peer_value"
    );
    let other = vk
        .encrypt_item(ItemId::generate(&mut rng), 1, &item("other"), &mut rng)
        .unwrap();
    let bad = PushResponse {
        v: 1,
        results: vec![PushResult::Conflict {
            op,
            current: ItemState::Live { item: other },
        }],
    };
    assert!(a.engine.apply_push(bad).is_err());
    assert_eq!(a.engine, planned);
    // An unknown op is ignored; a missing result leaves the edit queued.
    let out = a
        .engine
        .apply_push(PushResponse {
            v: 1,
            results: vec![PushResult::Ok {
                op: OpId(999),
                revision: 1,
            }],
        })
        .unwrap();
    assert_eq!(out.ignored, 1);
    assert_eq!(a.engine.pending_count(), 1);
    let resp = server.push(a.user, req);
    a.engine.apply_push(resp).unwrap();
    assert_eq!(a.engine.pending_count(), 0);

    // Persisted state: another version, unknown fields.
    let json = a.engine.to_json().unwrap();
    assert!(SyncEngine::from_json(&json.replacen("\"v\":1", "\"v\":9", 1)).is_err());
    assert!(SyncEngine::from_json(&json.replacen("{", "{\"x\":1,", 1)).is_err());
}

#[test]
fn wire_json_shapes_are_pinned() {
    let (v, i) = (VaultId([0x11; 16]), ItemId([0x22; 16]));
    let vs = "11111111-1111-1111-1111-111111111111";
    let is = "22222222-2222-2222-2222-222222222222";
    let page = PullPage {
        v: 1,
        since: Some(Cursor::new("c:1").unwrap()),
        next: Cursor::new("c:2").unwrap(),
        has_more: true,
        changes: vec![
            Change::VaultRemoved { vault: v },
            Change::Tombstone {
                vault: v,
                item: i,
                revision: 5,
            },
        ],
    };
    assert_eq!(
        page.to_json(),
        format!(
            r#"{{"v":1,"since":"c:1","next":"c:2","has_more":true,"changes":[{{"type":"vault_removed","vault":"{vs}"}},{{"type":"tombstone","vault":"{vs}","item":"{is}","revision":5}}]}}"#
        )
    );
    assert_eq!(
        PullRequest {
            v: 1,
            since: Some(Cursor::new("c:2").unwrap())
        }
        .to_json(),
        r#"{"v":1,"since":"c:2"}"#
    );
    let resp = PushResponse {
        v: 1,
        results: vec![
            PushResult::Ok {
                op: OpId(7),
                revision: 4,
            },
            PushResult::Conflict {
                op: OpId(8),
                current: ItemState::Deleted {
                    vault: v,
                    item: i,
                    revision: 6,
                },
            },
            PushResult::Rejected {
                op: OpId(9),
                reason: RejectReason::StaleKey,
            },
        ],
    };
    let json = resp.to_json();
    assert_eq!(
        json,
        format!(
            r#"{{"v":1,"results":[{{"status":"ok","op":7,"revision":4}},{{"status":"conflict","op":8,"current":{{"state":"deleted","vault":"{vs}","item":"{is}","revision":6}}}},{{"status":"rejected","op":9,"reason":"stale_key"}}]}}"#
        )
    );
    assert_eq!(PushResponse::from_json(&json).unwrap(), resp);
    // A live item inside a change, and an upsert write, nest the EncryptedItem.
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let vk = VaultKey::from_parts(v, 1, SymmetricKey::from_bytes([5; 32]));
    let blob = vk.encrypt_item(i, 4, &item("t"), &mut rng).unwrap();
    let w = PushWrite::Upsert {
        op: OpId(1),
        base: 3,
        item: blob.clone(),
    };
    let json = serde_json::to_string(&w).unwrap();
    assert!(json.starts_with(&format!(
        r#"{{"action":"upsert","op":1,"base":3,"item":{{"vault":"{vs}","item":"{is}","revision":4,"key_version":1,"item_key":""#
    )));
    let c = serde_json::to_string(&Change::Item { item: blob }).unwrap();
    assert!(c.starts_with(r#"{"type":"item","item":{"vault":"#));
    let m = serde_json::to_string(&Change::Vault {
        vault: v,
        role: Role::Editor,
        meta: None,
        keys: vec![],
    })
    .unwrap();
    assert_eq!(
        m,
        format!(r#"{{"type":"vault","vault":"{vs}","role":"editor","meta":null,"keys":[]}}"#)
    );
}

// ============================================================ property test

/// What happens next in a random run.
#[derive(Clone, Debug)]
enum Action {
    Create { dev: usize, vault: usize },
    Edit { dev: usize, pick: usize },
    Delete { dev: usize, pick: usize },
    Pull { dev: usize },
    PullOnePage { dev: usize },
    Push { dev: usize },
    PushAnswerLost { dev: usize },
    Resolve { dev: usize },
    Restart { dev: usize },
}

const DEVICES: usize = 3;
const VAULTS: usize = 2;

fn action() -> impl Strategy<Value = Action> {
    let dev = 0..DEVICES;
    prop_oneof![
        3 => (dev.clone(), 0..VAULTS).prop_map(|(dev, vault)| Action::Create { dev, vault }),
        5 => (dev.clone(), any::<usize>()).prop_map(|(dev, pick)| Action::Edit { dev, pick }),
        2 => (dev.clone(), any::<usize>()).prop_map(|(dev, pick)| Action::Delete { dev, pick }),
        3 => dev.clone().prop_map(|dev| Action::Pull { dev }),
        1 => dev.clone().prop_map(|dev| Action::PullOnePage { dev }),
        3 => dev.clone().prop_map(|dev| Action::Push { dev }),
        1 => dev.clone().prop_map(|dev| Action::PushAnswerLost { dev }),
        2 => dev.clone().prop_map(|dev| Action::Resolve { dev }),
        1 => dev.prop_map(|dev| Action::Restart { dev }),
    ]
}

/// What a run exercised.
#[derive(Debug, Default)]
struct Stats {
    steps: usize,
    pulls: usize,
    pages: usize,
    conflicts_from_pull: usize,
    conflicts_from_push: usize,
    acks_from_feed: usize,
    acks_from_push: usize,
    answers_lost: usize,
    kept_both: usize,
    recreated: usize,
    kept_server_edit: usize,
    both_deleted: usize,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.steps += o.steps;
        self.pulls += o.pulls;
        self.pages += o.pages;
        self.conflicts_from_pull += o.conflicts_from_pull;
        self.conflicts_from_push += o.conflicts_from_push;
        self.acks_from_feed += o.acks_from_feed;
        self.acks_from_push += o.acks_from_push;
        self.answers_lost += o.answers_lost;
        self.kept_both += o.kept_both;
        self.recreated += o.recreated;
        self.kept_server_edit += o.kept_server_edit;
        self.both_deleted += o.both_deleted;
    }
}

struct World {
    stats: Stats,
    rng: ChaCha20Rng,
    server: Server,
    keys: Vec<VaultKey>,
    devices: Vec<Device>,
    next_marker: u64,
    /// Each device's latest version of every item it edited, by marker.
    tracked: HashMap<String, usize>,
    /// Markers of every item state the server ever stored.
    server_markers: HashSet<String>,
    history_seen: usize,
}

impl World {
    fn new(seed: u64) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut server = Server::new(2);
        let user = shared_account();
        let keys: Vec<VaultKey> = (0..VAULTS)
            .map(|n| new_vault(&mut server, user, &format!("vault {n}"), &mut rng))
            .collect();
        let devices = (0..DEVICES)
            .map(|_| Device::new(user.account_id()))
            .collect();
        World {
            stats: Stats::default(),
            rng,
            server,
            keys,
            devices,
            next_marker: 0,
            tracked: HashMap::new(),
            server_markers: HashSet::new(),
            history_seen: 0,
        }
    }

    fn marker(&self, blob: &EncryptedItem) -> String {
        let vk = self
            .keys
            .iter()
            .find(|k| k.vault_id() == blob.vault)
            .unwrap();
        let title = vk.decrypt_item(blob).unwrap().title.clone();
        let end = title.find(']').unwrap();
        title[..=end].to_string()
    }

    /// The user is about to replace their current version of `item` on
    /// `dev`: that version is superseded by the new one.
    fn supersede(&mut self, dev: usize, blob: Option<EncryptedItem>) {
        if let Some(blob) = blob {
            let m = self.marker(&blob);
            if self.tracked.get(&m) == Some(&dev) {
                self.tracked.remove(&m);
            }
        }
    }

    fn visible(&self, dev: usize) -> Vec<EncryptedItem> {
        self.keys
            .iter()
            .flat_map(|k| self.devices[dev].engine.items(k.vault_id()).cloned())
            .collect()
    }

    fn edit(&mut self, dev: usize, vault: VaultId, id: ItemId) {
        let current = self.devices[dev].engine.item(vault, id).cloned();
        self.supersede(dev, current);
        let marker = format!("[m{}]", self.next_marker);
        self.next_marker += 1;
        let vk = self
            .keys
            .iter()
            .find(|k| k.vault_id() == vault)
            .unwrap()
            .clone();
        self.devices[dev].upsert(&vk, id, &item(&marker), &mut self.rng);
        self.tracked.insert(marker, dev);
    }

    fn count_pull(&mut self, out: &PullOutcome) {
        self.stats.pulls += 1;
        self.stats.conflicts_from_pull += out.conflicts.len();
        self.stats.acks_from_feed += out.acknowledged.len();
    }

    fn step(&mut self, a: &Action) {
        self.stats.steps += 1;
        match *a {
            Action::Create { dev, vault } => {
                let id = ItemId::generate(&mut self.rng);
                let v = self.keys[vault].vault_id();
                self.edit(dev, v, id);
            }
            Action::Edit { dev, pick } => {
                let items = self.visible(dev);
                if !items.is_empty() {
                    let it = &items[pick % items.len()];
                    self.edit(dev, it.vault, it.item);
                }
            }
            Action::Delete { dev, pick } => {
                let items = self.visible(dev);
                if !items.is_empty() {
                    let it = items[pick % items.len()].clone();
                    self.supersede(dev, Some(it.clone()));
                    self.devices[dev]
                        .engine
                        .local_delete(it.vault, it.item)
                        .unwrap();
                }
            }
            Action::Pull { dev } => {
                let out = self.devices[dev].pull(&self.server);
                self.count_pull(&out);
            }
            Action::PullOnePage { dev } => {
                let out = self.devices[dev].pull_page(&self.server);
                self.count_pull(&out);
            }
            Action::Push { dev } => {
                let out = self.devices[dev].push(&mut self.server);
                self.stats.conflicts_from_push += out.conflicts.len();
                self.stats.acks_from_push += out.acknowledged.len();
            }
            Action::PushAnswerLost { dev } => {
                if self.devices[dev]
                    .push_once(&mut self.server, true)
                    .is_some()
                {
                    self.stats.answers_lost += 1;
                }
            }
            Action::Resolve { dev } => {
                let keys = self.keys.clone();
                let done =
                    self.devices[dev]
                        .engine
                        .resolve_default(&keys, " (conflict)", &mut self.rng);
                for r in done {
                    match r.action {
                        AutoAction::KeptBoth { .. } => self.stats.kept_both += 1,
                        AutoAction::Recreated => self.stats.recreated += 1,
                        AutoAction::KeptServerEdit => self.stats.kept_server_edit += 1,
                        AutoAction::BothDeleted => self.stats.both_deleted += 1,
                        _ => {}
                    }
                    assert!(
                        !matches!(r.action, AutoAction::Left(_)),
                        "one user, stable roles: every conflict is decidable: {r:?}"
                    );
                }
            }
            Action::Restart { dev } => {
                let json = self.devices[dev].engine.to_json().unwrap();
                assert_no_plaintext(&json);
                self.devices[dev].reload();
            }
        }
        for d in &self.devices {
            check_engine(&d.engine);
        }
        self.check_nothing_lost();
    }

    /// Every tracked edit is on the server, queued, or in a conflict.
    fn check_nothing_lost(&mut self) {
        let new: Vec<ItemState> = self.server.history[self.history_seen..].to_vec();
        self.history_seen = self.server.history.len();
        for s in new {
            if let Some(blob) = s.live() {
                let m = self.marker(blob);
                self.server_markers.insert(m);
            }
        }
        let mut on_device: Vec<HashSet<String>> = vec![HashSet::new(); DEVICES];
        for (n, d) in self.devices.iter().enumerate() {
            for (_, _, e) in d.engine.pending_edits() {
                if let Some(blob) = e.change.item() {
                    on_device[n].insert(self.marker(blob));
                }
            }
            for c in d.engine.conflicts() {
                if let Some(blob) = c.local.item() {
                    on_device[n].insert(self.marker(blob));
                }
            }
        }
        for (m, dev) in &self.tracked {
            assert!(
                self.server_markers.contains(m) || on_device[*dev].contains(m),
                "edit {m} of device {dev} was lost"
            );
        }
    }

    /// Everyone syncs and resolves until nothing is left, then all agree.
    fn settle(&mut self) {
        for _round in 0..10 {
            for dev in 0..DEVICES {
                self.step(&Action::Pull { dev });
                self.step(&Action::Resolve { dev });
                self.step(&Action::Push { dev });
            }
            let quiet = self
                .devices
                .iter()
                .all(|d| d.engine.pending_count() == 0 && d.engine.conflicts().is_empty());
            if quiet {
                break;
            }
        }
        for d in &mut self.devices {
            d.pull(&self.server);
        }
        let vaults: Vec<VaultId> = self.keys.iter().map(VaultKey::vault_id).collect();
        assert_converged(
            &self.server,
            &self.devices.iter().collect::<Vec<_>>(),
            &vaults,
        );
        // Nothing queued or in conflict any more: every edit is on the server.
        for m in self.tracked.keys() {
            assert!(self.server_markers.contains(m), "edit {m} never arrived");
        }
        // The server never held a plaintext, nor does any device's state.
        assert_no_plaintext(&self.server.to_json());
        for d in &self.devices {
            assert_no_plaintext(&d.engine.to_json().unwrap());
        }
    }
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Shrunk failures go to tests/sync.proptest-regressions.
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        source_file: Some(file!()),
        ..ProptestConfig::default()
    }
}

/// Random interleavings of edits, deletes, pulls (whole or one page), pushes
/// (some answers lost), resolutions and restarts on three devices of one user
/// over two vaults: acknowledged writes are on the server, nothing is lost,
/// and everyone converges once they all sync. The run also counts what it
/// exercised, so a change that made the test vacuous would fail it.
#[test]
fn random_interleavings_converge_and_lose_nothing() {
    let total = RefCell::new(Stats::default());
    let mut runner = proptest::test_runner::TestRunner::new(config(256));
    let strategy = (any::<u64>(), proptest::collection::vec(action(), 1..80));
    let result = runner.run(&strategy, |(seed, actions)| {
        let mut world = World::new(seed);
        for a in &actions {
            world.step(a);
        }
        world.settle();
        world.stats.pages = world.devices.iter().map(|d| d.pages).sum();
        total.borrow_mut().add(&world.stats);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let t = total.into_inner();
    eprintln!("exercised: {t:?}");
    assert!(t.steps > 1000);
    assert!(t.pages > t.pulls, "multi-page pulls");
    assert!(t.conflicts_from_pull > 0 && t.conflicts_from_push > 0);
    assert!(t.acks_from_feed > 0 && t.answers_lost > 0);
    assert!(t.kept_both > 0 && t.recreated > 0 && t.kept_server_edit > 0);
}
