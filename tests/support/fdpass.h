/* Test support: one SOCK_SEQPACKET message with descriptors attached, and a
 * whole channel group passed to a peer that way (request bytes + fds). */
#ifndef RTIPC_TEST_FDPASS_H
#define RTIPC_TEST_FDPASS_H

#include <stddef.h>
#include <stdint.h>

#include <rtipc/rtipc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Sends len bytes with nfds descriptors (SCM_RIGHTS). Returns 0 or -errno. */
int fdpass_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds);

/* Receives one message into buf (size cap) and up to max_fds descriptors.
 * Sets *len and *nfds. Returns 0 or -errno (-EMSGSIZE when truncated). */
int fdpass_recv(int sock, void *buf, size_t cap, size_t *len, int *fds, size_t max_fds,
		size_t *nfds);

/* Sends group's request and descriptors over sock. Returns 0 or -errno. */
int fdpass_send_group(int sock, const rtipc_group *group);

/* Receives a request and builds the server side with rtipc_group_from_request.
 * Returns 0 and *group, or -errno. */
int fdpass_recv_group(int sock, uint32_t flags, rtipc_group **group);

#ifdef __cplusplus
}
#endif

#endif
