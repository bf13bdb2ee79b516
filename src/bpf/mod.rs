//! The kernel side as userspace sees it: the generated skeleton, the ABI
//! decoder and the loader.

pub mod abi;
pub mod filter;
pub mod links;
pub mod loader;
pub mod response;

#[allow(clippy::all, non_camel_case_types, non_snake_case, dead_code, unused_imports)]
pub mod skel {
    include!(concat!(env!("OUT_DIR"), "/sensor.skel.rs"));
}
