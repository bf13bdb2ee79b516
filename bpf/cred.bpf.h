/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cred.bpf.h - process_setuid: successful setuid, setgid, setreuid,
 * setregid, setresuid, setresgid, setfsuid, setfsgid, setgroups and capset.
 * Included by sensor.bpf.c after the syscall plumbing (sys__unstash) it uses.
 *
 * commit_creds() replaces current->cred, so the ids before the call are
 * saved at sys_enter in the thread's stash and compared, at sys_exit, with
 * the creds the call left: the arguments are never trusted (-1 means
 * "unchanged", and the kernel decides what actually changes).
 *
 * Not reported (counted as kernel_filtered): an id call that changed none of
 * its family's ids (setuid(getuid()) by a daemon, a failed setfsuid, which
 * returns the old fsuid rather than an error). setgroups and capset are
 * reported whenever they succeed.
 */
#ifndef __RG_CRED_BPF_H
#define __RG_CRED_BPF_H

static __always_inline void cred__ids(struct rg_ids *out, const struct cred *c)
{
	out->uid = c->uid.val;
	out->euid = c->euid.val;
	out->suid = c->suid.val;
	out->fsuid = c->fsuid.val;
	out->gid = c->gid.val;
	out->egid = c->egid.val;
	out->sgid = c->sgid.val;
	out->fsgid = c->fsgid.val;
}

_Static_assert(sizeof(struct rg_ids) <= sizeof(((struct rg_stash *)0)->args), "ids fit the stash");

/* Saves the caller's ids before a credential call. */
static __always_inline int cred__enter(__u32 syscall)
{
	struct rg_stash *s;

	if (is_self())
		return 0;
	s = sys__stash_slot();
	if (!s)
		return 0;
	s->syscall = syscall;
	cred__ids((struct rg_ids *)s->args, cred__of(current_task()));
	return 0;
}

static __always_inline int cred__uid_call(__u32 syscall)
{
	return syscall == RG_SYS_SETUID || syscall == RG_SYS_SETREUID ||
	       syscall == RG_SYS_SETRESUID || syscall == RG_SYS_SETFSUID;
}

static __always_inline int cred__gid_call(__u32 syscall)
{
	return syscall == RG_SYS_SETGID || syscall == RG_SYS_SETREGID ||
	       syscall == RG_SYS_SETRESGID || syscall == RG_SYS_SETFSGID;
}

static __always_inline int cred__same_uids(const struct rg_ids *a, const struct rg_ids *b)
{
	return a->uid == b->uid && a->euid == b->euid && a->suid == b->suid && a->fsuid == b->fsuid;
}

static __always_inline int cred__same_gids(const struct rg_ids *a, const struct rg_ids *b)
{
	return a->gid == b->gid && a->egid == b->egid && a->sgid == b->sgid && a->fsgid == b->fsgid;
}

static __always_inline int cred__exit(struct trace_event_raw_sys_exit *ctx, __u32 syscall)
{
	struct task_struct *task = current_task();
	const struct cred *c = cred__of(task);
	struct group_info *gi;
	struct rg_scratch *sc;
	struct rg_stash st;
	struct rg_cred *e;
	struct rg_ids old, now;
	__u32 n;

	if (is_self() || !sys__unstash(&st) || st.syscall != syscall)
		return 0;
	/* setfsuid/setfsgid return the previous fsuid/fsgid, even on failure */
	if (ctx->ret != 0 && syscall != RG_SYS_SETFSUID && syscall != RG_SYS_SETFSGID)
		return 0;
	__builtin_memcpy(&old, st.args, sizeof(old));
	cred__ids(&now, c);
	if ((cred__uid_call(syscall) && cred__same_uids(&old, &now)) ||
	    (cred__gid_call(syscall) && cred__same_gids(&old, &now))) {
		counter__inc(RG_CNT_KERNEL_FILTERED);
		return 0;
	}
	sc = rec__scratch();
	if (!sc)
		return 0;
	rec__begin(sc, sizeof(*e), RG_KIND_SETUID, task);
	e = (void *)sc->rec;
	e->syscall = syscall;
	e->old_ids = old;
	e->new_ids = now;
	if (syscall == RG_SYS_CAPSET) {
		e->cap_effective = cred__cap(&c->cap_effective);
		e->cap_permitted = cred__cap(&c->cap_permitted);
		e->cap_inheritable = cred__cap(&c->cap_inheritable);
	}
	if (syscall == RG_SYS_SETGROUPS) {
		gi = c->group_info;
		n = gi->ngroups;
		e->ngroups = n;
		for (int i = 0; i < RG_GROUPS_MAX; i++) {
			if (i >= n)
				break;
			bpf_probe_read_kernel(&e->groups[i], sizeof(e->groups[i]), &gi->gid[i]);
		}
	}
	rec__submit(sc, sizeof(*e));
	return 0;
}

/* sys_enter and sys_exit programs for credential call @name (@id). */
#define RG_CRED(name, id)                                                           \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                 \
	int handle_enter_##name(struct trace_event_raw_sys_enter *ctx)              \
	{                                                                           \
		return cred__enter(id);                                             \
	}                                                                           \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                  \
	int handle_exit_##name(struct trace_event_raw_sys_exit *ctx)                \
	{                                                                           \
		return cred__exit(ctx, id);                                         \
	}

RG_CRED(setuid, RG_SYS_SETUID)
RG_CRED(setgid, RG_SYS_SETGID)
RG_CRED(setreuid, RG_SYS_SETREUID)
RG_CRED(setregid, RG_SYS_SETREGID)
RG_CRED(setresuid, RG_SYS_SETRESUID)
RG_CRED(setresgid, RG_SYS_SETRESGID)
RG_CRED(setfsuid, RG_SYS_SETFSUID)
RG_CRED(setfsgid, RG_SYS_SETFSGID)
RG_CRED(setgroups, RG_SYS_SETGROUPS)
RG_CRED(capset, RG_SYS_CAPSET)

#endif /* __RG_CRED_BPF_H */
