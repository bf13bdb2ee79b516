/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fileattr.bpf.h - file_utimes and file_xattr: successful changes of a
 * file's timestamps and extended attributes. Included by sensor.bpf.c after
 * filemeta.bpf.h, whose path rule (filemeta__path) they share: the fd
 * calls name the fd's file, walked from its dentry; the path calls the
 * caller's string made absolute against the dirfd or cwd. The path goes
 * through the [file] filter; what it rules out is counted as
 * kernel_filtered and never sent.
 *
 * The times, the xattr_args of setxattrat and the head of an xattr value
 * are read from the caller's memory at sys_exit: the kernel copied them at
 * entry, so their pages are resident, and one program per hook suffices
 * (no enter program, no task storage). A read that fails anyway says so in
 * the record (RG_TIMES_UNREAD, value_unread), never a made-up value.
 */
#ifndef __RG_FILEATTR_BPF_H
#define __RG_FILEATTR_BPF_H

/* include/uapi/linux/stat.h */
#define RG_UTIME_OMIT ((1L << 30) - 2)

static __always_inline int utimes__exit(struct trace_event_raw_sys_exit *ctx, const struct rg_args *st)
{
	struct rg_str path = {};
	struct rg_scratch *sc;
	struct rg_utimes *e;
	struct file *f = NULL;
	unsigned long name, times;
	long fd = RG_AT_FDCWD;
	__s64 t[4] = {};
	__u32 flags = 0, state = 0, off = sizeof(*e);
	int keep;

	if (ctx->ret != 0)
		return 0;
	switch (st->syscall) {
	case RG_SYS_UTIMENSAT:
		fd = (int)st->args[0];
		name = st->args[1];
		times = st->args[2];
		flags = st->args[3];
		break;
	case RG_SYS_FUTIMESAT:
		fd = (int)st->args[0];
		name = st->args[1];
		times = st->args[2];
		break;
	default: /* utimes, utime */
		name = st->args[0];
		times = st->args[1];
		break;
	}
	if (!times) {
		state = RG_TIMES_NULL;
	} else if (st->syscall == RG_SYS_UTIME) {
		/* struct utimbuf: actime, modtime in seconds */
		if (bpf_probe_read_user(t, 2 * sizeof(t[0]), (void *)times))
			state = RG_TIMES_UNREAD;
		t[2] = t[1];
		t[1] = 0;
	} else if (bpf_probe_read_user(t, sizeof(t), (void *)times)) {
		state = RG_TIMES_UNREAD;
	} else if (st->syscall != RG_SYS_UTIMENSAT) {
		/* struct __kernel_old_timeval[2]: microseconds, range-checked by the kernel */
		t[1] *= 1000;
		t[3] *= 1000;
	} else if (t[1] == RG_UTIME_OMIT && t[3] == RG_UTIME_OMIT) {
		/* do_utimes() returns 0 before looking the file up: nothing changed */
		return file__filtered();
	}
	if (state)
		t[0] = t[1] = t[2] = t[3] = 0;
	sc = rec__scratch();
	if (!sc)
		return 0;
	keep = filemeta__path(sc, &off, &path, fd, name, &flags, &f);
	if (keep < 0)
		return 0; /* another thread closed the fd: nothing to name */
	if (!keep)
		return file__filtered();
	rec__begin(sc, sizeof(*e), RG_KIND_FILE_UTIMES, current_task());
	e = (void *)sc->rec;
	e->path = path;
	e->syscall = st->syscall;
	e->flags = flags;
	e->fd = fd;
	e->times = state;
	e->atime_sec = t[0];
	e->atime_nsec = t[1];
	e->mtime_sec = t[2];
	e->mtime_nsec = t[3];
	rec__submit(sc, off);
	return 0;
}

RG_EXIT_ARGS(utimensat, RG_SYS_UTIMENSAT, utimes__exit)
RG_EXIT_ARGS(utimes, RG_SYS_UTIMES, utimes__exit)
RG_EXIT_ARGS(futimesat, RG_SYS_FUTIMESAT, utimes__exit)
RG_EXIT_ARGS(utime, RG_SYS_UTIME, utimes__exit)

/* struct xattr_args (include/uapi/linux/xattr.h, 6.13): setxattrat's value */
struct rg_xattr_args {
	__u64 value;
	__u32 size;
	__u32 flags;
};

