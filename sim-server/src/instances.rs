//! The server's PocketIC instances: each an engine behind its own lock, so concurrent requests to
//! one instance are serialised while different instances run in parallel. Each also keeps the
//! calls it received through the HTTPS interface.

use crate::error::ApiError;
use crate::https::call_log::CallLog;
use ic_sim::Sim;
use pocket_ic::common::rest::InstanceId;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::task::JoinHandle;

/// One emulated IC and its optional background ticker.
pub struct Instance {
    sim: Arc<Mutex<Sim>>,
    progress: Mutex<Option<JoinHandle<()>>>,
    calls: Arc<Mutex<CallLog>>,
}

impl Instance {
    /// Wraps a fresh engine; its query calls get data certificates signed with the root key.
    pub fn new(mut sim: Sim) -> Arc<Self> {
        sim.set_data_certifier(crate::https::certify::data_certifier());
        Arc::new(Instance {
            sim: Arc::new(Mutex::new(sim)),
            progress: Mutex::new(None),
            calls: Default::default(),
        })
    }

    /// The calls received through the HTTPS interface.
    pub fn calls(&self) -> Arc<Mutex<CallLog>> {
        self.calls.clone()
    }

    /// Runs `f` on the engine on a blocking thread, after any request already running on it.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Sim) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let sim = self.sim.clone();
        tokio::task::spawn_blocking(move || {
            let mut sim = sim.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut sim)
        })
        .await
        .map_err(|e| ApiError::internal(format!("the instance failed handling the request: {e}")))
    }

    /// Starts ticking in the background. Each round moves time on by the real time elapsed since
    /// the previous one, as PocketIC's live mode does: time set ahead of the wall clock (`set_time`
    /// on a live instance, a test letting minutes pass at once) runs on from there.
    pub fn start_progress(self: &Arc<Self>, delay: Duration) {
        let mut progress = self.progress.lock().expect("progress lock");
        if progress.is_some() {
            return;
        }
        let instance = Arc::downgrade(self);
        *progress = Some(tokio::spawn(async move {
            let mut last_round = Instant::now();
            loop {
                tokio::time::sleep(delay).await;
                let Some(instance) = instance.upgrade() else {
                    return;
                };
                let now = Instant::now();
                let elapsed = now - last_round;
                last_round = now;
                let step = instance.run(move |sim| {
                    sim.advance_time(elapsed);
                    sim.tick();
                });
                if step.await.is_err() {
                    return;
                }
            }
        }));
    }

    /// Stops background ticking.
    pub fn stop_progress(&self) {
        if let Some(task) = self.progress.lock().expect("progress lock").take() {
            task.abort();
        }
    }

    /// Whether background ticking is on.
    pub fn is_progressing(&self) -> bool {
        self.progress.lock().expect("progress lock").is_some()
    }
}

/// Moves the instance's time up to the wall clock (never back): where a live instance starts.
pub fn follow_wall_clock(sim: &mut Sim) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    if now > sim.time_ns() {
        sim.set_time_ns(now);
    }
}

/// All instances ever created; deleted ones leave a hole so ids are never reused.
#[derive(Default)]
pub struct Instances {
    slots: Mutex<Vec<Option<Arc<Instance>>>>,
}

impl Instances {
    /// Adds an instance and returns its id.
    pub fn add(&self, instance: Arc<Instance>) -> InstanceId {
        let mut slots = self.slots.lock().expect("instances lock");
        slots.push(Some(instance));
        slots.len() - 1
    }

    /// The live instance with this id.
    pub fn get(&self, id: InstanceId) -> Result<Arc<Instance>, ApiError> {
        self.slots
            .lock()
            .expect("instances lock")
            .get(id)
            .cloned()
            .flatten()
            .ok_or_else(|| {
                ApiError::not_found(format!("instance {id} does not exist or was deleted"))
            })
    }

    /// Deletes an instance, stopping its ticker.
    pub fn delete(&self, id: InstanceId) -> Result<(), ApiError> {
        let instance = self
            .slots
            .lock()
            .expect("instances lock")
            .get_mut(id)
            .and_then(Option::take)
            .ok_or_else(|| {
                ApiError::not_found(format!("instance {id} does not exist or was deleted"))
            })?;
        instance.stop_progress();
        Ok(())
    }

    /// Each instance's state, as `GET /instances` reports it.
    pub fn states(&self) -> Vec<String> {
        self.slots
            .lock()
            .expect("instances lock")
            .iter()
            .map(|slot| {
                if slot.is_some() {
                    "Available"
                } else {
                    "Deleted"
                }
                .to_string()
            })
            .collect()
    }
}
