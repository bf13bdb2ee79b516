/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exec.bpf.h - process_exec: the record at sched_process_exec, and what it
 * needs from before the exec, saved at sys_enter_execve/execveat in the
 * thread's stash. Included by sensor.bpf.c after the stash plumbing.
 *
 * By sched_process_exec, begin_new_exec() has committed the new creds (a
 * setuid or setgid file's ids, file capabilities), so the caller's ids and
 * capabilities are saved at entry and compared here. A thread without its
 * stash (storage full, or the sensor attached mid-exec) gets a record
 * without old ids: counted as a stash drop at entry, never guessed.
 */
#ifndef __RG_EXEC_BPF_H
#define __RG_EXEC_BPF_H

#include "response.bpf.h"

/* What an exec's stash holds, laid over rg_stash.args. */
struct exec__saved {
	__s64 dirfd; /* execveat's dirfd */
	__u32 uid;
	__u32 euid;
	__u32 gid;
	__u32 egid;
	__u64 cap_effective;
	__u64 cap_permitted;
};

_Static_assert(sizeof(struct exec__saved) <= sizeof(((struct rg_stash *)0)->args), "exec fits the stash");

static __always_inline int exec__enter(__u32 syscall, __s64 dirfd)
{
	const struct cred *c = cred__of(current_task());
	struct exec__saved *sv;
	struct rg_stash *s;

	if (is_self())
		return 0;
	s = sys__stash_slot();
	if (!s)
		return 0;
	s->syscall = syscall;
	sv = (struct exec__saved *)s->args;
	sv->dirfd = dirfd;
	sv->uid = c->uid.val;
	sv->euid = c->euid.val;
	sv->gid = c->gid.val;
	sv->egid = c->egid.val;
	sv->cap_effective = cred__cap(&c->cap_effective);
	sv->cap_permitted = cred__cap(&c->cap_permitted);
	return 0;
}

/* execve has 3 arguments: its context must not be read past them. */
SEC("tracepoint/syscalls/sys_enter_execve")
int handle_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return exec__enter(RG_SYS_EXECVE, RG_AT_FDCWD);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int handle_enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	return exec__enter(RG_SYS_EXECVEAT, (int)ctx->args[0]);
}

static __always_inline int sys__drop_stash(struct trace_event_raw_sys_exit *ctx)
{
	struct rg_stash st;

	sys__unstash(&st); /* a failed execveat leaves its entry behind */
	return 0;
}
RG_EXIT(execveat, sys__drop_stash)

/*
 * Fills the caller's ids and what the exec changed from @st, which the
 * caller's sys_enter saved: a changed euid or egid, or a capability in the
 * new permitted or effective set that the caller's lacked.
 */
static __always_inline void exec__creds(struct rg_exec *e, struct task_struct *p, const struct rg_stash *st)
{
	const struct cred *c = cred__of(p);
	const struct exec__saved *sv = (const void *)st->args;
	__u64 eff = cred__cap(&c->cap_effective);
	__u64 prm = cred__cap(&c->cap_permitted);

	if (st->syscall != RG_SYS_EXECVE && st->syscall != RG_SYS_EXECVEAT)
		return;
	e->flags |= RG_EXEC_OLD_IDS;
	e->old_uid = sv->uid;
	e->old_euid = sv->euid;
	e->old_gid = sv->gid;
	e->old_egid = sv->egid;
	e->caps_gained = (eff & ~sv->cap_effective) | (prm & ~sv->cap_permitted);
	if (e->caps_gained || e->old_euid != e->task.euid || e->old_egid != e->egid)
		e->flags |= RG_EXEC_PRIV_CHANGE;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct rg_scratch *sc;
	struct rg_exec *e;
	struct rg_stash *st;
	struct mm_struct *mm;
	__u32 old = old_pid;
	__u32 off = sizeof(*e);
	unsigned long arg_start, arg_end;
	__u64 now = bpf_ktime_get_boot_ns(), response_ns = 0;
	__u32 response;

	if (is_self())
		return 0;
	/* act first: the record's cost must not delay the kill */
	response = response__exec(p, bprm->file, &response_ns);
	sc = rec__scratch();
	if (!sc)
		return 0;
	rec__begin(sc, sizeof(*e), RG_KIND_EXEC, p);
	e = (void *)sc->rec;
	e->hdr.ktime_ns = now; /* the exec's time, from before the response */
	e->flags = response;
	e->response_ns = response_ns;
	e->old_tid = old;
	e->argc = bprm->argc;
	e->syscall = RG_SYS_EXECVE;
	e->dirfd = RG_AT_FDCWD;
	e->egid = cred__of(p)->egid.val;
	/* the exec'ing thread keeps its task_struct (and storage) across de_thread() */
	st = bpf_task_storage_get(&stash, p, 0, 0);
	if (st) {
		if (st->syscall == RG_SYS_EXECVEAT) {
			e->syscall = RG_SYS_EXECVEAT;
			e->dirfd = (int)st->args[0];
		}
		exec__creds(e, p, st);
		st->syscall = 0;
	}
	/* what stdin/stdout/stderr are: a shell reading a socket is a reverse shell */
	for (int i = 0; i < 3; i++) {
		struct file *f = task__fd_file(p, i);
		struct sock *sk;
		__u16 family;

		e->stdio_mode[i] = f ? file__ifmt(f) : 0;
		sk = file__sock(f);
		if (!sk)
			continue;
		/* a network socket, not a unix one (systemd hands services the journal's) */
		family = bpf_core_cast(sk, struct sock)->__sk_common.skc_family;
		if (family == RG_AF_INET || family == RG_AF_INET6)
			e->stdio_inet |= 1 << i;
	}
	rec__str(sc, &off, &e->filename, bprm->filename, RG_PATH_MAX, 0);
	/* a #! script or binfmt_misc file: the handler pointed interp elsewhere
	 * (bprm_change_interp); bprm->file is now the interpreter */
	if (bprm->interp != bprm->filename)
		rec__str(sc, &off, &e->interp, bprm->interp, RG_INTERP_MAX, 0);
	/*
	 * argv from the new mm's arg area: the kernel has just copied it there
	 * (copy_strings), so unlike the execve() argument pointers at sys_enter
	 * it is resident and final.
	 */
	mm = p->mm;
	arg_start = mm->arg_start;
	arg_end = mm->arg_end;
	if (arg_end > arg_start)
		rec__bytes(sc, &off, &e->args, (void *)arg_start, arg_end - arg_start, 0,
			   RG_ARGS_MAX, 1);
	rec__path(sc, &off, &e->exe, bprm->file->f_path.dentry, bprm->file->f_path.mnt, 0);
	rec__path(sc, &off, &e->cwd, p->fs->pwd.dentry, p->fs->pwd.mnt, 0);
	rec__submit(sc, off);
	return 0;
}

#endif /* __RG_EXEC_BPF_H */
