//! The chunk store: `upload_chunk`, `clear_chunk_store`, `stored_chunks`.

use super::{decode, reply, MgmtCall, MgmtResult};
use crate::error::{ErrorCode, UserError};
use crate::sim::Sim;
use crate::wasm::module_cache::sha256;
use ic_management_canister_types::{ChunkHash, UploadChunkArgs};

/// Largest chunk (1 MiB).
pub const MAX_CHUNK_BYTES: usize = 1024 * 1024;
/// Most chunks in a store.
pub const MAX_CHUNKS: usize = 100;

impl Sim {
    pub(super) fn upload_chunk(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let args: UploadChunkArgs = decode("upload_chunk", call.payload)?;
        self.controlled(args.canister_id, call.sender)?;
        if args.chunk.len() > MAX_CHUNK_BYTES {
            return Err(UserError::new(
                ErrorCode::InvalidManagementPayload,
                format!(
                    "Chunk of {} bytes exceeds the maximum of {MAX_CHUNK_BYTES} bytes",
                    args.chunk.len()
                ),
            ));
        }
        let c = self.canisters.get_mut(&args.canister_id).expect("checked");
        let hash = sha256(&args.chunk);
        if !c.chunks.contains_key(&hash) && c.chunks.len() >= MAX_CHUNKS {
            return Err(UserError::new(
                ErrorCode::InvalidManagementPayload,
                format!(
                    "The chunk store of canister {} is full ({MAX_CHUNKS} chunks)",
                    args.canister_id
                ),
            ));
        }
        c.chunks.insert(hash, args.chunk);
        reply(&ChunkHash {
            hash: hash.to_vec(),
        })
    }

    pub(super) fn clear_chunk_store(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let id = self.controlled_by_arg("clear_chunk_store", call)?.id;
        self.canisters.get_mut(&id).expect("checked").chunks.clear();
        reply(&())
    }

    pub(super) fn stored_chunks(&mut self, call: &mut MgmtCall<'_>) -> MgmtResult {
        let c = self.controlled_by_arg("stored_chunks", call)?;
        let hashes: Vec<ChunkHash> = c
            .chunks
            .keys()
            .map(|h| ChunkHash { hash: h.to_vec() })
            .collect();
        reply(&hashes)
    }
}
