//! `vault://project/NAME` references, in `.env` templates (`vault run
//! --env-file`) and in file templates (`vault inject`).
//!
//! Resolution (fetching and decrypting) is the caller's; this module only
//! parses and renders, so every client (CLI, agent, bindings) reads the
//! same syntax the same way.
//!
//! ```
//! use vault_core::machine::template::{render, references, EnvTemplate};
//! let env = EnvTemplate::parse("# db\nexport DATABASE_URL=vault://billing/DATABASE_URL\nMODE=prod\n")?;
//! assert_eq!(env.entries.len(), 2);
//! let tpl = "url = \"{{ vault://billing/DATABASE_URL }}\"\n";
//! assert_eq!(references(tpl)?.len(), 1);
//! let out = render(tpl, |r| (r.name.as_str() == "DATABASE_URL").then(|| "postgres://x".to_owned()))?;
//! assert_eq!(out.as_str(), "url = \"postgres://x\"\n");
//! # Ok::<(), vault_core::machine::template::TemplateError>(())
//! ```

use super::name::SecretName;
use zeroize::Zeroizing;

/// A template that could not be read or rendered, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("template line {line}: {reason}")]
pub struct TemplateError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: &'static str,
}

fn err(line: usize, reason: &'static str) -> TemplateError {
    TemplateError { line, reason }
}

/// `vault://<project>/<NAME>`: a project (its id, or a name the caller
/// resolves) and a secret name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SecretRef {
    /// Project id or name, as written.
    pub project: String,
    /// The secret's name.
    pub name: SecretName,
}

const SCHEME: &str = "vault://";

impl core::str::FromStr for SecretRef {
    type Err = crate::Error;
    /// Parses `vault://project/NAME`.
    fn from_str(s: &str) -> crate::Result<Self> {
        let rest = s.strip_prefix(SCHEME).ok_or(crate::Error::malformed(
            "secret reference",
            "must start with vault://",
        ))?;
        let (project, name) = rest.split_once('/').ok_or(crate::Error::malformed(
            "secret reference",
            "expected vault://project/NAME",
        ))?;
        if project.is_empty() || project.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(crate::Error::malformed(
                "secret reference",
                "bad project part",
            ));
        }
        if name.trim() != name {
            return Err(crate::Error::malformed("secret reference", "bad name part"));
        }
        Ok(SecretRef {
            project: project.to_owned(),
            name: SecretName::new(name)?,
        })
    }
}

impl core::fmt::Display for SecretRef {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{SCHEME}{}/{}", self.project, self.name)
    }
}

/// The value side of one `.env` template line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvValue {
    /// Copied as written (after unquoting).
    Literal(String),
    /// Replaced by the secret's value.
    Reference(SecretRef),
}

/// A parsed `.env` template: `NAME=value` lines, `export ` allowed, `#`
/// comments and blank lines skipped, values optionally in single or double
/// quotes (no escapes, no interpolation). A value that is exactly a
/// `vault://` reference is resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvTemplate {
    /// Variables in file order.
    pub entries: Vec<(String, EnvValue)>,
}

fn is_env_var(name: &str) -> bool {
    let mut c = name.chars();
    c.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl EnvTemplate {
    /// Parses the template text.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let l = l.strip_prefix("export ").map(str::trim_start).unwrap_or(l);
            let (name, value) = l
                .split_once('=')
                .ok_or_else(|| err(line, "expected NAME=value"))?;
            let name = name.trim();
            if !is_env_var(name) {
                return Err(err(
                    line,
                    "variable names are letters, digits and _, not starting with a digit",
                ));
            }
            let value = value.trim();
            let value = match (value.chars().next(), value.chars().last()) {
                (Some(q @ ('"' | '\'')), Some(e)) if value.len() >= 2 && e == q => {
                    &value[1..value.len() - 1]
                }
                (Some('"' | '\''), _) => return Err(err(line, "unterminated quote")),
                _ => value,
            };
            let value = if value.starts_with(SCHEME) {
                EnvValue::Reference(
                    value
                        .parse()
                        .map_err(|_| err(line, "bad vault:// reference"))?,
                )
            } else {
                EnvValue::Literal(value.to_owned())
            };
            entries.push((name.to_owned(), value));
        }
        Ok(EnvTemplate { entries })
    }

    /// The references, deduplicated.
    pub fn references(&self) -> Vec<SecretRef> {
        let mut refs: Vec<SecretRef> = self
            .entries
            .iter()
            .filter_map(|(_, v)| match v {
                EnvValue::Reference(r) => Some(r.clone()),
                EnvValue::Literal(_) => None,
            })
            .collect();
        refs.sort();
        refs.dedup();
        refs
    }
}

