/* SPDX-License-Identifier: GPL-2.0 */
/*
 * record.bpf.h - building a record in the per-CPU scratch buffer and sending
 * it, trimmed to what it carries, to the ring buffer.
 */
#ifndef __RG_RECORD_BPF_H
#define __RG_RECORD_BPF_H

static __always_inline struct rg_scratch *rec__scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

/*
 * Zeroes the fixed part (@fixed is a sizeof, a constant once inlined) and
 * fills the header and the acting task. Text already appended after the
 * fixed part is left alone, so a handler can resolve and filter its path
 * first and only then pay for the rest of the record.
 */
static __always_inline void rec__begin(struct rg_scratch *sc, const __u32 fixed, __u16 kind,
				       struct task_struct *task)
{
	struct rg_header *h = (void *)sc->rec;

	if (fixed > 512)
		return;
	__builtin_memset(sc->rec, 0, fixed);
	h->kind = kind;
	h->abi_version = RG_ABI_VERSION;
	h->ktime_ns = bpf_ktime_get_boot_ns();
	task__fill((void *)(sc->rec + sizeof(*h)), task);
}

static __always_inline void rec__set(struct rg_str *s, __u32 off, long len, __u16 truncated)
{
	s->off = off;
	s->len = len;
	s->truncated = truncated;
}

/* Appends @len bytes (clamped to @cap - 1) from kernel or user memory. */
static __always_inline void rec__bytes(struct rg_scratch *sc, __u32 *off, struct rg_str *s,
				       const void *src, __u64 len, __u16 truncated, __u32 cap,
				       int user)
{
	__u32 o = *off;
	long err;

	if (o >= RG_DATA_LIMIT) {
		s->truncated = 1;
		return;
	}
	if (len > cap - 1) {
		len = cap - 1;
		truncated |= RG_STR_CUT; /* a walked path's other flags stay */
	}
	/* keep the mask: clang may drop it, and the verifier needs the bound */
	asm volatile("" : "+r"(len));
	len &= RG_PATH_MAX - 1;
	if (user)
		err = bpf_probe_read_user(&sc->rec[o & (RG_DATA_LIMIT - 1)], len, src);
	else
		err = bpf_probe_read_kernel(&sc->rec[o & (RG_DATA_LIMIT - 1)], len, src);
	if (err)
		return;
	rec__set(s, o, len, truncated);
	*off = o + len;
}

/* Appends a NUL-terminated string of at most @cap bytes. */
static __always_inline void rec__str(struct rg_scratch *sc, __u32 *off, struct rg_str *s,
				     const void *src, __u32 cap, int user)
{
	__u32 o = *off;
	long n;

	if (o >= RG_DATA_LIMIT) {
		s->truncated = 1;
		return;
	}
	if (user)
		n = bpf_probe_read_user_str(&sc->rec[o & (RG_DATA_LIMIT - 1)], cap, src);
	else
		n = bpf_probe_read_kernel_str(&sc->rec[o & (RG_DATA_LIMIT - 1)], cap, src);
	if (n <= 0)
		return;
	/* A string of exactly cap - 1 bytes is flagged too: the helper cannot tell. */
	rec__set(s, o, n - 1, n == cap);
	*off = o + n - 1;
}

/*
 * Appends the absolute path of (@dentry, @mnt). With @filter, returns
 * whether the path passes the [file] filter (filter.bpf.h), 1 when it
 * cannot tell; process paths (exe, cwd) pass 0 and are never filtered.
 */
static __always_inline int rec__path(struct rg_scratch *sc, __u32 *off, struct rg_str *s,
				     struct dentry *dentry, struct vfsmount *mnt, const int filter)
{
	struct rg_pathbuf *pb = pathbuf__get();
	__u16 truncated;
	__u32 start, leaf;

	if (!pb || !dentry || !mnt)
		return 1;
	start = path__walk(pb, dentry, mnt, &truncated, &leaf) & (RG_PATH_HALF - 1);
	/* a partial path says nothing about the directories above it: kept */
	if (filter && !truncated && !filter__keep_walked(pb, start, RG_PATH_HALF - start, leaf))
		return 0;
	rec__bytes(sc, off, s, &pb->buf[start], RG_PATH_HALF - start, truncated, RG_PATH_MAX, 0);
	return 1;
}

/* Bits of rec__user_path_at()'s @how. */
#define RG_PATH_ALWAYS 1 /* copy the path even when the filter rules it out */
#define RG_PATH_KERNEL 2 /* @uname is kernel memory (an io_uring request's struct filename) */

