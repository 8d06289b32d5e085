// Types for worker-client.js: Argon2id-bound operations in a Web Worker,
// results as handles of the page's vault-wasm module instance.
import type {
  Account,
  EncryptedAccount,
  KdfConfig,
  KdfParams,
  KdfPolicy,
  SecretKey,
  SymmetricKey,
} from "./web/vault_wasm.js";

export interface VaultWorkerOptions {
  /** An existing Worker running worker.js (e.g. from chrome.runtime.getURL). */
  worker?: Worker;
  /** URL of worker.js (default: next to worker-client.js). */
  url?: string | URL;
}

/**
 * Promise-based client of worker.js. Errors reject with a `VaultError` carrying
 * the module's code, or code `"internal"` if the worker itself failed or was terminated.
 */
export declare class VaultWorker {
  constructor(options?: VaultWorkerOptions);
  readonly worker: Worker;
  /** Argon2id alone: the stretched password as a key handle. */
  stretch(password: string, salt: string, params: KdfParams): Promise<SymmetricKey>;
  /** Argon2id + HKDF (+ Secret Key), params checked against `policy` (default policy if omitted). */
  deriveMasterKeys(
    password: string,
    config: KdfConfig,
    options?: { secretKey?: SecretKey; policy?: KdfPolicy },
  ): Promise<{ authKey: SymmetricKey; kek: SymmetricKey }>;
  /** Offline unlock: Argon2id in the worker, the key unwrap in the page. */
  unlockAccount(
    record: EncryptedAccount | string,
    password: string,
    options?: { secretKey?: SecretKey; policy?: KdfPolicy },
  ): Promise<{ account: Account; authKey: SymmetricKey }>;
  /** Creates an account in the worker. */
  createAccount(
    password: string,
    params: KdfParams,
    options?: { secretKey?: SecretKey },
  ): Promise<{ account: Account; record: EncryptedAccount; authKey: SymmetricKey }>;
  /** Changes the password in the worker (the account key travels to it and back, wiped after). */
  changePassword(
    account: Account,
    currentRecord: EncryptedAccount,
    newPassword: string,
    params: KdfParams,
    options?: { secretKey?: SecretKey },
  ): Promise<{ record: EncryptedAccount; authKey: SymmetricKey }>;
  /** Stops the worker; pending calls reject. */
  terminate(): void;
}
