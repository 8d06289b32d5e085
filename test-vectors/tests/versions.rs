//! One version number for everything Vault ships, and one set of license
//! texts: the crates (`[workspace.package] version` in the root Cargo.toml),
//! the path dependencies between them, both npm packages (and their lock
//! files, and the napi loader generated from one), the SwiftPM package, the
//! Gradle module and the changelog. A bump that misses one of them fails here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("test-vectors/ sits in the workspace root")
        .to_path_buf()
}

fn read(rel: &str) -> String {
    let path = root().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lines of one `[section]` of a TOML file (just enough TOML for
/// Cargo manifests: headers on their own line, `#` comments).
fn toml_section<'a>(text: &'a str, section: &str) -> Vec<&'a str> {
    let header = format!("[{section}]");
    let mut inside = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') && !trimmed.starts_with("[[") && trimmed.ends_with(']') {
            inside = trimmed == header;
            continue;
        }
        if trimmed.starts_with("[[") {
            inside = false;
            continue;
        }
        if inside && !trimmed.is_empty() && !trimmed.starts_with('#') {
            lines.push(trimmed);
        }
    }
    lines
}

/// The string value of `key = "value"` among `lines`.
fn toml_string(lines: &[&str], key: &str) -> Option<String> {
    lines.iter().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        (k.trim() == key).then(|| quoted(v.trim()))?
    })
}

/// The first double-quoted string in `s`.
fn quoted(s: &str) -> Option<String> {
    let start = s.find('"')? + 1;
    let len = s.get(start..)?.find('"')?;
    s.get(start..start + len).map(str::to_owned)
}

/// `version = "…"` inside an inline table such as
/// `vault-core = { path = "vault-core", version = "0.1.0" }`.
fn inline_version(line: &str) -> Option<String> {
    let at = line.find("version")?;
    let rest = line.get(at + "version".len()..)?.trim_start();
    rest.strip_prefix('=').and_then(quoted)
}

fn workspace_manifest() -> String {
    read("Cargo.toml")
}

fn workspace_version() -> String {
    toml_string(
        &toml_section(&workspace_manifest(), "workspace.package"),
        "version",
    )
    .expect("[workspace.package] version in Cargo.toml")
}

fn workspace_members() -> Vec<String> {
    let manifest = workspace_manifest();
    let section = toml_section(&manifest, "workspace").join("\n");
    let at = section.find("members").expect("[workspace] members");
    let list = section.get(at..).unwrap();
    let list = list
        .get(list.find('[').unwrap() + 1..list.find(']').unwrap())
        .unwrap();
    list.split(',')
        .filter_map(|s| quoted(s.trim()))
        .collect::<Vec<_>>()
}

