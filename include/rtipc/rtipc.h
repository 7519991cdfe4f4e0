/*
 * librtipc: real-time inter-process communication through shared memory,
 * speaking the rtipc wire protocol, version 2.
 *
 * Two processes on one host exchange fixed-size messages through wait-free
 * single-producer single-consumer queues in one sealed memfd. A client
 * creates a channel group and hands it to a server over a Unix socket; each
 * side then takes out its producers and consumers.
 *
 * Rules that hold for every function below:
 *
 * Handles   Opaque, created and destroyed in pairs. Every destroy function
 *           accepts NULL. Pointers that a function returns into a handle
 *           (messages, info bytes) stay valid until that handle is destroyed
 *           unless the function says otherwise.
 * Errors    Functions returning int return a negative errno value, or the
 *           negated library code RTIPC_EREJECTED, on failure, and 0 or a
 *           non-negative result on success. rtipc_strerror() names any such
 *           value; rtipc_last_error() holds the calling thread's detailed
 *           message for its last failed setup call. By default errors are
 *           also logged to stderr (see rtipc_set_log).
 * Pointers  No argument may be NULL unless its comment says so.
 * Threads   Different handles may be used from different threads at once,
 *           including the producers and consumers of one group. One handle
 *           is used from one thread at a time. rtipc_set_log() is
 *           thread-safe.
 * Blocking  Only functions that say so block. The hot path
 *           (rtipc_producer_msg, rtipc_produce, rtipc_consumer_msg,
 *           rtipc_consume) never blocks, never allocates and makes no system
 *           call, except that rtipc_produce on a channel with an eventfd
 *           signals it with one write(2).
 * Descriptors
 *           Every descriptor the library creates is close-on-exec.
 */
#ifndef RTIPC_H
#define RTIPC_H

#include <stddef.h>
#include <stdint.h>

#include <rtipc/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(RTIPC_BUILDING_LIBRARY)
#define RTIPC_EXPORT __attribute__((visibility("default")))
#else
#define RTIPC_EXPORT
#endif

typedef struct rtipc_group rtipc_group;
typedef struct rtipc_producer rtipc_producer;
typedef struct rtipc_consumer rtipc_consumer;
typedef struct rtipc_server rtipc_server;

/* ------------------------------------------------------------------------
 * Version, errors, logging
 */

/* The library's version, "MAJOR.MINOR.MICRO"; compare with RTIPC_VERSION. */
RTIPC_EXPORT const char *rtipc_version(void);

/* Library codes beyond errno; functions return them negated. */
enum {
	RTIPC_EREJECTED = 4096, /* the server (or its filter) said no */
};

/* A static description of err (negative or positive errno, or library code). */
RTIPC_EXPORT const char *rtipc_strerror(int err);

/* The calling thread's message for its last failed setup call, or "". Valid
 * until the thread's next failing call. */
RTIPC_EXPORT const char *rtipc_last_error(void);

enum rtipc_log_level {
	RTIPC_LOG_NONE = 0,
	RTIPC_LOG_ERROR = 1,
	RTIPC_LOG_WARNING = 2,
	RTIPC_LOG_INFO = 3,
	RTIPC_LOG_DEBUG = 4,
};

typedef void (*rtipc_log_fn)(enum rtipc_log_level level, const char *text, void *user);

/* Sends messages up to max_level to fn (called under a lock, from whichever
 * thread logs). fn NULL restores the default sink, stderr. The default is
 * (NULL, NULL, RTIPC_LOG_ERROR); RTIPC_LOG_NONE silences the library. */
RTIPC_EXPORT void rtipc_set_log(rtipc_log_fn fn, void *user, enum rtipc_log_level max_level);

/* ------------------------------------------------------------------------
 * Configuration
 */

#define RTIPC_CHANNEL_EVENTFD 0x1u /* the channel has an eventfd for wake-ups */

struct rtipc_channel_config {
	const void *info;   /* opaque metadata for the peer; NULL when info_size is 0 */
	uint32_t info_size; /* at most 65536 */
	uint32_t msg_size;  /* bytes per message, 1 .. 64 MiB */
	uint32_t add_msgs;  /* slots beyond the minimum of 3 */
	uint32_t flags;     /* RTIPC_CHANNEL_* */
};

