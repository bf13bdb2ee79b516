/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ns.bpf.h - process_namespace (setns, unshare, clone and clone3 that made
 * namespaces) and file_mount (mount, umount2, fsmount, move_mount,
 * pivot_root, chroot, open_tree). Included by sensor.bpf.c after the
 * syscall-exit plumbing (RG_EXIT_ARGS, sys__args) it uses.
 *
 * Only successful calls are reported. Nothing here is filtered on a path:
 * mount targets and sources are caller-supplied strings (made absolute) or
 * kernel objects, and these calls are rare enough to report them all.
 */
#ifndef __RG_NS_BPF_H
#define __RG_NS_BPF_H

/* CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET (UAPI) */
#define RG_CLONE_NEW_MASK 0x7e020000ULL
/* CLONE_NEWTIME shares its bit with clone()'s exit signal: unshare and clone3 only */
#define RG_CLONE_NEWTIME 0x80ULL
#define RG_NSFS_MAGIC 0x6e736673
#define RG_MS_BIND 0x1000
#define RG_MS_MOVE 0x2000
#define RG_MOVE_MOUNT_F_EMPTY_PATH 0x4

/*
 * Linux 6.18 moved a namespace's CLONE_NEW* type from its
 * proc_ns_operations into ns_common (ns_type), dropping ops->type.
 */
struct proc_ns_operations___rg_old {
	int type;
};

struct ns_common___rg_new {
	__u32 ns_type;
};

static __always_inline __u32 ns__type(struct ns_common *ns)
{
	struct ns_common___rg_new *n = (void *)ns;
	struct proc_ns_operations___rg_old *ops;

	if (bpf_core_field_exists(n->ns_type))
		return BPF_CORE_READ(n, ns_type);
	ops = (void *)BPF_CORE_READ(ns, ops);
	return BPF_CORE_READ(ops, type);
}

static __always_inline int ns__emit(__u32 syscall, __u64 flags, __s32 child, __s32 fd,
				    struct file *f)
{
	struct rg_scratch *sc = rec__scratch();
	struct rg_namespace *e;

	if (!sc)
		return 0;
	rec__begin(sc, sizeof(*e), RG_KIND_NAMESPACE, current_task());
	e = (void *)sc->rec;
	e->syscall = syscall;
	e->flags = flags;
	e->child_pid = child;
	e->fd = fd;
	if (f) {
		struct inode *ino = bpf_core_cast(f, struct file)->f_inode;

		/* setns() takes a namespace file (nsfs) or, since 5.8, a pidfd */
		if (ino->i_sb->s_magic == RG_NSFS_MAGIC) {
			struct ns_common *ns = bpf_core_cast(ino->i_private, struct ns_common);

			e->ns_inum = ns->inum;
			e->ns_type = ns__type(ns);
		} else {
			/* a pidfd: pidfs (6.9+) keeps the pid in the inode, an
			 * anon-inode pidfd before it in the file */
			void *p = ino->i_private;
			struct pid *pid;

			if (!p)
				p = bpf_core_cast(f, struct file)->private_data;
			pid = bpf_core_cast(p, struct pid);
			e->target_pid = pid->numbers[0].nr;
		}
	}
	rec__submit(sc, sizeof(*e));
	return 0;
}

static __always_inline int ns__setns_exit(struct trace_event_raw_sys_exit *ctx, const struct rg_args *st)
{
	struct file *f;

	if (ctx->ret != 0)
		return 0;
	/* setns() does not close the fd: it still names what was entered */
	f = task__fd_file(current_task(), (int)st->args[0]);
	return ns__emit(RG_SYS_SETNS, st->args[1], 0, (int)st->args[0], f);
}

RG_EXIT_ARGS(setns, RG_SYS_SETNS, ns__setns_exit)

