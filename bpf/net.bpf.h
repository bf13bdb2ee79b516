/* SPDX-License-Identifier: GPL-2.0 */
/*
 * net.bpf.h - network_connect, network_bind, network_listen and
 * network_accept: successful connect (and one under way), bind, listen,
 * accept and accept4, with addresses read from the kernel socket
 * (sock.bpf.h). Included by sensor.bpf.c after the syscall-exit plumbing
 * (RG_EXIT_ARGS) it uses.
 */
#ifndef __RG_NET_BPF_H
#define __RG_NET_BPF_H

static __always_inline int net__exit(struct trace_event_raw_sys_exit *ctx, const struct rg_args *st)
{
	struct task_struct *task = current_task();
	struct rg_scratch *sc;
	struct rg_net *e;
	struct sock *sk;
	long ret = ctx->ret;
	long fd;
	__u32 off = sizeof(*e);
	__u16 kind;

	switch (st->syscall) {
	case RG_SYS_CONNECT:
		/* a non-blocking connect that is under way counts */
		if (ret != 0 && ret != -RG_EINPROGRESS)
			return 0;
		kind = RG_KIND_NET_CONNECT;
		fd = (int)st->args[0];
		break;
	case RG_SYS_BIND:
		kind = RG_KIND_NET_BIND;
		fd = (int)st->args[0];
		break;
	case RG_SYS_LISTEN:
		kind = RG_KIND_NET_LISTEN;
		fd = (int)st->args[0];
		break;
	default: /* accept, accept4: the new socket */
		kind = RG_KIND_NET_ACCEPT;
		fd = ret;
		break;
	}
	if (ret < 0 && kind != RG_KIND_NET_CONNECT)
		return 0;
	sk = file__sock(task__fd_file(task, fd));
	sc = rec__scratch();
	if (!sk || !sc)
		return 0;
	rec__begin(sc, sizeof(*e), kind, task);
	e = (void *)sc->rec;
	e->ret = ret;
	e->fd = fd;
	e->syscall = st->syscall;
	sock__read(e, sk, kind == RG_KIND_NET_ACCEPT);
	if (kind == RG_KIND_NET_CONNECT) {
		/* where the caller asked to go; the socket's local end as it is now */
		rec__user_sockaddr(sc, &off, e, (void *)st->args[1], (int)st->args[2]);
	} else if (e->family == RG_AF_UNIX) {
		if (kind == RG_KIND_NET_BIND)
			rec__user_sockaddr(sc, &off, e, (void *)st->args[1], (int)st->args[2]);
		else
			rec__unix_sock_path(sc, &off, &e->unix_path, sk);
	}
	if (kind == RG_KIND_NET_LISTEN)
		e->backlog = st->args[1];
	rec__submit(sc, off);
	return 0;
}

RG_EXIT_ARGS(connect, RG_SYS_CONNECT, net__exit)
RG_EXIT_ARGS(bind, RG_SYS_BIND, net__exit)
RG_EXIT_ARGS(listen, RG_SYS_LISTEN, net__exit)
RG_EXIT_ARGS(accept, RG_SYS_ACCEPT, net__exit)
RG_EXIT_ARGS(accept4, RG_SYS_ACCEPT4, net__exit)

#endif /* __RG_NET_BPF_H */
