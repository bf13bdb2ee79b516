//! Owns the `process_io_uring` body and the io_uring names records carry:
//! the setup flags of a ring and the opcodes of the requests reported as
//! file and network records (`syscall: "io_uring"`).

use super::json::ObjectWriter;

/// An io_uring instance a process created (io_uring_setup succeeded).
#[derive(Clone, Debug, PartialEq)]
pub struct IoUring {
    /// The ring's fd; None for a ring set up with
    /// IORING_SETUP_REGISTERED_FD_ONLY, which has no fd (only a registered
    /// index).
    pub fd: Option<i32>,
    pub sq_entries: u32,
    pub cq_entries: u32,
    /// IORING_SETUP_* bits.
    pub flags: u32,
}

/// What a file or network record made through a ring adds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UringReq {
    /// The opcode's name (`IORING_OP_OPENAT`...).
    pub op: &'static str,
    /// Why `fd` is null: `registered_file` (the request named a file
    /// registered with the ring, or put the file it opened there: such a
    /// file has no fd), `not_kept` (lost between submission and completion,
    /// counted in `kernel_stash_drops`). None when `fd` is known.
    pub fd_unknown: Option<&'static str>,
    /// The record was made when the request was submitted, before it ran:
    /// it asked for no completion on success (IOSQE_CQE_SKIP_SUCCESS), so
    /// whether it succeeded is not known.
    pub result_unknown: bool,
}

/// The `fd_unknown` values, by the ABI bit that carries them (`enum rg_uring_fd`).
pub const FD_UNKNOWN: [(u16, &str); 2] = [(0x8000, "registered_file"), (0x4000, "not_kept")];

/// The ABI bit that marks a record sent at submission (`enum rg_uring_req`).
pub const RESULT_UNKNOWN_BIT: u16 = 0x2000;

/// IORING_SETUP_REGISTERED_FD_ONLY (include/uapi/linux/io_uring.h).
pub const IORING_SETUP_REGISTERED_FD_ONLY: u32 = 1 << 15;

/// The IORING_SETUP_* flags (include/uapi/linux/io_uring.h), by bit.
pub const IO_URING_SETUP_FLAGS: [(u32, &str); 19] = [
    (1 << 0, "IORING_SETUP_IOPOLL"),
    (1 << 1, "IORING_SETUP_SQPOLL"),
    (1 << 2, "IORING_SETUP_SQ_AFF"),
    (1 << 3, "IORING_SETUP_CQSIZE"),
    (1 << 4, "IORING_SETUP_CLAMP"),
    (1 << 5, "IORING_SETUP_ATTACH_WQ"),
    (1 << 6, "IORING_SETUP_R_DISABLED"),
    (1 << 7, "IORING_SETUP_SUBMIT_ALL"),
    (1 << 8, "IORING_SETUP_COOP_TASKRUN"),
    (1 << 9, "IORING_SETUP_TASKRUN_FLAG"),
    (1 << 10, "IORING_SETUP_SQE128"),
    (1 << 11, "IORING_SETUP_CQE32"),
    (1 << 12, "IORING_SETUP_SINGLE_ISSUER"),
    (1 << 13, "IORING_SETUP_DEFER_TASKRUN"),
    (1 << 14, "IORING_SETUP_NO_MMAP"),
    (IORING_SETUP_REGISTERED_FD_ONLY, "IORING_SETUP_REGISTERED_FD_ONLY"),
    (1 << 16, "IORING_SETUP_NO_SQARRAY"),
    (1 << 17, "IORING_SETUP_HYBRID_IOPOLL"),
    (1 << 18, "IORING_SETUP_CQE_MIXED"),
];

/// The opcodes whose requests are reported, as the kernel numbers them
/// (enum io_uring_op); any other is never sent.
pub const IO_URING_OPS: [(u16, &str); 11] = [
    (2, "IORING_OP_WRITEV"),
    (5, "IORING_OP_WRITE_FIXED"),
    (16, "IORING_OP_CONNECT"),
    (18, "IORING_OP_OPENAT"),
    (23, "IORING_OP_WRITE"),
    (28, "IORING_OP_OPENAT2"),
    (IORING_OP_RENAMEAT, "IORING_OP_RENAMEAT"),
    (36, "IORING_OP_UNLINKAT"),
    (IORING_OP_SYMLINKAT, "IORING_OP_SYMLINKAT"),
    (IORING_OP_LINKAT, "IORING_OP_LINKAT"),
    (61, "IORING_OP_WRITEV_FIXED"),
];

