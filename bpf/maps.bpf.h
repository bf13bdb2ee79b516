/* SPDX-License-Identifier: GPL-2.0 */
/* maps.bpf.h - every map the sensor owns, and the counters helper. */
#ifndef __RG_MAPS_BPF_H
#define __RG_MAPS_BPF_H

/* Sized by userspace from [ebpf].buffer_size before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* enum rg_counter; per-CPU so increments need no atomics. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RG_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * execveat's arguments saved at sys_enter for handle_exec, in task-local
 * storage: no hashing or bucket lock on the hot path, no capacity to run
 * out of, and freed with the thread. `syscall` 0 means nothing is stashed.
 */
struct rg_stash {
	__u32 syscall;
	__u32 _pad;
	__u64 args[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct rg_stash);
} stash SEC(".maps");

/* Where a record is assembled before it is copied, trimmed, to the ring. */
struct rg_scratch {
	__u8 rec[RG_RECORD_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rg_scratch);
} scratch SEC(".maps");

/*
 * Path assembly area: a dentry walk writes components backwards ending at
 * RG_PATH_HALF, and a relative name can then be appended after it. `scan`
 * is the path filter's running state (filter.bpf.h, struct path_scan).
 */
#define RG_PATH_HALF 4096
struct rg_scan_state {
	__u64 h; /* whole path so far */
	__u64 hb; /* current component */
	__u64 he; /* after the last '.' of the current component */
	__u32 name_at; /* where the current component starts */
	__u32 ext_at; /* where its extension starts */
	/*
	 * The current component so far: 0 empty, 1 ".", 2 "..", 3 anything
	 * else.
	 */
	__u8 comp;
	__u8 flags;
	__u8 in_ext;
	__u8 odd; /* "//", "/./", "/../": not normal, leave it to userspace */
	__u32 _pad;
};

struct rg_pathbuf {
	__u8 buf[2 * RG_PATH_HALF];
	struct rg_scan_state scan;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rg_pathbuf);
} pathbuf SEC(".maps");

/*
 * [response] deny_exec: the (device, inode) of each denied executable, set
 * by userspace after load (src/bpf/response.rs). The value is unused.
 * Only looked up when rg_response_mode is on, so an empty list costs
 * nothing on exec (response.bpf.h).
 */
struct rg_deny_exec_key {
	__u64 dev; /* inode->i_sb->s_dev, the kernel's dev_t encoding */
	__u64 ino;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096); /* MAX_DENY_EXEC in src/config/response.rs */
	__type(key, struct rg_deny_exec_key);
	__type(value, __u8);
} deny_exec SEC(".maps");

static __always_inline void counter__inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += 1;
}

#endif /* __RG_MAPS_BPF_H */
