//! The `keys.json` layout SPIRE's disk KeyManager uses: `{"keys": {"<id>": "<base64 PKCS#8>"}}`
//! (Go marshals `map[string][]byte` as standard padded base64, keys sorted, tab-indented), so
//! a key file written by stock SPIRE opens here and the other way round.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::DiskKeyManagerError;
use crate::software_key::SoftwareKey;

/// Parses a key file's bytes into keys by id; `path` only names the file in errors.
pub(crate) fn decode(
    path: &Path,
    bytes: &[u8],
) -> Result<HashMap<String, Arc<SoftwareKey>>, DiskKeyManagerError> {
    let document: KeysDocument =
        serde_json::from_slice(bytes).map_err(|source| DiskKeyManagerError::Json {
            path: path.to_owned(),
            source,
        })?;
    let mut keys = HashMap::with_capacity(document.keys.len());
    for (id, encoded) in document.keys {
        let pkcs8 =
            STANDARD
                .decode(encoded.as_bytes())
                .map_err(|_| DiskKeyManagerError::KeyEncoding {
                    path: path.to_owned(),
                    id: id.clone(),
                })?;
        let key = SoftwareKey::from_pkcs8(&id, pkcs8).map_err(|reason| {
            DiskKeyManagerError::KeyParse {
                path: path.to_owned(),
                id: id.clone(),
                reason,
            }
        })?;
        keys.insert(id, Arc::new(key));
    }
    Ok(keys)
}

/// Serialises keys into SPIRE's layout, ids sorted so equal key sets give equal files.
pub(crate) fn encode<'a>(keys: impl Iterator<Item = &'a SoftwareKey>) -> Vec<u8> {
    let document = KeysDocument {
        keys: keys
            .map(|key| {
                use spire_plugin::Key;
                (key.id().to_owned(), STANDARD.encode(key.pkcs8()))
            })
            .collect(),
    };
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    document
        .serialize(&mut serializer)
        .expect("a map of strings always serialises to JSON in memory");
    out
}

#[derive(Serialize, Deserialize)]
struct KeysDocument {
    #[serde(default)]
    keys: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use spire_plugin::{Key, KeyType};

    #[test]
    fn encode_then_decode_keeps_ids_and_public_keys() {
        let a = SoftwareKey::generate("x509-CA-A", KeyType::EcP256).expect("keygen");
        let b = SoftwareKey::generate("JWT-Signer-A", KeyType::EcP384).expect("keygen");
        let bytes = encode([&a, &b].into_iter());
        let keys = decode(Path::new("keys.json"), &bytes).expect("decodes");
        assert_eq!(keys.len(), 2);
        assert_eq!(keys["x509-CA-A"].public_key_der(), a.public_key_der());
        assert_eq!(keys["JWT-Signer-A"].key_type(), KeyType::EcP384);
    }

    #[test]
    fn encoded_layout_matches_spire() {
        let a = SoftwareKey::generate("agent-svid-A", KeyType::EcP256).expect("keygen");
        let text = String::from_utf8(encode(std::iter::once(&a))).expect("utf-8");
        assert!(text.starts_with("{\n\t\"keys\": {\n\t\t\"agent-svid-A\": \""));
    }

    #[test]
    fn bad_json_error_names_the_file() {
        let err = decode(Path::new("/data/keys.json"), b"{not json").expect_err("bad json");
        assert!(err.to_string().contains("/data/keys.json"), "{err}");
    }

    #[test]
    fn bad_base64_error_names_file_and_key() {
        let err = decode(Path::new("/data/keys.json"), br#"{"keys":{"k1":"!!"}}"#)
            .expect_err("bad base64");
        let text = err.to_string();
        assert!(
            text.contains("/data/keys.json") && text.contains("k1"),
            "{text}"
        );
    }

    #[test]
    fn bad_key_error_names_file_and_key() {
        let err = decode(
            Path::new("/data/keys.json"),
            br#"{"keys":{"k2":"MAMCAQA="}}"#,
        )
        .expect_err("bad key");
        let text = err.to_string();
        assert!(
            text.contains("/data/keys.json") && text.contains("k2"),
            "{text}"
        );
    }

    #[test]
    fn empty_document_has_no_keys() {
        let keys = decode(Path::new("keys.json"), b"{}").expect("decodes");
        assert!(keys.is_empty());
    }
}