static __always_inline int xattr__exit(struct trace_event_raw_sys_exit *ctx, const struct rg_args *st)
{
	struct rg_xattr_args xa = {};
	struct rg_str path = {}, aname_str = {};
	struct rg_scratch *sc;
	struct rg_xattr *e;
	struct file *f = NULL;
	unsigned long name = 0, aname, value = 0;
	long fd = RG_AT_FDCWD;
	__u64 size = 0;
	__u32 flags = 0, at_flags = 0, unread = 0, off = sizeof(*e), n;
	int keep;

	if (ctx->ret != 0)
		return 0;
	switch (st->syscall) {
	case RG_SYS_LSETXATTR:
	case RG_SYS_LREMOVEXATTR:
		at_flags = RG_AT_SYMLINK_NOFOLLOW;
		/* fall through */
	case RG_SYS_SETXATTR:
	case RG_SYS_REMOVEXATTR:
		name = st->args[0];
		break;
	case RG_SYS_SETXATTRAT:
	case RG_SYS_REMOVEXATTRAT:
		name = st->args[1];
		at_flags = st->args[2];
		/* fall through */
	default: /* fsetxattr, fremovexattr */
		fd = (int)st->args[0];
		break;
	}
	switch (st->syscall) {
	case RG_SYS_SETXATTRAT:
		/* the kernel takes at least the 16 bytes of VER0 */
		if (bpf_probe_read_user(&xa, sizeof(xa), (void *)st->args[4]))
			unread = 1;
		aname = st->args[3];
		value = xa.value;
		size = xa.size;
		flags = xa.flags;
		break;
	case RG_SYS_REMOVEXATTRAT:
		aname = st->args[3];
		break;
	case RG_SYS_REMOVEXATTR:
	case RG_SYS_LREMOVEXATTR:
	case RG_SYS_FREMOVEXATTR:
		aname = st->args[1];
		break;
	default: /* setxattr, lsetxattr, fsetxattr */
		aname = st->args[1];
		value = st->args[2];
		size = st->args[3];
		flags = st->args[4];
		break;
	}
	sc = rec__scratch();
	if (!sc)
		return 0;
	/*
	 * The name goes first, while off is a constant: after the path (whose
	 * global function returns off unbounded to the verifier) it could not
	 * be appended within provable bounds.
	 */
	rec__str(sc, &off, &aname_str, (void *)aname, RG_XATTR_NAME_MAX, 1);
	keep = filemeta__path(sc, &off, &path, fd, name, &at_flags, &f);
	if (keep < 0)
		return 0; /* another thread closed the fd: nothing to name */
	if (!keep)
		return file__filtered();
	rec__begin(sc, sizeof(*e), RG_KIND_FILE_XATTR, current_task());
	e = (void *)sc->rec;
	e->path = path;
	e->name = aname_str;
	e->syscall = st->syscall;
	e->size = size;
	e->flags = flags;
	e->at_flags = at_flags;
	e->fd = fd;
	n = size < RG_XATTR_VALUE_HEAD ? size : RG_XATTR_VALUE_HEAD;
	if (value && n) {
		if (n <= RG_XATTR_VALUE_HEAD && !bpf_probe_read_user(e->value, n, (void *)value))
			e->value_len = n;
		else
			unread = 1;
	}
	e->value_unread = unread;
	rec__submit(sc, off);
	return 0;
}

RG_EXIT_ARGS(setxattr, RG_SYS_SETXATTR, xattr__exit)
RG_EXIT_ARGS(lsetxattr, RG_SYS_LSETXATTR, xattr__exit)
RG_EXIT_ARGS(fsetxattr, RG_SYS_FSETXATTR, xattr__exit)
RG_EXIT_ARGS(setxattrat, RG_SYS_SETXATTRAT, xattr__exit)
RG_EXIT_ARGS(removexattr, RG_SYS_REMOVEXATTR, xattr__exit)
RG_EXIT_ARGS(lremovexattr, RG_SYS_LREMOVEXATTR, xattr__exit)
RG_EXIT_ARGS(fremovexattr, RG_SYS_FREMOVEXATTR, xattr__exit)
RG_EXIT_ARGS(removexattrat, RG_SYS_REMOVEXATTRAT, xattr__exit)

#endif /* __RG_FILEATTR_BPF_H */
