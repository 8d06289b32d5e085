// The schema-typed service secrets client, checked by the TypeScript
// compiler: scripts/schema-dts.mjs writes secrets.d.ts from a schema;
// test/types/secrets-ok.ts must compile against it and the package's
// index.d.ts (tsc --strict, no skipLibCheck: index.d.ts itself is checked);
// test/types/secrets-bad.ts must fail on exactly its marked line (a name
// the schema does not declare); examples/node-service type-checks
// (checkJs) with its committed secrets.d.ts, which must match a fresh
// generation. The generator is vault-core's (the one `vault secrets schema
// typescript` runs): with VAULT_CLI_BIN set, both outputs are compared.
//
// tsc and @types/node come from the test's tool directory
// (build-test/tools, installed by test.sh; VAULT_TOOLS_DIR names another).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { vault, ADDON } from './helpers.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const pkg = join(here, '..')
const example = join(pkg, '..', '..', 'examples', 'node-service')
const tools = process.env.VAULT_TOOLS_DIR ?? join(pkg, 'build-test', 'tools')
const tsc = join(tools, 'node_modules', 'typescript', 'bin', 'tsc')
const skip = existsSync(tsc) ? false : `no TypeScript compiler at ${tsc} (bash test.sh installs it)`

const root = mkdtempSync(join(tmpdir(), 'vault-node-types-'))
after(() => rmSync(root, { recursive: true, force: true }))

/** Runs scripts/schema-dts.mjs with the test build of the addon. */
function schemaDts (args) {
  return spawnSync(process.execPath, [join(pkg, 'scripts', 'schema-dts.mjs'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, VAULT_NODE_ADDON: ADDON },
  })
}

/** tsc --noEmit with `files`, '@vault/node' resolved to this package's index.d.ts. */
function typecheck (name, files, extra = {}) {
  const config = join(root, `tsconfig.${name}.json`)
  writeFileSync(config, JSON.stringify({
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: 'es2022',
      module: 'esnext',
      moduleResolution: 'bundler',
      lib: ['es2022'],
      types: ['node'],
      typeRoots: [join(tools, 'node_modules', '@types')],
      paths: { '@vault/node': [join(pkg, 'index.d.ts')] },
      ...extra,
    },
    files,
  }, null, 2))
  const r = spawnSync(process.execPath, [tsc, '-p', config], { encoding: 'utf8' })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

test('schema-dts: the declarations of a schema (vault-core\'s generator) plus SecretName', () => {
  const r = schemaDts([join(here, 'types', 'secrets-schema.json')])
  assert.equal(r.status, 0, r.stderr)
  const dts = r.stdout
  assert.match(dts, /import type \{ SecretsClient, SecretsClientOptions \} from "@vault\/node";/)
  assert.match(dts, /export interface Secrets \{\n {2}\/\*\* primary database \*\/\n {2}"DATABASE_URL": string;\n {2}\/\*\* payments API key \*\/\n {2}"STRIPE_KEY"\?: string;\n\}/)
  assert.match(dts, /export declare function createSecretsClient\(schema: string \| object, options\?: SecretsClientOptions\): SecretsClient<Secrets>;/)
  assert.match(dts, /export type SecretName = "DATABASE_URL" \| "STRIPE_KEY";/)
  // The same text the addon's function gives (the script adds SecretName only).
  const schema = JSON.parse(readFileSync(join(here, 'types', 'secrets-schema.json'), 'utf8'))
  assert.ok(dts.startsWith(vault.secretsSchemaTypescript(schema)))
  const named = schemaDts([join(here, 'types', 'secrets-schema.json'), '--name', 'BillingSecrets'])
  assert.match(named.stdout, /export interface BillingSecrets \{/)
  writeFileSync(join(root, 'secrets.d.ts'), dts)
})

test('schema-dts: the CLI (`vault secrets schema typescript`) writes the same declarations', { skip: process.env.VAULT_CLI_BIN ? false : 'VAULT_CLI_BIN is not set' }, () => {
  const file = join(here, 'types', 'secrets-schema.json')
  const cli = spawnSync(process.env.VAULT_CLI_BIN, ['secrets', 'schema', 'typescript', file, '--name', 'Secrets'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: root },
  })
  assert.equal(cli.status, 0, cli.stderr)
  const ours = schemaDts([file]).stdout
  assert.ok(ours.startsWith(cli.stdout), `the script's output does not start with the CLI's:\n${cli.stdout}\n---\n${ours}`)
})

test('schema-dts: a schema that is not one is refused, naming the place; usage errors', () => {
  const bad = join(root, 'bad.schema.json')
  writeFileSync(bad, JSON.stringify({ properties: { API_KEY: { type: 'string', default: 'sk_live_leak' } } }))
  const r = schemaDts([bad])
  assert.equal(r.status, 1)
  assert.match(r.stderr, /\/properties\/API_KEY\/default/)
  assert.ok(!r.stderr.includes('sk_live_leak'))
  assert.equal(r.stdout, '')
  assert.equal(schemaDts([]).status, 2)
  assert.equal(schemaDts([join(root, 'missing.json')]).status, 1)
  writeFileSync(join(root, 'empty.schema.json'), '{"type":"object"}')
  assert.match(schemaDts([join(root, 'empty.schema.json')]).stdout, /export type SecretName = never;/)
})

test('types: a client typed by the generated interface compiles (tsc --strict)', { skip }, () => {
  assert.ok(existsSync(join(root, 'secrets.d.ts')), 'the schema-dts test wrote secrets.d.ts')
  copyFileSync(join(here, 'types', 'secrets-ok.ts'), join(root, 'secrets-ok.ts'))
  const r = typecheck('ok', [join(root, 'secrets-ok.ts')])
  assert.equal(r.status, 0, `tsc failed:\n${r.out}`)
})

test('types: a name the schema does not declare does not compile', { skip }, () => {
  copyFileSync(join(here, 'types', 'secrets-bad.ts'), join(root, 'secrets-bad.ts'))
  const lines = readFileSync(join(root, 'secrets-bad.ts'), 'utf8').split('\n')
  const line = lines.findIndex((l) => l.includes('// MUST-FAIL')) + 1
  assert.ok(line > 0)
  const r = typecheck('bad', [join(root, 'secrets-bad.ts')])
  assert.notEqual(r.status, 0, `tsc accepted a name that is not in the schema:\n${r.out}`)
  const errors = r.out.split('\n').filter((l) => /error TS\d+/.test(l))
  assert.equal(errors.length, 1, `expected exactly one error:\n${r.out}`)
  assert.match(errors[0], new RegExp(`secrets-bad\\.ts\\(${line},\\d+\\): error TS2345: .*"NOT_IN_SCHEMA"`))
})

test('types: examples/node-service type-checks (checkJs) with its committed secrets.d.ts, which is up to date', { skip }, () => {
  const fresh = schemaDts([join(example, 'secrets.schema.json')])
  assert.equal(fresh.status, 0, fresh.stderr)
  assert.equal(readFileSync(join(example, 'secrets.d.ts'), 'utf8'), fresh.stdout,
    'examples/node-service/secrets.d.ts is stale: regenerate it with `npm run types` there')
  const r = typecheck('example', [join(example, 'index.mjs'), join(example, 'secrets.d.ts')], { allowJs: true, checkJs: true })
  assert.equal(r.status, 0, `tsc failed on the example:\n${r.out}`)
})
