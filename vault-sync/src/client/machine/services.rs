//! Service identities: tokens, approval, denial, allowlists, revocation
//! and the rotation it triggers.

use super::*;

impl UnlockedDevice {
    /// The project's service identities, with fingerprints computed here.
    pub async fn services(&mut self, project: VaultId) -> ClientResult<Vec<ServiceInfo>> {
        let p = self.open_project(project).await?;
        self.services_of(&p).await
    }

    pub(super) async fn services_of(&self, p: &Opened) -> ClientResult<Vec<ServiceInfo>> {
        let pinned = p.public().ed25519;
        let body = self.api.services(p.project).await?;
        body.services
            .into_iter()
            .map(|s| {
                if s.service.project != p.project {
                    return Err(ClientError::Protocol(
                        "a service names another project".into(),
                    ));
                }
                Ok(service_info(s, &pinned))
            })
            .collect()
    }

    /// The grants that give `to` the access `spec` asks for: the index
    /// grant, then a grant of the vault key's current generation or one
    /// per named secret (each found by name and checked).
    pub(super) async fn build_grants(
        &mut self,
        p: &Opened,
        to: &ServicePublic,
        spec: &AccessSpec,
    ) -> ClientResult<Vec<ServiceGrant>> {
        let mut rng = rng::os_rng();
        let mut grants = vec![p.keys.grant_index(to, &mut rng)?];
        match spec {
            AccessSpec::WholeProject => {
                grants.push(p.keys.grant_project(&p.current, to, &mut rng)?);
            }
            AccessSpec::Secrets(names) => {
                let mut seen: Vec<SecretId> = Vec::with_capacity(names.len());
                for n in names {
                    let name = SecretName::new(n)?;
                    let open = self.find_secret(p, &name).await?.ok_or_else(|| {
                        ClientError::NotFound("a secret to grant does not exist".into())
                    })?;
                    if !seen.contains(&open.row.secret.secret) {
                        seen.push(open.row.secret.secret);
                        grants.push(p.keys.grant_secret(&open.key, to, &mut rng)?);
                    }
                }
            }
        }
        Ok(grants)
    }

