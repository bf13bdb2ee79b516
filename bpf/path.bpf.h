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
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	__u32 off;
	__u16 truncated;
};

/* One component of path__walk(); returns 1 to stop. */
static long path__walk_step(__u32 i, void *arg)
{
	struct path_walk *w = arg;
	/* locals, so that CO-RE relocations never name struct path_walk */
	struct dentry *dentry = w->dentry;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt;
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	const unsigned char *name;
	__u32 len, off = w->off;

	int last = 0;

	if (dentry == mnt_root || dentry == parent) {
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);

		if (dentry != mnt_root) {
			/*
			 * Its own parent yet no mount's root: a pseudo file (a
			 * memfd, an anonymous inode). Like d_path(), keep its
			 * name: "/memfd:payload".
			 */
			w->truncated = 0;
			last = 1;
		} else if (mnt_parent == mnt) {
			w->truncated = 0; /* reached the root */
			return 1;
		} else {
			/* root of a mounted fs: continue from its mount point */
			w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			w->mnt = mnt_parent;
			w->vfsmnt = __builtin_preserve_access_index(&mnt_parent->mnt);
			return 0;
		}
	}
	len = BPF_CORE_READ(dentry, d_name.len);
	name = BPF_CORE_READ(dentry, d_name.name);
	if (len > RG_NAME_MAX || len + 1 > off || off > RG_PATH_HALF)
		return 1;
	off -= len;
	bpf_probe_read_kernel(&w->pb->buf[off & (RG_PATH_HALF - 1)], len & RG_NAME_MAX, name);
	off -= 1;
	w->pb->buf[off & (RG_PATH_HALF - 1)] = '/';
	w->off = off;
	w->dentry = parent;
	return last;
}

/*
 * Writes the absolute path of (@dentry, @vfsmnt) into @pb so that it ends
 * just before pb->buf[RG_PATH_HALF], walking up d_parent and across mount
 * points like the kernel's d_path() (which tracepoint programs may not call).
 * The walk runs under bpf_loop() so the verifier checks one step, not 64.
 * Returns the offset where the path starts; *truncated is set when the walk
 * gave up before reaching the root of the mount namespace.
 */
static __always_inline __u32 path__walk(struct rg_pathbuf *pb, struct dentry *dentry,
					struct vfsmount *vfsmnt, __u16 *truncated)
{
	struct path_walk w = {
		.pb = pb,
		.dentry = dentry,
		.vfsmnt = vfsmnt,
		.mnt = container_of(vfsmnt, struct mount, mnt),
		.off = RG_PATH_HALF,
		.truncated = 1,
	};

	bpf_loop(RG_PATH_DEPTH, path__walk_step, &w, 0);
	*truncated = w.truncated;
	if (w.off >= RG_PATH_HALF) {
		w.off = RG_PATH_HALF - 1;
		pb->buf[RG_PATH_HALF - 1] = '/';
	}
	return w.off;
}

#endif /* __RG_PATH_BPF_H */