/// The opcodes whose records normalization reads differently from the
/// syscalls' (a rename's flags, which side of a link is a symlink's content).
pub const IORING_OP_RENAMEAT: u16 = 35;
pub const IORING_OP_SYMLINKAT: u16 = 38;
pub const IORING_OP_LINKAT: u16 = 39;

/// The name of opcode `op`, if records name it.
pub fn io_uring_op_name(op: u16) -> Option<&'static str> {
    super::name_of(&IO_URING_OPS, op)
}

/// The names of the setup flags in `flags`; an unknown bit (a newer
/// kernel's) as its hex value, so no bit is silently dropped.
pub fn setup_flag_names(flags: u32) -> Vec<String> {
    (0..32)
        .map(|b| 1u32 << b)
        .filter(|bit| flags & bit != 0)
        .map(|bit| match super::name_of(&IO_URING_SETUP_FLAGS, bit) {
            Some(n) => n.to_string(),
            None => format!("{bit:#x}"),
        })
        .collect()
}

/// The bits `names` stand for (the inverse of `setup_flag_names`); None
/// for a name that is neither a flag nor a hex bit.
pub fn setup_flags_from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<u32> {
    names.into_iter().try_fold(0u32, |acc, n| {
        let bit = super::code_of(&IO_URING_SETUP_FLAGS, n)
            .or_else(|| n.strip_prefix("0x").and_then(|h| u32::from_str_radix(h, 16).ok()))?;
        Some(acc | bit)
    })
}

/// A file or network record's `fd`: null for -1, a registered file.
pub(super) fn write_fd(w: &mut ObjectWriter<'_>, fd: i32) {
    if fd < 0 {
        w.null("fd");
    } else {
        w.i64("fd", fd.into());
    }
}

/// `io_uring_op` and `fd_unknown`, on records of requests made through a ring only.
pub(super) fn write_op(w: &mut ObjectWriter<'_>, req: Option<&UringReq>) {
    if let Some(r) = req {
        w.lit("io_uring_op", r.op);
        if let Some(why) = r.fd_unknown {
            w.lit("fd_unknown", why);
        }
        if r.result_unknown {
            w.bool("result_unknown", true);
        }
    }
}

pub(super) fn write_json(w: &mut ObjectWriter<'_>, u: &IoUring) {
    match u.fd {
        Some(fd) => w.i64("fd", fd.into()),
        None => w.null("fd"),
    }
    w.u64("sq_entries", u.sq_entries.into());
    w.u64("cq_entries", u.cq_entries.into());
    let names = setup_flag_names(u.flags);
    w.str_array("flags", names.iter().map(String::as_str));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_flags_round_trip_and_keep_unknown_bits() {
        let flags = (1 << 1) | (1 << 12) | (1 << 30);
        let names = setup_flag_names(flags);
        assert_eq!(names, ["IORING_SETUP_SQPOLL", "IORING_SETUP_SINGLE_ISSUER", "0x40000000"]);
        assert_eq!(setup_flags_from_names(names.iter().map(String::as_str)), Some(flags));
        assert_eq!(setup_flags_from_names(["IORING_SETUP_NOPE"]), None);
        for (i, (bit, _)) in IO_URING_SETUP_FLAGS.iter().enumerate() {
            assert_eq!(*bit, 1 << i);
        }
    }

    #[test]
    fn opcode_names() {
        assert_eq!(io_uring_op_name(18), Some("IORING_OP_OPENAT"));
        assert_eq!(io_uring_op_name(23), Some("IORING_OP_WRITE"));
        assert_eq!(io_uring_op_name(36), Some("IORING_OP_UNLINKAT"));
        assert_eq!(io_uring_op_name(IORING_OP_SYMLINKAT), Some("IORING_OP_SYMLINKAT"));
        assert_eq!(io_uring_op_name(0), None);
    }
}