#define RTIPC_GROUP_MLOCK 0x1u          /* mlock the region; a failure is a warning */
#define RTIPC_GROUP_MLOCK_REQUIRED 0x2u /* mlock the region; a failure fails the setup */
#define RTIPC_GROUP_PRODUCER_CACHE 0x4u /* producers write a private copy, copied on produce */

/* A group in the terms of the side that holds it: its producers are the
 * channels this process writes. Up to 1024 channels in all. */
struct rtipc_group_config {
	const struct rtipc_channel_config *producers; /* NULL when producer_count is 0 */
	const struct rtipc_channel_config *consumers; /* NULL when consumer_count is 0 */
	const void *info;                             /* group metadata; NULL when info_size is 0 */
	uint32_t producer_count;
	uint32_t consumer_count;
	uint32_t info_size; /* at most 65536 */
	uint32_t flags;     /* RTIPC_GROUP_*: local, never sent to the peer */
};

/* ------------------------------------------------------------------------
 * Channel groups
 */

/* Creates a group as a client: a sealed memfd holding every channel and the
 * eventfds the configuration asks for. The configuration is copied.
 * Returns 0 and *group, or -EINVAL (bad configuration), -ENOMEM, -errno of a
 * failed system call. Makes system calls; does not block. */
RTIPC_EXPORT int rtipc_group_create(const struct rtipc_group_config *config, rtipc_group **group);

/* The protocol request that describes the group (PROTOCOL.md section 3).
 * Writes it to buf when size is enough, and returns its length either way
 * (like snprintf). buf may be NULL when size is 0. */
RTIPC_EXPORT int rtipc_group_request(const rtipc_group *group, void *buf, size_t size);

/* The descriptors to send with the request: the memfd, then the eventfds in
 * table order. Writes them to fds when count is enough and returns how many
 * there are. They stay owned by the group. fds may be NULL when count is 0. */
RTIPC_EXPORT int rtipc_group_fds(const rtipc_group *group, int *fds, size_t count);

/* Builds the server side of a group from a client's request bytes and the
 * descriptors that came with them, checking everything (a hostile peer gets
 * an error, never a crash). flags: RTIPC_GROUP_*.
 * Takes ownership of all fd_count descriptors and closes them also on
 * failure. Returns 0 and *group, or -EBADMSG (malformed request or wrong
 * descriptor count), -EINVAL (a size beyond the limits), -EBADF or -EPERM (a
 * descriptor that is not a sealed memfd or not an eventfd), -errno. */
RTIPC_EXPORT int rtipc_group_from_request(const void *request, size_t size, const int *fds,
					  size_t fd_count, uint32_t flags, rtipc_group **group);

/* Destroys the group and the channels not taken out of it. Channels taken
 * out live on: the shared memory stays mapped until the last one is gone. */
RTIPC_EXPORT void rtipc_group_destroy(rtipc_group *group);

RTIPC_EXPORT uint32_t rtipc_group_producer_count(const rtipc_group *group);
RTIPC_EXPORT uint32_t rtipc_group_consumer_count(const rtipc_group *group);

/* The group's info bytes; *size receives their count. NULL when there are none. */
RTIPC_EXPORT const void *rtipc_group_info(const rtipc_group *group, size_t *size);

/* Fills *config with producer (or consumer) channel index's configuration,
 * info included (valid while the group lives). Returns 0 or -EINVAL. */
RTIPC_EXPORT int rtipc_group_producer_config(const rtipc_group *group, uint32_t index,
					     struct rtipc_channel_config *config);
RTIPC_EXPORT int rtipc_group_consumer_config(const rtipc_group *group, uint32_t index,
					     struct rtipc_channel_config *config);

/* The peer process's pid, as the handshake's SO_PEERCRED gave it, or 0 when
 * unknown (a group built by rtipc_group_create or rtipc_group_from_request,
 * which saw no handshake). These are the kernel's credentials of the socket:
 * a client's peer is the process that called rtipc_server_create, and both
 * ends of a socketpair name the process that created it. */