static __always_inline int ns__unshare_exit(struct trace_event_raw_sys_exit *ctx, const struct rg_args *st)
{
	__u64 flags = st->args[0] & (RG_CLONE_NEW_MASK | RG_CLONE_NEWTIME);

	/* unshare(CLONE_FILES) and the like make no namespace */
	if (ctx->ret != 0 || !flags)
		return 0;
	return ns__emit(RG_SYS_UNSHARE, flags, 0, -1, NULL);
}

RG_EXIT_ARGS(unshare, RG_SYS_UNSHARE, ns__unshare_exit)

/*
 * Every fork and thread passes here: the parent's return value and the
 * flags register are checked before anything else is read. The child's
 * return (0) and clones without CLONE_NEW* are not namespace events, so
 * they are not counted as filtered either.
 */
SEC("tracepoint/syscalls/sys_exit_clone")
int handle_exit_clone(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs;
	__u64 flags;

	if (ctx->ret <= 0)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	flags = PT_REGS_PARM1_SYSCALL(regs) & RG_CLONE_NEW_MASK;
	if (!flags || is_self())
		return 0;
	return ns__emit(RG_SYS_CLONE, flags, ctx->ret, -1, NULL);
}

/* clone3's flags are the first field of its clone_args, copied at entry (resident) */
SEC("tracepoint/syscalls/sys_exit_clone3")
int handle_exit_clone3(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs;
	__u64 flags = 0;

	if (ctx->ret <= 0)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	bpf_probe_read_user(&flags, sizeof(flags), (void *)PT_REGS_PARM1_SYSCALL(regs));
	flags &= RG_CLONE_NEW_MASK | RG_CLONE_NEWTIME;
	if (!flags || is_self())
		return 0;
	return ns__emit(RG_SYS_CLONE3, flags, ctx->ret, -1, NULL);
}

/* ---- file_mount --------------------------------------------------------- */

/* The device (or source) name and filesystem type of the mount @vfsmnt. */
static __always_inline void mount__of(struct rg_scratch *sc, __u32 *off, struct rg_str *source,
				      struct rg_str *fstype, struct vfsmount *vfsmnt)
{
	struct mount *m = container_of(vfsmnt, struct mount, mnt);

	if (!vfsmnt)
		return;
	if (source)
		rec__str(sc, off, source, bpf_core_cast(m, struct mount)->mnt_devname, RG_PATH_MAX, 0);
	rec__str(sc, off, fstype, bpf_core_cast(vfsmnt, struct vfsmount)->mnt_sb->s_type->name,
		 RG_FSTYPE_MAX, 0);
}

/* The file behind the fd @fd of the caller, its (dentry, mnt) in @d and @m. */
static __always_inline struct file *mount__fd(long fd, struct dentry **d, struct vfsmount **m)
{
	struct file *f = task__fd_file(current_task(), fd);

	if (!f)
		return NULL;
	*d = bpf_core_cast(f, struct file)->f_path.dentry;
	*m = bpf_core_cast(f, struct file)->f_path.mnt;
	return f;
}

/*
 * Where each field comes from, per call (docs/records.md says the same):
 * mount: source as passed (made absolute for MS_BIND and MS_MOVE), target
 * made absolute against the cwd, fstype as passed. umount2: target.
 * fsmount: the new mount's source and type from the kernel. move_mount:
 * source the moved mount's (an fd, MOVE_MOUNT_F_EMPTY_PATH) or the from
 * path, target the to path. pivot_root: target the new_root argument
 * resolved after the call, source and fstype the new root mount's.
 * chroot: target the new root directory, walked from the kernel's
 * fs->root. open_tree: source the tree's path (a clone of the root
 * filesystem resolves to its real path, others are flagged detached).
 */
