/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup.bpf.h - RG_KIND_CGROUP: cgroups made and removed, so userspace's
 * cgroup cache knows a container's cgroup (id -> path) before the first
 * record from inside it arrives: the runtime makes the cgroup, then starts
 * the container's first process in it, and the ring buffer keeps that order.
 * Not a record of its own. Included by sensor.bpf.c.
 */
#ifndef __RG_CGROUP_BPF_H
#define __RG_CGROUP_BPF_H

static __always_inline int cgroup__emit(struct cgroup *cgrp, const char *path, __u32 op)
{
	struct rg_scratch *sc = rec__scratch();
	struct rg_cgroup *e;
	__u32 off = sizeof(*e);

	if (!sc)
		return 0;
	rec__begin(sc, sizeof(*e), RG_KIND_CGROUP, current_task());
	e = (void *)sc->rec;
	e->id = cgrp->kn->id;
	e->hierarchy = cgrp->root->hierarchy_id;
	e->op = op;
	rec__str(sc, &off, &e->path, path, RG_PATH_MAX, 0);
	rec__submit(sc, off);
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(handle_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	return cgroup__emit(cgrp, path, RG_CGROUP_MKDIR);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(handle_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	return cgroup__emit(cgrp, path, RG_CGROUP_RMDIR);
}

#endif /* __RG_CGROUP_BPF_H */