RTIPC_EXPORT int32_t rtipc_group_peer_pid(const rtipc_group *group);

/* A descriptor that turns readable (POLLIN) once the peer process has
 * exited, however it went, for poll/epoll/select: a pidfd, taken during the
 * handshake (SO_PEERPIDFD, Linux 6.5+, or pidfd_open, Linux 5.3+). Owned by
 * the group; the producers and consumers taken out of it watch the same
 * process on their own. Returns -ENOTSUP when unknown (no handshake, or a
 * kernel without pidfds). */
RTIPC_EXPORT int rtipc_group_peer_fd(const rtipc_group *group);

/* Takes producer (or consumer) index out of the group; the caller owns it and
 * destroys it with rtipc_producer_destroy (rtipc_consumer_destroy). Returns
 * 0, -EINVAL (no such index) or -EBUSY (taken already). */
RTIPC_EXPORT int rtipc_group_take_producer(rtipc_group *group, uint32_t index,
					   rtipc_producer **producer);
RTIPC_EXPORT int rtipc_group_take_consumer(rtipc_group *group, uint32_t index,
					   rtipc_consumer **consumer);

/* ------------------------------------------------------------------------
 * Producing
 */

enum rtipc_produce_mode {
	RTIPC_PRODUCE_FORCE = 0, /* never fails: discards the oldest waiting message when full */
	RTIPC_PRODUCE_TRY = 1,   /* never discards: reports RTIPC_QUEUE_FULL */
};

enum rtipc_produce_result {
	RTIPC_PUBLISHED = 0,           /* the message is in the queue */
	RTIPC_PUBLISHED_DISCARDED = 1, /* ... and the oldest waiting message was dropped */
	RTIPC_QUEUE_FULL = 2,          /* nothing published; the message stays in place */
};

RTIPC_EXPORT void rtipc_producer_destroy(rtipc_producer *producer);

/* Where to write the next message: rtipc_producer_msg_size() bytes, aligned
 * to the cache line. Valid until the next rtipc_produce that publishes. The
 * slot is shared memory the peer can see (unless the group has
 * RTIPC_GROUP_PRODUCER_CACHE), so write the message, then produce. */
RTIPC_EXPORT void *rtipc_producer_msg(const rtipc_producer *producer);

/* Publishes the message at rtipc_producer_msg(). Returns an
 * enum rtipc_produce_result, or -EPROTO when the shared indices are corrupt
 * (nothing is written outside the region), -EINVAL for a bad mode.
 * Wait-free; no system call unless the channel has an eventfd. */
RTIPC_EXPORT int rtipc_produce(rtipc_producer *producer, enum rtipc_produce_mode mode);

RTIPC_EXPORT size_t rtipc_producer_msg_size(const rtipc_producer *producer);
/* n = 3 + add_msgs. Before the consumer's first message n - 1 messages fit;
 * after it, n - 2 wait behind the one the consumer reads. */
RTIPC_EXPORT uint32_t rtipc_producer_slots(const rtipc_producer *producer);
/* The channel's info bytes (NULL when none); *size receives their count. */
RTIPC_EXPORT const void *rtipc_producer_info(const rtipc_producer *producer, size_t *size);
/* The channel's eventfd, or -1. Owned by the producer. */
RTIPC_EXPORT int rtipc_producer_fd(const rtipc_producer *producer);

/* Whether the peer process still runs: 1 while it does, 0 once it has
 * exited, -ENOTSUP when unknown (see rtipc_group_peer_fd), -errno. Works
 * after the group is destroyed. One poll(2): not for the hot path. */
RTIPC_EXPORT int rtipc_producer_peer_alive(const rtipc_producer *producer);

/* ------------------------------------------------------------------------
 * Consuming
 */

enum rtipc_consume_mode {
	RTIPC_CONSUME_NEXT = 0,   /* the oldest unread message */
	RTIPC_CONSUME_LATEST = 1, /* the newest message, skipping older ones */
};

