/* SPDX-License-Identifier: GPL-2.0 */
/* path.bpf.h - absolute paths from dentries, and names relative to a dirfd. */
#ifndef __RG_PATH_BPF_H
#define __RG_PATH_BPF_H

/* Deeper paths keep their last RG_PATH_DEPTH components and are flagged. */
#define RG_PATH_DEPTH 64

#define RG_NAME_MAX 255
#define RG_AT_FDCWD -100

static __always_inline struct rg_pathbuf *pathbuf__get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&pathbuf, &zero);
}

struct path_walk {
	struct rg_pathbuf *pb;
	__u64 dentry; /* struct dentry * */
	__u64 mnt; /* struct mount * */
	__u64 ns_root; /* struct mount *: the mount namespace's root */
	__u64 fs_root; /* struct mount *: the task's root directory's mount */
	__u32 off;
	__u16 truncated;
};

/*
 * The walk reached a mount that is its own parent. That is the namespace's
 * root, or a detached mount: open_tree(OPEN_TREE_CLONE) or fsmount() give
 * one that no path leads to, and stopping there would turn a clone of /etc
 * opened at "shadow" into a plausible, wrong and unwatched "/shadow". A
 * clone of the filesystem the task's root is on shares its dentries, so
 * the walk goes on up them under that root's mount and finds the real path
 * (returns RG_STR_CUT, meaning "not done", after switching w->mnt). Any
 * other detached mount is reported as RG_STR_DETACHED: the path within it,
 * flagged, and never filtered out.
 */
static __always_inline __u16 path__end_at(struct path_walk *w, struct mount *mnt)
{
	struct mount *root = bpf_core_cast((void *)w->fs_root, struct mount);

	if ((__u64)mnt == w->ns_root || !w->ns_root)
		return 0;
	if (w->fs_root && w->fs_root != (__u64)mnt && root->mnt.mnt_sb == mnt->mnt.mnt_sb &&
	    root->mnt.mnt_root == root->mnt.mnt_sb->s_root) {
		w->mnt = w->fs_root;
		w->fs_root = 0; /* once */
		return RG_STR_CUT;
	}
	return RG_STR_DETACHED;
}

/*
 * Whether nothing is left above where the walk stands: the root of the
 * mount namespace, possibly across mounts stacked on mount roots (/ on
 * the initial rootfs) that a walk step would still have to cross.
 */
static __always_inline int path__at_ns_root(struct path_walk *w)
{
	struct dentry *dentry = bpf_core_cast((void *)w->dentry, struct dentry);
	struct mount *mnt = bpf_core_cast((void *)w->mnt, struct mount);

#pragma unroll
	for (int i = 0; i < 3; i++) {
		struct mount *parent = mnt->mnt_parent;

		if (dentry != mnt->mnt.mnt_root)
			return 0;
		if (parent == mnt || !parent)
			return (__u64)mnt == w->ns_root || !w->ns_root;
		dentry = mnt->mnt_mountpoint;
		mnt = parent;
	}
	return 0;
}

/*
 * One component of path__walk(); returns 1 to stop.
 *
 * The walk reads kernel structs with plain loads through BTF-typed pointers
 * (bpf_core_cast: the verifier turns them into fault-safe loads and the
 * cast itself costs nothing), not a bpf_probe_read_kernel() call per field:
 * this loop runs on every file event and helper calls were most of its cost.
 */
