/* SPDX-License-Identifier: GPL-2.0 */
/*
 * io_uring.bpf.h - what a process does through an io_uring ring, which
 * never passes the syscall tracepoints: the ring's creation
 * (process_io_uring), and its opens, writes and connects reported as the
 * same file_open, file_write and network_connect records the syscalls give,
 * with syscall RG_SYS_IO_URING and the request's opcode. Included by
 * sensor.bpf.c after the file and network helpers it reuses.
 *
 * The records are built at io_uring_complete, when the result is known:
 * only successful requests are reported, and the file is the one the
 * request really used (the new fd of an open, req->file of a write or a
 * connect), its path walked in the kernel and put through the [file]
 * filter as for the syscalls. An open, write or connect submitted with
 * IOSQE_CQE_SKIP_SUCCESS posts no completion and is not seen
 * (docs/threat-model.md). Renames, unlinks and links are built at
 * submission instead (io_uring_paths.bpf.h).
 */
#ifndef __RG_IO_URING_BPF_H
#define __RG_IO_URING_BPF_H

/*
 * The fd a write or connect request named, by request: at completion
 * req->cqe holds the result's flags where the fd was (io_req_set_res), so
 * it is kept at submission. LRU: a request submitted with
 * IOSQE_CQE_SKIP_SUCCESS never completes here, and its entry ages out.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* struct io_kiocb * */
	__type(value, __s32);
} uring_fds SEC(".maps");

/*
 * The io_uring hook is a [file] hook, but a ring's setup is a process
 * record and its connects network records: each is sent only when its
 * category is on, as the syscalls' would be. Set by userspace before load.
 */
const volatile __u8 rg_uring_setup = 0;
const volatile __u8 rg_uring_net = 0;

/* IORING_FILE_INDEX_ALLOC (include/uapi/linux/io_uring.h): "any free slot" */
#define RG_IORING_FILE_INDEX_ALLOC (~0U)
/* io_uring/filetable.h: the low bits of io_rsrc_node.file_ptr are flags */
#define RG_FFS_MASK (~3UL)

/* Old kernels named the submitting task in the request itself. */
struct io_kiocb___task {
	struct task_struct *task;
};

/*
 * The task that submitted @req. Completions may be posted from an io-wq
 * worker, the SQPOLL thread or a fallback kworker; the request's task is
 * the process the operation belongs to. Since v6.13 (b6f58a3f4aa8
 * "io_uring: move struct io_kiocb from task_struct to io_uring_task") it
 * is reached through req->tctx.
 */
static __always_inline struct task_struct *uring__task(struct io_kiocb *req)
{
	struct io_kiocb___task *old = (void *)req;
	struct task_struct *t = NULL;

	if (bpf_core_field_exists(req->tctx))
		t = BPF_CORE_READ(req, tctx, task);
	else if (bpf_core_field_exists(old->task))
		t = BPF_CORE_READ(old, task);
	return t ? t : current_task();
}

#include "io_uring_paths.bpf.h"

/* The opcodes whose records need the fd the request named. */
static __always_inline int uring__names_fd(__u8 op)
{
	switch (op) {
	case IORING_OP_WRITE:
	case IORING_OP_WRITEV:
	case IORING_OP_WRITE_FIXED:
	case IORING_OP_WRITEV_FIXED:
		return 1;
	case IORING_OP_CONNECT:
		return rg_uring_net;
	}
	return 0;
}

/*
 * The fd @req named, kept at submission; -1 with the reason in @why for a
 * registered file (it has none) or an entry that was not kept (counted).
 */
static __always_inline __s32 uring__fd(struct io_kiocb *req, __u16 *why)
{
	__u64 key = (__u64)req;
	__s32 *fd = bpf_map_lookup_elem(&uring_fds, &key);
	__s32 v = fd ? *fd : -1;

	if (fd)
		bpf_map_delete_elem(&uring_fds, &key);
	if (BPF_CORE_READ(req, flags) & REQ_F_FIXED_FILE) {
		*why = RG_URING_FD_REGISTERED;
		return -1;
	}
	if (!fd) {
		*why = RG_URING_FD_NOT_KEPT;
		counter__inc(RG_CNT_STASH_DROPS);
	}
	return v;
}

/* The file in slot @idx of @req's ring's registered file table, or NULL. */
static __always_inline struct file *uring__fixed_file(struct io_kiocb *req, __u32 idx)
{
	struct io_ring_ctx *ring = BPF_CORE_READ(req, ctx);
	struct io_rsrc_node **nodes = BPF_CORE_READ(ring, file_table.data.nodes);
	struct io_rsrc_node *node = NULL;

	if (!nodes || idx >= BPF_CORE_READ(ring, file_table.data.nr))
		return NULL;
	bpf_probe_read_kernel(&node, sizeof(node), &nodes[idx]);
	if (!node)
		return NULL;
	return (struct file *)(BPF_CORE_READ(node, file_ptr) & RG_FFS_MASK);
}

