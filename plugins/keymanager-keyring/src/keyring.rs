//! The KeyManager over a kernel keyring. Each key is a `user`-type key described
//! `spire-keymanager:<id>` whose payload is its PKCS#8 DER.

use std::fmt;
use std::sync::Arc;

use linux_keyutils::{KeyError, KeyPermissions, KeyRing, KeyType as KernelKeyType, Permission};
use spire_plugin::{Key, KeyManager, KeyManagerError, KeyType};
use spire_secret::SecretBytes;

use crate::config::{DEFAULT_PREFIX, KeyringConfig, KeyringType};
use crate::signer::Signer;

/// Upper bound on the links listed from one keyring.
const MAX_LINKS: usize = 4096;

/// Keys held in one kernel keyring; cheap to share behind an `Arc`.
pub struct KeyringKeyManager {
    kind: KeyringType,
    ring: KeyRing,
    prefix: String,
}

/// Whether the keyring syscalls work here: adds, reads back and removes a throwaway key in
/// the keyring of `kind`. `Err` says why not (e.g. seccomp or a kernel without keys).
pub fn probe(kind: KeyringType) -> Result<(), KeyManagerError> {
    let km = KeyringKeyManager::open(kind)?;
    let key = km
        .ring
        .add_key("spire-keymanager-probe", b"probe")
        .map_err(|e| km.error("add", e))?;
    restrict(&key).map_err(|e| km.error("setperm", e))?;
    let read = key.read_to_vec().map_err(|e| km.error("read", e));
    let _ = key.invalidate();
    read.map(|_| ())
}

impl KeyringKeyManager {
    /// Opens the keyring of `kind` with the default key prefix.
    pub fn open(kind: KeyringType) -> Result<Self, KeyManagerError> {
        Self::open_config(&KeyringConfig {
            keyring: kind,
            key_prefix: DEFAULT_PREFIX.to_owned(),
        })
    }

    /// Opens (creating if needed) the configured keyring for this process.
    pub fn open_config(config: &KeyringConfig) -> Result<Self, KeyManagerError> {
        let kind = config.keyring;
        // Never create a session keyring: creating one joins a new anonymous keyring in the
        // calling thread only, and the agent's other threads (which sign) would not possess
        // it. Without `create` a process lacking one uses the user-session keyring, which
        // every thread falls back to alike.
        let create = kind == KeyringType::Process;
        let ring = KeyRing::from_special_id(kind.identifier(), create).map_err(|e| {
            KeyManagerError::Store {
                path: format!("{kind} keyring"),
                message: format!("cannot open: {e:?}"),
            }
        })?;
        if kind == KeyringType::User {
            // Without pam_keyinit the user keyring is not reachable from the session keyring,
            // so this process does not possess it and may not add to it: link it in, as
            // pam_keyinit does at login.
            let session = KeyRing::from_special_id(KeyringType::Session.identifier(), false)
                .map_err(|e| KeyManagerError::Store {
                    path: "session keyring".into(),
                    message: format!("cannot open: {e:?}"),
                })?;
            session
                .link_keyring(ring)
                .map_err(|e| KeyManagerError::Store {
                    path: "user keyring".into(),
                    message: format!("cannot link into the session keyring: {e:?}"),
                })?;
        }
        Ok(Self {
            kind,
            ring,
            prefix: config.key_prefix.clone(),
        })
    }

    pub fn keyring_type(&self) -> KeyringType {
        self.kind
    }

    fn error(&self, op: &str, e: KeyError) -> KeyManagerError {
        KeyManagerError::Store {
            path: format!("{} keyring", self.kind),
            message: format!("{op}: {e:?}"),
        }
    }

    /// Our keys in the ring, as (id, kernel key).
    fn entries(&self) -> Result<Vec<(String, linux_keyutils::Key)>, KeyManagerError> {
        let links = self
            .ring
            .get_links(MAX_LINKS)
            .map_err(|e| self.error("list", e))?;
        let mut out = Vec::new();
        for node in links.iter() {
            let Some(key) = node.as_key() else { continue };
            // A key unlinked or revoked since the listing is simply skipped.
            let Ok(meta) = key.metadata() else { continue };
            if meta.get_type() != KernelKeyType::User {
                continue;
            }
            if let Some(id) = meta.get_description().strip_prefix(&self.prefix) {
                out.push((id.to_owned(), key));
            }
        }
        Ok(out)
    }