static __always_inline int mount__exit(struct trace_event_raw_sys_exit *ctx, const struct rg_args *st)
{
	struct task_struct *task = current_task();
	struct rg_str source = {}, target = {}, fstype = {};
	struct dentry *dentry = NULL;
	struct vfsmount *mnt = NULL;
	struct rg_scratch *sc;
	struct rg_mount *e;
	__u32 off = sizeof(*e);
	__u64 flags = 0;
	__s32 fd = -1;

	if (ctx->ret < 0)
		return 0;
	sc = rec__scratch();
	if (!sc)
		return 0;
	switch (st->syscall) {
	case RG_SYS_MOUNT:
		flags = st->args[3];
		if (flags & (RG_MS_BIND | RG_MS_MOVE))
			rec__user_path_at(&off, &source, RG_AT_FDCWD, st->args[0], 1);
		else
			rec__str(sc, &off, &source, (void *)st->args[0], RG_PATH_MAX, 1);
		rec__user_path_at(&off, &target, RG_AT_FDCWD, st->args[1], 1);
		rec__str(sc, &off, &fstype, (void *)st->args[2], RG_FSTYPE_MAX, 1);
		break;
	case RG_SYS_UMOUNT2:
		flags = st->args[1];
		rec__user_path_at(&off, &target, RG_AT_FDCWD, st->args[0], 1);
		break;
	case RG_SYS_FSMOUNT:
		flags = st->args[2]; /* attr_flags: flags only has FSMOUNT_CLOEXEC */
		fd = ctx->ret;
		if (mount__fd(fd, &dentry, &mnt))
			mount__of(sc, &off, &source, &fstype, mnt);
		break;
	case RG_SYS_MOVE_MOUNT:
		flags = st->args[4];
		fd = (int)st->args[0];
		if (!(flags & RG_MOVE_MOUNT_F_EMPTY_PATH))
			rec__user_path_at(&off, &source, fd, st->args[1], 1);
		else if (mount__fd(fd, &dentry, &mnt))
			mount__of(sc, &off, &source, &fstype, mnt);
		rec__user_path_at(&off, &target, (int)st->args[2], st->args[3], 1);
		break;
	case RG_SYS_PIVOT_ROOT: {
		struct fs_struct *fs = bpf_core_cast(task, struct task_struct)->fs;

		rec__user_path_at(&off, &target, RG_AT_FDCWD, st->args[0], 1);
		mount__of(sc, &off, &source, &fstype, fs->root.mnt);
		break;
	}
	case RG_SYS_CHROOT: {
		struct fs_struct *fs = bpf_core_cast(task, struct task_struct)->fs;

		rec__path(sc, &off, &target, fs->root.dentry, fs->root.mnt, 0);
		break;
	}
	case RG_SYS_OPEN_TREE:
		flags = st->args[2];
		fd = ctx->ret;
		if (mount__fd(fd, &dentry, &mnt)) {
			rec__path(sc, &off, &source, dentry, mnt, 0);
			mount__of(sc, &off, NULL, &fstype, mnt);
		}
		break;
	}
	rec__begin(sc, sizeof(*e), RG_KIND_MOUNT, task);
	e = (void *)sc->rec;
	e->flags = flags;
	e->syscall = st->syscall;
	e->fd = fd;
	e->source = source;
	e->target = target;
	e->fstype = fstype;
	rec__submit(sc, off);
	return 0;
}

RG_EXIT_ARGS(mount, RG_SYS_MOUNT, mount__exit)
/* umount2 is SYSCALL_DEFINE2(umount, ...): its tracepoints are sys_*_umount */
RG_EXIT_ARGS(umount, RG_SYS_UMOUNT2, mount__exit)
RG_EXIT_ARGS(fsmount, RG_SYS_FSMOUNT, mount__exit)
RG_EXIT_ARGS(move_mount, RG_SYS_MOVE_MOUNT, mount__exit)
RG_EXIT_ARGS(pivot_root, RG_SYS_PIVOT_ROOT, mount__exit)
RG_EXIT_ARGS(chroot, RG_SYS_CHROOT, mount__exit)
RG_EXIT_ARGS(open_tree, RG_SYS_OPEN_TREE, mount__exit)

#endif /* __RG_NS_BPF_H */
