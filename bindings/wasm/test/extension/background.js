// MV3 background service worker: the module runs here directly (a service
// worker cannot start Workers, and it renders no page to freeze).
import init, { Account, isTestBuild } from "../../dist/web/vault_wasm.js";

self.__vaultSmoke = (async () => {
  await init();
  const created = Account.create("pw", { memory_kib: 64, iterations: 1, parallelism: 1 });
  const { key } = created.account.createVault({ name: "sw" });
  const item = key.encryptItem(crypto.randomUUID(), 1, { title: "from the service worker", data: { type: "secure_note" } });
  const title = key.decryptList([item])[0].ok.overview.title;
  return { title, testBuild: isTestBuild() };
})().catch((e) => ({ error: String(e && e.message) }));
