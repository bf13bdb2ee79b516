// SPDX-License-Identifier: GPL-2.0
/*
 * sensor.bpf.c - rand-guard's kernel side.
 *
 * Process lifecycle comes from BTF tracepoints (sched_process_exec/fork/exit),
 * which need no tracefs. Syscalls come from the per-syscall tracepoints: the
 * record is built at sys_exit, when the result is known and the kernel has
 * already copied every user string we read (so the page is resident), with
 * the arguments read from the registers the syscall was entered with. Writes
 * are recorded at sys_enter: they read no user memory and need no result.
 *
 * Each handler builds its record in a per-CPU scratch buffer (record.bpf.h)
 * and copies only the bytes it uses to the ring buffer; every failed copy is
 * counted in the `counters` map.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "events.h"
#include "maps.bpf.h"
#include "task.bpf.h"
#include "path.bpf.h"
#include "filter.bpf.h"
#include "record.bpf.h"
#include "sock.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace between open and load. */
const volatile __u32 rg_self_tgid = 0;

#define RG_O_WRONLY 01
#define RG_O_CREAT 0100
#define RG_O_TRUNC 01000
#define RG_AT_REMOVEDIR 0x200
#define RG_EINPROGRESS 115
#define RG_SIGNAL_GROUP_EXIT 0x00000004

static __always_inline struct task_struct *current_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

static __always_inline int is_self(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == rg_self_tgid;
}

/* ---- process lifecycle ------------------------------------------------ */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	struct rg_scratch *sc;
	struct rg_fork *e;

	/* A new thread shares its creator's tgid: not a new process. */
	if (child->pid != child->tgid || is_self())
		return 0;
	sc = rec__scratch();
	if (!sc)
		return 0;
	rec__begin(sc, sizeof(*e), RG_KIND_FORK, child);
	e = (void *)sc->rec;
	e->parent_pid = parent->tgid;
	e->parent_tid = parent->pid;
	rec__submit(sc, sizeof(*e));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *p)
{
	struct rg_scratch *sc;
	struct rg_exit *e;
	__u32 code;

	/*
	 * One record per process, not per thread: do_exit() decrements
	 * signal->live before this tracepoint, so it reads zero only in the
	 * last thread of the group.
	 */
	if (p->signal->live.counter != 0 || is_self())
		return 0;
	sc = rec__scratch();
	if (!sc)
		return 0;
	rec__begin(sc, sizeof(*e), RG_KIND_EXIT, p);
	e = (void *)sc->rec;
	/* exit_group() and fatal signals leave the status in the signal struct. */
	if (p->signal->flags & RG_SIGNAL_GROUP_EXIT)
		code = p->signal->group_exit_code;
	else
		code = p->exit_code;
	e->exit_code = code;
	e->start_ns = p->start_boottime;
	rec__submit(sc, sizeof(*e));
	return 0;
}

/* ---- per-thread stash (exec, credential calls) ------------------------- */

/*
 * handle_exec must tell execveat from execve and know the caller's ids
 * before exec, and by sched_process_exec the new program's registers and
 * creds have replaced the caller's, so both are saved at sys_enter
 * (exec.bpf.h). The credential calls save the old ids the same way
 * (cred.bpf.h). Every other syscall reads its arguments at exit (sys__args
 * below).
 */
/* This thread's stash, created if need be; NULL (and counted) without storage. */
static __always_inline struct rg_stash *sys__stash_slot(void)
{
	struct rg_stash *s = bpf_task_storage_get(&stash, bpf_get_current_task_btf(), 0,
						  BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!s)
		counter__inc(RG_CNT_STASH_DROPS);
	return s;
}

/* Moves this thread's stashed arguments into @out; 0 when there were none. */
static __always_inline int sys__unstash(struct rg_stash *out)
{
	struct rg_stash *s = bpf_task_storage_get(&stash, bpf_get_current_task_btf(), 0, 0);

	if (!s || !s->syscall)
		return 0;
	__builtin_memcpy(out, s, sizeof(*out));
	s->syscall = 0;
	return 1;
}

#define RG_EXIT(name, handler)                                                      \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                  \
	int handle_exit_##name(struct trace_event_raw_sys_exit *ctx)                \
	{                                                                           \
		return handler(ctx);                                                \
	}

/* ---- syscall arguments at exit ------------------------------------------ */

/* A syscall's number and its first five arguments. */
struct rg_args {
	__u32 syscall;
	__u64 args[5];
};

