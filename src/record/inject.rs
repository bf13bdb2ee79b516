//! Owns the bodies of `process_memfd`, `process_inject` and `bpf_load`, and
//! the names of their flags, commands and BPF program and attach types.

use super::json::ObjectWriter;
use super::SharedStr;

/// memfd_create: an anonymous file that lives only in memory.
#[derive(Clone, Debug, PartialEq)]
pub struct Memfd {
    /// The name as passed (the kernel shows it as `/memfd:<name>`).
    pub name: String,
    pub name_truncated: bool,
    /// MFD_* bits as passed; named by `memfd_flag_names`.
    pub flags: u32,
    /// The new fd.
    pub fd: i32,
}

/// process_vm_writev into another process's memory.
#[derive(Clone, Debug, PartialEq)]
pub struct Inject {
    /// The pid argument, as the caller named it.
    pub target_pid: i32,
    /// The target's comm, exe and command line from the process table,
    /// when it knows the process.
    pub target_comm: Option<String>,
    pub target_exe: Option<SharedStr>,
    pub target_cmdline: Option<SharedStr>,
    /// Whether the target runs the writer's own executable (MPI ranks and
    /// forked workers sharing memory do); None when either is unknown.
    pub target_same_exe: Option<bool>,
    /// Bytes written (the return value).
    pub bytes: u64,
    pub local_iovcnt: u32,
    pub remote_iovcnt: u32,
    /// "process_vm_writev".
    pub syscall: &'static str,
}

/// `target_same_exe` of a write by `exe` into a process running `target_exe`.
pub fn same_exe(exe: Option<&str>, target_exe: Option<&str>) -> Option<bool> {
    Some(target_exe? == exe?)
}

/// bpf(): a program loaded, or attached through a link or to a cgroup.
#[derive(Clone, Debug, PartialEq)]
pub struct BpfLoad {
    /// The `enum bpf_cmd` value; named by `bpf_cmd_name`.
    pub cmd: u32,
    /// BPF_PROG_LOAD: `enum bpf_prog_type`; else None.
    pub prog_type: Option<u32>,
    /// BPF_PROG_LOAD: the name given (may be empty); else None.
    pub prog_name: Option<String>,
    /// BPF_LINK_CREATE and BPF_PROG_ATTACH: `enum bpf_attach_type`; else None.
    pub attach_type: Option<u32>,
    /// BPF_PROG_LOAD: the new program's fd (the return value); else the fd
    /// of the program being attached.
    pub prog_fd: i32,
    /// BPF_PROG_LOAD: instructions in the program; else None.
    pub insn_count: Option<u32>,
    /// The return value.
    pub result: i64,
}

/// MFD_* flags by bit (the hugetlb size bits are not named).
pub const MEMFD_FLAGS: [(u32, &str); 5] = [
    (0x1, "MFD_CLOEXEC"),
    (0x2, "MFD_ALLOW_SEALING"),
    (0x4, "MFD_HUGETLB"),
    (0x8, "MFD_NOEXEC_SEAL"),
    (0x10, "MFD_EXEC"),
];

/// `flags` as names, in bit order.
pub fn memfd_flag_names(flags: u32) -> impl Iterator<Item = &'static str> {
    MEMFD_FLAGS.iter().filter(move |(bit, _)| flags & bit != 0).map(|(_, n)| *n)
}

/// The `enum bpf_cmd` values a bpf_load record carries.
pub const BPF_CMDS: [(u32, &str); 3] = [(5, "BPF_PROG_LOAD"), (8, "BPF_PROG_ATTACH"), (28, "BPF_LINK_CREATE")];
pub const BPF_PROG_LOAD: u32 = 5;

