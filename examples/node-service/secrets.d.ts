// Generated from secrets.schema.json by `vault secrets schema typescript`.
// Do not edit: regenerate when the schema changes.
import type { SecretsClient, SecretsClientOptions } from "@vault/node";

export interface Secrets {
  /** primary database */
  "DATABASE_URL": string;
  /** error reporting (optional) */
  "SENTRY_DSN"?: string;
  /** payments API key */
  "STRIPE_KEY": string;
}

/** A client whose `getSecret` accepts only the names above. */
export declare function createSecretsClient(schema: string | object, options?: SecretsClientOptions): SecretsClient<Secrets>;

/** The secret names the schema declares. */
export type SecretName = "DATABASE_URL" | "SENTRY_DSN" | "STRIPE_KEY";
