//! Process tracking: the bounded pid → process table the normalize thread
//! enriches records from (`table`), and the /proc reader that seeds it and
//! resolves misses (`procfs`).

pub mod procfs;
pub mod table;

pub use procfs::{read_process, seed};
pub use table::{ProcessInfo, ProcessTable, SharedStr};