/*
 * Reads the arguments of the syscall that is returning from the user
 * registers saved at its entry (bpf_task_pt_regs): the kernel writes only
 * the return value back before the sys_exit tracepoint, so these are the
 * values the syscall ran with (after any rewrite by a tracer at entry).
 * One program per hooked syscall instead of an entry program that saves
 * them: half the tracepoint work on every call and no per-thread storage.
 */
static __always_inline void sys__args(struct rg_args *a, __u32 syscall)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	a->syscall = syscall;
	a->args[0] = PT_REGS_PARM1_SYSCALL(regs);
	a->args[1] = PT_REGS_PARM2_SYSCALL(regs);
	a->args[2] = PT_REGS_PARM3_SYSCALL(regs);
	a->args[3] = PT_REGS_PARM4_SYSCALL(regs);
	a->args[4] = PT_REGS_PARM5_SYSCALL(regs);
}

/* A sys_exit program for syscall @name (@id) that reports with @handler. */
#define RG_EXIT_ARGS(name, id, handler)                                             \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                  \
	int handle_exit_##name(struct trace_event_raw_sys_exit *ctx)                \
	{                                                                           \
		struct rg_args a;                                                   \
                                                                                    \
		if (is_self())                                                      \
			return 0;                                                   \
		sys__args(&a, id);                                                  \
		return handler(ctx, &a);                                            \
	}

/* ---- files ------------------------------------------------------------ */

/* A file event the [file] filter rules out: counted, never sent. */
static __always_inline int file__filtered(void)
{
	counter__inc(RG_CNT_KERNEL_FILTERED);
	return 0;
}

static __always_inline int file__open_exit(struct trace_event_raw_sys_exit *ctx, const struct rg_args *st)
{
	struct task_struct *task = current_task();
	struct rg_str path = {};
	struct rg_scratch *sc;
	struct rg_file *e;
	struct file *f;
	long ret = ctx->ret;
	__u32 off = sizeof(*e);

	if (ret < 0)
		return 0;
	f = task__fd_file(task, ret);
	sc = rec__scratch();
	if (!f || !sc)
		return 0;
	/* The opened file itself: absolute, and exactly what was opened. */
	if (!rec__path(sc, &off, &path, bpf_core_cast(f, struct file)->f_path.dentry,
		       bpf_core_cast(f, struct file)->f_path.mnt, 1))
		return file__filtered();
	rec__begin(sc, sizeof(*e), RG_KIND_FILE_OPEN, task);
	e = (void *)sc->rec;
	e->path = path;
	e->ret = ret;
	e->fd = ret;
	e->syscall = st->syscall;
	switch (st->syscall) {
	case RG_SYS_OPEN:
		e->flags = st->args[1];
		e->mode = st->args[2];
		break;
	case RG_SYS_CREAT:
		e->flags = RG_O_CREAT | RG_O_WRONLY | RG_O_TRUNC;
		e->mode = st->args[1];
		break;
	case RG_SYS_OPENAT:
		e->flags = st->args[2];
		e->mode = st->args[3];
		break;
	case RG_SYS_OPENAT2: {
		struct open_how how = {};

		bpf_probe_read_user(&how, sizeof(how), (void *)st->args[2]);
		e->flags = how.flags;
		e->mode = how.mode;
		break;
	}
	}
	rec__submit(sc, off);
	return 0;
}

RG_EXIT_ARGS(open, RG_SYS_OPEN, file__open_exit)
RG_EXIT_ARGS(creat, RG_SYS_CREAT, file__open_exit)
RG_EXIT_ARGS(openat, RG_SYS_OPENAT, file__open_exit)
RG_EXIT_ARGS(openat2, RG_SYS_OPENAT2, file__open_exit)

static __always_inline int file__write_enter(struct trace_event_raw_sys_enter *ctx, __u32 syscall)
{
	struct task_struct *task;
	struct rg_str path = {};
	struct rg_scratch *sc;
	struct rg_file *e;
	struct file *f;
	long fd = ctx->args[0];
	__u32 off = sizeof(*e);
	__u64 bytes;

	if (is_self())
		return 0;
	task = current_task();
	f = task__fd_file(task, fd);
	/* Pipes, sockets and terminals are not file activity. */
	if (!f || file__ifmt(f) != RG_S_IFREG)
		return 0;
	sc = rec__scratch();
	if (!sc)
		return 0;
	if (!rec__path(sc, &off, &path, bpf_core_cast(f, struct file)->f_path.dentry,
		       bpf_core_cast(f, struct file)->f_path.mnt, 1))
		return file__filtered();
	if (syscall == RG_SYS_WRITE || syscall == RG_SYS_PWRITE64) {
		bytes = ctx->args[2];
	} else {
		/* vectored: sum the first 8 iovecs (the count is bounded for the verifier) */
		struct iovec *iov = (void *)ctx->args[1];
		long cnt = ctx->args[2];
		int i;

		bytes = 0;
		for (i = 0; i < 8 && i < cnt; i++) {
			__u64 l = 0;

			bpf_probe_read_user(&l, sizeof(l), &iov[i].iov_len);
			bytes += l;
		}
	}
	rec__begin(sc, sizeof(*e), RG_KIND_FILE_WRITE, task);
	e = (void *)sc->rec;
	e->path = path;
	e->fd = fd;
	e->syscall = syscall;
	e->bytes = bytes;
	rec__submit(sc, off);
	return 0;
}