    fn load(&self, id: &str, key: linux_keyutils::Key) -> Result<Arc<dyn Key>, KeyManagerError> {
        let pkcs8 = SecretBytes::new(key.read_to_vec().map_err(|e| self.error("read", e))?);
        let parsed = Signer::from_pkcs8(pkcs8.expose_secret());
        drop(pkcs8);
        let (signer, key_type) = parsed.ok_or_else(|| KeyManagerError::Store {
            path: format!("{} keyring", self.kind),
            message: format!("key {id:?} holds no PKCS#8 EC or RSA key"),
        })?;
        let public_key_der = signer
            .public_key_der()
            .ok_or_else(|| KeyManagerError::Sign(id.to_owned()))?;
        Ok(Arc::new(KeyringKey {
            id: id.to_owned(),
            key_type,
            public_key_der,
            kind: self.kind,
            kernel_key: key,
        }))
    }
}

impl KeyManager for KeyringKeyManager {
    fn generate_key(&self, id: &str, key_type: KeyType) -> Result<Arc<dyn Key>, KeyManagerError> {
        if id.is_empty() {
            return Err(KeyManagerError::EmptyKeyId);
        }
        let pkcs8 = SecretBytes::new(
            Signer::generate_pkcs8(key_type).ok_or(KeyManagerError::Generate(key_type))?,
        );
        // add_key replaces a key of the same type and description in place.
        let added = self
            .ring
            .add_key(&format!("{}{id}", self.prefix), pkcs8.expose_secret());
        drop(pkcs8);
        let key = added.map_err(|e| self.error("add", e))?;
        restrict(&key).map_err(|e| self.error("setperm", e))?;
        self.load(id, key)
    }

    fn key(&self, id: &str) -> Result<Option<Arc<dyn Key>>, KeyManagerError> {
        match self.entries()?.into_iter().find(|(kid, _)| kid == id) {
            Some((kid, key)) => self.load(&kid, key).map(Some),
            None => Ok(None),
        }
    }

    fn keys(&self) -> Result<Vec<Arc<dyn Key>>, KeyManagerError> {
        self.entries()?
            .into_iter()
            .map(|(id, key)| self.load(&id, key))
            .collect()
    }
}

impl fmt::Debug for KeyringKeyManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringKeyManager")
            .field("type", &self.kind)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// A handle on a key in the keyring: the private key is read at each signature and dropped.
struct KeyringKey {
    id: String,
    key_type: KeyType,
    public_key_der: Vec<u8>,
    kind: KeyringType,
    kernel_key: linux_keyutils::Key,
}

impl Key for KeyringKey {
    fn id(&self) -> &str {
        &self.id
    }

    fn key_type(&self) -> KeyType {
        self.key_type
    }

    fn public_key_der(&self) -> &[u8] {
        &self.public_key_der
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyManagerError> {
        let failed = || KeyManagerError::Sign(self.id.clone());
        let pkcs8 = SecretBytes::new(self.kernel_key.read_to_vec().map_err(|_| failed())?);
        let parsed = Signer::from_pkcs8(pkcs8.expose_secret());
        drop(pkcs8);
        let (signer, _) = parsed.ok_or_else(failed)?;
        signer.sign(message).ok_or_else(failed)
    }
}

impl fmt::Debug for KeyringKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringKey")
            .field("id", &self.id)
            .field("key_type", &self.key_type)
            .field("keyring", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Only the possessor (the agent, through its process, session or linked user keyring) may
/// read, write or search the key; the owning uid outside that chain may only see that it
/// exists. Other uids get nothing.
fn restrict(key: &linux_keyutils::Key) -> Result<(), KeyError> {
    let mut perms = KeyPermissions::new();
    perms.set_posessor_perms(Permission::ALL);
    perms.set_user_perms(Permission::VIEW);
    key.set_perms(perms)
}

#[cfg(test)]
mod tests;
