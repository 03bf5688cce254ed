//! Checking a signature under a DER-encoded public key of one of the schemes users sign requests
//! with (spec "Signatures"): Ed25519, ECDSA on secp256k1 and on P-256 (SHA-256, 64-byte `r·s`).

/// Verifies `signature` of `message` under `der_key`; the error says why not.
pub fn verify(der_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), String> {
    use k256::pkcs8::DecodePublicKey as _;
    use p256::ecdsa::signature::Verifier as _;
    if let Ok(key) = ic_ed25519::PublicKey::deserialize_rfc8410_der(der_key) {
        return key
            .verify_signature(message, signature)
            .map_err(|e| format!("the Ed25519 signature does not verify: {e:?}"));
    }
    if let Ok(key) = k256::ecdsa::VerifyingKey::from_public_key_der(der_key) {
        let signature = k256::ecdsa::Signature::from_slice(signature)
            .map_err(|_| "the ECDSA secp256k1 signature is not 64 bytes r·s".to_string())?;
        return key
            .verify(message, &signature)
            .map_err(|_| "the ECDSA secp256k1 signature does not verify".to_string());
    }
    if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(der_key) {
        let signature = p256::ecdsa::Signature::from_slice(signature)
            .map_err(|_| "the ECDSA P-256 signature is not 64 bytes r·s".to_string())?;
        return key
            .verify(message, &signature)
            .map_err(|_| "the ECDSA P-256 signature does not verify".to_string());
    }
    Err(format!(
        "the public key {} is not an Ed25519, ECDSA secp256k1 or ECDSA P-256 key (ic-sim does not check canister signatures)",
        hex::encode(der_key)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::pkcs8::EncodePublicKey as _;
    use p256::ecdsa::signature::Signer as _;

    #[test]
    fn ed25519_signatures() {
        let secret = ic_ed25519::PrivateKey::generate_from_seed(b"user");
        let der = secret.public_key().serialize_rfc8410_der();
        let signature = secret.sign_message(b"hello");
        assert_eq!(verify(&der, b"hello", &signature), Ok(()));
        assert!(verify(&der, b"hullo", &signature)
            .unwrap_err()
            .contains("Ed25519"));
    }

    #[test]
    fn secp256k1_signatures() {
        let secret = k256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let der = secret.verifying_key().to_public_key_der().unwrap();
        let signature: k256::ecdsa::Signature = secret.sign(b"hello");
        assert_eq!(
            verify(der.as_bytes(), b"hello", &signature.to_bytes()),
            Ok(())
        );
        assert!(verify(der.as_bytes(), b"hullo", &signature.to_bytes())
            .unwrap_err()
            .contains("secp256k1"));
    }

    #[test]
    fn p256_signatures() {
        let secret = p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
        let der = secret.verifying_key().to_public_key_der().unwrap();
        let signature: p256::ecdsa::Signature = secret.sign(b"hello");
        assert_eq!(
            verify(der.as_bytes(), b"hello", &signature.to_bytes()),
            Ok(())
        );
        assert!(verify(der.as_bytes(), b"hello", &[0u8; 64]).is_err());
    }

    #[test]
    fn unknown_keys_are_named() {
        assert!(verify(b"junk", b"m", b"s")
            .unwrap_err()
            .contains("6a756e6b"));
    }
}
