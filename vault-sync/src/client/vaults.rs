//! Vaults and sharing: create, list and find vaults; share, unshare,
//! rotate keys, list members. Listing works offline from the replica;
//! the rest needs the server.

use super::device::UnlockedDevice;
use super::error::{ClientError, ClientResult};
use super::items::normalize_id;
use super::replica::Contact;
use crate::api::{self, RotationMemberKeys};
use vault_core::sync::wire::MemberKey;
use vault_core::{AccountId, EncryptedItem, ItemId, Role, VaultId, VaultMeta, rng};

/// How often a rotation is retried when items changed under it.
const ROTATE_ATTEMPTS: usize = 3;

/// One vault as the list of vaults shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultSummary {
    /// The vault.
    pub vault: VaultId,
    /// Its name (decrypted), or a placeholder if its key is not open.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The user's role.
    pub role: Role,
    /// The newest key generation this device holds.
    pub key_version: u32,
    /// Live items (local edits applied).
    pub items: usize,
    /// Who shared it with the user (the sender of its newest grant), if
    /// it is not the user's own.
    pub shared_by: Option<AccountId>,
}

/// One member of a vault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberInfo {
    /// The member.
    pub account: AccountId,
    /// Its identifier, if the directory knows it.
    pub identifier: Option<String>,
    /// Its role.
    pub role: Role,
    /// The newest key generation it holds.
    pub key_version: u32,
    /// Its identity fingerprint, if its identity could be fetched.
    pub fingerprint: Option<String>,
    /// The user compared that fingerprint out of band.
    pub verified: bool,
    /// This is the user.
    pub you: bool,
}

impl UnlockedDevice {
    /// Creates a vault owned by the user (needs the server), then pulls so
    /// the replica holds it.
    pub async fn create_vault(&mut self, meta: &VaultMeta) -> ClientResult<VaultId> {
        let (_key, sealed, wrapped) = self.account.create_vault(meta, &mut rng::os_rng())?;
        let created = self
            .api
            .create_vault(&api::CreateVaultRequest {
                meta: sealed,
                key: wrapped,
            })
            .await?;
        self.reload_if_changed().await?;
        let mut report = super::sync::SyncReport::default();
        self.pull(&mut report).await?;
        Ok(created.vault)
    }

