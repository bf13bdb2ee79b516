/* SPDX-License-Identifier: GPL-2.0 */
/*
 * filemeta.bpf.h - file_chmod, file_chown and file_truncate: successful
 * changes of a file's mode, owner or length. Included by sensor.bpf.c
 * after the file plumbing (RG_EXIT_ARGS, file__filtered) it uses.
 *
 * The path goes through the [file] filter like every file event; a path
 * it rules out is counted as kernel_filtered and never sent.
 *
 * Where the path comes from: for the fd calls (fchmod, fchown, ftruncate,
 * and fchmodat2/fchownat with AT_EMPTY_PATH and an empty name) it is the
 * fd's file, walked from its dentry, and chmod's mode is read back from
 * the inode. The path calls leave nothing in the arguments that reaches the
 * inode by the time sys_exit runs (no fentry or LSM hook is available), so
 * their path is the caller's string made absolute against the dirfd or cwd
 * exactly as unlink's is (rec__user_path_at): the last component is not
 * resolved, and chmod's mode is the one requested.
 */
#ifndef __RG_FILEMETA_BPF_H
#define __RG_FILEMETA_BPF_H

#define RG_AT_SYMLINK_NOFOLLOW 0x100
#define RG_AT_EMPTY_PATH 0x1000
#define RG_S_IALLUGO 07777

/* Whether @name is "" (the AT_EMPTY_PATH form, where the fd is the file). */
static __always_inline int filemeta__empty_name(unsigned long name)
{
	char c = 0;

	bpf_probe_read_user(&c, sizeof(c), (void *)name);
	return c == 0;
}

/*
 * Appends the path of the file a metadata call changed: the fd's file,
 * walked from its dentry, when @name is NULL or when *@flags has
 * AT_EMPTY_PATH and @name is "" (or, since 6.11, NULL); else @name made
 * absolute against @fd or the cwd. On return AT_EMPTY_PATH in *@flags says
 * which it was, and *@fp is the fd's file for the first kind. Returns 1 to
 * send, 0 when the [file] filter rules the path out, -1 when there is
 * nothing to name (another thread closed the fd). Shared by the handlers
 * in fileattr.bpf.h.
 */
static __always_inline int filemeta__path(struct rg_scratch *sc, __u32 *off, struct rg_str *path, long fd,
					  unsigned long name, __u32 *flags, struct file **fp)
{
	__u32 empty = *flags & RG_AT_EMPTY_PATH;
	struct file *f;

	*flags &= ~RG_AT_EMPTY_PATH;
	if (name && !(empty && filemeta__empty_name(name)))
		return rec__user_path_at(off, path, fd, name, 0);
	*flags |= RG_AT_EMPTY_PATH;
	f = task__fd_file(current_task(), fd);
	if (!f)
		return -1;
	*fp = f;
	return rec__path(sc, off, path, bpf_core_cast(f, struct file)->f_path.dentry,
			 bpf_core_cast(f, struct file)->f_path.mnt, 1);
}

