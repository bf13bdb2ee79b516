/* SPDX-License-Identifier: GPL-2.0 */
/*
 * io_uring_paths.bpf.h - renames, unlinks, links and symlinks submitted
 * through an io_uring ring (IORING_OP_RENAMEAT, UNLINKAT, LINKAT,
 * SYMLINKAT), reported as the file_rename, file_unlink and file_link
 * records the syscalls give, with syscall RG_SYS_IO_URING. Included by
 * io_uring.bpf.h, whose submission and completion programs call these.
 *
 * The names such a request carries (struct filename, copied by the prep
 * at submission) are freed while it runs, before io_uring_complete: the
 * record is built at io_uring_submit_req instead, its paths made absolute
 * against the dirfd or cwd and put through the [file] filter exactly as
 * the syscalls' are, and kept in uring_paths by request until the
 * completion says whether the operation succeeded. Only successes are
 * sent, as for the syscalls. A request submitted with
 * IOSQE_CQE_SKIP_SUCCESS posts no completion when it succeeds, so its
 * record is sent at submission, flagged RG_URING_AT_SUBMIT: whether it
 * succeeded is unknown. Every record lost on the way (the map full, or an
 * entry evicted before its completion) is counted in RG_CNT_STASH_DROPS.
 *
 * MKDIRAT has no record type (mkdir is not reported) and is not seen.
 */
#ifndef __RG_IO_URING_PATHS_BPF_H
#define __RG_IO_URING_PATHS_BPF_H

/* The largest record these build: rg_file and two paths. */
#define RG_URING_REC_MAX (sizeof(struct rg_file) + 2 * RG_PATH_MAX)

struct rg_uring_rec {
	__u8 rec[RG_URING_REC_MAX];
};

/*
 * The record of a request in flight, by request, from submission to
 * completion; a header size of 0 marks a request the [file] filter ruled
 * out (counted as filtered only if it succeeds). LRU, so entries whose
 * completion never came (a CQ overflow) cannot fill it for good; one
 * evicted before its completion is counted there. 256 entries of 8 KiB:
 * 2 MiB, for requests that are rare on a normal host.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, __u64); /* struct io_kiocb * */
	__type(value, struct rg_uring_rec);
} uring_paths SEC(".maps");

/* The opcodes whose records need the paths kept at submission. */
static __always_inline int uring__path_op(__u8 op)
{
	switch (op) {
	case IORING_OP_RENAMEAT:
	case IORING_OP_UNLINKAT:
	case IORING_OP_LINKAT:
	case IORING_OP_SYMLINKAT:
		return 1;
	}
	return 0;
}

/*
 * Appends the paths of a rename, link or symlink request @req to the
 * scratch record; returns whether the record is kept (either path passes
 * the filter), as file__rename_exit and file__link_exit decide. The
 * request's command holds the names (io_kiocb_to_cmd: the start of the
 * request); io_link serves LINKAT and SYMLINKAT, io_rename RENAMEAT.
 */
static __always_inline int uring__two_paths(struct rg_scratch *sc, __u32 *off, struct rg_file *e,
					    struct io_kiocb *req, __u8 op)
{
	struct io_rename *r = (void *)req;
	struct io_link *l = (void *)req;
	const int how = RG_PATH_ALWAYS | RG_PATH_KERNEL;
	int keep;

	if (op == IORING_OP_RENAMEAT) {
		e->flags = BPF_CORE_READ(r, flags);
		keep = rec__user_path_at(off, &e->path, BPF_CORE_READ(r, old_dfd),
					 (unsigned long)BPF_CORE_READ(r, oldpath, name), how);
		keep |= rec__user_path_at(off, &e->new_path, BPF_CORE_READ(r, new_dfd),
					  (unsigned long)BPF_CORE_READ(r, newpath, name), how);
		return keep;
	}
	if (op == IORING_OP_SYMLINKAT)
		keep = link__content(sc, off, &e->path, (unsigned long)BPF_CORE_READ(l, oldpath, name), 1);
	else
		keep = rec__user_path_at(off, &e->path, BPF_CORE_READ(l, old_dfd),
					 (unsigned long)BPF_CORE_READ(l, oldpath, name), how);
	e->flags = op == IORING_OP_LINKAT ? BPF_CORE_READ(l, flags) : 0;
	keep |= rec__user_path_at(off, &e->new_path, BPF_CORE_READ(l, new_dfd),
				  (unsigned long)BPF_CORE_READ(l, newpath, name), how);
	return keep;
}

