//! `secrets.schema.json`: which secrets a service needs.
//!
//! A subset of JSON Schema (draft 2020-12), so editors and validators
//! already understand it:
//!
//! ```json
//! {
//!   "$schema": "https://json-schema.org/draft/2020-12/schema",
//!   "title": "billing",
//!   "type": "object",
//!   "properties": {
//!     "DATABASE_URL": { "type": "string", "description": "primary database" },
//!     "STRIPE_KEY":   { "type": "string", "description": "payments API key" }
//!   },
//!   "required": ["DATABASE_URL"]
//! }
//! ```
//!
//! Allowed at the top: `$schema`, `$id`, `title`, `description`, `type`
//! (`"object"`), `properties`, `required`, `additionalProperties`. Allowed
//! per property: `type` (`"string"`), `description`, `title`. Anything else
//! is refused by name, `default` and `examples` in particular: a schema is
//! committed next to code and must never hold a value. Property names are
//! [`SecretName`]s. The schemas of a service's dependencies combine into one
//! ([`SecretsSchema::combine`], `vault secrets schema combine`).
//!
//! ```
//! use vault_core::machine::schema::SecretsSchema;
//! let s = SecretsSchema::parse(r#"{"type":"object","properties":{"API_KEY":{"type":"string","description":"k"}},"required":["API_KEY"]}"#)?;
//! assert!(s.secrets["API_KEY"].required);
//! assert!(SecretsSchema::parse(r#"{"properties":{"API_KEY":{"type":"string","default":"sk_live"}}}"#).is_err());
//! # Ok::<(), vault_core::machine::schema::SchemaError>(())
//! ```

use super::name::SecretName;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Largest schema file accepted, in bytes.
pub const MAX_SCHEMA_BYTES: usize = 1024 * 1024;
/// Most secrets one schema may name.
pub const MAX_SCHEMA_SECRETS: usize = 1000;

/// A schema that could not be read, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("secrets schema: {path}: {reason}")]
pub struct SchemaError {
    /// JSON-pointer-like location (`/properties/API_KEY/type`).
    pub path: String,
    /// What is wrong.
    pub reason: &'static str,
}

impl From<SchemaError> for crate::Error {
    fn from(e: SchemaError) -> Self {
        crate::Error::Malformed {
            what: "secrets schema",
            reason: e.reason,
        }
    }
}

fn err(path: impl Into<String>, reason: &'static str) -> SchemaError {
    SchemaError {
        path: path.into(),
        reason,
    }
}

/// One secret a service declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchemaEntry {
    /// What it is for (sealed into stubs when the secret is missing).
    pub description: String,
    /// Whether the service cannot start without it.
    pub required: bool,
}

/// A parsed `secrets.schema.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecretsSchema {
    /// The service's name, if given.
    pub title: Option<String>,
    /// The secrets, by name.
    pub secrets: BTreeMap<String, SchemaEntry>,
}

const TOP_KEYS: &[&str] = &[
    "$schema",
    "$id",
    "title",
    "description",
    "type",
    "properties",
    "required",
    "additionalProperties",
];
const PROPERTY_KEYS: &[&str] = &["type", "description", "title"];

fn string_at<'a>(v: &'a Value, path: &str) -> Result<&'a str, SchemaError> {
    v.as_str().ok_or_else(|| err(path, "must be a string"))
}