/// `enum bpf_prog_type` (UAPI), by value.
pub const BPF_PROG_TYPES: [&str; 33] = [
    "BPF_PROG_TYPE_UNSPEC",
    "BPF_PROG_TYPE_SOCKET_FILTER",
    "BPF_PROG_TYPE_KPROBE",
    "BPF_PROG_TYPE_SCHED_CLS",
    "BPF_PROG_TYPE_SCHED_ACT",
    "BPF_PROG_TYPE_TRACEPOINT",
    "BPF_PROG_TYPE_XDP",
    "BPF_PROG_TYPE_PERF_EVENT",
    "BPF_PROG_TYPE_CGROUP_SKB",
    "BPF_PROG_TYPE_CGROUP_SOCK",
    "BPF_PROG_TYPE_LWT_IN",
    "BPF_PROG_TYPE_LWT_OUT",
    "BPF_PROG_TYPE_LWT_XMIT",
    "BPF_PROG_TYPE_SOCK_OPS",
    "BPF_PROG_TYPE_SK_SKB",
    "BPF_PROG_TYPE_CGROUP_DEVICE",
    "BPF_PROG_TYPE_SK_MSG",
    "BPF_PROG_TYPE_RAW_TRACEPOINT",
    "BPF_PROG_TYPE_CGROUP_SOCK_ADDR",
    "BPF_PROG_TYPE_LWT_SEG6LOCAL",
    "BPF_PROG_TYPE_LIRC_MODE2",
    "BPF_PROG_TYPE_SK_REUSEPORT",
    "BPF_PROG_TYPE_FLOW_DISSECTOR",
    "BPF_PROG_TYPE_CGROUP_SYSCTL",
    "BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE",
    "BPF_PROG_TYPE_CGROUP_SOCKOPT",
    "BPF_PROG_TYPE_TRACING",
    "BPF_PROG_TYPE_STRUCT_OPS",
    "BPF_PROG_TYPE_EXT",
    "BPF_PROG_TYPE_LSM",
    "BPF_PROG_TYPE_SK_LOOKUP",
    "BPF_PROG_TYPE_SYSCALL",
    "BPF_PROG_TYPE_NETFILTER",
];

/// `enum bpf_attach_type` (UAPI), by value.
pub const BPF_ATTACH_TYPES: [&str; 58] = [
    "BPF_CGROUP_INET_INGRESS",
    "BPF_CGROUP_INET_EGRESS",
    "BPF_CGROUP_INET_SOCK_CREATE",
    "BPF_CGROUP_SOCK_OPS",
    "BPF_SK_SKB_STREAM_PARSER",
    "BPF_SK_SKB_STREAM_VERDICT",
    "BPF_CGROUP_DEVICE",
    "BPF_SK_MSG_VERDICT",
    "BPF_CGROUP_INET4_BIND",
    "BPF_CGROUP_INET6_BIND",
    "BPF_CGROUP_INET4_CONNECT",
    "BPF_CGROUP_INET6_CONNECT",
    "BPF_CGROUP_INET4_POST_BIND",
    "BPF_CGROUP_INET6_POST_BIND",
    "BPF_CGROUP_UDP4_SENDMSG",
    "BPF_CGROUP_UDP6_SENDMSG",
    "BPF_LIRC_MODE2",
    "BPF_FLOW_DISSECTOR",
    "BPF_CGROUP_SYSCTL",
    "BPF_CGROUP_UDP4_RECVMSG",
    "BPF_CGROUP_UDP6_RECVMSG",
    "BPF_CGROUP_GETSOCKOPT",
    "BPF_CGROUP_SETSOCKOPT",
    "BPF_TRACE_RAW_TP",
    "BPF_TRACE_FENTRY",
    "BPF_TRACE_FEXIT",
    "BPF_MODIFY_RETURN",
    "BPF_LSM_MAC",
    "BPF_TRACE_ITER",
    "BPF_CGROUP_INET4_GETPEERNAME",
    "BPF_CGROUP_INET6_GETPEERNAME",
    "BPF_CGROUP_INET4_GETSOCKNAME",
    "BPF_CGROUP_INET6_GETSOCKNAME",
    "BPF_XDP_DEVMAP",
    "BPF_CGROUP_INET_SOCK_RELEASE",
    "BPF_XDP_CPUMAP",
    "BPF_SK_LOOKUP",
    "BPF_XDP",
    "BPF_SK_SKB_VERDICT",
    "BPF_SK_REUSEPORT_SELECT",
    "BPF_SK_REUSEPORT_SELECT_OR_MIGRATE",
    "BPF_PERF_EVENT",
    "BPF_TRACE_KPROBE_MULTI",
    "BPF_LSM_CGROUP",
    "BPF_STRUCT_OPS",
    "BPF_NETFILTER",
    "BPF_TCX_INGRESS",
    "BPF_TCX_EGRESS",
    "BPF_TRACE_UPROBE_MULTI",
    "BPF_CGROUP_UNIX_CONNECT",
    "BPF_CGROUP_UNIX_SENDMSG",
    "BPF_CGROUP_UNIX_RECVMSG",
    "BPF_CGROUP_UNIX_GETPEERNAME",
    "BPF_CGROUP_UNIX_GETSOCKNAME",
    "BPF_NETKIT_PRIMARY",
    "BPF_NETKIT_PEER",
    "BPF_TRACE_KPROBE_SESSION",
    "BPF_TRACE_UPROBE_SESSION",
];

/// The name of bpf command `cmd`, if records name it.
pub fn bpf_cmd_name(cmd: u32) -> Option<&'static str> {
    super::name_of(&BPF_CMDS, cmd)
}

