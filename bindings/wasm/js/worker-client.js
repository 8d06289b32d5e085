// Promise-based client for worker.js: runs Argon2id-bound operations in a Web
// Worker so the page never freezes, and turns the results into vault-wasm
// handles of the page's own module instance.
//
//   import init, { kdfPreset } from "vault-wasm";
//   import { VaultWorker } from "vault-wasm/worker-client";
//   await init();
//   const worker = new VaultWorker();
//   const { account, record, authKey } = await worker.createAccount("pw", kdfPreset("default"));
//
// Works in pages and in Manifest V3 extension pages (popup, options,
// offscreen documents); needs only `script-src 'self' 'wasm-unsafe-eval'`.
// (An MV3 background service worker cannot start Workers; it does not render
// a page either, so it can call vault-wasm directly.)
import init, * as vault from "./web/vault_wasm.js";

function toError(e) {
  const err = new Error(e.message);
  err.name = "VaultError";
  err.code = e.code;
  return err;
}

function importKey(bytes) {
  try {
    return vault.SymmetricKey.fromBytes(bytes);
  } finally {
    bytes.fill(0);
  }
}

export class VaultWorker {
  /**
   * @param {{ worker?: Worker, url?: string | URL }} [options] an existing
   *   Worker running worker.js, or the URL of worker.js (default: next to
   *   this file).
   */
  constructor(options = {}) {
    this.worker =
      options.worker ??
      new Worker(options.url ?? new URL("./worker.js", import.meta.url), { type: "module" });
    this.nextId = 1;
    this.pending = new Map();
    this.worker.onmessage = (event) => {
      const { id, ok, value, error } = event.data;
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      if (ok) p.resolve(value);
      else p.reject(toError(error));
    };
    this.worker.onerror = (event) => {
      const err = toError({ code: "internal", message: event.message || "worker failed" });
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.ready = init();
  }

  call(op, args, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  static secretKeyBytes(secretKey) {
    return secretKey ? secretKey.exportBytes() : null;
  }

  /** Argon2id alone, in the worker → a `SymmetricKey` handle. */
  async stretch(password, salt, params) {
    await this.ready;
    const { stretched } = await this.call("stretch", [password, salt, params]);
    return importKey(stretched);
  }

  /** Argon2id + HKDF in the worker → `{ authKey, kek }` handles. */
  async deriveMasterKeys(password, config, { secretKey, policy } = {}) {
    await this.ready;
    const sk = VaultWorker.secretKeyBytes(secretKey);
    const r = await this.call(
      "deriveMasterKeys",
      [password, sk, config, policy ?? null],
      sk ? [sk.buffer] : [],
    );
    return { authKey: importKey(r.authKey), kek: importKey(r.kek) };
  }

  /** Offline unlock: Argon2id in the worker, the unwrap in the page. */
  async unlockAccount(record, password, { secretKey, policy } = {}) {
    const rec = typeof record === "string" ? JSON.parse(record) : record;
    const { authKey, kek } = await this.deriveMasterKeys(password, rec.kdf, { secretKey, policy });
    try {
      return { account: vault.Account.unlockWithKek(record, kek), authKey };
    } finally {
      kek.free();
    }
  }

  /** A new account, created in the worker → `{ account, record, authKey }`. */
  async createAccount(password, params, { secretKey } = {}) {
    await this.ready;
    const sk = VaultWorker.secretKeyBytes(secretKey);
    const r = await this.call("createAccount", [password, sk, params], sk ? [sk.buffer] : []);
    const accountKey = importKey(r.accountKey);
    try {
      return {
        account: vault.Account.unlockWithAccountKey(r.record, accountKey),
        record: r.record,
        authKey: importKey(r.authKey),
      };
    } finally {
      accountKey.free();
    }
  }

  /** Password change in the worker → `{ record, authKey }`. */
  async changePassword(account, currentRecord, newPassword, params, { secretKey } = {}) {
    await this.ready;
    const key = account.exportAccountKey();
    const keyBytes = key.exportBytes();
    key.free();
    const sk = VaultWorker.secretKeyBytes(secretKey);
    const transfer = [keyBytes.buffer, ...(sk ? [sk.buffer] : [])];
    const r = await this.call(
      "changePassword",
      [keyBytes, currentRecord, newPassword, sk, params],
      transfer,
    );
    return { record: r.record, authKey: importKey(r.authKey) };
  }

  /** Stops the worker; pending calls reject. */
  terminate() {
    this.worker.terminate();
    const err = toError({ code: "internal", message: "worker terminated" });
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