enum rtipc_consume_result {
	RTIPC_NOTHING_PRODUCED = 0, /* the producer has not published anything yet */
	RTIPC_NO_NEW = 1,           /* nothing newer than the message held */
	RTIPC_NEW = 2,              /* a new message, directly after the last one */
	RTIPC_NEW_AFTER_GAP = 3,    /* a new message; messages before it were skipped */
};

RTIPC_EXPORT void rtipc_consumer_destroy(rtipc_consumer *consumer);

/* The message the consumer holds, read in place; NULL before the first
 * message. Valid until the next rtipc_consume; the producer never writes it
 * meanwhile. */
RTIPC_EXPORT const void *rtipc_consumer_msg(const rtipc_consumer *consumer);

/* Moves to the next (or newest) message. Returns an
 * enum rtipc_consume_result (>= RTIPC_NEW: rtipc_consumer_msg() changed), or
 * -EPROTO when the shared indices are corrupt, -EINVAL for a bad mode.
 * Wait-free, no system call; finding nothing new writes no shared memory. */
RTIPC_EXPORT int rtipc_consume(rtipc_consumer *consumer, enum rtipc_consume_mode mode);

RTIPC_EXPORT size_t rtipc_consumer_msg_size(const rtipc_consumer *consumer);
RTIPC_EXPORT uint32_t rtipc_consumer_slots(const rtipc_consumer *consumer);
RTIPC_EXPORT const void *rtipc_consumer_info(const rtipc_consumer *consumer, size_t *size);

/* The channel's eventfd, for poll/epoll/select, or -1. Owned by the consumer.
 * Readable means "maybe a new message": call rtipc_consume until it reports
 * nothing new, then rtipc_consumer_wait(consumer, 0) to take stale counts so
 * that the descriptor does not stay readable for nothing. */
RTIPC_EXPORT int rtipc_consumer_fd(const rtipc_consumer *consumer);

/* Blocks until rtipc_consume would find something new, or timeout_ms passes
 * (-1: no limit; 0: just check), or the peer process exits. Spins first if
 * rtipc_consumer_set_spin asked for it (never longer than timeout_ms), then
 * sleeps on the eventfd and the peer's pidfd (when known, see
 * rtipc_group_peer_fd). Counts left in the eventfd by messages already
 * consumed are taken on the way (up to 4096 before it heeds timeout_ms, so
 * that a peer flooding the eventfd cannot hold it) and never make it return
 * early. Returns 1
 * when something is there, 0 on timeout, -EPIPE when the peer has exited and
 * nothing new is left (what it published before it went is still reported
 * first), -ENOTSUP when the channel has no eventfd and no message came while
 * spinning, -errno. Does not consume. */
RTIPC_EXPORT int rtipc_consumer_wait(rtipc_consumer *consumer, int timeout_ms);

/* As rtipc_producer_peer_alive. */
RTIPC_EXPORT int rtipc_consumer_peer_alive(const rtipc_consumer *consumer);

/* How long rtipc_consumer_wait busy-polls before it sleeps; 0 (the default)
 * sleeps at once. */
RTIPC_EXPORT void rtipc_consumer_set_spin(rtipc_consumer *consumer, uint32_t spin_ns);

/* ------------------------------------------------------------------------
 * Handshake over a Unix SOCK_SEQPACKET socket (PROTOCOL.md sections 2-5)
 */

/* The peer process, from SO_PEERCRED at connect time. */
struct rtipc_peer {
	int32_t pid;
	uint32_t uid;
	uint32_t gid;
};

/* Decides on a client's proposal. proposal is in the server's terms (its
 * producers are the channels the client consumes; flags is 0); it and its
 * info bytes are valid during the call only. The request has been decoded
 * and its descriptor count checked, but nothing has been mapped or written
 * yet, and the descriptors themselves are checked only after an accept.
 * Returns nonzero to accept. */
typedef int (*rtipc_filter_fn)(const struct rtipc_group_config *proposal,
			       const struct rtipc_peer *peer, void *user);