/// Splits a file template into literal text and `{{ vault://p/NAME }}`
/// placeholders (spaces inside the braces optional). `{{` not followed by
/// `vault://` is literal text (other template languages keep working).
/// A literal run of text (with the line it starts on), or a placeholder.
type Piece<'a> = (usize, &'a str, Option<SecretRef>);

fn scan(text: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut line = 1;
    while let Some(start) = rest.find("{{") {
        let (before, tail) = rest.split_at(start);
        let inner = tail[2..].trim_start();
        if !inner.starts_with(SCHEME) {
            out.push((line, &rest[..start + 2], None));
            line += rest[..start + 2].matches('\n').count();
            rest = &rest[start + 2..];
            continue;
        }
        out.push((line, before, None));
        line += before.matches('\n').count();
        let end = tail
            .find("}}")
            .ok_or_else(|| err(line, "placeholder without closing }}"))?;
        let body = tail[2..end].trim();
        if body.contains('\n') {
            return Err(err(line, "placeholder spans lines"));
        }
        let r: SecretRef = body
            .parse()
            .map_err(|_| err(line, "bad vault:// reference"))?;
        out.push((line, "", Some(r)));
        rest = &tail[end + 2..];
    }
    out.push((line, rest, None));
    Ok(out)
}

/// The references a file template uses, deduplicated.
pub fn references(text: &str) -> Result<Vec<SecretRef>, TemplateError> {
    let mut refs: Vec<SecretRef> = scan(text)?.into_iter().filter_map(|(_, _, r)| r).collect();
    refs.sort();
    refs.dedup();
    Ok(refs)
}

/// Renders a file template, replacing every placeholder with
/// `lookup(reference)`; a reference the lookup cannot resolve is an error
/// (a half-rendered config is worse than none). The output is zeroized on
/// drop.
pub fn render(
    text: &str,
    lookup: impl Fn(&SecretRef) -> Option<String>,
) -> Result<Zeroizing<String>, TemplateError> {
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    for (line, literal, r) in scan(text)? {
        out.push_str(literal);
        if let Some(r) = r {
            let v =
                Zeroizing::new(lookup(&r).ok_or_else(|| err(line, "reference did not resolve"))?);
            out.push_str(&v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn env_templates() {
        let t =
            EnvTemplate::parse("A='vault://p/X'\nB=\"lit eral\"\n\n# c\nexport C = vault://p/Y\n")
                .unwrap();
        assert_eq!(
            t.entries[1],
            ("B".into(), EnvValue::Literal("lit eral".into()))
        );
        assert_eq!(t.references().len(), 2);
        assert_eq!(EnvTemplate::parse("1A=x").unwrap_err().line, 1);
        assert_eq!(EnvTemplate::parse("\nA=\"x").unwrap_err().line, 2);
        assert!(EnvTemplate::parse("A=vault://p/bad name").is_err());
        assert!(EnvTemplate::parse("A").is_err());
    }

    #[test]
    fn file_templates() {
        let tpl = "a {{vault://p/X}} b {{ other }} c\n{{ vault://p/Y }}";
        let out = render(tpl, |r| Some(format!("<{}>", r.name))).unwrap();
        assert_eq!(out.as_str(), "a <X> b {{ other }} c\n<Y>");
        assert_eq!(render("\n{{ vault://p/Z }}", |_| None).unwrap_err().line, 2);
        assert!(render("{{ vault://p/X", |_| Some(String::new())).is_err());
        assert!(references("{{ vault://p }}").is_err());
        assert_eq!(
            references("{{vault://p/A}}{{vault://p/A}}").unwrap().len(),
            1
        );
    }
}
