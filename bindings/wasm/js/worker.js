// Web Worker that runs vault-wasm's slow operations (Argon2id) off the page's
// thread. A module worker: `new Worker(url, { type: "module" })`. No eval, no
// inline script: it works under a CSP of `script-src 'self' 'wasm-unsafe-eval'`
// (Manifest V3 extension pages, strict sites).
//
// Protocol: the page posts `{ id, op, args }`; the worker answers
// `{ id, ok: true, value }` or `{ id, ok: false, error: { code, message } }`.
// Key material comes back as Uint8Arrays in the transfer list (the worker
// keeps no copy) and is imported into handles by worker-client.js, which
// wipes the transferred buffers. Use worker-client.js rather than this
// protocol directly.
import init, * as vault from "./web/vault_wasm.js";

const ready = init();

function opt(v) {
  return v === null ? undefined : v;
}

function withSecretKey(bytes, withKey, without) {
  if (bytes == null) return without();
  const sk = vault.SecretKey.fromBytes(bytes);
  bytes.fill(0);
  try {
    return withKey(sk);
  } finally {
    sk.free();
  }
}

function take(handle) {
  const bytes = handle.exportBytes();
  handle.free();
  return bytes;
}

const ops = {
  // Argon2id alone → the 32-byte stretched key.
  stretch(password, salt, params) {
    return { stretched: take(vault.stretch(password, salt, params)) };
  },

  // Argon2id + HKDF (+ Secret Key) → { authKey, kek } bytes, policy-checked.
  deriveMasterKeys(password, secretKey, config, policy) {
    const keys = withSecretKey(
      secretKey,
      (sk) => vault.deriveMasterKeysWithSecretKey(password, sk, config, opt(policy)),
      () => vault.deriveMasterKeys(password, config, opt(policy)),
    );
    const out = { authKey: take(keys.authKey), kek: take(keys.kek) };
    keys.free();
    return out;
  },

  // A new account → { record, authKey, accountKey }.
  createAccount(password, secretKey, params) {
    const created = withSecretKey(
      secretKey,
      (sk) => vault.Account.createWithSecretKey(password, sk, params),
      () => vault.Account.create(password, params),
    );
    const account = created.account;
    const out = {
      record: created.record,
      authKey: take(created.authKey),
      accountKey: take(account.exportAccountKey()),
    };
    account.free();
    created.free();
    return out;
  },

  // Password change for the account whose key is `accountKey` → { record, authKey }.
  changePassword(accountKey, current, newPassword, secretKey, params) {
    const key = vault.SymmetricKey.fromBytes(accountKey);
    accountKey.fill(0);
    const account = vault.Account.unlockWithAccountKey(current, key);
    key.free();
    try {
      const creds = withSecretKey(
        secretKey,
        (sk) => account.changePasswordWithSecretKey(current, newPassword, sk, params),
        () => account.changePassword(current, newPassword, params),
      );
      const out = { record: creds.record, authKey: take(creds.authKey) };
      creds.free();
      return out;
    } finally {
      account.free();
    }
  },
};

function transferables(value) {
  return Object.values(value)
    .filter((v) => v instanceof Uint8Array)
    .map((v) => v.buffer);
}

self.onmessage = async (event) => {
  const { id, op, args } = event.data ?? {};
  try {
    await ready;
    const fn = Object.prototype.hasOwnProperty.call(ops, op) ? ops[op] : undefined;
    if (!fn) throw Object.assign(new Error(`unknown operation ${op}`), { code: "invalid_argument" });
    const value = fn(...(args ?? []));
    self.postMessage({ id, ok: true, value }, transferables(value));
  } catch (e) {
    self.postMessage({
      id,
      ok: false,
      error: { code: e?.code ?? "internal", message: String(e?.message ?? e) },
    });
  }
};
