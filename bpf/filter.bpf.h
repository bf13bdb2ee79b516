/* SPDX-License-Identifier: GPL-2.0 */
/*
 * filter.bpf.h - in-kernel path filter: decides, before anything is copied
 * to the ring buffer, whether a file event's path can be reported under
 * [file] watch_paths / watch_patterns / exclude_paths.
 *
 * It is a conservative pre-filter: it may keep a path userspace then drops
 * (userspace applies the exact filter), never the reverse. Userspace
 * (src/bpf/filter.rs) fills `path_rules` with FNV-1a hashes of every watch
 * and exclude directory, of literal file names, and of the extension of
 * `*.ext` patterns; a path is scanned once, looking up the hash of each
 * prefix that ends at a component boundary.
 */
#ifndef __RG_FILTER_BPF_H
#define __RG_FILTER_BPF_H

#define RG_F_WATCH 1
#define RG_F_EXCLUDE 2
#define RG_F_NAME 4
#define RG_F_EXT 8

#define RG_FNV_INIT 0xcbf29ce484222325ULL
#define RG_FNV_PRIME 0x100000001b3ULL
/* Keys of file names and extensions live apart from directory keys. */
#define RG_SALT_NAME 0x9e3779b97f4a7c15ULL
#define RG_SALT_EXT 0xc2b2ae3d27d4eb4fULL
/* Longer paths are not scanned: kept, and left to userspace. */
#define RG_SCAN_MAX 1024

/* 0: send every path, userspace filters (a config the kernel cannot model). */
const volatile __u8 rg_filter_paths = 0;
/* No watch paths or patterns: every path not excluded is watched. */
const volatile __u8 rg_filter_watch_all = 0;
/*
 * What path_rules holds, in a map so a SIGHUP reload can change it with the
 * rules. dir_lens bit n set: some watch or exclude directory is n bytes
 * long. A prefix of any other length cannot match, so its lookup is
 * skipped: most paths take none or one lookup instead of one per component.
 */
#define RG_DIR_LEN_WORDS 32
#define RG_NAME_LEN_WORDS 4
struct rg_filter_meta {
	__u64 dir_lens[RG_DIR_LEN_WORDS];
	/* the same for literal file names and `*.ext` extensions (< 256 bytes) */
	__u64 name_lens[RG_NAME_LEN_WORDS];
	__u64 ext_lens[RG_NAME_LEN_WORDS];
	/* the longest watch or exclude directory: no prefix beyond it is looked up */
	__u32 dir_len_max;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rg_filter_meta);
} filter_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u8);
} path_rules SEC(".maps");

/*
 * One byte of a file name: its hash @hb, and @he, the hash after its last
 * '.' (which starts at @ext_at; @in_ext once there is one). Takes the
 * fields, not a struct, so each scan keeps its own flat state: the verifier
 * converges on the full scan's loop body only with that layout.
 */
static __always_inline void filter__name_byte(__u64 *hb, __u64 *he, __u8 *in_ext, __u32 *ext_at, __u32 i,
					      __u8 c)
{
	*hb = (*hb ^ c) * RG_FNV_PRIME;
	if (c == '.') {
		*he = RG_FNV_INIT;
		*in_ext = 1;
		*ext_at = i + 1;
	} else if (*in_ext) {
		*he = (*he ^ c) * RG_FNV_PRIME;
	}
}

/*
 * The running state of a full scan. It lives in map memory (the pathbuf
 * entry, maps.bpf.h), not on the stack: the verifier does not track values
 * it loads from a map, so the loop body's states converge at once. Kept on
 * the stack, the positions below (name_at, ext_at: the byte index, which
 * grows every step) were tracked exactly, each step was a new state, and a
 * rename's two scans ran past the verifier's million-instruction limit.
 */
struct path_scan {
	struct rg_pathbuf *pb;
	struct rg_filter_meta *meta;
	struct rg_scan_state *st;
	__u32 start;
	__u32 len;
};