SEC("tp_btf/io_uring_create")
int BPF_PROG(handle_io_uring_create, int fd, void *ring, u32 sq_entries, u32 cq_entries, u32 flags)
{
	struct rg_scratch *sc;
	struct rg_io_uring *e;

	if (!rg_uring_setup || is_self())
		return 0;
	sc = rec__scratch();
	if (!sc)
		return 0;
	rec__begin(sc, sizeof(*e), RG_KIND_IO_URING, current_task());
	e = (void *)sc->rec;
	e->fd = fd;
	e->sq_entries = sq_entries;
	e->cq_entries = cq_entries;
	e->flags = flags;
	rec__submit(sc, sizeof(*e));
	return 0;
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(handle_io_uring_submit, struct io_kiocb *req)
{
	__u64 key = (__u64)req;
	__s32 fd;

	if (uring__path_op(req->opcode))
		return uring__path_submit(req, req->opcode);
	if (!uring__names_fd(req->opcode))
		return 0;
	/* a recycled request must not inherit an earlier one's fd */
	if (req->flags & REQ_F_FIXED_FILE) {
		bpf_map_delete_elem(&uring_fds, &key);
		return 0;
	}
	fd = req->cqe.fd;
	bpf_map_update_elem(&uring_fds, &key, &fd, BPF_ANY);
	return 0;
}

/* network_connect for a connect request that completed with 0. */
static __always_inline int uring__connect(struct rg_scratch *sc, struct io_kiocb *req,
					  struct task_struct *task)
{
	struct sock *sk = file__sock(BPF_CORE_READ(req, file));
	struct sock *peer;
	struct rg_net *e;
	__u32 off = sizeof(*e);
	__u16 why = 0;
	__s32 fd = uring__fd(req, &why);

	if (!sk)
		return 0;
	rec__begin(sc, sizeof(*e), RG_KIND_NET_CONNECT, task);
	e = (void *)sc->rec;
	e->fd = fd;
	e->syscall = RG_SYS_IO_URING;
	e->uring_op = IORING_OP_CONNECT | why;
	/* connected: both ends are in the socket */
	sock__read(e, sk, 1);
	if (e->family == RG_AF_UNIX) {
		/* the peer carries the address it was reached at (unix_stream_connect) */
		peer = BPF_CORE_READ((struct unix_sock *)sk, peer);
		if (peer)
			rec__unix_sock_path(sc, &off, &e->unix_path, peer);
	}
	rec__submit(sc, off);
	return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(handle_io_uring_complete, struct io_ring_ctx *ring, void *request, struct io_uring_cqe *cqe)
{
	struct io_kiocb *req = request;
	struct task_struct *task;
	struct rg_str path = {};
	struct rg_scratch *sc;
	struct rg_file *e;
	struct file *f;
	__u32 off = sizeof(*e), flags = 0, mode = 0;
	__s32 fd = -1, res;
	__u16 kind, why = 0;
	__u8 op;

	op = BPF_CORE_READ(req, opcode);
	switch (op) {
	case IORING_OP_OPENAT:
	case IORING_OP_OPENAT2:
	case IORING_OP_WRITE:
	case IORING_OP_WRITEV:
	case IORING_OP_WRITE_FIXED:
	case IORING_OP_WRITEV_FIXED:
		break;
	case IORING_OP_CONNECT:
		if (rg_uring_net)
			break;
		return 0;
	case IORING_OP_RENAMEAT:
	case IORING_OP_UNLINKAT:
	case IORING_OP_LINKAT:
	case IORING_OP_SYMLINKAT:
		return uring__path_complete(req, BPF_CORE_READ(cqe, res));
	default:
		return 0;
	}
	res = BPF_CORE_READ(cqe, res);
	task = uring__task(req);
	if (BPF_CORE_READ(task, tgid) == rg_self_tgid || res < 0 || (op == IORING_OP_CONNECT && res != 0)) {
		if (uring__names_fd(op))
			bpf_map_delete_elem(&uring_fds, &(__u64){ (__u64)req });
		return 0;
	}
	sc = rec__scratch();
	if (!sc)
		return 0;
	if (op == IORING_OP_CONNECT)
		return uring__connect(sc, req, task);
	if (op == IORING_OP_OPENAT || op == IORING_OP_OPENAT2) {
		struct io_open *o = (void *)req; /* the request's command (io_kiocb_to_cmd) */
		__u32 slot = BPF_CORE_READ(o, file_slot);

		kind = RG_KIND_FILE_OPEN;
		flags = BPF_CORE_READ(o, how.flags);
		mode = BPF_CORE_READ(o, how.mode);
		if (!slot) {
			fd = res;
			f = task__fd_file(task, res);
		} else {
			/* into the registered table: @res is the slot it chose, or 0 */
			f = uring__fixed_file(req, slot == RG_IORING_FILE_INDEX_ALLOC ? res : slot - 1);
			why = RG_URING_FD_REGISTERED;
		}
	} else {
		kind = RG_KIND_FILE_WRITE;
		fd = uring__fd(req, &why);
		f = BPF_CORE_READ(req, file);
		/* Pipes, sockets and terminals are not file activity. */
		if (f && file__ifmt(f) != RG_S_IFREG)
			return 0;
	}
	if (!f)
		return 0;
	if (!rec__path(sc, &off, &path, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt), 1))
		return file__filtered();
	rec__begin(sc, sizeof(*e), kind, task);
	e = (void *)sc->rec;
	e->path = path;
	e->ret = res;
	e->fd = fd;
	e->syscall = RG_SYS_IO_URING;
	e->uring_op = op | why;
	if (kind == RG_KIND_FILE_OPEN) {
		e->flags = flags;
		e->mode = mode;
	} else {
		e->bytes = res; /* written, not requested */
	}
	rec__submit(sc, off);
	return 0;
}

#endif /* __RG_IO_URING_BPF_H */
