//! The server-wide blob store behind `POST /blobstore/`: large payloads uploaded once and
//! referenced by id (the hex SHA-256 of the uploaded bytes).

use crate::error::ApiError;
use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;

/// Uploaded blobs, stored decompressed.
#[derive(Default)]
pub struct BlobStore {
    blobs: Mutex<HashMap<Vec<u8>, Vec<u8>>>,
}

impl BlobStore {
    /// Stores `data` (gunzipped first when `gzipped`) and returns its id.
    pub fn put(&self, data: &[u8], gzipped: bool) -> Result<Vec<u8>, ApiError> {
        let id = Sha256::digest(data).to_vec();
        let content = if gzipped {
            let mut out = Vec::new();
            GzDecoder::new(data)
                .read_to_end(&mut out)
                .map_err(|e| ApiError::bad_request(format!("blob is not valid gzip: {e}")))?;
            out
        } else {
            data.to_vec()
        };
        self.blobs
            .lock()
            .expect("blob store lock")
            .insert(id.clone(), content);
        Ok(id)
    }

    /// The blob stored under `id`.
    pub fn get(&self, id: &[u8]) -> Result<Vec<u8>, ApiError> {
        self.blobs
            .lock()
            .expect("blob store lock")
            .get(id)
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("no blob with id {}", hex::encode(id))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    #[test]
    fn gzipped_blobs_are_stored_decompressed() {
        let store = BlobStore::default();
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(b"stable bytes").unwrap();
        let id = store.put(&encoder.finish().unwrap(), true).unwrap();
        assert_eq!(store.get(&id).unwrap(), b"stable bytes");
    }

    #[test]
    fn bad_gzip_and_unknown_ids_are_clear_errors() {
        let store = BlobStore::default();
        assert!(format!("{:?}", store.put(b"plain", true).unwrap_err()).contains("gzip"));
        assert!(format!("{:?}", store.get(b"nope").unwrap_err()).contains("no blob"));
    }
}
