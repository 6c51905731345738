//! Per-event Ed25519 keys for pretix's `pretix_sig1` ticket signature scheme.

use base64ct::{Base64, Encoding};
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signer, SigningKey};
use rand::rngs::OsRng;

/// An event's signing key pair as stored: the private key as PKCS#8 PEM (never shown), the
/// public key as pretix publishes it in `valid_keys.pretix_sig1`: base64 of the PEM
/// SubjectPublicKeyInfo.
#[derive(Clone, PartialEq, Eq)]
pub struct EventKeys {
    pub private_pem: String,
    pub public_b64: String,
}

impl std::fmt::Debug for EventKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventKeys")
            .field("public_b64", &self.public_b64)
            .finish_non_exhaustive()
    }
}

/// Key encoding failed (should not happen for freshly generated keys).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("signing key error: {0}")]
pub struct KeyError(String);

impl EventKeys {
    /// A fresh key pair from the operating system's randomness.
    pub fn generate() -> Result<Self, KeyError> {
        let key = SigningKey::generate(&mut OsRng);
        let private_pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KeyError(e.to_string()))?
            .to_string();
        let public_pem = key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| KeyError(e.to_string()))?;
        Ok(EventKeys {
            private_pem,
            public_b64: Base64::encode_string(public_pem.as_bytes()),
        })
    }

    /// Signs `message` with the private key (what ticket secrets are signed with).
    pub fn sign(&self, message: &[u8]) -> Result<[u8; 64], KeyError> {
        let key =
            SigningKey::from_pkcs8_pem(&self.private_pem).map_err(|e| KeyError(e.to_string()))?;
        Ok(key.sign(message).to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::pkcs8::DecodePublicKey;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};

    #[test]
    fn published_key_verifies_signatures_of_the_private_key() {
        let keys = EventKeys::generate().unwrap();
        let pem = String::from_utf8(Base64::decode_vec(&keys.public_b64).unwrap()).unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
        let public = VerifyingKey::from_public_key_pem(&pem).unwrap();
        let signature = Signature::from_bytes(&keys.sign(b"ticket").unwrap());
        assert!(public.verify(b"ticket", &signature).is_ok());
        assert!(public.verify(b"other", &signature).is_err());
        assert_ne!(keys, EventKeys::generate().unwrap());
    }
}
