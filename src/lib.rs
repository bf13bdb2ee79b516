pub mod skel {
    include!(concat!(env!("OUT_DIR"), "/sensor.skel.rs"));
}
