//! The sandbox over HTTP on loopback: what it refuses, what it keeps and for how long, what it
//! logs, how it stops.

mod bounds;
mod dashboard;
mod duplicate_keys;
mod logs;
mod support;