impl SecretsSchema {
    /// Parses and checks a schema (see the module docs).
    pub fn parse(text: &str) -> Result<Self, SchemaError> {
        if text.len() > MAX_SCHEMA_BYTES {
            return Err(err("", "file larger than 1 MiB"));
        }
        let root: Value = serde_json::from_str(text).map_err(|_| err("", "not valid JSON"))?;
        let obj = root
            .as_object()
            .ok_or_else(|| err("", "must be a JSON object"))?;
        for key in obj.keys() {
            if !TOP_KEYS.contains(&key.as_str()) {
                return Err(unknown(key, &format!("/{key}")));
            }
        }
        if let Some(t) = obj.get("type")
            && t.as_str() != Some("object")
        {
            return Err(err("/type", "must be \"object\""));
        }
        if let Some(a) = obj.get("additionalProperties")
            && !a.is_boolean()
        {
            return Err(err("/additionalProperties", "must be true or false"));
        }
        for key in ["$schema", "$id", "description"] {
            if let Some(v) = obj.get(key) {
                string_at(v, &format!("/{key}"))?;
            }
        }
        let title = obj
            .get("title")
            .map(|t| string_at(t, "/title"))
            .transpose()?;
        let empty = Map::new();
        let props = match obj.get("properties") {
            None => &empty,
            Some(p) => p
                .as_object()
                .ok_or_else(|| err("/properties", "must be an object"))?,
        };
        if props.len() > MAX_SCHEMA_SECRETS {
            return Err(err("/properties", "more than 1000 secrets"));
        }
        let mut secrets = BTreeMap::new();
        for (name, def) in props {
            let path = format!("/properties/{name}");
            let normal = SecretName::new(name).map_err(|_| {
                err(
                    path.clone(),
                    "not a valid secret name (no spaces, =, /, control or invisible characters)",
                )
            })?;
            if normal.as_str() != name {
                return Err(err(
                    path,
                    "write the name in its normal form (NFC, no surrounding spaces)",
                ));
            }
            let def = def
                .as_object()
                .ok_or_else(|| err(path.clone(), "must be an object"))?;
            for key in def.keys() {
                if !PROPERTY_KEYS.contains(&key.as_str()) {
                    return Err(unknown(key, &format!("{path}/{key}")));
                }
            }
            if let Some(t) = def.get("type")
                && t.as_str() != Some("string")
            {
                return Err(err(
                    format!("{path}/type"),
                    "secrets are strings: must be \"string\"",
                ));
            }
            if let Some(t) = def.get("title") {
                string_at(t, &format!("{path}/title"))?;
            }
            let description = def
                .get("description")
                .map(|d| string_at(d, &format!("{path}/description")))
                .transpose()?
                .unwrap_or_default();
            if description.len() > 1024 {
                return Err(err(format!("{path}/description"), "longer than 1024 bytes"));
            }
            secrets.insert(
                name.clone(),
                SchemaEntry {
                    description: description.to_owned(),
                    required: false,
                },
            );
        }
        if let Some(req) = obj.get("required") {
            let list = req
                .as_array()
                .ok_or_else(|| err("/required", "must be an array of names"))?;
            for (i, r) in list.iter().enumerate() {
                let path = format!("/required/{i}");
                let name = string_at(r, &path)?;
                let entry = secrets
                    .get_mut(name)
                    .ok_or_else(|| err(path, "names a secret that is not under properties"))?;
                entry.required = true;
            }
        }
        Ok(SecretsSchema {
            title: title.map(str::to_owned),
            secrets,
        })
    }

    /// The names, as checked [`SecretName`]s (already validated by `parse`).
    pub fn names(&self) -> Vec<SecretName> {
        self.secrets
            .keys()
            .filter_map(|n| SecretName::new(n).ok())
            .collect()
    }

