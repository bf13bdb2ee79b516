/* SPDX-License-Identifier: GPL-2.0 */
/* task.bpf.h - who is acting: identity of a task and its open files. */
#ifndef __RG_TASK_BPF_H
#define __RG_TASK_BPF_H

/*
 * Where @task runs (struct rg_ctx). Plain loads through BTF-typed pointers,
 * as for the rest of the task; the two arrays indexed by a value known only
 * at run time (the controller's slot, the pid namespace level) need a
 * probe read each, the verifier cannot bound those offsets. A NULL on the
 * way (a kernel thread's mm-less nsproxy, an exiting task) reads as 0.
 */
static __always_inline void task__ctx(struct rg_ctx *out, struct task_struct *t)
{
	struct css_set *cgroups = t->cgroups;
	struct nsproxy *nsp = t->nsproxy;
	struct pid *pid = t->group_leader->thread_pid;
	struct cgroup_subsys_state *css = NULL;
	struct upid up = {};
	unsigned int level;

	out->cgroup_id = cgroups->dfl_cgrp->kn->id;
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id)) {
		__u32 slot = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);

		if (slot < 16) {
			bpf_probe_read_kernel(&css, sizeof(css), &cgroups->subsys[slot]);
			if (css)
				out->cgroup1_id = bpf_core_cast(css, struct cgroup_subsys_state)->cgroup->kn->id;
		}
	}
	out->mntns = nsp->mnt_ns->ns.inum;
	out->netns = nsp->net_ns->ns.inum;
	out->utsns = nsp->uts_ns->ns.inum;
	out->ipcns = nsp->ipc_ns->ns.inum;
	out->cgroupns = nsp->cgroup_ns->ns.inum;
	out->userns = t->cred->user_ns->ns.inum;
	/* the task's own pid namespace is its pid's deepest level (not
	 * nsproxy->pid_ns_for_children, which unshare(CLONE_NEWPID) changes) */
	level = pid->level;
	if (pid && level <= 32 &&
	    !bpf_probe_read_kernel(&up, sizeof(up), &pid->numbers[level]) && up.ns) {
		out->ns_pid = up.nr;
		out->pidns = bpf_core_cast(up.ns, struct pid_namespace)->ns.inum;
	}
}

/*
 * Who @task is. Plain loads through BTF-typed pointers: this runs for every
 * record, and a bpf_probe_read_kernel() call per field was a large part of
 * its cost. comm is NUL-padded by the kernel (strscpy_pad), so a fixed-size
 * copy is the string.
 */
static __always_inline void task__fill(struct rg_task *out, struct task_struct *task)
{
	struct task_struct *t = bpf_core_cast(task, struct task_struct);
	struct task_struct *parent = t->real_parent;
	const struct cred *cred = t->cred;

	out->pid = t->tgid;
	out->tid = t->pid;
	out->ppid = parent->tgid;
	out->uid = cred->uid.val;
	out->gid = cred->gid.val;
	out->euid = cred->euid.val;
	bpf_probe_read_kernel(&out->comm, sizeof(out->comm), t->comm);
	/* the parent process's name: its leader's comm, not the forking thread's */
	bpf_probe_read_kernel(&out->parent_comm, sizeof(out->parent_comm), parent->group_leader->comm);
	task__ctx(&out->ctx, t);
}

/*
 * The struct file behind @fd in @task's table, or NULL. Plain loads through
 * BTF-typed pointers (see path__walk_step); the array slot alone needs a
 * probe read, the verifier cannot bound an index into it.
 */
static __always_inline struct file *task__fd_file(struct task_struct *task, long fd)
{
	struct task_struct *t = bpf_core_cast(task, struct task_struct);
	struct files_struct *files = t->files;
	struct fdtable *fdt;
	struct file **fds;
	struct file *f = NULL;

	if (!files)
		return NULL;
	fdt = files->fdt;
	if (!fdt || fd < 0 || fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* S_IFMT of the inode behind @f. */
static __always_inline __u32 file__ifmt(struct file *f)
{
	return bpf_core_cast(f, struct file)->f_inode->i_mode & 00170000;
}

/* ---- credentials (process_setuid, and exec's privilege change) ---- */

/* Before 6.3, kernel_cap_t was two __u32 words (f122a08b197d, "capability:
 * just use a 'u64' instead of a 'u32[2]' array"). */
struct kernel_cap_struct___rg_old {
	__u32 cap[2];
};

static __always_inline __u64 cred__cap(const kernel_cap_t *c)
{
	const struct kernel_cap_struct___rg_old *o = (const void *)c;

	if (bpf_core_field_exists(c->val))
		return BPF_CORE_READ(c, val);
	return BPF_CORE_READ(o, cap[0]) | (__u64)BPF_CORE_READ(o, cap[1]) << 32;
}

static __always_inline const struct cred *cred__of(struct task_struct *task)
{
	return bpf_core_cast(task, struct task_struct)->cred;
}

#define RG_S_IFREG 0100000
#define RG_S_IFSOCK 0140000

#endif /* __RG_TASK_BPF_H */
