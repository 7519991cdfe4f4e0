#define _GNU_SOURCE
#include "fdpass.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { MAX_FDS = 1025 };

int fdpass_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
	if (nfds > MAX_FDS)
		return -EINVAL;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	char *control = NULL;
	if (nfds > 0) {
		size_t space = CMSG_SPACE(nfds * sizeof(int));
		control = calloc(1, space);
		if (!control)
			return -ENOMEM;
		msg.msg_control = control;
		msg.msg_controllen = space;
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cmsg), fds, nfds * sizeof(int));
	}
	ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	int err = n < 0 ? -errno : 0;
	free(control);
	return err;
}

int fdpass_recv(int sock, void *buf, size_t cap, size_t *len, int *fds, size_t max_fds,
		size_t *nfds)
{
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	size_t space = CMSG_SPACE(MAX_FDS * sizeof(int));
	char *control = calloc(1, space);
	if (!control)
		return -ENOMEM;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = space };
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0) {
		int err = -errno;
		free(control);
		return err;
	}
	*len = (size_t)n;
	*nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *got = (int *)CMSG_DATA(c);
		for (size_t i = 0; i < count; i++) {
			if (*nfds < max_fds)
				fds[(*nfds)++] = got[i];
			else
				close(got[i]);
		}
	}
	free(control);
	return (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ? -EMSGSIZE : 0;
}

int fdpass_send_group(int sock, const rtipc_group *group)
{
	int len = rtipc_group_request(group, NULL, 0);
	int nfds = rtipc_group_fds(group, NULL, 0);
	if (len < 0 || nfds < 0)
		return len < 0 ? len : nfds;
	void *buf = malloc((size_t)len);
	int *fds = malloc((size_t)nfds * sizeof(int));
	int err = -ENOMEM;
	if (buf && fds) {
		rtipc_group_request(group, buf, (size_t)len);
		rtipc_group_fds(group, fds, (size_t)nfds);
		err = fdpass_send(sock, buf, (size_t)len, fds, (size_t)nfds);
	}
	free(buf);
	free(fds);
	return err;
}

int fdpass_recv_group(int sock, uint32_t flags, rtipc_group **group)
{
	enum { CAP = 1 << 20 };
	void *buf = malloc(CAP);
	int fds[MAX_FDS];
	size_t len, nfds;
	if (!buf)
		return -ENOMEM;
	int err = fdpass_recv(sock, buf, CAP, &len, fds, MAX_FDS, &nfds);
	if (err == 0)
		err = rtipc_group_from_request(buf, len, fds, nfds, flags, group);
	else
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
	free(buf);
	return err;
}
