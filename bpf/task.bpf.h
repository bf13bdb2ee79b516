/* SPDX-License-Identifier: GPL-2.0 */
/* task.bpf.h - who is acting: identity of a task and its open files. */
#ifndef __RG_TASK_BPF_H
#define __RG_TASK_BPF_H

static __always_inline void task__fill(struct rg_task *t, struct task_struct *task)
{
	t->pid = BPF_CORE_READ(task, tgid);
	t->tid = BPF_CORE_READ(task, pid);
	t->ppid = BPF_CORE_READ(task, real_parent, tgid);
	t->uid = BPF_CORE_READ(task, cred, uid.val);
	t->gid = BPF_CORE_READ(task, cred, gid.val);
	t->euid = BPF_CORE_READ(task, cred, euid.val);
	BPF_CORE_READ_STR_INTO(&t->comm, task, comm);
	/* the parent process's name: its leader's comm, not the forking thread's */
	BPF_CORE_READ_STR_INTO(&t->parent_comm, task, real_parent, group_leader, comm);
}

/* The struct file behind @fd in @task's table, or NULL. */
static __always_inline struct file *task__fd_file(struct task_struct *task, long fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (!fdt || fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* S_IFMT of the inode behind @f. */
static __always_inline __u32 file__ifmt(struct file *f)
{
	return BPF_CORE_READ(f, f_inode, i_mode) & 00170000;
}

#define RG_S_IFREG 0100000
#define RG_S_IFSOCK 0140000

#endif /* __RG_TASK_BPF_H */