/* Listens on path. A stale socket file that nobody listens on (connect
 * refused) is replaced; if a server listens there, fails with -EADDRINUSE
 * (that server sees a connection that hangs up at once, which its accept
 * skips); anything there that is not a socket fails with -EEXIST and is
 * never removed. mode: permission bits for the socket file, set before
 * listening (0 keeps what the umask gives). backlog <= 0 means SOMAXCONN.
 * Returns 0 and *server, or -EINVAL, -ENAMETOOLONG, -errno. A child forked
 * without exec inherits the listening descriptor and keeps it alive. */
RTIPC_EXPORT int rtipc_server_create(const char *path, int backlog, uint32_t mode,
				     rtipc_server **server);

/* The listening descriptor, readable when a client waits to be accepted.
 * Owned by the server. */
RTIPC_EXPORT int rtipc_server_fd(const rtipc_server *server);

/* How long a connected client may take to send its request before the
 * server drops it (default 1000 ms; -1: no limit); bounds what a silent or
 * slow peer costs. */
RTIPC_EXPORT void rtipc_server_set_request_timeout(rtipc_server *server, int timeout_ms);

/* Accepts one client: waits up to timeout_ms for a connection (-1: no limit,
 * 0: only one already waiting), reads and checks its request, asks filter
 * (NULL accepts everything), builds the group (flags: RTIPC_GROUP_*),
 * replies, and closes the connection. Blocks. Returns 0 and *group;
 * -ETIMEDOUT when no client came in time; -RTIPC_EREJECTED when the filter
 * said no; -EBADMSG, -EINVAL, -EBADF, -EPERM for a bad request or bad
 * descriptors; -EPROTO when a client connected but sent no request within
 * the request timeout; -EPIPE (or -ECONNRESET) when it left before the
 * reply; -EMFILE (or -ENFILE, -ENOMEM) when this process ran out of
 * descriptors or memory (a client caught in it got -1). A connection that
 * hangs up without sending anything is skipped.
 * In every rejection the client got -1 where the socket allowed. Every
 * failure that concerns one client is logged as a warning (not an error)
 * and leaves the server ready for the next, with every received descriptor
 * closed. */
RTIPC_EXPORT int rtipc_server_accept(rtipc_server *server, int timeout_ms,
				     rtipc_filter_fn filter, void *user, uint32_t flags,
				     rtipc_group **group);

/* The server side of the handshake on an already connected SOCK_SEQPACKET
 * socket (socketpair, inherited descriptor). timeout_ms bounds the wait for
 * the request (-EPROTO when it passes; -ECONNABORTED when the peer hangs up
 * without sending anything). Does not take ownership of sock and does not
 * close it. Returns as rtipc_server_accept. */
RTIPC_EXPORT int rtipc_server_accept_socket(int sock, int timeout_ms, rtipc_filter_fn filter,
					    void *user, uint32_t flags, rtipc_group **group);

/* Stops listening and frees the server. Removes the socket file if it is
 * still the one the server created and this is the process that created it:
 * a process that inherited the server through fork() may destroy its copy
 * without taking the path away from the original. */
RTIPC_EXPORT void rtipc_server_destroy(rtipc_server *server);

/* Creates a group from config (as rtipc_group_create), connects to the server
 * at path, sends the request and waits for the answer, all within timeout_ms
 * (-1: no limit). Blocks. Returns 0 and *group; -ENOENT or -ECONNREFUSED
 * when no server is there; -RTIPC_EREJECTED when the server said no (any
 * answer but 00 00 00 00, including a hang-up); -ECONNRESET when the server
 * went away with the connection unanswered; -ETIMEDOUT; -EINVAL when the
 * group has more than 252 eventfds (the kernel passes at most 253
 * descriptors in one message); -errno. */
RTIPC_EXPORT int rtipc_client_connect(const char *path, const struct rtipc_group_config *config,
				      int timeout_ms, rtipc_group **group);

/* The same on an already connected SOCK_SEQPACKET socket. Does not take
 * ownership of sock. */
RTIPC_EXPORT int rtipc_client_connect_socket(int sock, const struct rtipc_group_config *config,
					     int timeout_ms, rtipc_group **group);

#ifdef __cplusplus
}
#endif

#endif /* RTIPC_H */