fn json(rel: &str) -> serde_json::Value {
    serde_json::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Everything that carries a version, compared with `[workspace.package]`.
#[test]
fn one_version_everywhere() {
    let want = workspace_version();
    let mut found: Vec<(String, Option<String>)> = Vec::new();

    // Every workspace crate inherits the version (or repeats it).
    let members = workspace_members();
    assert!(members.len() >= 4, "members: {members:?}");
    for member in &members {
        let rel = format!("{member}/Cargo.toml");
        let manifest = read(&rel);
        let package = toml_section(&manifest, "package");
        let inherits = package
            .iter()
            .any(|l| l.replace(' ', "") == "version.workspace=true");
        let version = if inherits {
            Some(want.clone())
        } else {
            toml_string(&package, "version")
        };
        found.push((format!("{rel} [package] version"), version));
    }

    // Path dependencies in [workspace.dependencies] on publishable crates must
    // carry the version too, or their dependents cannot be published. Those on
    // `publish = false` crates (test helpers, used as dev-dependencies) must
    // not: `cargo package` drops a path-only dev-dependency, but keeps one with
    // a version and then looks for it in the registry.
    let manifest = workspace_manifest();
    let deps = toml_section(&manifest, "workspace.dependencies");
    let path_deps: Vec<&&str> = deps.iter().filter(|l| l.contains("path =")).collect();
    assert!(
        path_deps.len() >= 2,
        "expected vault-core and vault-sync path dependencies"
    );
    let mut unpublished_with_version = Vec::new();
    for line in path_deps {
        let name = line.split('=').next().unwrap().trim();
        let at = line.find("path =").unwrap();
        let dir = quoted(line.get(at..).unwrap()).unwrap();
        let target = read(&format!("{dir}/Cargo.toml"));
        let publishable = !toml_section(&target, "package")
            .iter()
            .any(|l| l.replace(' ', "") == "publish=false");
        if publishable {
            found.push((
                format!("Cargo.toml [workspace.dependencies] {name}"),
                inline_version(line),
            ));
        } else if inline_version(line).is_some() {
            unpublished_with_version.push(name.to_owned());
        }
    }
    assert!(
        unpublished_with_version.is_empty(),
        "Cargo.toml [workspace.dependencies]: {unpublished_with_version:?} are `publish = false`; \
         give them no version, so that `cargo package` drops them as dev-dependencies"
    );

    // The npm packages, their lock files, and the napi loader (generated from
    // package.json's version by `napi build`; stale if it differs).
    for pkg in ["bindings/wasm", "bindings/node"] {
        let manifest = json(&format!("{pkg}/package.json"));
        found.push((
            format!("{pkg}/package.json version"),
            manifest["version"].as_str().map(str::to_owned),
        ));
        let lock_rel = format!("{pkg}/package-lock.json");
        if root().join(&lock_rel).exists() {
            let lock = json(&lock_rel);
            found.push((
                format!("{lock_rel} version"),
                lock["version"].as_str().map(str::to_owned),
            ));
            found.push((
                format!("{lock_rel} packages[\"\"].version"),
                lock["packages"][""]["version"].as_str().map(str::to_owned),
            ));
        }
    }
    let loader = read("bindings/node/index.js");
    let marker = "bindingPackageVersion !== '";
    let mut checks = 0;
    for (at, _) in loader.match_indices(marker) {
        let rest = loader.get(at + marker.len()..).unwrap();
        found.push((
            "bindings/node/index.js (napi's version check; rerun napi build)".into(),
            rest.split('\'').next().map(str::to_owned),
        ));
        checks += 1;
    }
    assert!(
        checks > 0 || !loader.contains("bindingPackageVersion"),
        "bindings/node/index.js: napi's version check not found"
    );

    // SwiftPM has no version field; Package.swift states the tag to cut.
    let swift = read("bindings/swift/Package.swift");
    found.push((
        "bindings/swift/Package.swift vaultVersion".into(),
        swift
            .lines()
            .find(|l| l.trim_start().starts_with("let vaultVersion"))
            .and_then(quoted),
    ));

    // Gradle: the module's `version = "…"`.
    let gradle = read("bindings/kotlin/build.gradle.kts");
    found.push((
        "bindings/kotlin/build.gradle.kts version".into(),
        gradle
            .lines()
            .find(|l| l.replace(' ', "").starts_with("version=\""))
            .and_then(quoted),
    ));

    // The changelog has an entry for the version.
    let changelog = read("CHANGELOG.md");
    let heading = format!("## [{want}]");
    found.push((
        "CHANGELOG.md heading".into(),
        changelog
            .lines()
            .any(|l| l.starts_with(&heading))
            .then(|| want.clone()),
    ));

    let wrong: Vec<String> = found
        .iter()
        .filter(|(_, v)| v.as_deref() != Some(want.as_str()))
        .map(|(what, v)| format!("  {what}: {v:?}"))
        .collect();
    assert!(
        wrong.is_empty(),
        "version {want} (Cargo.toml [workspace.package]) differs in:\n{}",
        wrong.join("\n")
    );
}

/// Cargo and npm only ship files from inside a package's directory, so each
/// published crate and npm package carries copies of the root license texts
/// (no symlinks: npm skips them). The copies must stay identical.
#[test]
fn license_copies_match_the_root() {
    let license = toml_string(
        &toml_section(&workspace_manifest(), "workspace.package"),
        "license",
    );
    assert_eq!(license.as_deref(), Some("Apache-2.0 OR MIT"));
    let mut wrong = Vec::new();
    for file in ["LICENSE-APACHE", "LICENSE-MIT"] {
        let original = read(file);
        assert!(original.len() > 500, "{file} looks truncated");
        for dir in [
            "vault-core",
            "vault-sync",
            "vault-server",
            "vault-cli",
            "bindings/wasm",
            "bindings/node",
        ] {
            let rel = format!("{dir}/{file}");
            let path = root().join(&rel);
            let symlink =
                std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
            match std::fs::read_to_string(&path) {
                Ok(copy) if copy == original && !symlink => {}
                Ok(_) if symlink => {
                    wrong.push(format!("  {rel}: a symlink (copy the file instead)"))
                }
                Ok(_) => wrong.push(format!("  {rel}: differs from /{file}")),
                Err(e) => wrong.push(format!("  {rel}: {e}")),
            }
        }
    }
    for pkg in ["bindings/wasm", "bindings/node"] {
        let manifest = json(&format!("{pkg}/package.json"));
        if manifest["license"].as_str() != license.as_deref() {
            wrong.push(format!(
                "  {pkg}/package.json license: {}",
                manifest["license"]
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "license files (cp LICENSE-APACHE LICENSE-MIT <dir>/):\n{}",
        wrong.join("\n")
    );
}