/*
 * At submission: builds the record of a path request @req (op @op) and
 * keeps it until the completion, or sends it now for a request that will
 * post no completion on success.
 */
static __always_inline int uring__path_submit(struct io_kiocb *req, __u8 op)
{
	struct task_struct *task = uring__task(req);
	struct io_unlink *u = (void *)req;
	__u64 key = (__u64)req;
	struct rg_file tmp = {}; /* the strings' descriptors, until rec__begin */
	struct rg_scratch *sc;
	struct rg_header *h;
	struct rg_file *e;
	__u32 off = sizeof(*e);
	__u16 kind = RG_KIND_FILE_LINK;
	int keep, at_submit = (req->flags & REQ_F_CQE_SKIP) != 0;

	/* a recycled request must not complete with an earlier one's record */
	bpf_map_delete_elem(&uring_paths, &key);
	if (BPF_CORE_READ(task, tgid) == rg_self_tgid)
		return 0;
	sc = rec__scratch();
	if (!sc)
		return 0;
	if (op == IORING_OP_UNLINKAT) {
		kind = RG_KIND_FILE_UNLINK;
		tmp.is_dir = (BPF_CORE_READ(u, flags) & RG_AT_REMOVEDIR) != 0;
		keep = rec__user_path_at(&off, &tmp.path, BPF_CORE_READ(u, dfd),
					 (unsigned long)BPF_CORE_READ(u, filename, name), RG_PATH_KERNEL);
	} else {
		if (op == IORING_OP_RENAMEAT)
			kind = RG_KIND_FILE_RENAME;
		keep = uring__two_paths(sc, &off, &tmp, req, op);
	}
	h = (void *)sc->rec;
	if (!keep) {
		if (at_submit)
			return file__filtered();
		h->size = 0;
	} else {
		rec__begin(sc, sizeof(*e), kind, task);
		e = (void *)sc->rec;
		e->path = tmp.path;
		e->new_path = tmp.new_path;
		e->flags = tmp.flags;
		e->is_dir = tmp.is_dir;
		e->fd = -1;
		e->syscall = RG_SYS_IO_URING;
		e->uring_op = op | (at_submit ? RG_URING_AT_SUBMIT : 0);
		if (at_submit) {
			rec__submit(sc, off);
			return 0;
		}
		h->size = off;
	}
	if (bpf_map_update_elem(&uring_paths, &key, sc->rec, BPF_ANY))
		counter__inc(RG_CNT_STASH_DROPS);
	return 0;
}

/*
 * At completion, with the request's result @res: sends the record kept at
 * submission when the operation succeeded (res 0), counts it as filtered
 * when the filter ruled it out, and as lost when it was not kept.
 */
static __always_inline int uring__path_complete(struct io_kiocb *req, __s32 res)
{
	__u64 key = (__u64)req;
	struct rg_uring_rec *v = bpf_map_lookup_elem(&uring_paths, &key);
	struct rg_header *h;
	struct rg_file *e;
	__u32 size;

	if (!v) {
		struct task_struct *task = uring__task(req);

		/* a success whose record is gone (the sensor's own requests
		 * are never kept; a skip-success one was sent at submission) */
		if (res == 0 && !(BPF_CORE_READ(req, flags) & REQ_F_CQE_SKIP) &&
		    BPF_CORE_READ(task, tgid) != rg_self_tgid)
			counter__inc(RG_CNT_STASH_DROPS);
		return 0;
	}
	h = (void *)v->rec;
	e = (void *)v->rec;
	size = h->size;
	if (res != 0) {
		/* failed: not reported, as for the syscalls */
	} else if (!size) {
		counter__inc(RG_CNT_KERNEL_FILTERED);
	} else {
		if (size > RG_URING_REC_MAX)
			size = RG_URING_REC_MAX;
		e->ret = res;
		h->ktime_ns = bpf_ktime_get_boot_ns();
		rec__output(v->rec, size);
	}
	bpf_map_delete_elem(&uring_paths, &key);
	return 0;
}

#endif /* __RG_IO_URING_PATHS_BPF_H */
