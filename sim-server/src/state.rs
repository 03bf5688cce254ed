//! What every request handler shares: the instances, the uploaded blobs and the request
//! activity the idle TTL watches.

use crate::blobs::BlobStore;
use crate::instances::Instances;
use crate::lifecycle::IdleTracker;
use std::sync::Arc;

/// Everything the handlers share.
pub struct ServerState {
    /// The instances, by id.
    pub instances: Instances,
    /// Uploaded blobs.
    pub blobs: BlobStore,
    /// Request activity, for the idle TTL.
    pub idle: Arc<IdleTracker>,
}

impl ServerState {
    /// No instances and no blobs yet; activity reported to `idle`.
    pub fn new(idle: Arc<IdleTracker>) -> Arc<Self> {
        Arc::new(ServerState {
            instances: Default::default(),
            blobs: Default::default(),
            idle,
        })
    }
}
