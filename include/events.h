/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * events.h - THE kernel <-> userspace ABI of rand-guard.
 *
 * Every record the BPF side writes to the `events` ring buffer starts with a
 * struct rg_header (kind, ABI version, total size, kernel timestamp) followed
 * by the fixed part of one record kind below. Variable-length text (paths,
 * argv) is described by struct rg_str descriptors in the fixed part and packed
 * right after it, so a record is only as large as what it carries: an open of
 * /etc/hosts costs ~130 bytes of ring space, not 4 KiB. Each string has a fixed
 * capacity (RG_*_MAX, including the kernel's terminating NUL) and a truncation
 * flag: a string that did not fit is cut, never dropped, and says so.
 *
 * Layout rules: fixed-width types only, explicit padding, no bool, no
 * pointers, every struct a multiple of 8 bytes. The sizes are asserted below
 * and again in src/bpf/abi.rs, which the Rust build checks at compile time.
 * Bump RG_ABI_VERSION on any change.
 */
#ifndef __RAND_GUARD_EVENTS_H
#define __RAND_GUARD_EVENTS_H

#define RG_ABI_VERSION 2

#define RG_COMM_LEN 16
#define RG_PATH_MAX 4096 /* one path, NUL included (PATH_MAX) */
#define RG_ARGS_MAX 4096 /* argv, NUL-separated, NUL included */
#define RG_UNIX_PATH_MAX 108 /* sizeof(sockaddr_un.sun_path) */
#define RG_MEMFD_NAME_MAX 250 /* MFD_NAME_MAX_LEN (249) + NUL */
#define RG_BPF_NAME_LEN 16 /* BPF_OBJ_NAME_LEN */
#define RG_FSTYPE_MAX 64 /* a filesystem type name, NUL included */
#define RG_INTERP_MAX 256 /* a #! interpreter: BINPRM_BUF_SIZE, NUL included */

/*
 * Records are assembled in a per-CPU scratch buffer. A string may only start
 * below RG_DATA_LIMIT, which keeps every write provably inside the buffer for
 * the verifier; no record kind comes close (exec, the largest, needs at most
 * 4 x 4095 bytes of text after a small fixed part).
 */
#define RG_DATA_LIMIT 16384
#define RG_RECORD_MAX (RG_DATA_LIMIT + RG_PATH_MAX)

enum rg_kind {
	RG_KIND_EXEC = 1,
	RG_KIND_FORK = 2,
	RG_KIND_EXIT = 3,
	RG_KIND_PTRACE = 4,
	RG_KIND_SIGNAL = 5,
	RG_KIND_MEMFD = 6,
	RG_KIND_SETUID = 7,
	RG_KIND_INJECT = 8,
	RG_KIND_BPF = 9,
	RG_KIND_NAMESPACE = 10,
	RG_KIND_MOUNT = 11,
	RG_KIND_IO_URING = 12,
	RG_KIND_CGROUP = 13, /* a cgroup made or removed: updates userspace's cache, not a record */
	RG_KIND_FILE_OPEN = 16,
	RG_KIND_FILE_WRITE = 17,
	RG_KIND_FILE_RENAME = 18,
	RG_KIND_FILE_UNLINK = 19,
	RG_KIND_FILE_CHMOD = 20,
	RG_KIND_FILE_CHOWN = 21,
	RG_KIND_FILE_TRUNCATE = 22,
	RG_KIND_FILE_LINK = 23,
	RG_KIND_FILE_UTIMES = 24,
	RG_KIND_FILE_XATTR = 25,
	RG_KIND_NET_CONNECT = 32,
	RG_KIND_NET_BIND = 33,
	RG_KIND_NET_LISTEN = 34,
	RG_KIND_NET_ACCEPT = 35,
};

/* The syscall that produced a record; our own numbering, not the arch's. */
enum rg_syscall {
	RG_SYS_NONE = 0,
	RG_SYS_EXECVE = 1,
	RG_SYS_EXECVEAT = 2,
	RG_SYS_PTRACE = 3,
	RG_SYS_KILL = 4,
	RG_SYS_TKILL = 5,
	RG_SYS_TGKILL = 6,
	RG_SYS_PIDFD_SEND_SIGNAL = 7,
	RG_SYS_MEMFD_CREATE = 8,
	RG_SYS_PROCESS_VM_WRITEV = 9,
	RG_SYS_BPF = 100,
	RG_SYS_OPEN = 10,
	RG_SYS_OPENAT = 11,
	RG_SYS_OPENAT2 = 12,
	RG_SYS_CREAT = 13,
	RG_SYS_WRITE = 20,
	RG_SYS_PWRITE64 = 21,
	RG_SYS_WRITEV = 22,
	RG_SYS_PWRITEV = 23,
	RG_SYS_PWRITEV2 = 24,
	RG_SYS_RENAME = 30,
	RG_SYS_RENAMEAT = 31,
	RG_SYS_RENAMEAT2 = 32,
	RG_SYS_UNLINK = 40,
	RG_SYS_UNLINKAT = 41,
	RG_SYS_RMDIR = 42,
	RG_SYS_CONNECT = 50,
	RG_SYS_BIND = 51,
	RG_SYS_LISTEN = 52,
	RG_SYS_ACCEPT = 53,
	RG_SYS_ACCEPT4 = 54,
	RG_SYS_CHMOD = 60,
	RG_SYS_FCHMOD = 61,
	RG_SYS_FCHMODAT = 62,
	RG_SYS_FCHMODAT2 = 63,
	RG_SYS_CHOWN = 70,
	RG_SYS_FCHOWN = 71,
	RG_SYS_LCHOWN = 72,
	RG_SYS_FCHOWNAT = 73,
	RG_SYS_TRUNCATE = 80,
	RG_SYS_FTRUNCATE = 81,
	RG_SYS_SETUID = 90,
	RG_SYS_SETGID = 91,
	RG_SYS_SETREUID = 92,
	RG_SYS_SETREGID = 93,
	RG_SYS_SETRESUID = 94,
	RG_SYS_SETRESGID = 95,
	RG_SYS_SETFSUID = 96,
	RG_SYS_SETFSGID = 97,
	RG_SYS_SETGROUPS = 98,
	RG_SYS_CAPSET = 99,
	RG_SYS_SETNS = 110,
	RG_SYS_UNSHARE = 111,
	RG_SYS_CLONE = 112,
	RG_SYS_CLONE3 = 113,
	RG_SYS_MOUNT = 120,
	RG_SYS_UMOUNT2 = 121,
	RG_SYS_FSMOUNT = 122,
	RG_SYS_MOVE_MOUNT = 123,
	RG_SYS_PIVOT_ROOT = 124,
	RG_SYS_CHROOT = 125,
	RG_SYS_OPEN_TREE = 126,
	RG_SYS_IO_URING = 160, /* an operation submitted through an io_uring ring */
	RG_SYS_LINK = 130,
	RG_SYS_LINKAT = 131,
	RG_SYS_SYMLINK = 132,
	RG_SYS_SYMLINKAT = 133,
	RG_SYS_UTIMENSAT = 140,
	RG_SYS_UTIMES = 141,
	RG_SYS_FUTIMESAT = 142,
	RG_SYS_UTIME = 143,
	RG_SYS_SETXATTR = 150,
	RG_SYS_LSETXATTR = 151,
	RG_SYS_FSETXATTR = 152,
	RG_SYS_SETXATTRAT = 153,
	RG_SYS_REMOVEXATTR = 154,
	RG_SYS_LREMOVEXATTR = 155,
	RG_SYS_FREMOVEXATTR = 156,
	RG_SYS_REMOVEXATTRAT = 157,
};

/* Indexes of the per-CPU `counters` map; userspace sums across CPUs. */
enum rg_counter {
	RG_CNT_RINGBUF_DROPS = 0, /* record built but the ring buffer was full */
	RG_CNT_STASH_DROPS = 1, /* execveat args or a credential call's old ids lost (no task storage);
				  an io_uring request's fd or paths lost before it completed */
	RG_CNT_KERNEL_FILTERED = 2, /* records the kernel chose not to send */
	RG_CNT_RESPONSE_KILLS = 5, /* SIGKILLs the kernel sent for the [response] deny list */
	RG_CNT_RESPONSE_SPARED = 6, /* deny-list hits not killed: dry_run, protected, or the signal failed */
	RG_CNT_MAX = 8,
};

struct rg_header {
	__u16 kind; /* enum rg_kind */
	__u16 abi_version; /* RG_ABI_VERSION */
	__u32 size; /* bytes in this record: fixed part + packed text */
	__u64 ktime_ns; /* CLOCK_BOOTTIME of the event */
};

/*
 * Where the acting task runs: its cgroups and namespaces. On every record,
 * read from the task itself (not a cache), so setns, unshare and a move to
 * another cgroup are right from the next record on. A namespace or cgroup
 * the task does not have (a kernel thread, an exiting task) reads as 0.
 */
struct rg_ctx {
	__u64 cgroup_id; /* the unified (v2) hierarchy's cgroup: its kernfs id,
			    as bpf_get_current_cgroup_id() gives it */
	__u64 cgroup1_id; /* the memory controller's cgroup (on a v1/hybrid
			     host, where runtimes name the container) */
	__u32 pidns; /* namespace inodes, as /proc/PID/ns/* shows them */
	__u32 mntns;
	__u32 netns;
	__u32 userns;
	__u32 utsns;
	__u32 ipcns;
	__u32 cgroupns;
	__u32 ns_pid; /* the thread-group id in the task's own pid namespace */
};

/* The acting task, as the kernel saw it when the event happened. */
struct rg_task {
	__u32 pid; /* thread-group id */
	__u32 tid;
	__u32 ppid; /* real_parent's thread-group id */
	__u32 uid;
	__u32 gid;
	__u32 euid;
	char comm[RG_COMM_LEN];
	char parent_comm[RG_COMM_LEN];
	struct rg_ctx ctx;
};

/* Bits of rg_file.uring_op and rg_net.uring_op above the opcode: why fd is -1. */
enum rg_uring_fd {
	RG_URING_FD_REGISTERED = 0x8000, /* a file registered with the ring: it has no fd */
	RG_URING_FD_NOT_KEPT = 0x4000, /* lost between submission and completion (counted) */
};

/* A bit of rg_file.uring_op above the opcode, besides enum rg_uring_fd. */
enum rg_uring_req {
	/* sent at submission, before the request ran: it asked for no
	 * completion on success (IOSQE_CQE_SKIP_SUCCESS), so whether it
	 * succeeded is unknown and ret means nothing */
	RG_URING_AT_SUBMIT = 0x2000,
};

/* Bits of rg_str.truncated. */
enum rg_str_flag {
	RG_STR_CUT = 1, /* the source was longer than the capacity (a path: deeper than the walk) */
	RG_STR_DETACHED = 2, /* a path whose walk ended at a detached mount (open_tree, fsmount) */
};

/* A string packed after the fixed part of its record. */
struct rg_str {
	__u16 off; /* from the start of the record; 0 = absent */
	__u16 len; /* bytes, no NUL */
	__u16 truncated; /* enum rg_str_flag bits */
	__u16 _pad;
};

struct rg_exec {
	struct rg_header hdr;
	struct rg_task task;
	__u32 old_tid; /* tid that called exec (differs after de_thread) */
	__u32 argc; /* argc as the kernel counted it */
	__u32 syscall; /* RG_SYS_EXECVE or RG_SYS_EXECVEAT */
	__s32 dirfd; /* execveat's dirfd, else -100 (AT_FDCWD) */
	__u16 stdio_mode[3]; /* S_IFMT of fds 0, 1, 2 after exec; 0 = closed */
	__u16 stdio_inet; /* bit i: fd i is an AF_INET/AF_INET6 socket */
	struct rg_str filename; /* as passed (bprm->filename), cap RG_PATH_MAX */
	struct rg_str args; /* argv, NUL-separated, cap RG_ARGS_MAX */
	struct rg_str exe; /* resolved executable path, cap RG_PATH_MAX */
	struct rg_str cwd; /* cap RG_PATH_MAX */
	/* bprm->interp when a binfmt handler (#!, binfmt_misc) ran another
	 * program for the file: the interpreter as named, cap RG_INTERP_MAX */
	struct rg_str interp;
	/* the caller's ids before exec (saved at sys_enter_execve/execveat);
	 * valid only with RG_EXEC_OLD_IDS */
	__u32 old_uid;
	__u32 old_euid;
	__u32 old_gid;
	__u32 old_egid;
	__u32 egid; /* effective gid after exec */
	__u32 flags; /* enum rg_exec_flag bits */
	__u64 caps_gained; /* bits in the new cap_permitted or cap_effective the caller's set lacked */
	/* with RG_EXEC_DENIED: CLOCK_BOOTTIME when the kernel acted on the
	 * [response] deny list (sent SIGKILL, or decided not to) */
	__u64 response_ns;
};

/* Bits of rg_exec.flags. */
enum rg_exec_flag {
	RG_EXEC_OLD_IDS = 1, /* old_* and caps_gained are known (the stash was there) */
	RG_EXEC_PRIV_CHANGE = 2, /* euid or egid changed, or capabilities were gained */
	/* the new image's (dev, inode) is on the [response] deny_exec list;
	 * with none of the three below: dry_run, would have been killed */
	RG_EXEC_DENIED = 4,
	RG_EXEC_KILLED = 8, /* bpf_send_signal(SIGKILL) succeeded */
	RG_EXEC_KILL_FAILED = 16, /* bpf_send_signal(SIGKILL) failed */
	RG_EXEC_PROTECTED = 32, /* denied, but pid 1: never a target */
};

struct rg_fork {
	struct rg_header hdr;
	struct rg_task task; /* the child */
	__u32 parent_pid; /* tgid of the task that forked */
	__u32 parent_tid;
};

struct rg_exit {
	struct rg_header hdr;
	struct rg_task task;
	__u32 exit_code; /* wait status: (code << 8) | signal */
	__u32 _pad;
	__u64 start_ns; /* CLOCK_BOOTTIME when the process started */
};

struct rg_ptrace {
	struct rg_header hdr;
	struct rg_task task;
	__s64 ret;
	__s64 request;
	__u32 target_pid;
	__u32 _pad;
};

/* process_signal: a signal sent to another process (successful calls only) */
struct rg_signal {
	struct rg_header hdr;
	struct rg_task task;
	__s32 target_pid; /* kill: the pid argument (0 or < 0: a process group,
			     -1: every process); tgkill: the tgid; pidfd: its
			     process, 0 when the fd is not a pidfd */
	__s32 target_tid; /* tkill, tgkill: the thread; 0 otherwise */
	__u32 sig;
	__u32 syscall; /* enum rg_syscall */
	__s32 pidfd; /* pidfd_send_signal: the fd; -1 otherwise */
	__u32 _pad;
};

/* A task's user and group ids (real, effective, saved, filesystem). */
struct rg_ids {
	__u32 uid;
	__u32 euid;
	__u32 suid;
	__u32 fsuid;
	__u32 gid;
	__u32 egid;
	__u32 sgid;
	__u32 fsgid;
};

#define RG_GROUPS_MAX 16 /* supplementary groups copied into a record */

/*
 * process_setuid: a successful set*id, setgroups or capset. old_ids are the
 * caller's ids at sys_enter, new_ids and the capability sets its creds at
 * sys_exit (never the arguments, which may be -1 for "unchanged").
 */
struct rg_cred {
	struct rg_header hdr;
	struct rg_task task;
	__u32 syscall; /* enum rg_syscall */
	__u32 ngroups; /* setgroups: supplementary groups now held */
	struct rg_ids old_ids;
	struct rg_ids new_ids;
	__u64 cap_effective; /* capset: bit n = capability n */
	__u64 cap_permitted;
	__u64 cap_inheritable;
	__u32 groups[RG_GROUPS_MAX]; /* setgroups: the first min(ngroups, 16) */
};

/* process_memfd: memfd_create (successful calls only) */
struct rg_memfd {
	struct rg_header hdr;
	struct rg_task task;
	__s32 fd; /* the new fd (the return value) */
	__u32 flags; /* MFD_* as passed */
	struct rg_str name; /* as passed, without the kernel's "memfd:", cap RG_MEMFD_NAME_MAX */
};

/* process_inject: process_vm_writev into another process (bytes were written) */
struct rg_inject {
	struct rg_header hdr;
	struct rg_task task;
	__s64 ret; /* bytes written */
	__s32 target_pid; /* the pid argument, as the caller named it */
	__u32 local_iovcnt;
	__u32 remote_iovcnt;
	__u32 syscall; /* enum rg_syscall */
};

/* bpf_load: bpf(BPF_PROG_LOAD, BPF_LINK_CREATE, BPF_PROG_ATTACH) that succeeded */
struct rg_bpf {
	struct rg_header hdr;
	struct rg_task task;
	__s64 ret; /* LOAD: the new prog fd; LINK_CREATE: the link fd; ATTACH: 0 */
	__u32 cmd; /* enum bpf_cmd */
	__u32 prog_type; /* LOAD: enum bpf_prog_type */
	__u32 attach_type; /* LINK_CREATE, PROG_ATTACH: enum bpf_attach_type;
			      LOAD: expected_attach_type */
	__s32 prog_fd; /* LINK_CREATE, PROG_ATTACH: the program's fd; LOAD: -1 */
	__u32 insn_cnt; /* LOAD */
	__u32 _pad;
	char prog_name[RG_BPF_NAME_LEN]; /* LOAD: as passed, NUL-padded */
};

/* file_open, file_write, file_rename, file_unlink */
struct rg_file {
	struct rg_header hdr;
	struct rg_task task;
	__s64 ret; /* syscall return value */
	__u64 bytes; /* write: bytes requested */
	__u32 flags; /* open: O_* flags; renameat2, IORING_OP_RENAMEAT: RENAME_*;
			linkat, IORING_OP_LINKAT: AT_* */
	__u32 mode; /* open: creation mode */
	__s32 fd; /* write: the fd; open: the new fd; io_uring: -1 when the
		     request named a registered (fixed) file, which has no fd */
	__u32 syscall; /* enum rg_syscall */
	__u32 is_dir; /* unlink: a directory was removed */
	__u16 uring_op; /* RG_SYS_IO_URING: the request's IORING_OP_* | enum rg_uring_fd
			   | enum rg_uring_req */
	__u16 _pad;
	struct rg_str path; /* absolute, cap RG_PATH_MAX; link: the existing
			       file, or a symlink's content as given */
	struct rg_str new_path; /* rename target, link created; absolute, cap RG_PATH_MAX */
};

/* file_chmod, file_chown, file_truncate (successful calls only) */
struct rg_filemeta {
	struct rg_header hdr;
	struct rg_task task;
	__s64 length; /* truncate: the new length */
	__u32 syscall; /* enum rg_syscall */
	__u32 mode; /* chmod: the permission bits (07777); from the inode
		       after the call when it was reachable (fchmod, an
		       AT_EMPTY_PATH call), else the requested ones */
	__u32 owner_uid; /* chown: requested owner, 0xffffffff = unchanged */
	__u32 owner_gid; /* chown: requested group, 0xffffffff = unchanged */
	__u32 flags; /* fchmodat2, fchownat: the AT_* flags; lchown:
			AT_SYMLINK_NOFOLLOW; AT_EMPTY_PATH (0x1000) set iff
			the path is the fd's file (fchmod, fchown, ftruncate,
			an AT_EMPTY_PATH call with an empty name) */
	__s32 fd; /* fchmod, fchown, ftruncate: the fd; *at: the dirfd;
		     else -100 (AT_FDCWD) */
	struct rg_str path; /* absolute, cap RG_PATH_MAX */
};

/*
 * process_namespace: setns, unshare, and clone/clone3 that created
 * namespaces (successful calls only)
 */
struct rg_namespace {
	struct rg_header hdr;
	struct rg_task task;
	__u64 flags; /* unshare, clone, clone3: the CLONE_NEW* bits asked for;
			setns: the nstype argument (0 = any) */
	__u32 syscall; /* enum rg_syscall */
	__u32 ns_inum; /* setns to a namespace file: that namespace's inode */
	__u32 ns_type; /* setns to a namespace file: its CLONE_NEW* type */
	__s32 target_pid; /* setns to a pidfd: the process (initial pid ns); else 0 */
	__s32 child_pid; /* clone, clone3: the new process, as the caller sees it */
	__s32 fd; /* setns: the fd argument; else -1 */
};

/*
 * file_mount: mount, umount2, fsmount, move_mount, pivot_root, chroot and
 * open_tree (successful calls only). What source, target and fstype hold
 * for each call is described in docs/records.md.
 */
struct rg_mount {
	struct rg_header hdr;
	struct rg_task task;
	__u64 flags; /* the call's flags (fsmount: its attr_flags) */
	__u32 syscall; /* enum rg_syscall */
	__s32 fd; /* fsmount, open_tree: the new fd; move_mount: from_dfd; else -1 */
	struct rg_str source; /* cap RG_PATH_MAX */
	struct rg_str target; /* absolute, cap RG_PATH_MAX */
	struct rg_str fstype; /* cap RG_FSTYPE_MAX */
};

/* process_io_uring: an io_uring instance created (io_uring_setup succeeded) */
struct rg_io_uring {
	struct rg_header hdr;
	struct rg_task task;
	__s32 fd; /* the ring's fd; with IORING_SETUP_REGISTERED_FD_ONLY the
		     index of its registered ring instead (not an fd) */
	__u32 sq_entries; /* as the kernel sized them */
	__u32 cq_entries;
	__u32 flags; /* IORING_SETUP_* */
};

/* Bits of rg_utimes.times. */
enum rg_times_flag {
	RG_TIMES_NULL = 1, /* the times argument was NULL: both set to the current time */
	RG_TIMES_UNREAD = 2, /* the times could not be read from the caller's memory */
};

/*
 * file_utimes: utimensat, utimes, futimesat, utime (successful calls only).
 * The times as the caller passed them: utimensat's nsec may be UTIME_NOW
 * ((1 << 30) - 1) or UTIME_OMIT ((1 << 30) - 2); utimes and futimesat pass
 * microseconds (stored here times 1000), utime whole seconds. All four are
 * 0 when times says RG_TIMES_NULL or RG_TIMES_UNREAD.
 */
struct rg_utimes {
	struct rg_header hdr;
	struct rg_task task;
	__s64 atime_sec;
	__s64 atime_nsec;
	__s64 mtime_sec;
	__s64 mtime_nsec;
	__u32 syscall; /* enum rg_syscall */
	__u32 flags; /* utimensat: AT_SYMLINK_NOFOLLOW as passed; AT_EMPTY_PATH
			(0x1000) set iff the path is the fd's file */
	__s32 fd; /* the dirfd or fd; -100 (AT_FDCWD) for utimes and utime */
	__u32 times; /* enum rg_times_flag bits */
	struct rg_str path; /* absolute, cap RG_PATH_MAX */
};

#define RG_XATTR_NAME_MAX 256 /* XATTR_NAME_MAX (255) + NUL */
#define RG_XATTR_VALUE_HEAD 24 /* sizeof(struct vfs_ns_cap_data) */

/*
 * file_xattr: setxattr, lsetxattr, fsetxattr, setxattrat and the
 * removexattr family (successful calls only).
 */
struct rg_xattr {
	struct rg_header hdr;
	struct rg_task task;
	__u64 size; /* set: the value's size in bytes; remove: 0 */
	__u32 syscall; /* enum rg_syscall */
	__u32 flags; /* set: XATTR_CREATE (1), XATTR_REPLACE (2) as passed */
	__u32 at_flags; /* AT_SYMLINK_NOFOLLOW for the l* calls and as passed to
			   the *at calls; AT_EMPTY_PATH (0x1000) iff the path
			   is the fd's file */
	__s32 fd; /* the fd or dirfd; -100 (AT_FDCWD) for the path calls */
	__u32 value_len; /* bytes of value[] read: min(size, 24) */
	__u8 value[RG_XATTR_VALUE_HEAD]; /* the value's first bytes (for
					    security.capability: all of it) */
	__u32 value_unread; /* 1: size > 0 but the value could not be read */
	struct rg_str path; /* absolute, cap RG_PATH_MAX */
	struct rg_str name; /* the attribute's name, cap RG_XATTR_NAME_MAX */
};

/* network_connect, network_bind, network_listen, network_accept */
struct rg_net {
	struct rg_header hdr;
	struct rg_task task;
	__s64 ret;
	__s32 fd; /* accept: the new fd; io_uring: -1 as in rg_file */
	__u32 backlog; /* listen */
	__u32 syscall; /* enum rg_syscall */
	__u16 family; /* AF_INET, AF_INET6, AF_UNIX */
	__u16 protocol; /* IPPROTO_* from the socket */
	__u16 sock_type; /* SOCK_STREAM, SOCK_DGRAM, ... */
	__u16 local_port; /* host byte order, from the socket */
	__u16 remote_port; /* host byte order */
	__u16 uring_op; /* as in rg_file */
	__u8 local_addr[16]; /* IPv4 in the first 4 bytes, network order */
	__u8 remote_addr[16];
	struct rg_str unix_path; /* AF_UNIX; leading NUL = abstract, cap 108 */
};

/* Bits of rg_cgroup.op. */
enum rg_cgroup_op {
	RG_CGROUP_MKDIR = 1,
	RG_CGROUP_RMDIR = 2,
};

/*
 * RG_KIND_CGROUP: cgroup:cgroup_mkdir and cgroup_rmdir, so userspace maps a
 * cgroup made after the sensor started (a new container) to its path
 * before the first record from inside it arrives. Not a record of its own.
 */
struct rg_cgroup {
	struct rg_header hdr;
	struct rg_task task;
	__u64 id; /* the cgroup's kernfs id (rg_ctx.cgroup_id, cgroup1_id) */
	__u32 hierarchy; /* its hierarchy's id (/proc/cgroups); 0 = unified */
	__u32 op; /* enum rg_cgroup_op */
	struct rg_str path; /* from the hierarchy's root, cap RG_PATH_MAX */
};

#ifdef __bpf__
_Static_assert(sizeof(struct rg_header) == 16, "rg_header");
_Static_assert(sizeof(struct rg_task) == 104, "rg_task");
_Static_assert(sizeof(struct rg_str) == 8, "rg_str");
_Static_assert(sizeof(struct rg_exec) == 224, "rg_exec");
_Static_assert(sizeof(struct rg_fork) == 128, "rg_fork");
_Static_assert(sizeof(struct rg_exit) == 136, "rg_exit");
_Static_assert(sizeof(struct rg_ptrace) == 144, "rg_ptrace");
_Static_assert(sizeof(struct rg_signal) == 144, "rg_signal");
_Static_assert(sizeof(struct rg_cred) == 280, "rg_cred");
_Static_assert(sizeof(struct rg_memfd) == 136, "rg_memfd");
_Static_assert(sizeof(struct rg_inject) == 144, "rg_inject");
_Static_assert(sizeof(struct rg_bpf) == 168, "rg_bpf");
_Static_assert(sizeof(struct rg_file) == 176, "rg_file");
_Static_assert(sizeof(struct rg_filemeta) == 160, "rg_filemeta");
_Static_assert(sizeof(struct rg_utimes) == 176, "rg_utimes");
_Static_assert(sizeof(struct rg_xattr) == 192, "rg_xattr");
_Static_assert(sizeof(struct rg_net) == 192, "rg_net");
_Static_assert(sizeof(struct rg_namespace) == 152, "rg_namespace");
_Static_assert(sizeof(struct rg_mount) == 160, "rg_mount");
_Static_assert(sizeof(struct rg_io_uring) == 136, "rg_io_uring");
_Static_assert(sizeof(struct rg_ctx) == 48, "rg_ctx");
_Static_assert(sizeof(struct rg_cgroup) == 144, "rg_cgroup");
#endif

#endif /* __RAND_GUARD_EVENTS_H */
