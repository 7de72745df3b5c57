//! The `memory` KeyManager: keys exist only for the life of the process (SPIRE's `memory`
//! plugin; an agent using it must re-attest after a restart).

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use spire_plugin::{Key, KeyManager, KeyManagerError, KeyType};

use crate::software_key::SoftwareKey;

/// Holds keys in a map guarded by a lock; cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct MemoryKeyManager {
    keys: RwLock<HashMap<String, Arc<SoftwareKey>>>,
}

impl MemoryKeyManager {
    pub fn new() -> Self {
        Self::default()
    }
}

impl KeyManager for MemoryKeyManager {
    fn generate_key(&self, id: &str, key_type: KeyType) -> Result<Arc<dyn Key>, KeyManagerError> {
        let key = Arc::new(SoftwareKey::generate(id, key_type)?);
        // A poisoned lock only means another thread panicked mid-insert; the map itself is
        // always whole, so keep using it.
        self.keys
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned(), Arc::clone(&key));
        Ok(key)
    }

    fn key(&self, id: &str) -> Result<Option<Arc<dyn Key>>, KeyManagerError> {
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        Ok(keys.get(id).map(|k| Arc::clone(k) as Arc<dyn Key>))
    }

    fn keys(&self) -> Result<Vec<Arc<dyn Key>>, KeyManagerError> {
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        Ok(keys
            .values()
            .map(|k| Arc::clone(k) as Arc<dyn Key>)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_keymanager_passes_conformance_suite() {
        spire_plugin::conformance::run_keymanager_suite(&MemoryKeyManager::new());
    }
}
