//! The schema migrations, embedded in the binary, and the bookkeeping rules
//! both backends share.
//!
//! Why not `sqlx::migrate!`: its `migrate` feature names the MySQL driver
//! as a weak dependency, which puts `sqlx-mysql` (and through it `rsa`,
//! RUSTSEC-2023-0071) into every `Cargo.lock` that uses it, though no MySQL
//! code is ever built (rust-lang/cargo#10801). The runner here
//! (`sql/migrate.rs`) keeps sqlx's bookkeeping table, `_sqlx_migrations`,
//! with the same columns and the same checksum (SHA-384 of the SQL text),
//! so databases migrated by earlier releases carry on unchanged: applied
//! migrations are checked against their checksums, new ones are applied in
//! order, each in one transaction with its bookkeeping row.

use sha2::{Digest, Sha384};

/// One embedded migration.
pub(crate) struct Migration {
    /// Its number (the file name's prefix).
    pub(crate) version: i64,
    /// The rest of the file name, `_` as spaces (as sqlx records it).
    pub(crate) description: &'static str,
    /// The SQL, run as one batch.
    pub(crate) sql: &'static str,
    /// Work in Rust after the SQL, in the same transaction.
    pub(crate) data_step: Option<DataStep>,
}

/// Data migrations that need Rust (the rule lives in vault-core).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DataStep {
    /// Rewrites identifiers into their canonical form (0005).
    NormaliseIdentifiers,
    /// Fills `accounts.kind` and the `account_kinds` counts (0006).
    CountAccountKinds,
}

impl Migration {
    /// SHA-384 of the SQL text (sqlx's checksum).
    pub(crate) fn checksum(&self) -> Vec<u8> {
        Sha384::digest(self.sql.as_bytes()).to_vec()
    }
}

macro_rules! migrations {
    ($dir:literal: $($version:literal $file:literal $description:literal $step:expr),* $(,)?) => {
        &[$(Migration {
            version: $version,
            description: $description,
            sql: include_str!(concat!("../../migrations/", $dir, "/", $file)),
            data_step: $step,
        }),*]
    };
}

/// The SQLite schema.
pub(crate) static SQLITE: &[Migration] = migrations!("sqlite":
    1 "0001_schema.sql" "schema" None,
    2 "0002_row_security.sql" "row security" None,
    3 "0003_recovery.sql" "recovery" None,
    4 "0004_emergency_access.sql" "emergency access" None,
    5 "0005_identifier_normalisation.sql" "identifier normalisation" Some(DataStep::NormaliseIdentifiers),
    6 "0006_account_kinds.sql" "account kinds" Some(DataStep::CountAccountKinds),
    7 "0007_machine_secrets.sql" "machine secrets" None,
    8 "0008_policies_evaluated_once.sql" "policies evaluated once" None,
);

/// The Postgres schema (row-level security in 0002).
pub(crate) static POSTGRES: &[Migration] = migrations!("postgres":
    1 "0001_schema.sql" "schema" None,
    2 "0002_row_security.sql" "row security" None,
    3 "0003_recovery.sql" "recovery" None,
    4 "0004_emergency_access.sql" "emergency access" None,
    5 "0005_identifier_normalisation.sql" "identifier normalisation" Some(DataStep::NormaliseIdentifiers),
    6 "0006_account_kinds.sql" "account kinds" Some(DataStep::CountAccountKinds),
    7 "0007_machine_secrets.sql" "machine secrets" None,
    8 "0008_policies_evaluated_once.sql" "policies evaluated once" None,
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Every file in the migrations directories is listed, in order, with
    /// the description sqlx derived from its name.
    #[test]
    fn every_migration_file_is_embedded() {
        for (dir, list) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(dir);
            let mut files: Vec<String> = std::fs::read_dir(path)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n.ends_with(".sql"))
                .collect();
            files.sort();
            assert_eq!(files.len(), list.len(), "{dir}");
            for (f, m) in files.iter().zip(list) {
                let (num, rest) = f.split_once('_').unwrap();
                assert_eq!(num.parse::<i64>().unwrap(), m.version, "{dir}/{f}");
                assert_eq!(
                    rest.trim_end_matches(".sql").replace('_', " "),
                    m.description
                );
            }
        }
    }

    /// The checksum is sqlx's (SHA-384 of the text), pinned for 0001.
    #[test]
    fn checksums_are_sha384_of_the_sql() {
        let m = SQLITE.first().unwrap();
        assert_eq!(m.checksum().len(), 48);
        assert_eq!(m.checksum(), Sha384::digest(m.sql.as_bytes()).to_vec());
    }
}