/*
 * Appends the user-supplied @name made absolute: as is when it starts with
 * '/', else joined to the directory of @dirfd (or the cwd for AT_FDCWD) of
 * the current task. Called at sys_exit, when the kernel has already copied
 * @name, so its page is resident; or, with RG_PATH_KERNEL, on the kernel's
 * own copy. Dots are left for userspace to normalize. Returns whether
 * the path passes the [file] filter (1 when it cannot tell); a path that
 * does not is only copied with RG_PATH_ALWAYS in @how (a rename needs both
 * names when either passes). Appends to the per-CPU scratch record (at most five
 * arguments for a BPF function, so it looks the buffer up itself).
 *
 * A global (non-inlined) function: the verifier checks it once on its own
 * instead of once per call site, which keeps rename (two calls, each with
 * a dentry walk and a filter scan) well inside the complexity limit.
 */
__noinline int rec__user_path_at(__u32 *off, struct rg_str *s, long dirfd, unsigned long uname,
				 int how)
{
	int always = how & RG_PATH_ALWAYS;
	struct rg_scratch *sc = rec__scratch();
	const char *name = (const char *)uname;
	struct task_struct *task = (void *)bpf_get_current_task();
	struct rg_pathbuf *pb = pathbuf__get();
	struct dentry *dentry;
	struct vfsmount *mnt;
	__u16 dir_truncated;
	__u32 start, leaf;
	long n;
	int keep;

	if (!pb || !sc || !off || !s)
		return 1;
	if (how & RG_PATH_KERNEL)
		n = bpf_probe_read_kernel_str(&pb->buf[RG_PATH_HALF + 1], RG_PATH_HALF - 1, name);
	else
		n = bpf_probe_read_user_str(&pb->buf[RG_PATH_HALF + 1], RG_PATH_HALF - 1, name);
	if (n <= 0)
		return 1;
	if (pb->buf[RG_PATH_HALF + 1] == '/') {
		keep = filter__keep(pb, RG_PATH_HALF + 1, n - 1);
		if (keep || always)
			rec__bytes(sc, off, s, &pb->buf[RG_PATH_HALF + 1], n - 1,
				   n == RG_PATH_HALF - 1, RG_PATH_MAX, 0);
		return keep;
	}
	if (dirfd == RG_AT_FDCWD) {
		struct fs_struct *fs = bpf_core_cast(task, struct task_struct)->fs;

		dentry = fs->pwd.dentry;
		mnt = fs->pwd.mnt;
	} else {
		struct file *f = task__fd_file(task, dirfd);

		if (!f)
			return 1;
		dentry = bpf_core_cast(f, struct file)->f_path.dentry;
		mnt = bpf_core_cast(f, struct file)->f_path.mnt;
	}
	pb->buf[RG_PATH_HALF] = '/';
	start = path__walk(pb, dentry, mnt, &dir_truncated, &leaf);
	if (start == RG_PATH_HALF - 1)
		start = RG_PATH_HALF; /* the directory is "/" itself */
	start &= 2 * RG_PATH_HALF - 1;
	if (start > RG_PATH_HALF)
		return 1;
	/* a partial or detached directory says nothing about the filter: kept */
	keep = dir_truncated || filter__keep(pb, start, RG_PATH_HALF - start + n);
	if (keep || always)
		rec__bytes(sc, off, s, &pb->buf[start], RG_PATH_HALF - start + n,
			   dir_truncated | (n == RG_PATH_HALF - 1), RG_PATH_MAX, 0);
	return keep;
}

/*
 * Wake the poller only once rg_wakeup_bytes are waiting: a wakeup per record costs
 * the traced task an irq_work and the poller a syscall. The poller's short
 * poll timeout (src/pipeline/poller.rs) bounds the latency of a trickle.
 */
const volatile __u64 rg_wakeup_bytes = 64 * 1024; /* min(64 KiB, ring / 4), set by the loader */

/* Sends the @size bytes of a finished record at @rec (its header's size set). */
static __always_inline void rec__output(void *rec, __u32 size)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= rg_wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&events, rec, size, flags))
		counter__inc(RG_CNT_RINGBUF_DROPS);
}

static __always_inline void rec__submit(struct rg_scratch *sc, __u32 size)
{
	struct rg_header *h = (void *)sc->rec;

	if (size > RG_RECORD_MAX)
		size = RG_RECORD_MAX;
	h->size = size;
	rec__output(sc->rec, size);
}

#endif /* __RG_RECORD_BPF_H */
