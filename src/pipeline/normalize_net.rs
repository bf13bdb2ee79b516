//! Network and BPF records, and what io_uring adds to file and network
//! records: the raw structs to their record bodies.

use super::*;

/// A request made through io_uring: its opcode (the low byte), why its
/// fd is unknown and whether its result is (the bits above); None for a
/// syscall.
pub(super) fn uring_req(syscall: u32, bits: u16) -> Option<UringReq> {
    (syscall == rg_syscall::RG_SYS_IO_URING.0).then(|| UringReq {
        op: io_uring_op_name(bits & 0xff).unwrap_or("unknown"),
        fd_unknown: FD_UNKNOWN.iter().find(|(bit, _)| bits & bit != 0).map(|(_, why)| *why),
        result_unknown: bits & RESULT_UNKNOWN_BIT != 0,
    })
}

/// The io_uring opcode of a request made through a ring, or None.
pub(super) fn uring_op(syscall: u32, bits: u16) -> Option<u16> {
    (syscall == rg_syscall::RG_SYS_IO_URING.0).then_some(bits & 0xff)
}

pub(super) fn net_body(e: &abi::rg_net, kind: NetKind, unix_path: &Text<'_>) -> Net {
    let family = match e.family {
        AF_INET => "ipv4".to_string(),
        AF_INET6 => "ipv6".to_string(),
        AF_UNIX => "unix".to_string(),
        other => format!("af_{other}"),
    };
    let protocol = match (e.family, e.protocol, e.sock_type) {
        (AF_UNIX, _, 1) => "stream",
        (AF_UNIX, _, 2) => "dgram",
        (AF_UNIX, _, 5) => "seqpacket",
        (_, 6, _) => "tcp",
        (_, 17, _) => "udp",
        (_, 1, _) => "icmp",
        (_, 58, _) => "icmpv6",
        (_, 132, _) => "sctp",
        (_, 255, _) | (_, _, 3) => "raw",
        _ => "other",
    };
    let addr = |a: &[u8; 16]| -> Option<String> {
        match e.family {
            AF_INET => Some(Ipv4Addr::new(a[0], a[1], a[2], a[3]).to_string()),
            AF_INET6 => Some(Ipv6Addr::from(*a).to_string()),
            _ => None,
        }
    };
    let inet = e.family == AF_INET || e.family == AF_INET6;
    let unix = (e.family == AF_UNIX && unix_path.present).then(|| unix_name(unix_path.bytes));
    let local = || if inet { addr(&e.local_addr) } else { unix.clone() };
    let port = |p: u16| inet.then_some(p);
    let mut n = Net {
        kind,
        family,
        protocol,
        fd: e.fd,
        local_addr: None,
        local_port: None,
        remote_addr: None,
        remote_port: None,
        backlog: None,
        result: e.ret,
        syscall: catalog::syscall_name(e.syscall),
        io_uring: uring_req(e.syscall, e.uring_op),
    };
    match kind {
        NetKind::Connect => {
            n.remote_addr = if inet { addr(&e.remote_addr) } else { unix.clone() };
            n.remote_port = port(e.remote_port);
            // the local end, once the kernel has picked one
            if inet && e.local_port != 0 {
                n.local_addr = local();
                n.local_port = port(e.local_port);
            }
        }
        NetKind::Accept => {
            n.local_addr = local();
            n.local_port = port(e.local_port);
            n.remote_addr = if inet { addr(&e.remote_addr) } else { None };
            n.remote_port = port(e.remote_port);
        }
        NetKind::Bind | NetKind::Listen => {
            n.local_addr = local();
            n.local_port = port(e.local_port);
            if kind == NetKind::Listen {
                n.backlog = Some(e.backlog);
            }
        }
    }
    n
}

/// A bpf() record: a load carries the program's type, name and size; an
/// attach (link or cgroup) the attach type and the program's fd.
pub(super) fn bpf_body(e: &rg_bpf) -> BpfLoad {
    let load = e.cmd == BPF_PROG_LOAD;
    let name = e.prog_name.map(|c| c as u8);
    let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    BpfLoad {
        cmd: e.cmd,
        prog_type: load.then_some(e.prog_type),
        prog_name: load.then(|| lossy(&name[..len]).into_owned()),
        attach_type: (!load).then_some(e.attach_type),
        prog_fd: if load { i32::try_from(e.ret).unwrap_or(-1) } else { e.prog_fd },
        insn_count: load.then_some(e.insn_cnt),
        result: e.ret,
    }
}

/// A sun_path: abstract names (leading NUL) are shown as "@name".
pub(super) fn unix_name(b: &[u8]) -> String {
    match b.split_first() {
        Some((0, rest)) => {
            let end = rest.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
            format!("@{}", lossy(&rest[..end]))
        }
        _ => {
            let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            lossy(&b[..end]).into_owned()
        }
    }
}