/// The bpf command called `name` (the inverse).
pub fn bpf_cmd_code(name: &str) -> Option<u32> {
    super::code_of(&BPF_CMDS, name)
}

/// The name of program type `t`; None for one newer than this table.
pub fn bpf_prog_type_name(t: u32) -> Option<&'static str> {
    BPF_PROG_TYPES.get(t as usize).copied()
}

/// The program type called `name` (the inverse).
pub fn bpf_prog_type_code(name: &str) -> Option<u32> {
    BPF_PROG_TYPES.iter().position(|n| *n == name).map(|i| i as u32)
}

/// The name of attach type `t`; None for one newer than this table.
pub fn bpf_attach_type_name(t: u32) -> Option<&'static str> {
    BPF_ATTACH_TYPES.get(t as usize).copied()
}

/// The attach type called `name` (the inverse).
pub fn bpf_attach_type_code(name: &str) -> Option<u32> {
    BPF_ATTACH_TYPES.iter().position(|n| *n == name).map(|i| i as u32)
}

/// The JSON fields of a process_memfd record.
pub(super) fn write_memfd(w: &mut ObjectWriter<'_>, m: &Memfd) {
    w.str("memfd_name", &m.name);
    w.lit_array("flags", memfd_flag_names(m.flags));
    w.i64("fd", m.fd.into());
    if m.name_truncated {
        w.bool("memfd_name_truncated", true);
    }
}

/// The target process's fields, shared by process_inject and process_ptrace.
pub(super) fn write_target(
    w: &mut ObjectWriter<'_>,
    comm: Option<&str>,
    exe: Option<&str>,
    cmdline: Option<&str>,
    same_exe: Option<bool>,
) {
    w.opt_str("target_comm", comm);
    w.opt_str("target_exe", exe);
    w.opt_str("target_cmdline", cmdline);
    match same_exe {
        Some(b) => w.bool("target_same_exe", b),
        None => w.null("target_same_exe"),
    }
}

/// The JSON fields of a process_inject record.
pub(super) fn write_inject(w: &mut ObjectWriter<'_>, i: &Inject) {
    w.i64("target_pid", i.target_pid.into());
    write_target(w, i.target_comm.as_deref(), i.target_exe.as_deref(), i.target_cmdline.as_deref(), i.target_same_exe);
    w.u64("bytes", i.bytes);
    w.u64("local_iovcnt", i.local_iovcnt.into());
    w.u64("remote_iovcnt", i.remote_iovcnt.into());
    w.lit("syscall", i.syscall);
}

/// The JSON fields of a bpf_load record.
pub(super) fn write_bpf(w: &mut ObjectWriter<'_>, b: &BpfLoad) {
    let opt_lit = |w: &mut ObjectWriter<'_>, key: &str, v: Option<&'static str>| match v {
        Some(s) => w.lit(key, s),
        None => w.null(key),
    };
    opt_lit(w, "bpf_cmd", bpf_cmd_name(b.cmd));
    opt_lit(w, "prog_type", b.prog_type.and_then(bpf_prog_type_name));
    w.opt_str("prog_name", b.prog_name.as_deref());
    opt_lit(w, "attach_type", b.attach_type.and_then(bpf_attach_type_name));
    w.i64("prog_fd", b.prog_fd.into());
    w.opt_u64("insn_count", b.insn_count.map(u64::from));
    w.i64("result", b.result);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_are_inverse() {
        for (code, name) in BPF_CMDS {
            assert_eq!((bpf_cmd_name(code), bpf_cmd_code(name)), (Some(name), Some(code)));
        }
        assert_eq!(bpf_cmd_name(1), None, "BPF_MAP_LOOKUP_ELEM is not reported");
        for (i, name) in BPF_PROG_TYPES.iter().enumerate() {
            assert_eq!(bpf_prog_type_code(name), Some(i as u32));
        }
        for (i, name) in BPF_ATTACH_TYPES.iter().enumerate() {
            assert_eq!(bpf_attach_type_code(name), Some(i as u32));
        }
        assert_eq!(bpf_prog_type_name(1), Some("BPF_PROG_TYPE_SOCKET_FILTER"));
        assert_eq!(bpf_attach_type_name(46), Some("BPF_TCX_INGRESS"));
        assert_eq!(bpf_prog_type_name(999), None);
        let flags: Vec<_> = memfd_flag_names(0x1 | 0x10 | 0x8000_0000).collect();
        assert_eq!(flags, ["MFD_CLOEXEC", "MFD_EXEC"]);
    }
}
