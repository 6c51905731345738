//! Checking the RSA public key a device sends (`rsa_pubkey`).

use pkcs1::der::{Decode, Document};
use pkcs1::{ObjectIdentifier, RsaPublicKey};
use spki::SubjectPublicKeyInfoRef;

/// `rsaEncryption`, the algorithm of an RSA key in a SubjectPublicKeyInfo.
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Whether `pem` is an RSA public key in PEM: `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo)
/// or `-----BEGIN RSA PUBLIC KEY-----` (PKCS#1), with an odd modulus and an odd exponent of at
/// least 3. Keys of other algorithms are refused.
pub fn is_rsa_public_key(pem: &str) -> bool {
    let Ok((label, document)) = Document::from_pem(pem.trim()) else {
        return false;
    };
    let key = match label {
        "RSA PUBLIC KEY" => RsaPublicKey::from_der(document.as_bytes()).ok(),
        "PUBLIC KEY" => SubjectPublicKeyInfoRef::from_der(document.as_bytes())
            .ok()
            .filter(|info| info.algorithm.oid == RSA_ENCRYPTION)
            .and_then(|info| info.subject_public_key.as_bytes())
            .and_then(|bits| RsaPublicKey::from_der(bits).ok()),
        _ => None,
    };
    key.is_some_and(|k| plausible(k.modulus.as_bytes(), k.public_exponent.as_bytes()))
}

/// An odd modulus, and an odd exponent of at least 3 (big-endian, no leading zeros).
fn plausible(modulus: &[u8], exponent: &[u8]) -> bool {
    let odd = |n: &[u8]| n.last().is_some_and(|b| b & 1 == 1);
    let at_least_3 = exponent.len() > 1 || exponent.first().is_some_and(|b| *b >= 3);
    odd(modulus) && modulus.len() > 1 && odd(exponent) && at_least_3
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1024-bit RSA key (`openssl rsa -pubout`).
    const SPKI: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDIWgfcxLnGFX1icaQCeYYCD0Na
OsdbJtSVieCYDpE7IBpV93rmvoMwv0fmQxmLJUuSApYFdYwZAp26BlB6z79YwvR8
B9Dsvnmu8NRgpdqtxfBA0UOd63kToieLsNazgabZ34aUjhh7KZXafj+63ZxWm0ic
B0MBJQqKzojmt+P87QIDAQAB
-----END PUBLIC KEY-----
";

    #[test]
    fn accepts_spki_and_pkcs1_rsa_keys() {
        assert!(is_rsa_public_key(SPKI));
        assert!(is_rsa_public_key(&format!("  {SPKI}\n\n")));
        let pkcs1 = "-----BEGIN RSA PUBLIC KEY-----
MIGJAoGBAMhaB9zEucYVfWJxpAJ5hgIPQ1o6x1sm1JWJ4JgOkTsgGlX3eua+gzC/
R+ZDGYslS5IClgV1jBkCnboGUHrPv1jC9HwH0Oy+ea7w1GCl2q3F8EDRQ53reROi
J4uw1rOBptnfhpSOGHspldp+P7rdnFabSJwHQwElCorOiOa34/ztAgMBAAE=
-----END RSA PUBLIC KEY-----";
        assert!(is_rsa_public_key(pkcs1));
    }

    #[test]
    fn refuses_garbage_other_algorithms_and_private_keys() {
        assert!(!is_rsa_public_key(""));
        assert!(!is_rsa_public_key("bad"));
        assert!(!is_rsa_public_key(&SPKI.replace("MIGf", "MIGg")));
        let ec = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEjHkzW4UM0eDQ7ZuOh7GL4F1ZykF/
/B3j9VUjKdr6VwXJizzVv9YDwx/FRp4NZUF82dE4uJ7b03NFBvI9y3ABuQ==
-----END PUBLIC KEY-----";
        assert!(!is_rsa_public_key(ec));
        let wrong_label = SPKI.replace("PUBLIC KEY", "CERTIFICATE");
        assert!(!is_rsa_public_key(&wrong_label));
    }

    #[test]
    fn modulus_and_exponent_must_be_plausible() {
        assert!(plausible(&[0xC1, 0x01], &[1, 0, 1]));
        assert!(plausible(&[0xC1, 0x01], &[3]));
        assert!(!plausible(&[0xC1, 0x02], &[3]));
        assert!(!plausible(&[0xC1, 0x01], &[1]));
        assert!(!plausible(&[0xC1, 0x01], &[4]));
        assert!(!plausible(&[0x03], &[3]));
        assert!(!plausible(&[], &[3]));
    }
}
