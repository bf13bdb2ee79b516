// SPDX-License-Identifier: GPL-2.0
/*
 * floor.bpf.c - `make bench`'s floor: an empty program on the one syscall
 * tracepoint a sensor needs to see an open (sys_exit_openat, where the fd
 * and the path are known). What the unwatched-open workload loses with it
 * attached is what the tracepoint path itself costs, before any work:
 * no tracepoint-based sensor can do better on this kernel.
 */
#define SEC(name) __attribute__((section(name), used))

SEC("tracepoint/syscalls/sys_exit_openat")
int floor_exit_openat(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
