/* Test support: bytes with descriptors over a Unix socket (SCM_RIGHTS), as
 * the handshake sends them, and a whole channel group passed that way.
 * Written against the public C API only. */
#ifndef RTIPC_TEST_FDPASS_H
#define RTIPC_TEST_FDPASS_H

#include <rtipc/rtipc.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FDPASS_MAX_FDS 1025 /* the memfd plus one eventfd per channel */

/* One message: len bytes of buf plus nfds descriptors. Returns 0 or -errno. */
int fdpass_send(int sock, const void* buf, size_t len, const int* fds, size_t nfds);

/* Receives one message into buf (capacity cap) and up to max_fds descriptors
 * (close-on-exec). Returns the byte count and sets *nfds, or -errno;
 * -EMSGSIZE when bytes or descriptors were cut off (those received are
 * closed then). */
ssize_t fdpass_recv(int sock, void* buf, size_t cap, int* fds, size_t max_fds, size_t* nfds);

/* Sends group's request bytes and descriptors. Returns 0 or -errno. */
int fdpass_send_group(int sock, const rtipc_group* group);

/* Receives a request and builds the server side with
 * rtipc_group_from_request(config; NULL: defaults). Returns 0 and *group,
 * or -errno. */
int fdpass_recv_group(int sock, const struct rtipc_server_config* config, rtipc_group** group);

/* The number of entries in a directory (no . or ..), or -1. */
int count_dir_entries(const char* path);

/* The number of open descriptors of this process, or -1. */
int count_open_fds(void);

#ifdef __cplusplus
}
#endif

#endif
