//! Owns `[ebpf]`: the ring buffer's size (the sensor cannot run with eBPF off).

use super::raw::RawEbpf;
use super::{defaults, ConfigError, Ctx};

/// `[ebpf]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ebpf {
    /// Ring buffer size in bytes: `ebpf.buffer_size` KiB rounded up to a
    /// power of two, 64 KiB ..= 1 GiB.
    pub ring_buffer_bytes: u32,
}

/// `kib` KiB in bytes, rounded up to a power of two. `kib` is already within
/// 64 KiB ..= 1 GiB, so the result fits in a `u32`.
pub(super) fn ring_buffer_bytes(kib: i64) -> u32 {
    let bytes = kib.unsigned_abs().saturating_mul(1024).next_power_of_two();
    u32::try_from(bytes).unwrap_or(1 << 30)
}

/// Checks `[ebpf]`.
pub(super) fn check_ebpf(ctx: &Ctx<'_>, raw: Option<RawEbpf>) -> Result<Ebpf, ConfigError> {
    let ebpf = raw.unwrap_or_default();
    if let Some(enabled) = &ebpf.enabled {
        if !enabled.get_ref() {
            return Err(ctx.invalid(
                enabled.span(),
                "ebpf.enabled",
                "rand-guard is an eBPF sensor; ebpf.enabled = false cannot run (remove the key or set it to true)",
            ));
        }
    }
    let kib = ctx.int_in(
        &ebpf.buffer_size,
        "ebpf.buffer_size",
        defaults::MIN_BUFFER_SIZE_KIB..=defaults::MAX_BUFFER_SIZE_KIB,
        defaults::BUFFER_SIZE_KIB,
        " (KiB, 64 KiB to 1 GiB)",
    )?;
    Ok(Ebpf { ring_buffer_bytes: ring_buffer_bytes(kib) })
}
