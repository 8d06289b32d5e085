//! Projects: create, list, find, remove, allowlist, and opening their keys.

use super::*;

impl UnlockedDevice {
    /// Creates a project: a new vault (owned by the user), fresh
    /// [`ProjectKeys`] sealed under its key, attached on the server.
    /// Returns its id and the `vpr1.` reference services register with.
    pub async fn create_project(&mut self, name: &str) -> ClientResult<CreatedProject> {
        let project = self
            .create_vault(&VaultMeta {
                name: name.to_owned(),
                ..Default::default()
            })
            .await?;
        let mut rng = rng::os_rng();
        let vk = self.vault_key(project)?.clone();
        let keys = ProjectKeys::generate(project, &mut rng);
        let sealed = keys.seal(&vk, &mut rng)?;
        let public = keys.public();
        self.api
            .attach_project(
                project,
                &wire::AttachProjectRequest {
                    public: public.clone(),
                    keys: sealed,
                },
            )
            .await?;
        Ok(CreatedProject {
            project,
            reference: public.reference().to_string(),
            fingerprint: public.fingerprint(),
        })
    }

    /// The projects the user is a member of, with their vaults' names.
    pub async fn projects(&mut self) -> ClientResult<Vec<ProjectInfo>> {
        self.reload_if_changed().await?;
        let body = self.api.projects().await?;
        // A project shared since the last sync: pull so its name opens.
        if body
            .projects
            .iter()
            .any(|p| self.engine.membership(p.project).is_none())
        {
            let mut report = super::super::sync::SyncReport::default();
            self.pull(&mut report).await?;
        }
        let vaults = self.vaults();
        let mut out = Vec::with_capacity(body.projects.len());
        for p in body.projects {
            if p.public.project != p.project {
                return Err(ClientError::Protocol(
                    "a project's public key names another project".into(),
                ));
            }
            p.public.verify(None).map_err(|_| {
                ClientError::Protocol("a project's public key does not verify".into())
            })?;
            let vault = vaults.iter().find(|v| v.vault == p.project);
            out.push(ProjectInfo {
                project: p.project,
                name: vault.map_or_else(|| "<locked vault>".to_owned(), |v| v.name.clone()),
                role: vault.map(|v| v.role),
                reference: p.public.reference().to_string(),
                fingerprint: p.public.fingerprint(),
                key_version: p.key_version,
                allowlist: p.allowlist,
                counts: p.counts,
                created_at_ms: p.created_at_ms,
            });
        }
        Ok(out)
    }

    /// Finds a project by id or by its vault's name (as
    /// [`find_vault`](Self::find_vault)).
    pub async fn find_project(&mut self, query: &str) -> ClientResult<VaultId> {
        let projects = self.projects().await?;
        let q = query.trim();
        if let Ok(id) = q.parse::<VaultId>()
            && projects.iter().any(|p| p.project == id)
        {
            return Ok(id);
        }
        let matches: Vec<&ProjectInfo> = projects
            .iter()
            .filter(|p| p.name.eq_ignore_ascii_case(q))
            .collect();
        match matches.as_slice() {
            [one] => Ok(one.project),
            [] => Err(ClientError::NotFound(format!("no project {q}"))),
            many => Err(ClientError::Ambiguous(format!(
                "{} projects are named {q}: use an id",
                many.len()
            ))),
        }
    }

    /// Removes a project's machine side (secrets, services, grants,
    /// requests, stubs); the vault stays. Owner only.
    pub async fn remove_project(&self, project: VaultId) -> ClientResult<()> {
        self.api.remove_project(project).await
    }

    /// Replaces the project's address allowlist; returns it normalised.
    pub async fn set_project_allowlist(
        &self,
        project: VaultId,
        cidrs: &[String],
    ) -> ClientResult<Vec<String>> {
        Ok(self.api.set_project_allowlist(project, cidrs).await?.cidrs)
    }

    /// The open vault key of `project` at `version`, pulling once if this
    /// device has not seen that generation yet.
    pub(super) async fn key_at(
        &mut self,
        project: VaultId,
        version: u32,
    ) -> ClientResult<VaultKey> {
        if let Ok(k) = self.vault_key_at(project, version) {
            return Ok(k.clone());
        }
        let mut report = super::super::sync::SyncReport::default();
        self.pull(&mut report).await?;
        Ok(self.vault_key_at(project, version)?.clone())
    }

    /// Fetches and opens a project's keys; checks that the public key the
    /// server hands services is the one these keys make.
    pub(super) async fn open_project(&mut self, project: VaultId) -> ClientResult<Opened> {
        self.reload_if_changed().await?;
        let body = match self.api.project(project).await {
            Err(ClientError::Rejected { status: 403, .. }) => {
                return Err(ClientError::NotFound(format!(
                    "no project {project} (or you are not a member of it)"
                )));
            }
            other => other?,
        };
        if body.project != project || body.keys.project != project {
            return Err(ClientError::Protocol(
                "the server answered for another project".into(),
            ));
        }
        let current = self.key_at(project, body.key_version).await?;
        let sealed_under = self.key_at(project, body.keys.key_version).await?;
        let keys = ProjectKeys::open(&sealed_under, &body.keys)?;
        if keys.public() != body.public {
            return Err(ClientError::Protocol(
                "the project's public key is not the one its keys make".into(),
            ));
        }
        Ok(Opened {
            project,
            body,
            keys,
            current,
        })
    }
}
