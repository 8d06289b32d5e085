// Must NOT compile: the secrets test expects tsc to fail on exactly the
// marked line (a name that secrets-schema.json does not declare).
import { createSecretsClient } from '@vault/node'
import type { Secrets } from './secrets'

export async function main (): Promise<string> {
  const client = createSecretsClient<Secrets>({ tokenFile: '/run/secrets/vault-token' })
  await client.getSecret('DATABASE_URL')
  return client.getSecret('NOT_IN_SCHEMA') // MUST-FAIL
}