    /// Combines the schemas of a service and its dependencies: the union of
    /// the names; a name is required if any schema requires it; distinct
    /// descriptions are joined with `"; "` in input order.
    ///
    /// ```
    /// use vault_core::machine::schema::SecretsSchema;
    /// let a = SecretsSchema::parse(r#"{"properties":{"DB":{"description":"app"}},"required":["DB"]}"#)?;
    /// let b = SecretsSchema::parse(r#"{"properties":{"DB":{"description":"worker"},"MQ":{}}}"#)?;
    /// let c = SecretsSchema::combine(Some("all".into()), [&a, &b]);
    /// assert_eq!(c.secrets["DB"].description, "app; worker");
    /// assert!(c.secrets["DB"].required && !c.secrets["MQ"].required);
    /// # Ok::<(), vault_core::machine::schema::SchemaError>(())
    /// ```
    pub fn combine<'a>(
        title: Option<String>,
        schemas: impl IntoIterator<Item = &'a SecretsSchema>,
    ) -> Self {
        let mut out = SecretsSchema {
            title,
            secrets: BTreeMap::new(),
        };
        for s in schemas {
            for (name, e) in &s.secrets {
                let slot = out.secrets.entry(name.clone()).or_default();
                slot.required |= e.required;
                if !e.description.is_empty()
                    && !slot.description.split("; ").any(|d| d == e.description)
                {
                    if !slot.description.is_empty() {
                        slot.description.push_str("; ");
                    }
                    slot.description.push_str(&e.description);
                }
            }
        }
        out
    }

    /// The schema as JSON text (stable: names sorted, two-space indent).
    pub fn to_json(&self) -> String {
        let mut props = Map::new();
        for (name, e) in &self.secrets {
            let mut p = Map::new();
            p.insert("type".into(), Value::from("string"));
            if !e.description.is_empty() {
                p.insert("description".into(), Value::from(e.description.clone()));
            }
            props.insert(name.clone(), Value::Object(p));
        }
        let mut root = Map::new();
        root.insert(
            "$schema".into(),
            Value::from("https://json-schema.org/draft/2020-12/schema"),
        );
        if let Some(t) = &self.title {
            root.insert("title".into(), Value::from(t.clone()));
        }
        root.insert("type".into(), Value::from("object"));
        root.insert("properties".into(), Value::Object(props));
        let required: Vec<Value> = self
            .secrets
            .iter()
            .filter(|(_, e)| e.required)
            .map(|(n, _)| Value::from(n.clone()))
            .collect();
        root.insert("required".into(), Value::Array(required));
        // `Value`'s alternate Display is serde_json's pretty printer, and
        // writing a `Value` (string keys only) cannot fail.
        format!("{:#}\n", Value::Object(root))
    }

    /// TypeScript declarations for a schema-typed client (what
    /// `vault secrets schema typescript` and the Node generator write):
    /// an interface named `interface_name` with one `string` member per
    /// secret (optional unless required), and a matching `createSecretsClient`.
    ///
    /// ```
    /// use vault_core::machine::schema::SecretsSchema;
    /// let s = SecretsSchema::parse(r#"{"properties":{"API_KEY":{"description":"k"},"OPT":{}},"required":["API_KEY"]}"#)?;
    /// let ts = s.to_typescript("BillingSecrets");
    /// assert!(ts.contains("  \"API_KEY\": string;"));
    /// assert!(ts.contains("  \"OPT\"?: string;"));
    /// # Ok::<(), vault_core::machine::schema::SchemaError>(())
    /// ```
    pub fn to_typescript(&self, interface_name: &str) -> String {
        let ident: String = interface_name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let ident = if ident.is_empty() || ident.starts_with(|c: char| c.is_ascii_digit()) {
            format!("Secrets{ident}")
        } else {
            ident
        };
        let mut out = String::new();
        out.push_str(
            "// Generated from secrets.schema.json by `vault secrets schema typescript`.\n",
        );
        out.push_str("// Do not edit: regenerate when the schema changes.\n");
        out.push_str(
            "import type { SecretsClient, SecretsClientOptions } from \"@vault/node\";\n\n",
        );
        out.push_str(&format!("export interface {ident} {{\n"));
        for (name, e) in &self.secrets {
            if !e.description.is_empty() {
                out.push_str(&format!(
                    "  /** {} */\n",
                    e.description.replace("*/", "* /")
                ));
            }
            let q = Value::String(name.clone()).to_string();
            let opt = if e.required { "" } else { "?" };
            out.push_str(&format!("  {q}{opt}: string;\n"));
        }
        out.push_str("}\n\n");
        out.push_str(&format!(
            "/** A client whose `getSecret` accepts only the names above. */\nexport declare function createSecretsClient(schema: string | object, options?: SecretsClientOptions): SecretsClient<{ident}>;\n"
        ));
        out
    }
}

fn unknown(key: &str, path: &str) -> SchemaError {
    match key {
        "default" | "examples" | "const" | "enum" => err(path, "a schema must not hold values"),
        _ => err(path, "keyword not supported in secrets schemas"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn refuses_with_the_path() {
        let e = SecretsSchema::parse(r#"{"properties":{"A B":{}}}"#).unwrap_err();
        assert_eq!(e.path, "/properties/A B");
        let e = SecretsSchema::parse(r#"{"properties":{"A":{"type":"number"}}}"#).unwrap_err();
        assert_eq!(e.path, "/properties/A/type");
        let e = SecretsSchema::parse(r#"{"properties":{"A":{}},"required":["B"]}"#).unwrap_err();
        assert_eq!(e.path, "/required/0");
        let e = SecretsSchema::parse(r#"{"properties":{"A":{"examples":["x"]}}}"#).unwrap_err();
        assert_eq!(e.reason, "a schema must not hold values");
        assert!(SecretsSchema::parse(r#"{"oneOf":[]}"#).is_err());
        assert!(SecretsSchema::parse("[]").is_err());
        assert!(SecretsSchema::parse(r#"{"properties":{"A\u202eB":{}}}"#).is_err());
        assert!(SecretsSchema::parse(&" ".repeat(MAX_SCHEMA_BYTES + 1)).is_err());
    }

    #[test]
    fn json_round_trips() {
        let s = SecretsSchema::parse(
            r#"{"title":"svc","properties":{"B":{"description":"b"},"A":{}},"required":["B"]}"#,
        )
        .unwrap();
        assert_eq!(SecretsSchema::parse(&s.to_json()).unwrap(), s);
    }
}
