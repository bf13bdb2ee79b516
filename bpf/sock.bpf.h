/* SPDX-License-Identifier: GPL-2.0 */
/* sock.bpf.h - addresses and ports read from the kernel's socket, not guessed. */
#ifndef __RG_SOCK_BPF_H
#define __RG_SOCK_BPF_H

#define RG_AF_UNIX 1
#define RG_AF_INET 2
#define RG_AF_INET6 10

static __always_inline struct sock *file__sock(struct file *f)
{
	struct socket *sock;

	if (!f || file__ifmt(f) != RG_S_IFSOCK)
		return NULL;
	sock = bpf_core_cast(f, struct file)->private_data;
	return sock ? bpf_core_cast(sock, struct socket)->sk : NULL;
}

/*
 * Family, protocol and the local end of @sk; the remote end too when @remote.
 * sk_protocol and sk_type are plain u16 fields since v5.6 (bf9765145b85
 * "sock: Make sk_protocol a 16-bit value"), which is what we require.
 */
static __always_inline void sock__read(struct rg_net *e, struct sock *sock, int remote)
{
	struct sock *sk = bpf_core_cast(sock, struct sock);
	__u16 family = sk->__sk_common.skc_family;

	e->family = family;
	e->protocol = sk->sk_protocol;
	e->sock_type = sk->sk_type;
	if (family != RG_AF_INET && family != RG_AF_INET6)
		return;
	e->local_port = sk->__sk_common.skc_num;
	if (remote)
		e->remote_port = bpf_ntohs(sk->__sk_common.skc_dport);
	if (family == RG_AF_INET) {
		__u32 a = sk->__sk_common.skc_rcv_saddr;

		__builtin_memcpy(e->local_addr, &a, 4);
		if (remote) {
			a = sk->__sk_common.skc_daddr;
			__builtin_memcpy(e->remote_addr, &a, 4);
		}
	} else if (bpf_core_field_exists(sk->__sk_common.skc_v6_daddr)) {
		BPF_CORE_READ_INTO(&e->local_addr, sk, __sk_common.skc_v6_rcv_saddr);
		if (remote)
			BPF_CORE_READ_INTO(&e->remote_addr, sk, __sk_common.skc_v6_daddr);
	}
}

/* The path a unix socket is bound to (accepted sockets share the listener's). */
static __always_inline void rec__unix_sock_path(struct rg_scratch *sc, __u32 *off,
						struct rg_str *s, struct sock *sk)
{
	struct unix_sock *u = (void *)sk;
	struct unix_address *ua = BPF_CORE_READ(u, addr);
	int len;

	if (!ua)
		return;
	len = BPF_CORE_READ(ua, len) - 2; /* minus sun_family */
	if (len <= 0)
		return;
	rec__bytes(sc, off, s, __builtin_preserve_access_index(&ua->name[0].sun_path), len, 0,
		   RG_UNIX_PATH_MAX + 1, 0);
}

/* Family, port and address from the sockaddr the caller passed in. */
static __always_inline void rec__user_sockaddr(struct rg_scratch *sc, __u32 *off, struct rg_net *e,
					       const void *uaddr, long addrlen)
{
	__u16 family = 0;

	if (!uaddr || addrlen < 2 || bpf_probe_read_user(&family, sizeof(family), uaddr))
		return;
	if (family == RG_AF_INET && addrlen >= 8) {
		__u16 port;

		bpf_probe_read_user(&port, sizeof(port), uaddr + 2);
		e->remote_port = bpf_ntohs(port);
		bpf_probe_read_user(e->remote_addr, 4, uaddr + 4);
	} else if (family == RG_AF_INET6 && addrlen >= 24) {
		__u16 port;

		bpf_probe_read_user(&port, sizeof(port), uaddr + 2);
		e->remote_port = bpf_ntohs(port);
		bpf_probe_read_user(e->remote_addr, 16, uaddr + 8);
	} else if (family == RG_AF_UNIX && addrlen > 2) {
		rec__bytes(sc, off, &e->unix_path, uaddr + 2, addrlen - 2, 0, RG_UNIX_PATH_MAX + 1,
			   1);
	}
}

#endif /* __RG_SOCK_BPF_H */
