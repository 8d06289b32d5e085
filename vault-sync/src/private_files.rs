//! Files that hold wrapped keys, login records or tokens are private to
//! the process's user: directories `0700`, files `0600`, created that way
//! (never created open and tightened later), and tightened on open if an
//! older release or an operator left them readable. SQLite creates its
//! `-wal` and `-shm` files with the database file's mode, so a private
//! database file is enough for those. Used by the server's SQLite store,
//! its data directory and secrets file, and the client's replica.

use std::io;
use std::path::Path;

/// Creates `dir` (and missing parents) private to the user if it does not
/// exist. An existing directory is left alone (it may be shared, like a
/// temp dir): see [`tighten_dir`] for one the program owns.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    if !dir.exists() {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(dir)?;
    }
    Ok(())
}

/// Removes group and other permissions from a directory the program owns
/// (the server's data directory).
pub fn tighten_dir(dir: &Path) -> io::Result<()> {
    tighten(dir, 0o700)
}

/// Creates `file` empty and private (`0600`) if it does not exist, so
/// whatever writes it next (SQLite) inherits that mode; tightens an
/// existing one and its SQLite companions (`-wal`, `-shm`).
pub fn private_file(file: &Path) -> io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(file) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    tighten(file, 0o600)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        let companion = Path::new(&name);
        if companion.exists() {
            tighten(companion, 0o600)?;
        }
    }
    Ok(())
}

/// Writes a new file private from its first byte (fails if it exists).
pub fn write_new_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(contents)?;
    f.sync_all()
}

/// Removes group and other permissions from `path` (no-op off Unix).
#[cfg(unix)]
fn tighten(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if current & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_private_and_tightened() {
        let base = std::env::temp_dir().join(format!("vault-private-{}", std::process::id()));
        let dir = base.join("a/b");
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let db = dir.join("vault.db");
        private_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        // An existing world-readable file and companion are tightened.
        let wal = dir.join("vault.db-wal");
        std::fs::write(&wal, b"x").unwrap();
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        private_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&wal), 0o600);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o755, "an existing directory is left alone");
        tighten_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        std::fs::remove_dir_all(&base).unwrap();
    }
}
