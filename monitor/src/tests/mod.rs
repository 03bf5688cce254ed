//! Behaviour tests of the whole monitor over the fake IC, and its pinned stable layout.

mod backups;
mod delivery;
mod footprint;
mod layout;
mod polling;
mod property;
mod registry;
mod watching;
mod webhooks;
