//! The JSON messages of SPIRE's x509pop handshake (`pkg/common/plugin/x509pop`), byte for byte
//! compatible with Go's `encoding/json`: `[]byte` fields are standard padded base64 and an
//! absent signature scheme is `null`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Length of both the server's and the agent's nonce.
pub const NONCE_LEN: usize = 32;

/// The attestation payload: the DER certificate chain, leaf first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationData {
    #[serde(with = "b64_list")]
    pub certificates: Vec<Vec<u8>>,
}

/// The server's challenge; exactly one scheme is set, matching the leaf key type.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Challenge {
    #[serde(default)]
    pub rsa_signature: Option<NonceChallenge>,
    #[serde(default)]
    pub ecdsa_signature: Option<NonceChallenge>,
}

/// A challenge nonce (`RSASignatureChallenge` and `ECDSASignatureChallenge` in SPIRE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonceChallenge {
    #[serde(with = "b64")]
    pub nonce: Vec<u8>,
}

/// The agent's answer: its own nonce and a signature over SHA-256(challenge nonce || nonce).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Response {
    #[serde(default)]
    pub rsa_signature: Option<RsaSignatureResponse>,
    #[serde(default)]
    pub ecdsa_signature: Option<EcdsaSignatureResponse>,
}

/// RSA-PSS (SHA-256) signature of the combined nonces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsaSignatureResponse {
    #[serde(with = "b64")]
    pub nonce: Vec<u8>,
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
}

/// ECDSA signature of the combined nonces as big-endian `r` and `s` (Go's `big.Int.Bytes()`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcdsaSignatureResponse {
    #[serde(with = "b64")]
    pub nonce: Vec<u8>,
    #[serde(with = "b64")]
    pub r: Vec<u8>,
    #[serde(with = "b64")]
    pub s: Vec<u8>,
}

/// Go encodes a nil `[]byte` as `null` and decodes `null` as empty; both are accepted here.
mod b64 {
    use super::*;

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(Vec::new()),
            Some(text) => STANDARD.decode(text).map_err(serde::de::Error::custom),
        }
    }
}

mod b64_list {
    use super::*;

    pub fn serialize<S: Serializer>(list: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let encoded: Vec<String> = list.iter().map(|b| STANDARD.encode(b)).collect();
        encoded.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let texts = Option::<Vec<Option<String>>>::deserialize(d)?.unwrap_or_default();
        texts
            .into_iter()
            .map(|t| match t {
                None => Ok(Vec::new()),
                Some(text) => STANDARD.decode(text).map_err(serde::de::Error::custom),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_serializes_like_go_with_null_for_the_unused_scheme() {
        let challenge = Challenge {
            rsa_signature: None,
            ecdsa_signature: Some(NonceChallenge {
                nonce: vec![1, 2, 3],
            }),
        };
        assert_eq!(
            serde_json::to_string(&challenge).expect("serializing plain data cannot fail"),
            r#"{"rsa_signature":null,"ecdsa_signature":{"nonce":"AQID"}}"#
        );
    }

    #[test]
    fn attestation_data_reads_go_base64_certificates() {
        let data: AttestationData =
            serde_json::from_str(r#"{"certificates":["AQI=","Aw=="]}"#).expect("valid JSON");
        assert_eq!(data.certificates, vec![vec![1, 2], vec![3]]);
    }

    #[test]
    fn response_with_missing_scheme_fields_decodes_as_none() {
        let response: Response =
            serde_json::from_str(r#"{"ecdsa_signature":{"nonce":"AQ==","r":"Ag==","s":"Aw=="}}"#)
                .expect("valid JSON");
        assert_eq!(response.rsa_signature, None);
        let ecdsa = response.ecdsa_signature.expect("ecdsa scheme present");
        assert_eq!((ecdsa.nonce, ecdsa.r, ecdsa.s), (vec![1], vec![2], vec![3]));
    }

    #[test]
    fn invalid_base64_is_an_error() {
        let parsed = serde_json::from_str::<AttestationData>(r#"{"certificates":["!!"]}"#);
        assert!(parsed.is_err());
    }
}
