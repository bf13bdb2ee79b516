//! Process tracking: the bounded pid → process table the normalize thread
//! enriches records from (`table`), and the /proc reader that seeds it and
//! resolves misses (`procfs`).

pub mod exe_hash;
pub mod exec_ids;
pub mod procfs;
pub mod table;
pub mod users;

pub use exe_hash::ExeHasher;
pub use exec_ids::{ExecIds, Origin};
pub use procfs::{read_process, seed};
pub use table::{ProcessInfo, ProcessTable, SharedStr};
pub use users::Users;
