// Must compile (tsc --strict): a client typed by the interface that
// scripts/schema-dts.mjs generates (./secrets.d.ts, from secrets-schema.json).
// The `@ts-expect-error` lines must fail: tsc reports an unused one.
import {
  createSecretsClient,
  SecretsClientBase,
  type SecretEntry,
  type SecretResult,
  type SecretsClient,
  type SecretsClientOptions,
  type SecretsError,
  type SecretsSchemaDocument,
} from '@vault/node'
import type { SecretName, Secrets } from './secrets'
// The generated declaration of a typed createSecretsClient(schema, options?).
import { createSecretsClient as createTypedClient } from './secrets'

declare const schema: SecretsSchemaDocument

export async function typed (): Promise<void> {
  const options: SecretsClientOptions = { schema, cacheTtlMs: 0, tokenFile: '/run/secrets/vault-token' }
  const client = createSecretsClient<Secrets>(options)
  const url: string = await client.getSecret('DATABASE_URL')
  const key: string = await client.getSecret('STRIPE_KEY')
  // @ts-expect-error: a name the schema does not declare
  await client.getSecret('NOT_IN_SCHEMA')
  // @ts-expect-error: names are case-sensitive
  await client.getSecret('database_url')

  const all: Secrets = await client.getAll()
  const db: string = all.DATABASE_URL
  const stripe: string | undefined = all.STRIPE_KEY
  // @ts-expect-error: optional in the schema, so possibly undefined
  const stripeSure: string = all.STRIPE_KEY
  // @ts-expect-error: not a member
  all.SENTRY_DSN

  const results: SecretResult<SecretName>[] = await client.getSecrets(['DATABASE_URL', 'STRIPE_KEY'])
  for (const r of results) {
    const n: SecretName = r.name
    if (r.ok) {
      const v: string = r.value
      void v
    } else {
      const code: string = r.code
      void code
    }
    void n
  }
  // @ts-expect-error: a name the schema does not declare
  await client.getSecrets(['DATABASE_URL', 'NOPE'])

  const list: SecretEntry[] = await client.listSecrets()
  const base: SecretsClientBase = client
  await client.watch()
  const watching: boolean = client.isWatching
  const ids: string[] = [client.project, client.service, client.server]
  await client.close()
  void [url, key, db, stripe, stripeSure, list, base, watching, ids]
}

export async function inferred (): Promise<void> {
  // The type argument from the declared type; the schema as the first argument.
  const c: SecretsClient<Secrets> = createSecretsClient(schema, { server: 'https://vault.example.com' })
  await c.getSecret('STRIPE_KEY')
  // The generated typed declaration needs no type argument.
  const t = createTypedClient(schema)
  await t.getSecret('DATABASE_URL')
  // @ts-expect-error: a name the schema does not declare
  await t.getSecret('NOT_IN_SCHEMA')
}

export async function untyped (): Promise<void> {
  // Without a schema type: any name, any value possibly missing.
  const c = createSecretsClient()
  const v: string = await c.getSecret('ANYTHING')
  const all = await c.getAll()
  const maybe: string | undefined = all.WHATEVER
  // @ts-expect-error: possibly undefined
  const sure: string = all.WHATEVER
  void [v, maybe, sure]
  try {
    createSecretsClient({ server: 'https://vault.example.com' })
  } catch (e) {
    const err = e as SecretsError
    const code: 'secret_not_found' | 'access_requested' | string = err.code
    const retry: number | undefined = err.retryAfter
    void [code, retry]
  }
  // @ts-expect-error: not an option
  createSecretsClient({ tokenfile: '/x' })
  // @ts-expect-error: secrets are strings
  createSecretsClient<{ PORT: number }>()
}
