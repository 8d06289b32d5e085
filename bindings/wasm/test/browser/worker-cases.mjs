// Web Worker cases, shared by the test page and the extension page: Argon2id
// runs in worker.js while the page keeps ticking, accounts are created,
// unlocked and changed through the worker, errors keep their codes.
import { ok, eq, hex, INSECURE } from "../cases.mjs";

async function rejectsWith(promise, code, msg) {
  try {
    await promise;
  } catch (e) {
    eq(e.code, code, `${msg} (${e.message})`);
    eq(e.name, "VaultError", `${msg}: error name`);
    return;
  }
  throw new Error(`${msg}: expected ${code}, got NO ERROR`);
}

/**
 * @param vault       the module instance worker-client.js builds handles in
 * @param VaultWorker the worker client class
 * @param reference   a module to recompute the worker's hash on this thread
 * @param metrics     object that receives timings
 */
export function workerCases({ vault: prod, VaultWorker, reference, metrics }) {
  const salt = "c2FsdHNhbHRzYWx0c2FsdA"; // 16 bytes
  const argon = { memory_kib: 65536, iterations: 3, parallelism: 1 };
  let worker;
  return [
    {
      name: "worker: Argon2id (64 MiB, t=3, p=1) runs in a Web Worker; the page keeps running",
      async fn() {
        worker = new VaultWorker();
        // Warm up: the worker fetches and instantiates the module.
        (await worker.stretch("warm-up", salt, INSECURE)).free();
        let maxGap = 0;
        let ticks = 0;
        let last = performance.now();
        const timer = setInterval(() => {
          const now = performance.now();
          maxGap = Math.max(maxGap, now - last);
          last = now;
          ticks++;
        }, 10);
        const t0 = performance.now();
        const viaWorker = await worker.stretch("correct horse battery staple", salt, argon);
        const workerMs = performance.now() - t0;
        clearInterval(timer);
        metrics.argon2idWorkerMs = Math.round(workerMs);
        metrics.mainThreadMaxGapMs = Math.round(maxGap);
        metrics.mainThreadTicks = ticks;
        // On the main thread the longest gap would be the whole hash; allow a GC pause or two.
        ok(maxGap < Math.max(100, workerMs / 2), `main thread stalled ${maxGap} ms during a ${workerMs} ms hash`);
        ok(ticks >= 5, `timer ticked ${ticks} times`);
        // The same hash on the main thread (test build): equal bytes.
        const t1 = performance.now();
        const direct = reference.stretch("correct horse battery staple", salt, argon);
        metrics.argon2idMainThreadMs = Math.round(performance.now() - t1);
        eq(hex(viaWorker.exportBytes()), hex(direct.exportBytes()), "worker = main thread");
      },
    },
    {
      name: "worker: create, unlock and change password through the worker",
      async fn() {
        const sk = prod.SecretKey.generate();
        const created = await worker.createAccount("pw one", INSECURE, { secretKey: sk });
        ok(created.account instanceof prod.Account, "account handle in the page's module");
        const policy = prod.permissiveKdfPolicyTestOnly();
        const again = await worker.unlockAccount(created.record, "pw one", { secretKey: sk, policy });
        eq(again.account.accountId, created.account.accountId, "unlock");
        ok(again.authKey.equals(created.authKey), "same auth key");
        const changed = await worker.changePassword(again.account, created.record, "pw two", INSECURE, { secretKey: sk });
        const after = await worker.unlockAccount(JSON.stringify(changed.record), "pw two", { secretKey: sk, policy });
        eq(after.account.accountId, created.account.accountId, "unlock after change");
        const keys = await worker.deriveMasterKeys("pw two", changed.record.kdf, { secretKey: sk, policy });
        ok(keys.authKey.equals(changed.authKey), "derived auth key");
        // The page's own module reads what the worker-created account wraps.
        const v = after.account.createVault({ name: "from the page" });
        eq(again.account.unwrapVaultKey(v.wrappedKey).vaultId, v.key.vaultId, "same account key");
      },
    },
    {
      name: "worker: errors reject with VaultError codes",
      async fn() {
        await rejectsWith(
          worker.deriveMasterKeys("pw", { params: { memory_kib: 1024, iterations: 1, parallelism: 1 }, salt }),
          "kdf_policy",
          "hostile params",
        );
        const created = await worker.createAccount("right", INSECURE);
        await rejectsWith(
          worker.unlockAccount(created.record, "wrong", { policy: prod.permissiveKdfPolicyTestOnly() }),
          "decrypt",
          "wrong password",
        );
        worker.terminate();
      },
    },
  ];
}
