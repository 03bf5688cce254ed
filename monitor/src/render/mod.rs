//! What the monitor shows over HTTP: Prometheus metrics and the status page.

pub(crate) mod http;
pub(crate) mod metrics;
