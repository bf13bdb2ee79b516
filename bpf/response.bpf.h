/* SPDX-License-Identifier: GPL-2.0 */
/*
 * response.bpf.h - the [response] deny_exec check, run by handle_exec at
 * sched_process_exec: the new image is in place, the exec can no longer
 * fail, and no instruction of it has run. A SIGKILL sent to current here is
 * delivered on the way back to user mode, so the program dies before its
 * first instruction. Included by exec.bpf.h.
 *
 * rg_response_mode is set by userspace before load (0 = agent.mode never
 * acts or the list is empty: no map lookup at all on the exec path).
 */
#ifndef __RG_RESPONSE_BPF_H
#define __RG_RESPONSE_BPF_H

#define RG_SIGKILL 9
#define RG_PF_KTHREAD 0x00200000

enum rg_response_mode {
	RG_RESPONSE_OFF = 0,
	RG_RESPONSE_ENFORCE = 1,
	RG_RESPONSE_DRY_RUN = 2,
};

const volatile __u32 rg_response_mode = RG_RESPONSE_OFF;

/*
 * The rg_exec_flag bits for the exec of @file by @p (current), after acting
 * on them; 0 when the file is not denied. *@when is the time it acted.
 * The sensor never sees its own execs (handle_exec returns before), pid 1
 * and kernel threads are reported as protected, never signalled.
 */
static __always_inline __u32 response__exec(struct task_struct *p, struct file *file, __u64 *when)
{
	struct rg_deny_exec_key key = {};
	struct inode *inode;
	long err;

	if (rg_response_mode == RG_RESPONSE_OFF)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(inode, i_ino);
	if (!bpf_map_lookup_elem(&deny_exec, &key))
		return 0;
	if (p->tgid == 1 || (p->flags & RG_PF_KTHREAD)) {
		*when = bpf_ktime_get_boot_ns();
		counter__inc(RG_CNT_RESPONSE_SPARED);
		return RG_EXEC_DENIED | RG_EXEC_PROTECTED;
	}
	if (rg_response_mode != RG_RESPONSE_ENFORCE) {
		*when = bpf_ktime_get_boot_ns();
		counter__inc(RG_CNT_RESPONSE_SPARED);
		return RG_EXEC_DENIED;
	}
	err = bpf_send_signal(RG_SIGKILL);
	*when = bpf_ktime_get_boot_ns();
	if (err) {
		counter__inc(RG_CNT_RESPONSE_SPARED);
		return RG_EXEC_DENIED | RG_EXEC_KILL_FAILED;
	}
	counter__inc(RG_CNT_RESPONSE_KILLS);
	return RG_EXEC_DENIED | RG_EXEC_KILLED;
}

#endif /* __RG_RESPONSE_BPF_H */