/* An empty, "." or ".." component: the path is not in normal form. */
static __always_inline int filter__odd_component(struct rg_scan_state *st)
{
	return st->comp != 3;
}

static __always_inline __u8 filter__lookup(__u64 key)
{
	__u8 *f = bpf_map_lookup_elem(&path_rules, &key);

	return f ? *f : 0;
}

/* Bit @n of the bitmap @bits (@words u64s, a power of two). */
static __always_inline int filter__bit(const __u64 *bits, const __u32 words, __u32 n)
{
	__u32 w = n >> 6;

	if (w >= words)
		return 0;
	/* keep the mask below: clang drops it after the check, the verifier needs it */
	asm volatile("" : "+r"(w));
	return (bits[w & (words - 1)] >> (n & 63)) & 1;
}

/* The flags of the directory prefix that is @len bytes long and hashes to @h. */
static __always_inline __u8 filter__dir(struct rg_filter_meta *m, __u64 h, __u32 len)
{
	if (!filter__bit(m->dir_lens, RG_DIR_LEN_WORDS, len))
		return 0;
	return filter__lookup(h) & (RG_F_WATCH | RG_F_EXCLUDE);
}

/*
 * The body of a bpf_loop() callback that hands the bytes of step @i, eight
 * of s->pb->buf[s->start .. s->start + s->len), to @byte(s, index, c).
 * Eight bytes per step: the callback, not the hashing, was the cost.
 */
#define RG_SCAN_EIGHT(s, i, byte)                                                          \
	do {                                                                               \
		__u32 at = (i) * 8;                                                        \
                                                                                           \
		_Pragma("unroll") for (int j = 0; j < 8; j++)                              \
		{                                                                          \
			if (at + j >= (s)->len)                                            \
				return 1;                                                  \
			byte((s), at + j,                                                  \
			     (s)->pb->buf[((s)->start + at + j) & (2 * RG_PATH_HALF - 1)]); \
		}                                                                          \
		return 0;                                                                  \
	} while (0)

static __always_inline void filter__scan_byte(struct path_scan *s, __u32 i, __u8 c)
{
	struct rg_scan_state *st = s->st;

	if (c == '/') {
		if (i > 0) {
			st->odd |= filter__odd_component(st);
			st->flags |= filter__dir(s->meta, st->h, i);
		}
		st->hb = RG_FNV_INIT;
		st->he = RG_FNV_INIT;
		st->in_ext = 0;
		st->comp = 0;
		st->name_at = i + 1;
	} else {
		st->comp = (c == '.' && st->comp < 2) ? st->comp + 1 : 3;
		filter__name_byte(&st->hb, &st->he, &st->in_ext, &st->ext_at, i, c);
	}
	st->h = (st->h ^ c) * RG_FNV_PRIME;
}

static long filter__scan_step(__u32 i, void *arg)
{
	struct path_scan *s = arg;

	RG_SCAN_EIGHT(s, i, filter__scan_byte);
}

/*
 * Whether a file name of @len bytes hashing to @hb, with an extension
 * (@in_ext) of @ext_len bytes hashing to @he, is watched.
 */
static __always_inline int filter__name_keep(struct rg_filter_meta *m, __u64 hb, __u64 he, __u8 in_ext,
					     __u32 len, __u32 ext_len)
{
	if (filter__bit(m->name_lens, RG_NAME_LEN_WORDS, len) && (filter__lookup(hb ^ RG_SALT_NAME) & RG_F_NAME))
		return 1;
	return in_ext && filter__bit(m->ext_lens, RG_NAME_LEN_WORDS, ext_len) &&
	       (filter__lookup(he ^ RG_SALT_EXT) & RG_F_EXT);
}

