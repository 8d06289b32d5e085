// Compile-only check (tsc --noEmit --strict) that the generated .d.ts gives
// real types: records, items, messages and errors, not `any`.
import init, {
  Account,
  VaultKey,
  SrpLogin,
  OpaqueLogin,
  PreloginResponse,
  kdfPreset,
  newItemId,
  shamirSplit,
  shamirCombine,
  SyncEngine,
  VaultKeyRing,
  PinUnlock,
  RecoveryKey,
  newDeviceId,
  normalizeIdentifier,
  type AccountKeyRotation,
  type DeviceUnlock,
  type PinUnlockRecord,
  type RecoveryWrap,
  type AutoResolution,
  type Conflict,
  type PullOutcome,
  type PushOutcome,
  type PushRequest,
  type VaultMembership,
  type EncryptedAccount,
  type EncryptedItem,
  type Item,
  type ListResult,
  type KdfConfig,
  type VaultError,
  type SrpClientHello,
} from "../dist/web/vault_wasm.js";
import { VaultWorker } from "../dist/worker-client.js";

async function example(serverRecord: EncryptedAccount): Promise<string[]> {
  await init();
  const identifier: string = normalizeIdentifier("Alice@Example.COM");
  const created = Account.create("pw", kdfPreset("default"));
  const record: EncryptedAccount = created.record;
  const salt: string = record.kdf.salt;
  const account: Account = Account.unlock(serverRecord, "pw");
  const { key }: { key: VaultKey } = account.createVault({ name: "Personal" });
  const item: Item = {
    title: "Bank",
    data: { type: "login", username: "me", password: "pw", uris: ["https://bank.example"] },
    custom_fields: [{ name: "PIN", value: "1234", kind: "hidden" }],
  };
  const enc: EncryptedItem = key.encryptItem(newItemId(), 1, item, "aes256-gcm");
  const back: Item = key.decryptItem(enc);
  if (back.data.type === "login") {
    const user: string | undefined = back.data.username;
    void user;
  }
  const rows: ListResult[] = key.decryptList([enc]);
  const titles = rows.map((r) => (r.ok ? r.ok.overview.title : `error ${r.error.code}`));
  const login = SrpLogin.start(identifier, created.authKey, "rfc5054-3072");
  const hello: SrpClientHello = login.hello;
  const opaque = OpaqueLogin.start(identifier, created.authKey);
  const ke1: { v: number; ke1: string } = opaque.ke1;
  const pre = PreloginResponse.parse('{"v":1,"kdf":{"params":{"memory_kib":65536,"iterations":3,"parallelism":4},"salt":"AAAAAAAAAAAAAAAAAAAAAA"}}');
  const kdf: KdfConfig = pre.checkedKdf();
  const secret: Uint8Array = shamirCombine(shamirSplit(new Uint8Array([1, 2, 3]), 2, 3).map((s) => s.toText()));
  try {
    Account.unlock(record, "wrong");
  } catch (e) {
    const code: VaultError["code"] = (e as VaultError).code;
    void code;
  }
  const worker = new VaultWorker();
  const unlocked: { account: Account } = await worker.unlockAccount(record, "pw");
  void [salt, hello, ke1, kdf, secret, unlocked, titles];
  // @ts-expect-error: an unknown item type is a type error.
  const bad: Item = { title: "x", data: { type: "password" } };
  void bad;
  return titles;
}
void example;

// The sync engine: the app moves the JSON; the engine plans and merges.
async function sync(engine: SyncEngine, key: VaultKey, base: string): Promise<number> {
  const pulled: PullOutcome = engine.applyPull(await (await fetch(`${base}/v1/sync`, { method: "POST", body: JSON.stringify(engine.planPull()) })).text());
  const req: PushRequest | undefined = engine.planPush();
  if (req) {
    const out: PushOutcome = engine.applyPush(await (await fetch(`${base}/v1/push`, { method: "POST", body: JSON.stringify(req) })).json());
    void out.progressed;
  }
  const conflicts: Conflict[] = engine.conflicts();
  const done: AutoResolution[] = engine.resolveDefault(VaultKeyRing.of(key), " (conflict)");
  const copies = done.flatMap((d) => (d.action.kind === "kept_both" ? [d.action.copy] : []));
  const vaults: VaultMembership[] = engine.vaults();
  const first = vaults[0]?.keys[0];
  const wrapped = first && "wrapped" in first ? first.wrapped.envelope : undefined;
  const rev: number = engine.nextRevision(key.vaultId, newItemId());
  const saved: string = engine.toJson();
  void [pulled.has_more, conflicts, copies, wrapped, rev, SyncEngine.fromJson(saved).pendingCount];
  return engine.items(key.vaultId).length;
}
void sync;

// The account lifecycle: records are plain objects the app stores or uploads.
function lifecycle(account: Account, record: EncryptedAccount, stored: PinUnlockRecord | null): number {
  const device: string = newDeviceId();
  const enabled = account.enableDeviceUnlock(device);
  const wrap: DeviceUnlock = enabled.wrap;
  const again: Account = Account.unlockWithDevice(wrap, enabled.deviceKey, record);
  const pin: PinUnlock = stored ? PinUnlock.fromJson(stored) : account.enablePinUnlock(device, "2468", kdfPreset("default"), 5);
  const toStore: PinUnlockRecord = pin.toJson();
  const left: number = pin.remainingAttempts;
  const kit = account.createRecoveryKit();
  const words: string = kit.words;
  const kitWrap: RecoveryWrap = kit.wrap;
  const rk: RecoveryKey = RecoveryKey.combine(kit.key.split(2, 3).map((s) => s.toText()));
  const recovered: Account = Account.recover(kitWrap, rk, record);
  const rotated = account.rotateAccountKey(record, "pw", []);
  const change: AccountKeyRotation = rotated.change;
  const generation: number | undefined = change.record.key_generation;
  try {
    pin.unlock("0000", record);
  } catch (e) {
    if ((e as VaultError).code === "locked_out" || (e as VaultError).code === "stale_wrap") void e;
  }
  void [again, toStore, words, recovered, generation];
  return left + rotated.account.keyGeneration;
}
void lifecycle;
