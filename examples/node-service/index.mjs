// @ts-check
// A small HTTP service that reads its secrets from Vault at start-up.
//
//   VAULT_SERVER=https://vault.example.com \
//   VAULT_SERVICE_TOKEN_FILE=/etc/billing/vault-token \
//   node index.mjs            # serves on $PORT (default 3000)
//   node index.mjs --check    # prints which secrets it got (never a value), exits
//
// The values are decrypted in this process: the server hands out
// ciphertext and never sees a value or a name. secrets.d.ts (generated from
// secrets.schema.json: `npm run types`) types the client, so `tsc --checkJs`
// (or an editor) refuses a name the schema does not declare.
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'
import { createSecretsClient } from '@vault/node'

/** @typedef {import('./secrets').Secrets} Secrets */

/** @type {import('@vault/node').SecretsSchemaDocument} */
const schema = JSON.parse(readFileSync(new URL('./secrets.schema.json', import.meta.url), 'utf8'))

// Server and token from VAULT_SERVER and VAULT_SERVICE_TOKEN(_FILE); the
// options object may set them instead ({ server, tokenFile, cacheTtlMs }).
/** @type {import('@vault/node').SecretsClient<Secrets>} */
const secrets = createSecretsClient({ schema })

/** @type {Secrets} */
let config
try {
  // Every secret the schema names, in one round trip. A required one that
  // is missing (`secret_not_found`) or not granted (`access_requested`)
  // fails the start: the project's admins see a stub or an access request
  // for it, with the schema's description.
  config = await secrets.getAll()
} catch (e) {
  const err = /** @type {import('@vault/node').SecretsError} */ (e)
  console.error(`cannot read the service's secrets: ${err.code}: ${err.message}`)
  process.exit(1)
}
// A changed secret is dropped from the cache at once; read it again when needed.
await secrets.watch()

const bytes = (/** @type {string | undefined} */ v) => (v === undefined ? 'not set' : `${Buffer.byteLength(v)} bytes`)
console.log(`DATABASE_URL: ${bytes(config.DATABASE_URL)}`)
console.log(`STRIPE_KEY: ${bytes(config.STRIPE_KEY)}`)
console.log(`SENTRY_DSN: ${bytes(config.SENTRY_DSN)}`)

if (process.argv.includes('--check')) {
  await secrets.close()
} else {
  const server = createServer(async (req, res) => {
    if (req.url === '/healthz') {
      // A fresh read (from the cache unless it changed): is the key still granted?
      const ok = await secrets.getSecret('STRIPE_KEY').then(() => true, () => false)
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'secrets unavailable\n')
      return
    }
    res.writeHead(404).end()
  })
  const port = Number(process.env.PORT ?? 3000)
  server.listen(port, () => console.log(`listening on http://localhost:${port}`))
  process.once('SIGTERM', async () => {
    server.close()
    await secrets.close()
  })
}