#define RG_WRITE_ENTER(name, id)                                                    \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                 \
	int handle_enter_##name(struct trace_event_raw_sys_enter *ctx)              \
	{                                                                           \
		return file__write_enter(ctx, id);                                  \
	}

RG_WRITE_ENTER(write, RG_SYS_WRITE)
RG_WRITE_ENTER(pwrite64, RG_SYS_PWRITE64)
RG_WRITE_ENTER(writev, RG_SYS_WRITEV)
RG_WRITE_ENTER(pwritev, RG_SYS_PWRITEV)
RG_WRITE_ENTER(pwritev2, RG_SYS_PWRITEV2)

static __always_inline int file__rename_exit(struct trace_event_raw_sys_exit *ctx, const struct rg_args *st)
{
	struct task_struct *task = current_task();
	struct rg_scratch *sc;
	struct rg_file *e;
	__u32 off = sizeof(*e);
	long olddfd = RG_AT_FDCWD, newdfd = RG_AT_FDCWD;
	unsigned long oldname, newname;
	struct rg_str path = {}, new_path = {};
	int keep;

	if (ctx->ret != 0)
		return 0;
	sc = rec__scratch();
	if (!sc)
		return 0;
	if (st->syscall == RG_SYS_RENAME) {
		oldname = st->args[0];
		newname = st->args[1];
	} else {
		olddfd = (int)st->args[0];
		oldname = st->args[1];
		newdfd = (int)st->args[2];
		newname = st->args[3];
	}
	keep = rec__user_path_at(&off, &path, olddfd, oldname, 1);
	keep |= rec__user_path_at(&off, &new_path, newdfd, newname, 1);
	if (!keep)
		return file__filtered();
	rec__begin(sc, sizeof(*e), RG_KIND_FILE_RENAME, task);
	e = (void *)sc->rec;
	e->path = path;
	e->new_path = new_path;
	e->syscall = st->syscall;
	if (st->syscall == RG_SYS_RENAMEAT2)
		e->flags = st->args[4];
	rec__submit(sc, off);
	return 0;
}

RG_EXIT_ARGS(rename, RG_SYS_RENAME, file__rename_exit)
RG_EXIT_ARGS(renameat, RG_SYS_RENAMEAT, file__rename_exit)
RG_EXIT_ARGS(renameat2, RG_SYS_RENAMEAT2, file__rename_exit)

static __always_inline int file__unlink_exit(struct trace_event_raw_sys_exit *ctx, const struct rg_args *st)
{
	struct task_struct *task = current_task();
	struct rg_scratch *sc;
	struct rg_file *e;
	__u32 off = sizeof(*e);
	long dfd = RG_AT_FDCWD;
	unsigned long name;
	struct rg_str path = {};
	__u32 is_dir = 0;

	if (ctx->ret != 0)
		return 0;
	sc = rec__scratch();
	if (!sc)
		return 0;
	if (st->syscall == RG_SYS_UNLINKAT) {
		dfd = (int)st->args[0];
		name = st->args[1];
		is_dir = (st->args[2] & RG_AT_REMOVEDIR) != 0;
	} else {
		name = st->args[0];
		is_dir = st->syscall == RG_SYS_RMDIR;
	}
	if (!rec__user_path_at(&off, &path, dfd, name, 0))
		return file__filtered();
	rec__begin(sc, sizeof(*e), RG_KIND_FILE_UNLINK, task);
	e = (void *)sc->rec;
	e->path = path;
	e->syscall = st->syscall;
	e->is_dir = is_dir;
	rec__submit(sc, off);
	return 0;
}

RG_EXIT_ARGS(unlink, RG_SYS_UNLINK, file__unlink_exit)
RG_EXIT_ARGS(unlinkat, RG_SYS_UNLINKAT, file__unlink_exit)
RG_EXIT_ARGS(rmdir, RG_SYS_RMDIR, file__unlink_exit)