static long path__walk_step(__u32 i, void *arg)
{
	struct path_walk *w = arg;
	struct dentry *dentry = bpf_core_cast((void *)w->dentry, struct dentry);
	struct mount *mnt = bpf_core_cast((void *)w->mnt, struct mount);
	struct dentry *mnt_root = mnt->mnt.mnt_root;
	struct dentry *parent = dentry->d_parent;
	const unsigned char *name;
	__u32 len, off = w->off;
	int last = 0;

	if (!parent)
		return 1;
	if (dentry == mnt_root || dentry == parent) {
		struct mount *mnt_parent = mnt->mnt_parent;

		if (dentry != mnt_root) {
			/*
			 * Its own parent yet no mount's root: a pseudo file (a
			 * memfd, an anonymous inode). Like d_path(), keep its
			 * name: "/memfd:payload".
			 */
			w->truncated = 0;
			last = 1;
		} else if (mnt_parent == mnt || !mnt_parent) {
			w->truncated = path__end_at(w, mnt);
			return w->truncated == RG_STR_CUT ? 0 : 1;
		} else {
			/* root of a mounted fs: continue from its mount point */
			w->dentry = (__u64)mnt->mnt_mountpoint;
			w->mnt = (__u64)mnt_parent;
			return 0;
		}
	}
	len = dentry->d_name.len;
	name = dentry->d_name.name;
	if (len > RG_NAME_MAX || len + 1 > off || off > RG_PATH_HALF)
		return 1;
	off -= len;
	bpf_probe_read_kernel(&w->pb->buf[off & (RG_PATH_HALF - 1)], len & RG_NAME_MAX, name);
	off -= 1;
	w->pb->buf[off & (RG_PATH_HALF - 1)] = '/';
	w->off = off;
	w->dentry = (__u64)parent;
	return last;
}

/*
 * Writes the absolute path of (@dentry, @vfsmnt) into @pb so that it ends
 * just before pb->buf[RG_PATH_HALF], walking up d_parent and across mount
 * points like the kernel's d_path() (which tracepoint programs may not call).
 * The walk runs under bpf_loop() so the verifier checks one step, not 64.
 * Returns the offset where the path starts; *truncated is set when the walk
 * gave up before reaching the root of the mount namespace, *leaf to the
 * length of the last component (0 for "/").
 */
static __always_inline __u32 path__walk(struct rg_pathbuf *pb, struct dentry *dentry,
					struct vfsmount *vfsmnt, __u16 *truncated, __u32 *leaf)
{
	struct task_struct *task = bpf_core_cast((void *)bpf_get_current_task(), struct task_struct);
	struct path_walk w = {
		.pb = pb,
		.dentry = (__u64)dentry,
		.mnt = (__u64)container_of(vfsmnt, struct mount, mnt),
		.ns_root = (__u64)task->nsproxy->mnt_ns->root,
		.fs_root = (__u64)container_of(task->fs->root.mnt, struct mount, mnt),
		.off = RG_PATH_HALF,
		.truncated = RG_STR_CUT,
	};

	/*
	 * The last component is the starting dentry's name, unless it is a
	 * mount's root (an opendir of /tmp or /dev): then it is its mount
	 * point's, and 0 for the namespace root ("/") or a mount stacked on the
	 * root of another (unknown). Read here, not in the loop, where a value
	 * carried between steps would keep the verifier's states from converging.
	 */
	if (dentry != bpf_core_cast(vfsmnt, struct vfsmount)->mnt_root) {
		*leaf = bpf_core_cast(dentry, struct dentry)->d_name.len;
	} else {
		struct mount *m = bpf_core_cast((void *)w.mnt, struct mount);
		struct mount *parent = m->mnt_parent;
		struct dentry *point = m->mnt_mountpoint;

		*leaf = 0;
		if (parent && parent != m && point != bpf_core_cast(parent, struct mount)->mnt.mnt_root)
			*leaf = bpf_core_cast(point, struct dentry)->d_name.len;
	}
	bpf_loop(RG_PATH_DEPTH, path__walk_step, &w, 0);
	/*
	 * The loop stops after RG_PATH_DEPTH components before it can see
	 * that the next step is the namespace root: a path of exactly that
	 * many components is complete, not cut. path_truncated is exact.
	 */
	if (w.truncated == RG_STR_CUT && path__at_ns_root(&w))
		w.truncated = 0;
	*truncated = w.truncated;
	if (w.off >= RG_PATH_HALF) {
		w.off = RG_PATH_HALF - 1;
		pb->buf[RG_PATH_HALF - 1] = '/';
	}
	return w.off;
}

#endif /* __RG_PATH_BPF_H */
