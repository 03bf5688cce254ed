//! The HTTP gateway listeners `POST /http_gateway` started, by gateway id: each stops when asked
//! (`POST /http_gateway/<id>/stop`) or when its instance is deleted.

use pocket_ic::common::rest::InstanceId;
use std::sync::Mutex;
use tokio::sync::oneshot;

/// A running listener.
struct LiveGateway {
    /// The instance it serves.
    instance_id: InstanceId,
    /// Stops it when sent to (or dropped).
    stop: oneshot::Sender<()>,
}

/// All gateways ever started; stopped ones leave a hole so ids are never reused.
#[derive(Default)]
pub struct LiveGateways {
    slots: Mutex<Vec<Option<LiveGateway>>>,
}

impl LiveGateways {
    /// Records a listener serving `instance_id` that stops when `stop` is sent to; its id.
    pub fn add(&self, instance_id: InstanceId, stop: oneshot::Sender<()>) -> usize {
        let mut slots = self.slots.lock().expect("gateways lock");
        slots.push(Some(LiveGateway { instance_id, stop }));
        slots.len() - 1
    }

    /// Stops gateway `id`; false when there is no such running gateway.
    pub fn stop(&self, id: usize) -> bool {
        let gateway = self
            .slots
            .lock()
            .expect("gateways lock")
            .get_mut(id)
            .and_then(Option::take);
        gateway.map(|gateway| gateway.stop.send(())).is_some()
    }

    /// Stops every gateway serving `instance_id`.
    pub fn stop_instance(&self, instance_id: InstanceId) {
        for slot in self.slots.lock().expect("gateways lock").iter_mut() {
            if slot.as_ref().is_some_and(|g| g.instance_id == instance_id) {
                let _ = slot.take().map(|gateway| gateway.stop.send(()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopping_signals_the_listener_once_and_deleting_an_instance_stops_its_gateways() {
        let gateways = LiveGateways::default();
        let (first, mut first_stopped) = oneshot::channel();
        let (second, mut second_stopped) = oneshot::channel();
        let (other, mut other_stopped) = oneshot::channel();
        assert_eq!(gateways.add(0, first), 0);
        assert_eq!(gateways.add(1, second), 1);
        assert_eq!(gateways.add(0, other), 2);
        assert!(gateways.stop(0));
        assert!(first_stopped.try_recv().is_ok());
        assert!(!gateways.stop(0), "a stopped gateway is gone");
        assert!(!gateways.stop(7));
        gateways.stop_instance(0);
        assert!(other_stopped.try_recv().is_ok());
        assert!(
            second_stopped.try_recv().is_err(),
            "instance 1's gateway runs on"
        );
    }
}
