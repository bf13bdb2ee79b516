/* SPDX-License-Identifier: GPL-2.0 */
/*
 * link.bpf.h - file_link: link, linkat, symlink and symlinkat that created
 * a link. Included by sensor.bpf.c after the file plumbing (RG_EXIT_ARGS,
 * file__filtered) it uses.
 *
 * The record's path is the existing file of a hard link, or a symlink's
 * content exactly as given (never resolved: it is only a string, which the
 * kernel reads again each time the link is followed); new_path is the link
 * created. Both go through the [file] filter and the record is kept when
 * either passes, so `ln /etc/shadow /var/tmp/.s` is reported whatever the
 * watch list says about /var/tmp. A symlink's content can only make a record
 * be kept, never dropped: a relative or dotted content is kept by the filter
 * (it cannot tell what it names), and userspace judges it against the
 * link's own directory.
 */
#ifndef __RG_LINK_BPF_H
#define __RG_LINK_BPF_H

/*
 * A symlink's content, copied as given (from the caller's memory, or with
 * @kernel from the kernel's copy); returns whether the filter keeps it.
 */
static __always_inline int link__content(struct rg_scratch *sc, __u32 *off, struct rg_str *s,
					 unsigned long uname, int kernel)
{
	struct rg_pathbuf *pb = pathbuf__get();
	long n;

	if (!pb)
		return 1;
	if (kernel)
		n = bpf_probe_read_kernel_str(&pb->buf[RG_PATH_HALF + 1], RG_PATH_HALF - 1, (void *)uname);
	else
		n = bpf_probe_read_user_str(&pb->buf[RG_PATH_HALF + 1], RG_PATH_HALF - 1, (void *)uname);
	if (n <= 1)
		return 1;
	rec__bytes(sc, off, s, &pb->buf[RG_PATH_HALF + 1], n - 1, n == RG_PATH_HALF - 1, RG_PATH_MAX, 0);
	return filter__keep(pb, RG_PATH_HALF + 1, n - 1);
}

static __always_inline int file__link_exit(struct trace_event_raw_sys_exit *ctx, const struct rg_args *st)
{
	struct task_struct *task = current_task();
	struct rg_str path = {}, new_path = {};
	struct rg_scratch *sc;
	struct rg_file *e;
	__u32 off = sizeof(*e), flags = 0;
	long olddfd = RG_AT_FDCWD, newdfd = RG_AT_FDCWD;
	unsigned long oldname = st->args[0], newname = st->args[1];
	int keep;

	if (ctx->ret != 0)
		return 0;
	switch (st->syscall) {
	case RG_SYS_LINKAT:
		olddfd = (int)st->args[0];
		oldname = st->args[1];
		newdfd = (int)st->args[2];
		newname = st->args[3];
		flags = st->args[4];
		break;
	case RG_SYS_SYMLINKAT:
		newdfd = (int)st->args[1];
		newname = st->args[2];
		break;
	}
	sc = rec__scratch();
	if (!sc)
		return 0;
	if (st->syscall == RG_SYS_SYMLINK || st->syscall == RG_SYS_SYMLINKAT)
		keep = link__content(sc, &off, &path, oldname, 0);
	else
		keep = rec__user_path_at(&off, &path, olddfd, oldname, 1);
	keep |= rec__user_path_at(&off, &new_path, newdfd, newname, 1);
	if (!keep)
		return file__filtered();
	rec__begin(sc, sizeof(*e), RG_KIND_FILE_LINK, task);
	e = (void *)sc->rec;
	e->path = path;
	e->new_path = new_path;
	e->syscall = st->syscall;
	e->flags = flags;
	rec__submit(sc, off);
	return 0;
}

RG_EXIT_ARGS(link, RG_SYS_LINK, file__link_exit)
RG_EXIT_ARGS(linkat, RG_SYS_LINKAT, file__link_exit)
RG_EXIT_ARGS(symlink, RG_SYS_SYMLINK, file__link_exit)
RG_EXIT_ARGS(symlinkat, RG_SYS_SYMLINKAT, file__link_exit)

#endif /* __RG_LINK_BPF_H */
