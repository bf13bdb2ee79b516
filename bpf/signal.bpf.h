/* SPDX-License-Identifier: GPL-2.0 */
/*
 * signal.bpf.h - process_signal: kill, tkill, tgkill and pidfd_send_signal
 * that delivered a signal to another process. Included by sensor.bpf.c
 * after the syscall-exit plumbing (RG_EXIT_ARGS) it uses.
 *
 * Not reported (counted as kernel_filtered): failed calls, signal 0 (an
 * existence check daemons make all the time) and a process signalling
 * itself (raise(), abort(), a thread waking a sibling).
 */
#ifndef __RG_SIGNAL_BPF_H
#define __RG_SIGNAL_BPF_H

#define RG_PIDFS_MAGIC 0x50494446

/*
 * The process a pidfd refers to, in the initial pid namespace; 0 when @fd
 * is not a pidfd (pidfd_send_signal also takes a /proc/PID directory fd,
 * which this does not resolve). pidfs keeps the struct pid in i_private.
 */
static __always_inline __s32 signal__pidfd_target(struct task_struct *task, long fd)
{
	struct file *f = task__fd_file(task, fd);
	struct inode *inode;
	struct pid *pid;

	if (!f)
		return 0;
	inode = bpf_core_cast(f, struct file)->f_inode;
	if (!inode || inode->i_sb->s_magic != RG_PIDFS_MAGIC)
		return 0;
	pid = inode->i_private;
	if (!pid)
		return 0;
	return bpf_core_cast(pid, struct pid)->numbers[0].nr;
}

static __always_inline int signal__exit(struct trace_event_raw_sys_exit *ctx, const struct rg_args *st)
{
	struct task_struct *task = current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__s32 target = (int)st->args[0], tid = 0, pidfd = -1;
	__u32 sig = (int)st->args[1];
	struct rg_scratch *sc;
	struct rg_signal *e;

	if (ctx->ret != 0)
		return 0;
	switch (st->syscall) {
	case RG_SYS_TKILL:
		tid = target;
		break;
	case RG_SYS_TGKILL:
		tid = (int)st->args[1];
		sig = (int)st->args[2];
		break;
	case RG_SYS_PIDFD_SEND_SIGNAL:
		pidfd = target;
		target = signal__pidfd_target(task, pidfd);
		break;
	}
	if (sig == 0 || (target > 0 && target == tgid) || (st->syscall == RG_SYS_TKILL && tid == tgid)) {
		counter__inc(RG_CNT_KERNEL_FILTERED);
		return 0;
	}
	sc = rec__scratch();
	if (!sc)
		return 0;
	rec__begin(sc, sizeof(*e), RG_KIND_SIGNAL, task);
	e = (void *)sc->rec;
	e->target_pid = target;
	e->target_tid = tid;
	e->sig = sig;
	e->syscall = st->syscall;
	e->pidfd = pidfd;
	rec__submit(sc, sizeof(*e));
	return 0;
}

RG_EXIT_ARGS(kill, RG_SYS_KILL, signal__exit)
RG_EXIT_ARGS(tkill, RG_SYS_TKILL, signal__exit)
RG_EXIT_ARGS(tgkill, RG_SYS_TGKILL, signal__exit)
RG_EXIT_ARGS(pidfd_send_signal, RG_SYS_PIDFD_SEND_SIGNAL, signal__exit)

#endif /* __RG_SIGNAL_BPF_H */
