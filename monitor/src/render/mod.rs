//! What the monitor shows over HTTP: Prometheus metrics and the status page, behind the page
//! setting (webhook channels in their own module).

pub(crate) mod http;
pub(crate) mod metrics;
pub(crate) mod pages;
pub(crate) mod webhooks;
