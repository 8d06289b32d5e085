//! Secrets of a project: write (new versions), read, list, history, delete.

use super::*;

impl UnlockedDevice {
    /// Opens one listed secret: its key (with the vault key generation that
    /// wraps it) and its current entry, whose name must have the blind
    /// index the record is filed under.
    pub(super) fn open_row(&self, p: &Opened, row: wire::SecretBody) -> ClientResult<Open> {
        if row.secret.project != p.project {
            return Err(ClientError::Protocol(
                "a secret names another project".into(),
            ));
        }
        let vk = self.vault_key_at(p.project, row.secret.key_version)?;
        let key = SecretValueKey::unwrap(vk, &row.secret)?;
        let entry = key.open_version(&row.current)?;
        if p.keys.blind_index(&entry.name)? != row.secret.blind_index {
            return Err(ClientError::Protocol(
                "a secret is filed under another name's blind index".into(),
            ));
        }
        Ok(Open { row, key, entry })
    }

    /// Every secret of the project, opened.
    pub(super) async fn open_all(&mut self, p: &Opened) -> ClientResult<Vec<Open>> {
        let rows = self.api.secrets(p.project).await?.secrets;
        // Keys of generations this device has not seen yet.
        for r in &rows {
            self.key_at(p.project, r.secret.key_version).await?;
        }
        rows.into_iter().map(|r| self.open_row(p, r)).collect()
    }

    /// The secret named `name`, if there is one: found by blind index,
    /// then its sealed name compared (so a server cannot answer for
    /// another secret).
    pub(super) async fn find_secret(
        &mut self,
        p: &Opened,
        name: &SecretName,
    ) -> ClientResult<Option<Open>> {
        let bidx = p.keys.blind_index(name)?;
        let rows = self.api.secrets(p.project).await?.secrets;
        let Some(row) = rows.into_iter().find(|r| r.secret.blind_index == bidx) else {
            return Ok(None);
        };
        self.key_at(p.project, row.secret.key_version).await?;
        let open = self.open_row(p, row)?;
        if &open.entry.name != name {
            return Err(ClientError::Protocol(
                "the server answered with another secret".into(),
            ));
        }
        Ok(Some(open))
    }

    pub(super) fn secret_info(open: Open) -> SecretInfo {
        SecretInfo {
            secret: open.row.secret.secret,
            name: open.entry.name,
            value: open.entry.value,
            description: open.entry.description,
            version: open.row.current.version,
            rotate_pending: open.row.rotate_pending,
            created_at_ms: open.row.created_at_ms,
            updated_at_ms: open.row.updated_at_ms,
            uses: open.row.uses,
            last_used_at_ms: open.row.last_used_at_ms,
        }
    }

    /// Sets a secret: creates it, or writes its next version (a new name
    /// normalises as [`SecretName::new`]; the value is at most 64 KiB).
    /// When another writer got there first (409), reads the fresh state
    /// and tries once more.
    pub async fn set_secret(
        &mut self,
        project: VaultId,
        name: &str,
        value: &str,
        description: &str,
    ) -> ClientResult<SecretWrite> {
        let entry = SecretEntry::new(name, value, description)?;
        let mut rng = rng::os_rng();
        let mut last = None;
        for _ in 0..WRITE_ATTEMPTS {
            let p = self.open_project(project).await?;
            let (secret, version, base) = match self.find_secret(&p, &entry.name).await? {
                Some(open) => {
                    let next = open
                        .row
                        .current
                        .version
                        .checked_add(1)
                        .ok_or_else(|| ClientError::Invalid("too many versions".into()))?;
                    let version = open.key.seal_version(next, &entry, &mut rng)?;
                    (open.row.secret, version, open.row.current.version)
                }
                None => {
                    let (secret, version) = p.keys.create_secret(&p.current, &entry, &mut rng)?;
                    (secret, version, 0)
                }
            };
            let req = wire::PutSecretRequest {
                secret,
                version,
                base_version: base,
            };
            match self.api.put_secret(&req).await {
                Ok(w) => {
                    return Ok(SecretWrite {
                        secret: w.secret,
                        version: w.version,
                    });
                }
                Err(e) if is_conflict(&e) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| ClientError::Invalid("the write failed".into())))
    }

    /// One secret by name, decrypted.
    pub async fn get_secret(&mut self, project: VaultId, name: &str) -> ClientResult<SecretInfo> {
        let name = SecretName::new(name)?;
        let p = self.open_project(project).await?;
        self.find_secret(&p, &name)
            .await?
            .map(Self::secret_info)
            .ok_or_else(|| ClientError::NotFound("no secret of that name".into()))
    }

    /// Every secret of the project, decrypted, by name.
    pub async fn list_secrets(&mut self, project: VaultId) -> ClientResult<Vec<SecretInfo>> {
        let p = self.open_project(project).await?;
        let mut out: Vec<SecretInfo> = self
            .open_all(&p)
            .await?
            .into_iter()
            .map(Self::secret_info)
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Every stored version of a secret, oldest first, decrypted.
    pub async fn secret_history(
        &mut self,
        project: VaultId,
        name: &str,
    ) -> ClientResult<Vec<SecretVersionInfo>> {
        let name = SecretName::new(name)?;
        let p = self.open_project(project).await?;
        let open = self
            .find_secret(&p, &name)
            .await?
            .ok_or_else(|| ClientError::NotFound("no secret of that name".into()))?;
        let versions = self
            .api
            .secret_versions(project, open.row.secret.secret)
            .await?
            .versions;
        versions
            .into_iter()
            .map(|v| {
                let entry = open.key.open_version(&v.version)?;
                Ok(SecretVersionInfo {
                    version: v.version.version,
                    name: entry.name,
                    value: entry.value,
                    description: entry.description,
                    created_at_ms: v.created_at_ms,
                })
            })
            .collect()
    }

    /// Deletes a secret (all its versions, grants and requests) by name.
    pub async fn delete_secret(&mut self, project: VaultId, name: &str) -> ClientResult<SecretId> {
        let name = SecretName::new(name)?;
        let p = self.open_project(project).await?;
        let open = self
            .find_secret(&p, &name)
            .await?
            .ok_or_else(|| ClientError::NotFound("no secret of that name".into()))?;
        let id = open.row.secret.secret;
        self.api.delete_secret(project, id).await?;
        Ok(id)
    }
}
