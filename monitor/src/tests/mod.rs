//! Behaviour tests of the whole monitor over the fake IC.

mod delivery;
mod footprint;
mod polling;
mod property;
mod registry;