    /// Refuses a service whose public half does not belong to the project
    /// or that pinned another project key (it would trust grants signed by
    /// whoever made that key).
    pub(super) fn check_service(p: &Opened, s: &ServicePublic) -> ClientResult<()> {
        if s.project != p.project {
            return Err(ClientError::Protocol(
                "the service belongs to another project".into(),
            ));
        }
        s.verify()?;
        if s.project_signing_key != p.public().ed25519 {
            return Err(ClientError::Invalid(
                "the service pinned another project key: it was given a wrong project reference; \
                 have it register again with this project's vpr1 reference"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Issues a service token (for CI): the token is generated here,
    /// pinned to the project's signing key, and approved at once with the
    /// grants for `access`; the server sees only its public half. `expires`
    /// counts from now. Show the returned token once.
    pub async fn issue_service_token(
        &mut self,
        project: VaultId,
        name: &str,
        access: &AccessSpec,
        expires: Option<Duration>,
    ) -> ClientResult<IssuedToken> {
        let p = self.open_project(project).await?;
        let token = ServiceToken::generate(project, p.public().ed25519, &mut rng::os_rng());
        let public = token.public();
        let grants = self.build_grants(&p, &public, access).await?;
        let expires_at_ms = match expires {
            Some(d) => Some(
                self.options.clock.now_ms().saturating_add(
                    i64::try_from(d.as_millis())
                        .map_err(|_| ClientError::Invalid("expiry too far away".into()))?,
                ),
            ),
            None => None,
        };
        self.api
            .issue_service(
                project,
                &wire::IssueServiceRequest {
                    service: public.clone(),
                    name: name.to_owned(),
                    access: access.wire(),
                    grants,
                    expires_at_ms,
                },
            )
            .await?;
        Ok(IssuedToken {
            service: public.service,
            token: token.to_text(),
            fingerprint: public.fingerprint(),
        })
    }

    /// Approves a service that registered itself (or widens an approved
    /// one's access): with `expected_fingerprint` (the digits the service
    /// printed; spacing ignored) a different key fails with
    /// [`ClientError::FingerprintMismatch`] before anything is sent; a
    /// service that pinned another project key is refused. The grants are
    /// sealed to the service's key here.
    pub async fn approve_service(
        &mut self,
        project: VaultId,
        service: ServiceId,
        expected_fingerprint: Option<&str>,
        access: &AccessSpec,
    ) -> ClientResult<()> {
        let p = self.open_project(project).await?;
        let s = self
            .services_of(&p)
            .await?
            .into_iter()
            .find(|s| s.service == service)
            .ok_or_else(|| ClientError::NotFound(format!("no service {service}")))?;
        if let Some(expected) = expected_fingerprint
            && !s.public.fingerprint_matches(expected)
        {
            return Err(ClientError::FingerprintMismatch {
                expected: expected.to_owned(),
                actual: s.fingerprint,
            });
        }
        Self::check_service(&p, &s.public)?;
        let grants = self.build_grants(&p, &s.public, access).await?;
        self.api
            .approve_service(
                project,
                service,
                &wire::ApproveServiceRequest {
                    access: access.wire(),
                    grants,
                },
            )
            .await
    }

    /// Denies a pending service.
    pub async fn deny_service(&self, project: VaultId, service: ServiceId) -> ClientResult<()> {
        self.api.deny_service(project, service).await
    }

    /// Replaces a service's address allowlist; returns it normalised.
    pub async fn set_service_allowlist(
        &self,
        project: VaultId,
        service: ServiceId,
        cidrs: &[String],
    ) -> ClientResult<Vec<String>> {
        Ok(self
            .api
            .set_service_allowlist(project, service, cidrs)
            .await?
            .cidrs)
    }

    /// Revokes a service, then rotates what it could read: each secret it
    /// held gets a new key generation (every version re-sealed) and the
    /// services that still hold grants on it get new ones. After a
    /// whole-project service the vault key rotates first (the project's
    /// owner only) and every secret follows; the project keys are sealed
    /// again under the new vault key and the remaining whole-project
    /// services get a grant of it. If the rotation is interrupted, run
    /// [`rotate_pending_secrets`](Self::rotate_pending_secrets).
    pub async fn revoke_service(
        &mut self,
        project: VaultId,
        service: ServiceId,
    ) -> ClientResult<RevokeReport> {
        let p = self.open_project(project).await?;
        let s = self
            .services_of(&p)
            .await?
            .into_iter()
            .find(|s| s.service == service)
            .ok_or_else(|| ClientError::NotFound(format!("no service {service}")))?;
        let whole = s.access == ServiceAccess::Project;
        // Refuse before revoking what could not be rotated afterwards.
        let owner = self
            .engine
            .membership(project)
            .is_some_and(|m| m.role == Role::Owner);
        if whole && !owner {
            return Err(ClientError::Invalid(
                "only the project's owner can revoke a whole-project service (its vault key must rotate)"
                    .into(),
            ));
        }
        let revoked = self.api.revoke_service(project, service).await?;
        let vault_key_version = if whole {
            Some(self.rotate_vault_key(project).await?)
        } else {
            None
        };
        let rotation = self.rotate_secrets_of(project, &revoked.rotate).await?;
        Ok(RevokeReport {
            vault_key_version,
            rotation,
        })
    }

    /// Rotates every secret whose key awaits rotation (after a revocation
    /// whose rotation did not finish, or after the vault key rotated), and
    /// re-grants the services that keep access.
    pub async fn rotate_pending_secrets(
        &mut self,
        project: VaultId,
    ) -> ClientResult<RotationReport> {
        self.rotate_secrets_of(project, &[]).await
    }

    pub(super) async fn rotate_secrets_of(
        &mut self,
        project: VaultId,
        also: &[SecretId],
    ) -> ClientResult<RotationReport> {
        let mut rng = rng::os_rng();
        let p = self.open_project(project).await?;
        let kv = p.current.key_version();
        let all = self.open_all(&p).await?;
        let due: Vec<Open> = all
            .into_iter()
            .filter(|o| {
                o.row.rotate_pending
                    || also.contains(&o.row.secret.secret)
                    || o.row.secret.key_version != kv
            })
            .collect();
        let reseal = p.body.keys.key_version != kv;

        // Who keeps access, and to what: whole-project services need a
        // grant of the current vault key generation; secret services a
        // grant of each rotated secret they held (their grants checked
        // against the project key, so a server cannot make us grant more).
        let old_generation: BTreeMap<SecretId, u32> = due
            .iter()
            .map(|o| (o.row.secret.secret, o.row.secret.secret_key_version))
            .collect();
        let mut project_grants: Vec<ServiceGrant> = Vec::new();
        let mut holders: BTreeMap<SecretId, Vec<ServicePublic>> = BTreeMap::new();
        let mut regranted: Vec<ServiceId> = Vec::new();
        for s in self.services_of(&p).await? {
            if s.status != ServiceStatus::Approved
                || !s.pins_project_key
                || !matches!(s.access, ServiceAccess::Project | ServiceAccess::Secrets)
            {
                continue;
            }
            let grants = self.api.service_grants(project, s.service).await?.grants;
            let genuine: Vec<ServiceGrant> = grants
                .into_iter()
                .filter(|g| {
                    g.project == project
                        && g.service == s.service
                        && g.verify(&p.public().ed25519).is_ok()
                })
                .collect();
            match s.access {
                ServiceAccess::Project => {
                    let has_current = genuine
                        .iter()
                        .any(|g| g.scope == GrantScope::Project { key_version: kv });
                    if !has_current {
                        project_grants.push(p.keys.grant_project(&p.current, &s.public, &mut rng)?);
                        regranted.push(s.service);
                    }
                }
                _ => {
                    for g in genuine {
                        if let GrantScope::Secret {
                            secret,
                            secret_key_version,
                        } = g.scope
                            && old_generation.get(&secret) == Some(&secret_key_version)
                        {
                            holders.entry(secret).or_default().push(s.public.clone());
                            if !regranted.contains(&s.service) {
                                regranted.push(s.service);
                            }
                        }
                    }
                }
            }
        }

        let mut report = RotationReport {
            rotated: Vec::with_capacity(due.len()),
            regranted,
            project_keys_resealed: reseal,
        };
        let mut batch = wire::SecretsRotationRequest {
            grants: project_grants,
            project_keys: if reseal {
                Some(p.keys.seal(&p.current, &mut rng)?)
            } else {
                None
            },
            ..Default::default()
        };
        let mut batch_bytes = 0usize;
        for open in &due {
            let id = open.row.secret.secret;
            let versions: Vec<EncryptedSecretVersion> = self
                .api
                .secret_versions(project, id)
                .await?
                .versions
                .into_iter()
                .map(|v| v.version)
                .collect();
            let old = self.vault_key_at(project, open.row.secret.key_version)?;
            let (next, record, resealed): (SecretValueKey, EncryptedSecret, _) = p
                .keys
                .rotate_secret(old, &p.current, &open.row.secret, &versions, &mut rng)?;
            let size = resealed.iter().map(json_len).sum::<usize>();
            if batch_bytes > 0 && batch_bytes.saturating_add(size) > ROTATION_BATCH_BYTES {
                self.api
                    .rotate_project_secrets(project, &core::mem::take(&mut batch))
                    .await?;
                batch_bytes = 0;
            }
            for to in holders.get(&id).map(Vec::as_slice).unwrap_or_default() {
                batch.grants.push(p.keys.grant_secret(&next, to, &mut rng)?);
            }
            batch.secrets.push(record);
            batch.versions.extend(resealed);
            batch_bytes = batch_bytes.saturating_add(size);
            report.rotated.push(id);
        }
        if !batch.secrets.is_empty() || !batch.grants.is_empty() || batch.project_keys.is_some() {
            self.api.rotate_project_secrets(project, &batch).await?;
        }
        Ok(report)
    }
}
