/* Sending bytes with descriptors over a Unix socket (SCM_RIGHTS), as the
 * handshake does; written here so that the tests depend on nothing but the
 * public C API. */
#ifndef RTIPC_TEST_FDPASS_H
#define RTIPC_TEST_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

#define FDPASS_MAX_FDS 64

/* One message: len bytes of buf plus nfds descriptors. Returns 0 or -errno. */
int fdpass_send(int sock, const void* buf, size_t len, const int* fds, size_t nfds);

/* Receives one message into buf (capacity cap) and up to max_fds descriptors
 * (close-on-exec). Returns the byte count and sets *nfds, or -errno;
 * -EMSGSIZE when bytes or descriptors were cut off (those received are
 * closed then). */
ssize_t fdpass_recv(int sock, void* buf, size_t cap, int* fds, size_t max_fds, size_t* nfds);

/* The number of open descriptors of this process (entries of /proc/self/fd),
 * or -1. */
int count_open_fds(void);

#endif
