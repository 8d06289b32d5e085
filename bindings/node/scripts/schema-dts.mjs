#!/usr/bin/env node
// TypeScript declarations from a secrets.schema.json, for a schema-typed
// service secrets client:
//
//   node bindings/node/scripts/schema-dts.mjs secrets.schema.json [--name Secrets] > secrets.d.ts
//
// writes `export interface Secrets { DATABASE_URL: string; STRIPE_KEY?: string }`
// (optional unless the schema requires it; descriptions as doc comments),
// `export type SecretName = "DATABASE_URL" | "STRIPE_KEY"` and a typed
// `createSecretsClient` declaration. The schema is checked and the
// interface written by vault-core (the generator `vault secrets schema
// typescript` runs, through this package's addon); this script only adds
// `SecretName`. Use the interface as `createSecretsClient<Secrets>({ schema })`.
//
// Exit status: 0 written, 1 the schema is refused (the message names the
// place), 2 usage.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const usage = 'usage: schema-dts.mjs <secrets.schema.json> [--name <InterfaceName>]'
const args = process.argv.slice(2)
let file
let name = 'Secrets'
for (let i = 0; i < args.length; i++) {
  const a = args[i]
  if (a === '--name' && i + 1 < args.length) name = args[++i]
  else if (a.startsWith('--name=')) name = a.slice('--name='.length)
  else if (a === '-h' || a === '--help') { console.log(usage); process.exit(0) }
  else if (!a.startsWith('-') && file === undefined) file = a
  else { console.error(usage); process.exit(2) }
}
if (file === undefined) { console.error(usage); process.exit(2) }

// The package's addon (VAULT_NODE_ADDON: another build of it, for tests).
const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const { secretsSchemaTypescript } = require(process.env.VAULT_NODE_ADDON ?? join(here, '..', 'index.js'))

let text
try {
  text = readFileSync(file, 'utf8')
} catch (e) {
  console.error(`schema-dts: cannot read ${file}: ${e.code ?? e.message}`)
  process.exit(1)
}
let out
try {
  out = secretsSchemaTypescript(text, name)
} catch (e) {
  console.error(`schema-dts: ${file}: ${e.message}`)
  process.exit(1)
}
// vault-core accepted it: valid JSON whose property names are secret names.
const names = Object.keys(JSON.parse(text).properties ?? {}).sort()
const union = names.length ? names.map((n) => JSON.stringify(n)).join(' | ') : 'never'
process.stdout.write(`${out}\n/** The secret names the schema declares. */\nexport type SecretName = ${union};\n`)
