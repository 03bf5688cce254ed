//! The server's life: the exclusively created port file, and shutdown after an idle TTL.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The port file this server owns; removed when dropped.
#[derive(Debug)]
pub struct PortFile {
    path: PathBuf,
    file: std::fs::File,
}

impl PortFile {
    /// Creates `path` exclusively. `Ok(None)` means it already exists: another server owns it.
    pub fn claim(path: &Path) -> std::io::Result<Option<PortFile>> {
        match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(file) => Ok(Some(PortFile {
                path: path.to_path_buf(),
                file,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes `<port>\n` in one write, so a reader never sees a partial line.
    pub fn publish(&mut self, port: u16) -> std::io::Result<()> {
        self.file.write_all(format!("{port}\n").as_bytes())?;
        self.file.flush()
    }
}

impl Drop for PortFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Tracks requests in flight and the time of the last one, to decide when the server is idle.
#[derive(Debug)]
pub struct IdleTracker {
    started: Instant,
    in_flight: AtomicUsize,
    last_activity_ms: AtomicU64,
}

impl IdleTracker {
    /// A tracker whose idle time starts now.
    pub fn new() -> Arc<Self> {
        Arc::new(IdleTracker {
            started: Instant::now(),
            in_flight: AtomicUsize::new(0),
            last_activity_ms: AtomicU64::new(0),
        })
    }

    /// Marks a request as started; the returned guard marks it finished when dropped.
    pub fn begin(self: &Arc<Self>) -> RequestGuard {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.touch();
        RequestGuard(self.clone())
    }

    fn touch(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        self.last_activity_ms.fetch_max(now, Ordering::SeqCst);
    }

    /// True when no request is in flight and none finished within `ttl`.
    pub fn is_idle_for(&self, ttl: Duration) -> bool {
        let now = self.started.elapsed().as_millis() as u64;
        self.in_flight.load(Ordering::SeqCst) == 0
            && now.saturating_sub(self.last_activity_ms.load(Ordering::SeqCst))
                >= ttl.as_millis() as u64
    }
}

/// Held while a request is served.
pub struct RequestGuard(Arc<IdleTracker>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_claim_of_a_port_file_yields_to_the_owner() {
        let dir = std::env::temp_dir().join(format!("ic-sim-portfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("port");
        let mut owner = PortFile::claim(&path)
            .unwrap()
            .expect("first claim owns it");
        owner.publish(4242).unwrap();
        assert!(PortFile::claim(&path).unwrap().is_none());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "4242\n");
        drop(owner);
        assert!(!path.exists(), "the owner removes its port file");
    }

    #[test]
    fn a_request_in_flight_keeps_the_server_busy() {
        let tracker = IdleTracker::new();
        let guard = tracker.begin();
        assert!(!tracker.is_idle_for(Duration::ZERO));
        drop(guard);
        assert!(tracker.is_idle_for(Duration::ZERO));
        assert!(!tracker.is_idle_for(Duration::from_secs(3600)));
    }
}