/* ---- file metadata (chmod, chown, truncate, times, xattrs) ----------- */

#include "filemeta.bpf.h"
#include "fileattr.bpf.h"

/* ---- hard and symbolic links ------------------------------------------ */

#include "link.bpf.h"

/* ---- exec (sched_process_exec and the sys_enter stash), ptrace ----------- */

#include "exec.bpf.h"


/* Requests that take control of or change another process (not PEEK*). */
static __always_inline int ptrace__interesting(long req)
{
	switch (req) {
	case 0: /* PTRACE_TRACEME */
	case 4: /* PTRACE_POKETEXT */
	case 5: /* PTRACE_POKEDATA */
	case 6: /* PTRACE_POKEUSER */
	case 13: /* PTRACE_SETREGS */
	case 15: /* PTRACE_SETFPREGS */
	case 16: /* PTRACE_ATTACH */
	case 0x4205: /* PTRACE_SETREGSET */
	case 0x4206: /* PTRACE_SEIZE */
		return 1;
	}
	return 0;
}

static __always_inline int proc__ptrace_exit(struct trace_event_raw_sys_exit *ctx, const struct rg_args *st)
{
	struct rg_scratch *sc;
	struct rg_ptrace *e;

	if (!ptrace__interesting(st->args[0]))
		return 0;
	sc = rec__scratch();
	if (!sc)
		return 0;
	rec__begin(sc, sizeof(*e), RG_KIND_PTRACE, current_task());
	e = (void *)sc->rec;
	e->ret = ctx->ret;
	e->request = st->args[0];
	e->target_pid = st->args[1];
	rec__submit(sc, sizeof(*e));
	return 0;
}

RG_EXIT_ARGS(ptrace, RG_SYS_PTRACE, proc__ptrace_exit)

/* ---- signals to other processes (kill, tkill, tgkill, pidfd) ---------- */

#include "signal.bpf.h"

/* ---- credential changes (set*id, setgroups, capset) ------------------- */

#include "cred.bpf.h"
/* ---- memfd_create, process_vm_writev, bpf ------------------------------ */

#include "inject.bpf.h"

/* ---- namespaces and mounts ------------------------------------------- */

#include "ns.bpf.h"

/* ---- network ---------------------------------------------------------- */

#include "net.bpf.h"

/* ---- io_uring: the ring's setup, its opens, writes, connects, renames,
 *      unlinks and links ------------------------------------------------- */

#include "io_uring.bpf.h"

/* ---- cgroup cache updates (not records) ---- */
#include "cgroup.bpf.h"

/* Forces the ABI types into BTF so libbpf-cargo generates Rust for them. */
struct rg_exec _rg_exec = {};
struct rg_fork _rg_fork = {};
struct rg_exit _rg_exit = {};
struct rg_ptrace _rg_ptrace = {};
struct rg_signal _rg_signal = {};
struct rg_cred _rg_cred = {};
struct rg_memfd _rg_memfd = {};
struct rg_inject _rg_inject = {};
struct rg_bpf _rg_bpf = {};
struct rg_file _rg_file = {};
struct rg_filemeta _rg_filemeta = {};
struct rg_utimes _rg_utimes = {};
struct rg_xattr _rg_xattr = {};
struct rg_net _rg_net = {};
struct rg_namespace _rg_namespace = {};
struct rg_mount _rg_mount = {};
struct rg_io_uring _rg_io_uring = {};
struct rg_cgroup _rg_cgroup = {};
struct rg_ctx _rg_ctx = {};
/* ... and the ABI enums, so Rust reads the kinds, syscall numbers and counter
 * indexes from the skeleton (src/catalog) instead of copying them. */
enum rg_kind _rg_kind = RG_KIND_EXEC;
enum rg_syscall _rg_syscall = RG_SYS_NONE;
enum rg_counter _rg_counter = RG_CNT_RINGBUF_DROPS;
enum rg_str_flag _rg_str_flag = RG_STR_CUT;
enum rg_exec_flag _rg_exec_flag = RG_EXEC_OLD_IDS;
enum rg_uring_fd _rg_uring_fd = RG_URING_FD_REGISTERED;
enum rg_uring_req _rg_uring_req = RG_URING_AT_SUBMIT;
enum rg_response_mode _rg_response_mode = RG_RESPONSE_OFF;
enum rg_cgroup_op _rg_cgroup_op = RG_CGROUP_MKDIR;
