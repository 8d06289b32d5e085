//! Access requests and stubs: what services asked for.

use super::*;

impl UnlockedDevice {
    /// The project's access requests, newest first, with names and hints
    /// opened.
    pub async fn requests(&mut self, project: VaultId) -> ClientResult<Vec<AccessRequestInfo>> {
        let p = self.open_project(project).await?;
        let secrets = self.open_all(&p).await?;
        let services = self.services_of(&p).await?;
        let body = self.api.access_requests(project).await?;
        Ok(body
            .requests
            .into_iter()
            .map(|r| {
                let secret = secrets.iter().find(|o| o.row.secret.secret == r.secret);
                // A hint is the service's word: shown only if it opens and
                // names the secret it is filed under.
                let hint = match (&r.hint, secret) {
                    (Some(h), Some(o)) => p.keys.open_hint(h, &o.row.secret.blind_index).ok(),
                    _ => None,
                };
                AccessRequestInfo {
                    service: r.service,
                    service_name: services
                        .iter()
                        .find(|s| s.service == r.service)
                        .map(|s| s.name.clone()),
                    secret: r.secret,
                    secret_name: secret.map(|o| o.entry.name.clone()),
                    hint,
                    status: r.status,
                    attempts: r.attempts,
                    first_at_ms: r.first_at_ms,
                    last_at_ms: r.last_at_ms,
                    decided_at_ms: r.decided_at_ms,
                }
            })
            .collect())
    }

    /// Grants an access request: the secret's key sealed to the service.
    pub async fn grant_request(
        &mut self,
        project: VaultId,
        service: ServiceId,
        secret: SecretId,
    ) -> ClientResult<()> {
        let p = self.open_project(project).await?;
        let s = self
            .services_of(&p)
            .await?
            .into_iter()
            .find(|s| s.service == service)
            .ok_or_else(|| ClientError::NotFound(format!("no service {service}")))?;
        Self::check_service(&p, &s.public)?;
        let rows = self.api.secrets(project).await?.secrets;
        let row = rows
            .into_iter()
            .find(|r| r.secret.secret == secret)
            .ok_or_else(|| ClientError::NotFound(format!("no secret {secret}")))?;
        self.key_at(project, row.secret.key_version).await?;
        let open = self.open_row(&p, row)?;
        let grant = p
            .keys
            .grant_secret(&open.key, &s.public, &mut rng::os_rng())?;
        self.api
            .grant_request(
                project,
                service,
                secret,
                &wire::GrantRequestBody {
                    grants: vec![grant],
                },
            )
            .await
    }

    /// Denies an access request (the service's later asks only count).
    pub async fn deny_request(
        &self,
        project: VaultId,
        service: ServiceId,
        secret: SecretId,
    ) -> ClientResult<()> {
        self.api.deny_request(project, service, secret).await
    }

    // --------------------------------------------------------------- stubs

    /// Names services asked for that do not exist, grouped by name, with
    /// the names and descriptions opened.
    pub async fn stubs(&mut self, project: VaultId) -> ClientResult<Vec<StubInfo>> {
        let p = self.open_project(project).await?;
        let services = self.services_of(&p).await?;
        let rows = self.api.stubs(project).await?.stubs;
        let mut out: Vec<StubInfo> = Vec::new();
        for r in rows {
            let hint = r
                .hint
                .as_ref()
                .and_then(|h| p.keys.open_hint(h, &r.blind_index).ok());
            let asker = StubAsker {
                service: r.service,
                service_name: services
                    .iter()
                    .find(|s| s.service == r.service)
                    .map(|s| s.name.clone()),
                description: hint.as_ref().map(|h| h.description.clone()),
                attempts: r.attempts,
                first_at_ms: r.first_at_ms,
                last_at_ms: r.last_at_ms,
            };
            match out.iter_mut().find(|s| s.blind_index == r.blind_index) {
                Some(stub) => {
                    if stub.name.is_none() {
                        stub.name = hint.map(|h| h.name);
                    }
                    stub.askers.push(asker);
                }
                None => out.push(StubInfo {
                    blind_index: r.blind_index,
                    name: hint.map(|h| h.name),
                    askers: vec![asker],
                }),
            }
        }
        Ok(out)
    }

    /// Fills a stub: creates the secret `name` (whose blind index services
    /// asked for) and grants it to the approved services that asked and
    /// read secret by secret (whole-project services read it anyway), in
    /// one step.
    pub async fn fill_stub(
        &mut self,
        project: VaultId,
        name: &str,
        value: &str,
        description: &str,
    ) -> ClientResult<FilledStub> {
        let entry = SecretEntry::new(name, value, description)?;
        let mut rng = rng::os_rng();
        let p = self.open_project(project).await?;
        let bidx = p.keys.blind_index(&entry.name)?;
        let askers: Vec<ServiceId> = self
            .api
            .stubs(project)
            .await?
            .stubs
            .into_iter()
            .filter(|s| s.blind_index == bidx)
            .map(|s| s.service)
            .collect();
        if askers.is_empty() {
            return Err(ClientError::NotFound(
                "no service asked for that name".into(),
            ));
        }
        let (secret, version) = p.keys.create_secret(&p.current, &entry, &mut rng)?;
        let key = SecretValueKey::unwrap(&p.current, &secret)?;
        let mut grants = Vec::new();
        let mut granted = Vec::new();
        for s in self.services_of(&p).await? {
            if askers.contains(&s.service)
                && !granted.contains(&s.service)
                && s.status == ServiceStatus::Approved
                && s.access == ServiceAccess::Secrets
                && Self::check_service(&p, &s.public).is_ok()
            {
                grants.push(p.keys.grant_secret(&key, &s.public, &mut rng)?);
                granted.push(s.service);
            }
        }
        let id = secret.secret;
        self.api
            .fill_stub(&wire::FillStubRequest {
                secret,
                version,
                grants,
            })
            .await?;
        Ok(FilledStub {
            secret: id,
            granted,
        })
    }
}