/* Whether the path at pb->buf[start .. start + len) may be reported. */
static __always_inline int filter__keep(struct rg_pathbuf *pb, __u32 start, __u32 len)
{
	struct rg_scan_state *st = &pb->scan;
	struct path_scan s = { .pb = pb, .st = st, .start = start, .len = len };
	__u32 zero = 0;

	if (!rg_filter_paths || len > RG_SCAN_MAX)
		return 1;
	s.meta = bpf_map_lookup_elem(&filter_meta, &zero);
	if (!s.meta)
		return 1;
	*st = (struct rg_scan_state){ .h = RG_FNV_INIT, .hb = RG_FNV_INIT, .he = RG_FNV_INIT };
	bpf_loop((len + 7) / 8, filter__scan_step, &s, 0);
	if (len > 1)
		st->odd |= filter__odd_component(st);
	if (st->odd)
		return 1;
	st->flags |= filter__dir(s.meta, st->h, len);
	if (st->flags & RG_F_EXCLUDE)
		return 0;
	if (rg_filter_watch_all || (st->flags & RG_F_WATCH))
		return 1;
	return filter__name_keep(s.meta, st->hb, st->he, st->in_ext, len - st->name_at, len - st->ext_at);
}

/*
 * The same decision for a path from a dentry walk, which is in normal form
 * (no empty, "." or ".." component) and whose last component is known to be
 * @leaf bytes long. It hashes far less: directory prefixes only as far as
 * the longest rule directory (no longer prefix has a lookup to do), the file
 * name and extension only over the last component.
 */
struct prefix_scan {
	struct rg_pathbuf *pb;
	struct rg_filter_meta *meta;
	__u32 start;
	__u32 len;
	__u64 h;
	__u8 flags;
};

static __always_inline void filter__prefix_byte(struct prefix_scan *s, __u32 i, __u8 c)
{
	if (c == '/' && i > 0)
		s->flags |= filter__dir(s->meta, s->h, i);
	s->h = (s->h ^ c) * RG_FNV_PRIME;
}

static long filter__prefix_step(__u32 i, void *arg)
{
	struct prefix_scan *s = arg;

	RG_SCAN_EIGHT(s, i, filter__prefix_byte);
}

struct leaf_scan {
	struct rg_pathbuf *pb;
	__u32 start;
	__u32 len;
	__u64 hb;
	__u64 he;
	__u32 ext_at;
	__u8 in_ext;
};

static __always_inline void filter__leaf_byte(struct leaf_scan *s, __u32 i, __u8 c)
{
	filter__name_byte(&s->hb, &s->he, &s->in_ext, &s->ext_at, i, c);
}

static long filter__leaf_step(__u32 i, void *arg)
{
	struct leaf_scan *s = arg;

	RG_SCAN_EIGHT(s, i, filter__leaf_byte);
}

static __always_inline int filter__keep_walked(struct rg_pathbuf *pb, __u32 start, __u32 len, __u32 leaf)
{
	struct prefix_scan p = { .pb = pb, .start = start, .h = RG_FNV_INIT };
	struct leaf_scan l = { .pb = pb, .hb = RG_FNV_INIT, .he = RG_FNV_INIT };
	__u32 zero = 0;

	if (!rg_filter_paths || len > RG_SCAN_MAX)
		return 1;
	p.meta = bpf_map_lookup_elem(&filter_meta, &zero);
	if (!p.meta)
		return 1;
	p.len = len;
	if (p.meta->dir_len_max < len)
		p.len = p.meta->dir_len_max + 1; /* up to and including the '/' ending the longest */
	bpf_loop((p.len + 7) / 8, filter__prefix_step, &p, 0);
	if (p.len == len)
		p.flags |= filter__dir(p.meta, p.h, len);
	if (p.flags & RG_F_EXCLUDE)
		return 0;
	if (rg_filter_watch_all || (p.flags & RG_F_WATCH))
		return 1;
	if (len == 1)
		return 0; /* "/": no name a pattern could match */
	if (leaf == 0 || leaf >= len)
		return 1; /* a mount stacked on a mount's root: cannot tell, kept */
	l.start = start + len - leaf;
	l.len = leaf;
	bpf_loop((leaf + 7) / 8, filter__leaf_step, &l, 0);
	return filter__name_keep(p.meta, l.hb, l.he, l.in_ext, leaf, leaf - l.ext_at);
}

#endif /* __RG_FILTER_BPF_H */