static __always_inline int filemeta__exit(struct trace_event_raw_sys_exit *ctx, const struct rg_args *st)
{
	struct task_struct *task = current_task();
	struct rg_str path = {};
	struct rg_scratch *sc;
	struct rg_filemeta *e;
	struct file *f = NULL;
	unsigned long name = 0;
	long fd = RG_AT_FDCWD;
	__u32 flags = 0, off = sizeof(*e);
	__u16 kind;
	int keep;

	if (ctx->ret != 0)
		return 0;
	switch (st->syscall) {
	case RG_SYS_CHMOD:
	case RG_SYS_CHOWN:
	case RG_SYS_TRUNCATE:
		name = st->args[0];
		break;
	case RG_SYS_LCHOWN:
		name = st->args[0];
		flags = RG_AT_SYMLINK_NOFOLLOW;
		break;
	case RG_SYS_FCHMODAT:
		fd = (int)st->args[0];
		name = st->args[1];
		break;
	case RG_SYS_FCHMODAT2:
		fd = (int)st->args[0];
		name = st->args[1];
		flags = st->args[3];
		break;
	case RG_SYS_FCHOWNAT:
		fd = (int)st->args[0];
		name = st->args[1];
		flags = st->args[4];
		break;
	default: /* fchmod, fchown, ftruncate */
		fd = (int)st->args[0];
		break;
	}
	sc = rec__scratch();
	if (!sc)
		return 0;
	/*
	 * From here on AT_EMPTY_PATH in flags says that the path is the fd's
	 * file: set for the fd calls, and for an AT_EMPTY_PATH call with an
	 * empty (or, since 6.11, NULL) name.
	 */
	keep = filemeta__path(sc, &off, &path, fd, name, &flags, &f);
	if (keep < 0)
		return 0; /* another thread closed the fd: nothing to name */
	if (!keep)
		return file__filtered();
	switch (st->syscall) {
	case RG_SYS_CHMOD:
	case RG_SYS_FCHMOD:
	case RG_SYS_FCHMODAT:
	case RG_SYS_FCHMODAT2:
		kind = RG_KIND_FILE_CHMOD;
		break;
	case RG_SYS_TRUNCATE:
	case RG_SYS_FTRUNCATE:
		kind = RG_KIND_FILE_TRUNCATE;
		break;
	default:
		kind = RG_KIND_FILE_CHOWN;
		break;
	}
	rec__begin(sc, sizeof(*e), kind, task);
	e = (void *)sc->rec;
	e->path = path;
	e->syscall = st->syscall;
	e->flags = flags;
	e->fd = fd;
	e->owner_uid = -1;
	e->owner_gid = -1;
	switch (st->syscall) {
	case RG_SYS_CHMOD:
	case RG_SYS_FCHMOD:
		e->mode = st->args[1] & RG_S_IALLUGO;
		break;
	case RG_SYS_FCHMODAT:
	case RG_SYS_FCHMODAT2:
		e->mode = st->args[2] & RG_S_IALLUGO;
		break;
	case RG_SYS_FCHOWNAT:
		e->owner_uid = st->args[2];
		e->owner_gid = st->args[3];
		break;
	case RG_SYS_CHOWN:
	case RG_SYS_FCHOWN:
	case RG_SYS_LCHOWN:
		e->owner_uid = st->args[1];
		e->owner_gid = st->args[2];
		break;
	default: /* truncate, ftruncate */
		e->length = st->args[1];
		break;
	}
	/*
	 * What the file now has, where the inode is at hand: the kernel may
	 * have dropped setgid (setattr_copy() clears it for a caller outside
	 * the file's group without CAP_FSETID).
	 */
	if (f && kind == RG_KIND_FILE_CHMOD)
		e->mode = bpf_core_cast(f, struct file)->f_inode->i_mode & RG_S_IALLUGO;
	rec__submit(sc, off);
	return 0;
}

RG_EXIT_ARGS(chmod, RG_SYS_CHMOD, filemeta__exit)
RG_EXIT_ARGS(fchmod, RG_SYS_FCHMOD, filemeta__exit)
RG_EXIT_ARGS(fchmodat, RG_SYS_FCHMODAT, filemeta__exit)
RG_EXIT_ARGS(fchmodat2, RG_SYS_FCHMODAT2, filemeta__exit)
RG_EXIT_ARGS(chown, RG_SYS_CHOWN, filemeta__exit)
RG_EXIT_ARGS(fchown, RG_SYS_FCHOWN, filemeta__exit)
RG_EXIT_ARGS(lchown, RG_SYS_LCHOWN, filemeta__exit)
RG_EXIT_ARGS(fchownat, RG_SYS_FCHOWNAT, filemeta__exit)
RG_EXIT_ARGS(truncate, RG_SYS_TRUNCATE, filemeta__exit)
RG_EXIT_ARGS(ftruncate, RG_SYS_FTRUNCATE, filemeta__exit)

#endif /* __RG_FILEMETA_BPF_H */
