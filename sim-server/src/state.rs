//! What every request handler shares: the instances, the uploaded blobs, the request activity the
//! idle TTL watches and the HTTP gateways started.

use crate::blobs::BlobStore;
use crate::instances::Instances;
use crate::lifecycle::IdleTracker;
use crate::live_gateways::LiveGateways;
use std::sync::Arc;

/// Everything the handlers share.
pub struct ServerState {
    /// The instances, by id.
    pub instances: Instances,
    /// Uploaded blobs.
    pub blobs: BlobStore,
    /// Request activity, for the idle TTL.
    pub idle: Arc<IdleTracker>,
    /// The HTTP gateway listeners `POST /http_gateway` started.
    pub gateways: LiveGateways,
}

impl ServerState {
    /// No instances and no blobs yet; activity reported to `idle`.
    pub fn new(idle: Arc<IdleTracker>) -> Arc<Self> {
        Arc::new(ServerState {
            instances: Default::default(),
            blobs: Default::default(),
            idle,
            gateways: Default::default(),
        })
    }
}