    /// The vaults this device holds, by name.
    pub fn vaults(&self) -> Vec<VaultSummary> {
        let mut out: Vec<VaultSummary> = self
            .engine
            .vaults()
            .map(|(vault, m)| {
                let meta = m.meta.as_ref().and_then(|meta| {
                    self.vault_key_at(vault, meta.key_version)
                        .ok()
                        .and_then(|k| k.open_meta(meta).ok())
                });
                let (name, description) = match meta {
                    Some(meta) => (meta.name, meta.description),
                    None => ("<locked vault>".to_owned(), String::new()),
                };
                let shared_by = m
                    .keys
                    .iter()
                    .filter_map(|k| match k {
                        MemberKey::Grant(g) => Some((g.key_version, g.sender)),
                        MemberKey::Wrapped(_) => None,
                    })
                    .max_by_key(|(v, _)| *v)
                    .map(|(_, s)| s)
                    .filter(|s| *s != self.info.account);
                VaultSummary {
                    vault,
                    name,
                    description,
                    role: m.role,
                    key_version: self.vault_key(vault).map_or(0, |k| k.key_version()),
                    items: self.engine.items(vault).count(),
                    shared_by,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then(a.vault.cmp(&b.vault))
        });
        out
    }

    /// Finds a vault by id (or id prefix) or by name (case-insensitive).
    pub fn find_vault(&self, query: &str) -> ClientResult<VaultId> {
        let vaults = self.vaults();
        let q = query.trim();
        if let Ok(id) = q.parse::<VaultId>()
            && vaults.iter().any(|v| v.vault == id)
        {
            return Ok(id);
        }
        let by_name: Vec<&VaultSummary> = vaults
            .iter()
            .filter(|v| v.name.eq_ignore_ascii_case(q))
            .collect();
        let matches: Vec<&VaultSummary> = if by_name.is_empty() && q.len() >= 4 {
            let n = normalize_id(q);
            vaults
                .iter()
                .filter(|v| normalize_id(&v.vault.to_string()).starts_with(&n))
                .collect()
        } else {
            by_name
        };
        match matches.as_slice() {
            [one] => Ok(one.vault),
            [] => Err(ClientError::NotFound(format!("no vault {q}"))),
            many => Err(ClientError::Ambiguous(format!(
                "{} vaults match {q}: use an id ({})",
                many.len(),
                many.iter()
                    .map(|v| v.vault.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// The vault new items go to by default: the user's own vault named
    /// "Personal", else the user's first own vault.
    pub fn default_vault(&self) -> Option<VaultId> {
        let own: Vec<VaultSummary> = self
            .vaults()
            .into_iter()
            .filter(|v| v.role == Role::Owner)
            .collect();
        own.iter()
            .find(|v| v.name == "Personal")
            .or_else(|| own.first())
            .map(|v| v.vault)
    }

    fn require_owner(&self, vault: VaultId) -> ClientResult<()> {
        match self.engine.membership(vault) {
            Some(m) if m.role == Role::Owner => Ok(()),
            Some(_) => Err(ClientError::Invalid(
                "only the vault's owner can change its members".into(),
            )),
            None => Err(ClientError::NotFound(format!("no vault {vault}"))),
        }
    }

    /// Grants for `recipient` of every key generation of `vault` this device
    /// holds (old ones too, so its queued edits under an old generation can
    /// still be re-sealed).
    fn grants_for(
        &self,
        vault: VaultId,
        recipient: &vault_core::PublicIdentity,
        role: Role,
    ) -> ClientResult<Vec<MemberKey>> {
        let mut rng = rng::os_rng();
        let keys = self
            .keys
            .get(&vault)
            .ok_or_else(|| ClientError::NotFound(format!("no key for vault {vault}")))?;
        keys.values()
            .map(|k| {
                Ok(MemberKey::Grant(
                    self.account.grant_vault(k, recipient, role, &mut rng)?,
                ))
            })
            .collect()
    }

    /// Shares `vault` with `contact` (from [`lookup_user`](Self::lookup_user);
    /// compare its fingerprint out of band first): the vault key is sealed to
    /// their identity with HPKE, signed with yours, and the server adds them
    /// as a member. Also changes an existing member's role.
    ///
    /// ```no_run
    /// use vault_core::Role;
    /// # async fn f(alice: &mut vault_sync::client::UnlockedDevice, vault: vault_core::VaultId) -> Result<(), vault_sync::client::ClientError> {
    /// let bob = alice.lookup_user("bob@example.com").await?;
    /// // Bob reads his out (`vault fingerprint`); they must match.
    /// println!("compare with Bob: {}", bob.fingerprint());
    /// let bob = alice.mark_verified(&bob).await?;
    /// alice.share(vault, &bob, Role::Editor).await?;
    /// // Later: remove him; the vault key is rotated.
    /// alice.unshare(vault, bob.account).await?;
    /// # Ok(()) }
    /// ```
    pub async fn share(
        &mut self,
        vault: VaultId,
        contact: &Contact,
        role: Role,
    ) -> ClientResult<()> {
        if role == Role::Owner {
            return Err(ClientError::Invalid(
                "a vault has one owner: share as editor or viewer".into(),
            ));
        }
        if contact.account == self.info.account {
            return Err(ClientError::Invalid("that is you".into()));
        }
        self.reload_if_changed().await?;
        self.require_owner(vault)?;
        // The identity must be the one pinned (lookup_user pinned it).
        let pinned = self.identity_of(contact.account).await?;
        if pinned != contact.identity {
            return Err(ClientError::IdentityChanged {
                account: contact
                    .identifier
                    .clone()
                    .unwrap_or_else(|| contact.account.to_string()),
            });
        }
        let keys = self.grants_for(vault, &contact.identity, role)?;
        self.api
            .put_member(
                vault,
                contact.account,
                &api::PutMemberRequest { role, keys },
            )
            .await
    }

    /// Shares `vault` with the user `identifier` after checking who they
    /// are: with `expected_fingerprint` (the digits they read out; spacing
    /// ignored) a different identity fails with
    /// [`ClientError::FingerprintMismatch`] before anything is sent, and a
    /// match marks them verified; without it the identity pinned on first
    /// sight is trusted (compare fingerprints yourself then). Returns the
    /// contact as shared with.
    pub async fn share_with(
        &mut self,
        vault: VaultId,
        identifier: &str,
        role: Role,
        expected_fingerprint: Option<&str>,
    ) -> ClientResult<Contact> {
        let mut contact = self.lookup_user(identifier).await?;
        if let Some(expected) = expected_fingerprint {
            contact = self.verify_fingerprint(&contact, expected).await?;
        }
        self.share(vault, &contact, role).await?;
        Ok(contact)
    }

    /// Ends `member`'s access to `vault`, then rotates the vault key so that
    /// what they may have kept cannot open anything written from now on
    /// (and the items are re-wrapped under the new key).
    pub async fn unshare(&mut self, vault: VaultId, member: AccountId) -> ClientResult<u32> {
        if member == self.info.account {
            return Err(ClientError::Invalid(
                "the owner cannot leave their own vault".into(),
            ));
        }
        self.reload_if_changed().await?;
        self.require_owner(vault)?;
        match self.api.remove_member(vault, member).await {
            Err(ClientError::Rejected { status: 404, .. }) => {
                return Err(ClientError::NotFound(format!(
                    "{member} is not a member of this vault"
                )));
            }
            other => other?,
        }
        self.rotate_vault_key(vault).await
    }

    /// Rotates `vault` to a new key generation: syncs first (so local edits
    /// land and every live item is known), re-wraps every live item key and
    /// the metadata under the new key, and hands the new key to every
    /// remaining member (grants for others, a wrap for the owner) in one
    /// atomic request. Retried if items changed meanwhile. Returns the new
    /// generation.
    pub async fn rotate_vault_key(&mut self, vault: VaultId) -> ClientResult<u32> {
        self.require_owner(vault)?;
        let mut last = None;
        for _ in 0..ROTATE_ATTEMPTS {
            self.sync().await?;
            match self.try_rotate(vault).await {
                Ok(v) => {
                    let mut report = super::sync::SyncReport::default();
                    self.pull(&mut report).await?;
                    // Emergency grants of the old key would release nothing.
                    self.after_rotation(vault).await;
                    return Ok(v);
                }
                Err(ClientError::Rejected {
                    status: 409,
                    code: code @ crate::api::ErrorCode::Conflict,
                    message,
                    retry_after,
                }) => {
                    last = Some(ClientError::Rejected {
                        status: 409,
                        code,
                        message,
                        retry_after,
                    });
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| ClientError::Invalid("rotation failed".into())))
    }

    async fn try_rotate(&mut self, vault: VaultId) -> ClientResult<u32> {
        let mut rng = rng::os_rng();
        let membership = self
            .engine
            .membership(vault)
            .ok_or_else(|| ClientError::NotFound(format!("no vault {vault}")))?;
        let meta = membership
            .meta
            .clone()
            .ok_or_else(|| ClientError::Protocol("the vault has no metadata".into()))?;
        let own_keys: Vec<MemberKey> = membership
            .keys
            .iter()
            .filter(|k| matches!(k, MemberKey::Wrapped(w) if w.account == self.info.account))
            .cloned()
            .collect();
        let old = self.vault_key(vault)?.clone();
        if meta.key_version != old.key_version() {
            return Err(ClientError::Protocol(
                "the vault's metadata is not under its newest key".into(),
            ));
        }
        // Every item live on the server, at its server revision.
        let mut ids: Vec<ItemId> = self.engine.items(vault).map(|i| i.item).collect();
        ids.extend(
            self.engine
                .pending_edits()
                .filter(|(v, _, _)| *v == vault)
                .map(|(_, i, _)| i),
        );
        ids.sort_unstable();
        ids.dedup();
        let mut live: Vec<EncryptedItem> = Vec::new();
        for id in ids {
            if let Some(state) = self.engine.server_item(vault, id)
                && let Some(item) = state.live()
            {
                if item.key_version != old.key_version() {
                    return Err(ClientError::Protocol(
                        "an item is under an older key generation".into(),
                    ));
                }
                live.push(item.clone());
            }
        }
        let (next, meta, items) = old.rotate(&meta, &live, &mut rng)?;
        let members = self.api.members(vault).await?.members;
        let mut rotation = Vec::with_capacity(members.len());
        for m in &members {
            let keys = if m.account == self.info.account {
                let mut k = own_keys.clone();
                k.push(MemberKey::Wrapped(
                    self.account.wrap_vault_key(&next, &mut rng)?,
                ));
                k
            } else {
                let identity = self.identity_of(m.account).await?;
                let mut k = self.grants_for(vault, &identity, m.role)?;
                k.push(MemberKey::Grant(
                    self.account
                        .grant_vault(&next, &identity, m.role, &mut rng)?,
                ));
                k
            };
            rotation.push(RotationMemberKeys {
                account: m.account,
                keys,
            });
        }
        self.api
            .rotate(
                vault,
                &api::RotateRequest {
                    meta,
                    items,
                    members: rotation,
                },
            )
            .await?;
        Ok(next.key_version())
    }

    /// The vault's members (all of them for its owner; only yourself for
    /// other members, as the server answers), with identifiers and
    /// fingerprints from the directory (pinned on first sight).
    pub async fn members(&self, vault: VaultId) -> ClientResult<Vec<MemberInfo>> {
        let body = self.api.members(vault).await?;
        let mut out = Vec::with_capacity(body.members.len());
        for m in body.members {
            let you = m.account == self.info.account;
            let (identifier, fingerprint, verified) = if you {
                (
                    Some(self.info.identifier.clone()),
                    Some(self.fingerprint()),
                    true,
                )
            } else {
                match self.identity_of(m.account).await {
                    Ok(identity) => {
                        let c = self.replica.contact(m.account).await?;
                        (
                            c.as_ref().and_then(|c| c.identifier.clone()),
                            Some(identity.fingerprint()),
                            c.is_some_and(|c| c.verified),
                        )
                    }
                    Err(e @ ClientError::IdentityChanged { .. }) => return Err(e),
                    Err(_) => (None, None, false),
                }
            };
            out.push(MemberInfo {
                account: m.account,
                identifier,
                role: m.role,
                key_version: m.key_version,
                fingerprint,
                verified,
                you,
            });
        }
        Ok(out)
    }
}
