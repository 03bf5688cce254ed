//! What the monitor shows over HTTP: Prometheus metrics and the status page, behind the page
//! setting.

pub(crate) mod http;
pub(crate) mod metrics;
pub(crate) mod pages;
