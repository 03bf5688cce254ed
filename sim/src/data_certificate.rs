//! Data certificates (spec "Certified data"): what the target canister of a query call reads
//! with `ic0.data_certificate_copy`, a certificate of `/canister/<id>/certified_data` and
//! `/time`. The engine holds no keys: whoever serves the instance installs a [`DataCertifier`]
//! that signs them ([`crate::Sim::set_data_certifier`]); without one no certificate is present.

use candid::Principal;
use std::cell::OnceCell;
use std::sync::Arc;

/// What a data certificate certifies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertifiedData {
    /// The canister whose data it is.
    pub canister_id: Principal,
    /// The value last set with `ic0.certified_data_set` (empty after install).
    pub data: Vec<u8>,
    /// The instance's time, certified at `/time`.
    pub time_ns: u64,
}

/// Makes the certificate (CBOR, spec "Certification") of a canister's certified data.
pub type DataCertifier = Arc<dyn Fn(&CertifiedData) -> Vec<u8> + Send + Sync>;

/// The certificate of one query execution, made the first time the canister reads it (signing
/// is not free, and most queries never ask).
#[derive(Clone)]
pub struct DataCertificate {
    certifier: DataCertifier,
    subject: CertifiedData,
    bytes: OnceCell<Vec<u8>>,
}

impl DataCertificate {
    /// The certificate `certifier` will make of `subject`.
    pub(crate) fn new(certifier: DataCertifier, subject: CertifiedData) -> Self {
        DataCertificate {
            certifier,
            subject,
            bytes: OnceCell::new(),
        }
    }

    /// The certificate's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.bytes.get_or_init(|| (self.certifier)(&self.subject))
    }
}

impl std::fmt::Debug for DataCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataCertificate")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}
