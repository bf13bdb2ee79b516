/* SPDX-License-Identifier: GPL-2.0 */
/*
 * inject.bpf.h - what an intruder does next to a running process or the
 * kernel: process_memfd (memfd_create), process_inject (process_vm_writev
 * into another process) and bpf_load (bpf() loading or attaching a
 * program). Included by sensor.bpf.c after the syscall-exit plumbing
 * (RG_EXIT_ARGS, sys__args) it uses.
 *
 * Only successful calls are reported; failed ones cost a register read.
 * Counted as kernel_filtered and not sent: a process_vm_writev into the
 * caller itself or one that wrote nothing, and the sensor's own bpf() calls
 * of the three reported commands.
 */
#ifndef __RG_INJECT_BPF_H
#define __RG_INJECT_BPF_H

static __always_inline int inject__memfd_exit(struct trace_event_raw_sys_exit *ctx, const struct rg_args *st)
{
	struct rg_scratch *sc;
	struct rg_memfd *e;
	struct rg_str name = {};
	__u32 off = sizeof(*e);

	if (ctx->ret < 0)
		return 0;
	sc = rec__scratch();
	if (!sc)
		return 0;
	/* the kernel has copied the name (strncpy_from_user): resident */
	rec__str(sc, &off, &name, (const void *)st->args[0], RG_MEMFD_NAME_MAX, 1);
	rec__begin(sc, sizeof(*e), RG_KIND_MEMFD, current_task());
	e = (void *)sc->rec;
	e->name = name;
	e->fd = ctx->ret;
	e->flags = st->args[1];
	rec__submit(sc, off);
	return 0;
}

RG_EXIT_ARGS(memfd_create, RG_SYS_MEMFD_CREATE, inject__memfd_exit)

static __always_inline int inject__vm_writev_exit(struct trace_event_raw_sys_exit *ctx, const struct rg_args *st)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__s32 target = (int)st->args[0];
	struct rg_scratch *sc;
	struct rg_inject *e;

	if (ctx->ret < 0)
		return 0;
	if (ctx->ret == 0 || target == tgid) {
		counter__inc(RG_CNT_KERNEL_FILTERED);
		return 0;
	}
	sc = rec__scratch();
	if (!sc)
		return 0;
	rec__begin(sc, sizeof(*e), RG_KIND_INJECT, current_task());
	e = (void *)sc->rec;
	e->ret = ctx->ret;
	e->target_pid = target;
	e->local_iovcnt = st->args[2];
	e->remote_iovcnt = st->args[4];
	e->syscall = st->syscall;
	rec__submit(sc, sizeof(*e));
	return 0;
}

RG_EXIT_ARGS(process_vm_writev, RG_SYS_PROCESS_VM_WRITEV, inject__vm_writev_exit)

/* enum bpf_cmd values (UAPI, fixed) */
#define RG_BPF_PROG_LOAD 5
#define RG_BPF_PROG_ATTACH 8
#define RG_BPF_LINK_CREATE 28

/*
 * The head of union bpf_attr for the three commands (UAPI, fixed offsets;
 * the kernel accepts a shorter attr and zero-fills the rest, so a short
 * read leaves zeroes too).
 */
struct rg_bpf_attr {
	union {
		struct { /* BPF_PROG_LOAD */
			__u32 prog_type;
			__u32 insn_cnt;
			__u64 insns, license;
			__u32 log_level, log_size;
			__u64 log_buf;
			__u32 kern_version, prog_flags;
			char prog_name[RG_BPF_NAME_LEN];
			__u32 prog_ifindex;
			__u32 expected_attach_type;
		} load;
		struct { /* BPF_PROG_ATTACH */
			__u32 target_fd, attach_bpf_fd, attach_type;
		} attach;
		struct { /* BPF_LINK_CREATE */
			__u32 prog_fd, target_fd, attach_type;
		} link;
	};
};

/*
 * bpf() at exit: the command is a register, so every other command (map
 * lookups and updates are most of them) returns after one compare. The
 * attr is read at exit like openat2's open_how: the kernel copied it at
 * entry, so its page is resident; @size bounds the read as it bounded the
 * kernel's copy.
 */
SEC("tracepoint/syscalls/sys_exit_bpf")
int handle_exit_bpf(struct trace_event_raw_sys_exit *ctx)
{
	struct rg_bpf_attr attr = {};
	struct rg_scratch *sc;
	struct rg_args a;
	struct rg_bpf *e;
	__u32 cmd, size;

	sys__args(&a, RG_SYS_BPF);
	cmd = a.args[0];
	if (cmd != RG_BPF_PROG_LOAD && cmd != RG_BPF_PROG_ATTACH && cmd != RG_BPF_LINK_CREATE)
		return 0;
	if (ctx->ret < 0)
		return 0;
	if (is_self()) {
		counter__inc(RG_CNT_KERNEL_FILTERED);
		return 0;
	}
	size = a.args[2];
	if (size > sizeof(attr))
		size = sizeof(attr);
	/* keep the bound: clang may fold it away, the verifier needs it */
	asm volatile("" : "+r"(size));
	if (size <= sizeof(attr))
		bpf_probe_read_user(&attr, size, (const void *)a.args[1]);
	sc = rec__scratch();
	if (!sc)
		return 0;
	rec__begin(sc, sizeof(*e), RG_KIND_BPF, current_task());
	e = (void *)sc->rec;
	e->ret = ctx->ret;
	e->cmd = cmd;
	e->prog_fd = -1;
	switch (cmd) {
	case RG_BPF_PROG_LOAD:
		e->prog_type = attr.load.prog_type;
		e->insn_cnt = attr.load.insn_cnt;
		e->attach_type = attr.load.expected_attach_type;
		__builtin_memcpy(e->prog_name, attr.load.prog_name, RG_BPF_NAME_LEN);
		break;
	case RG_BPF_PROG_ATTACH:
		e->prog_fd = attr.attach.attach_bpf_fd;
		e->attach_type = attr.attach.attach_type;
		break;
	case RG_BPF_LINK_CREATE:
		e->prog_fd = attr.link.prog_fd;
		e->attach_type = attr.link.attach_type;
		break;
	}
	rec__submit(sc, sizeof(*e));
	return 0;
}

#endif /* __RG_INJECT_BPF_H */
