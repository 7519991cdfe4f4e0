/*
 * librtipc: real-time inter-process communication through shared memory,
 * speaking the rtipc wire protocol, version 2 (docs/protocol.md).
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
 * Structs   Every struct starts with a `size` field that the caller sets to
 *           sizeof the struct as its header knows it: use the *_INIT macros,
 *           which also zero every other field. The library reads (and, for
 *           structs it fills, writes) only the first `size` bytes, so a
 *           program built against an older, shorter struct keeps working
 *           when the struct grows; fields it does not know keep their
 *           zero defaults. A struct larger than the library knows is
 *           accepted when the extra bytes are zero, else -E2BIG; one smaller
 *           than its first published layout is -EINVAL.
 * Integers  Modes, flags and results are unsigned or int values with macros,
 *           never enum types, so their width is fixed for every FFI.
 * Errors    Functions returning int return a negative errno value, or the
 *           negated library code RTIPC_EREJECTED, on failure, and 0 or a
 *           non-negative result on success. rtipc_strerror() names any such
 *           value; rtipc_last_error() describes the calling thread's last
 *           failed call. The library prints nothing unless asked to (see
 *           rtipc_set_log and the RTIPC_LOG environment variable).
 * Pointers  No argument may be NULL unless its comment says so. The setup
 *           calls that create, connect, accept or take a handle check: a
 *           NULL there is -EINVAL, and rtipc_last_error() names the
 *           argument. The hot path and the getters do not check.
 * Threads   Different handles may be used from different threads at once,
 *           including the producers and consumers of one group. One handle
 *           is used from one thread at a time, except the calls marked
 *           "any thread", which may run while another thread uses the same
 *           handle, hot path included. rtipc_set_log(), rtipc_strerror(),
 *           rtipc_last_error() and the version getters are thread-safe.
 * Blocking  Only functions that say so block. Every blocking call returns
 *           -EINTR when a signal handler ran while it waited (whatever
 *           SA_RESTART says), so a handler can stop it; call it again to go
 *           on. The hot path (rtipc_producer_msg, rtipc_produce,
 *           rtipc_consumer_msg, rtipc_consume) never blocks, never allocates
 *           and makes no system call, except that rtipc_produce on a channel
 *           with an eventfd signals it (see rtipc_produce), which a notifier
 *           in io_uring mode makes free of system calls too
 *           (rtipc_notifier_create).
 * Peers     The peer process is untrusted: whatever it writes to the shared
 *           region or does to the descriptors it shares with us (including
 *           their file status flags), our calls return an error or go on,
 *           on time, and never crash. Message bytes are the peer's too: they
 *           may change while you read them, so copy what you check.
 * Descriptors
 *           Every descriptor the library creates is close-on-exec.
 * Comments  Every function's comment has one shape: a one-line summary,
 *           then four labelled parts in this order:
 *             Returns: what success returns and which outputs it fills;
 *             Errors:  each negative value and its cause, or "none";
 *             Blocks:  "no", "no; system calls", or what it waits for;
 *             Owns:    what it takes, borrows or hands over, and how long
 *                      a returned pointer stays valid, or "nothing".
 *           One comment may cover the declarations right after it. How a
 *           call works inside is told in the man pages (rtipc(3) and the
 *           page of each handle) and docs/, not here.
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

/* No function throws: C++ callers see them noexcept. */
#if defined(__cplusplus)
#define RTIPC_NOEXCEPT noexcept
#else
#define RTIPC_NOEXCEPT
#endif

typedef struct rtipc_group rtipc_group;
typedef struct rtipc_producer rtipc_producer;
typedef struct rtipc_consumer rtipc_consumer;
typedef struct rtipc_server rtipc_server;
typedef struct rtipc_proposal rtipc_proposal;

/* ------------------------------------------------------------------------
 * Version, run-time facts, errors, logging
 */

/** The library's version, "MAJOR.MINOR.MICRO", and its parts.
 * Returns: the version; compare with RTIPC_VERSION and RTIPC_VERSION_MAJOR etc.
 *          from the header you built with.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    the string is static. */
RTIPC_EXPORT const char* rtipc_version(void) RTIPC_NOEXCEPT;
RTIPC_EXPORT unsigned rtipc_version_major(void) RTIPC_NOEXCEPT;
RTIPC_EXPORT unsigned rtipc_version_minor(void) RTIPC_NOEXCEPT;
RTIPC_EXPORT unsigned rtipc_version_micro(void) RTIPC_NOEXCEPT;

/** The cache line a client's group is laid out with when its config says 0.
 * Returns: a build option of the library, 64 unless changed.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    nothing. */
RTIPC_EXPORT uint32_t rtipc_default_cacheline(void) RTIPC_NOEXCEPT;

/** Library codes beyond errno; functions return them negated. */
#define RTIPC_EREJECTED 4096 /**< the server (or its filter) said no */

/** A description of err: a negative or positive errno, or a library code.
 * Returns: static text for any value at all.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    the text is static. */
RTIPC_EXPORT const char* rtipc_strerror(int err) RTIPC_NOEXCEPT;

/** The calling thread's message for its last failed call.
 * Returns: the message of the last call, hot path included, that returned a
 *          negative value; "" before the first.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    the library's; valid until the thread's next failing call. */
RTIPC_EXPORT const char* rtipc_last_error(void) RTIPC_NOEXCEPT;

#define RTIPC_LOG_NONE 0u
#define RTIPC_LOG_ERROR 1u
#define RTIPC_LOG_WARNING 2u
#define RTIPC_LOG_INFO 3u
#define RTIPC_LOG_DEBUG 4u

typedef void (*rtipc_log_fn)(unsigned level, const char* text, void* user);

/** Sends log messages up to max_level (RTIPC_LOG_*) to fn; NULL: stderr.
 * Returns: nothing. The default is silence, unless the environment variable
 *          RTIPC_LOG names a level (error, warning, info or debug) when the
 *          library first logs: then that level goes to stderr.
 * Errors:  none.
 * Blocks:  no; fn runs on whichever thread logs and may call rtipc_set_log.
 * Owns:    borrows user until the next rtipc_set_log. */
RTIPC_EXPORT void rtipc_set_log(rtipc_log_fn fn, void* user, unsigned max_level) RTIPC_NOEXCEPT;

/* ------------------------------------------------------------------------
 * Configuration
 */

#define RTIPC_CHANNEL_EVENTFD 0x1u /**< the channel has an eventfd for wake-ups */

struct rtipc_channel_config {
  uint32_t size;      /**< sizeof(struct rtipc_channel_config): RTIPC_CHANNEL_CONFIG_INIT */
  uint32_t flags;     /**< RTIPC_CHANNEL_* */
  uint32_t msg_size;  /**< bytes per message, 1 .. 64 MiB */
  uint32_t add_msgs;  /**< slots beyond the minimum of 3 */
  const void* info;   /**< opaque metadata for the peer; NULL when info_size is 0 */
  uint32_t info_size; /**< at most 65536 */
  uint32_t reserved;  /**< 0 */
};

#define RTIPC_GROUP_MLOCK 0x1u          /**< mlock the region; a failure is a warning */
#define RTIPC_GROUP_MLOCK_REQUIRED 0x2u /**< mlock the region; a failure fails the setup */
#define RTIPC_GROUP_PRODUCER_CACHE 0x4u /**< producers write a private copy, copied on produce */

/** A group in the terms of the side that holds it: its producers are the
 * channels this process writes. Up to 1024 channels in all. The channel
 * arrays are read element by element with the stride of their first
 * element's size; every element must carry the same size. */
struct rtipc_group_config {
  uint32_t size;                                /**< RTIPC_GROUP_CONFIG_INIT */
  uint32_t flags;                               /**< RTIPC_GROUP_*: local, never sent */
  const struct rtipc_channel_config* producers; /**< NULL when producer_count is 0 */
  const struct rtipc_channel_config* consumers; /**< NULL when consumer_count is 0 */
  uint32_t producer_count;
  uint32_t consumer_count;
  const void* info;   /**< group metadata; NULL when info_size is 0 */
  uint32_t info_size; /**< at most 65536 */
  uint32_t cacheline; /**< layout cache line, power of two 8..4096; 0: rtipc_default_cacheline() */
};

/** Decides on a client's proposal before anything of it is mapped or
 * written; see the rtipc_proposal_* getters. The proposal is valid during
 * the call only. Returns nonzero to accept. */
typedef int (*rtipc_filter_fn)(const rtipc_proposal* proposal, void* user);

/** Defaults of the server limits (a field left 0 takes these). Each bounds
 * what one client can make the server map, touch or allocate. */
#define RTIPC_DEFAULT_MAX_CHANNELS 64u
#define RTIPC_DEFAULT_MAX_SLOTS 4096u
#define RTIPC_DEFAULT_MAX_REGION_SIZE (64ull << 20)
#define RTIPC_DEFAULT_MAX_PRIVATE_SIZE (16ull << 20)
#define RTIPC_DEFAULT_REQUEST_TIMEOUT_MS 1000

/** How a server (or rtipc_group_from_request) takes a client's group. Every
 * field left 0 takes its default. Limits above the library's hard limits
 * (1024 channels, 2^20 slots, 16 GiB region) are -EINVAL. */
struct rtipc_server_config {
  uint32_t size;              /**< RTIPC_SERVER_CONFIG_INIT */
  uint32_t group_flags;       /**< RTIPC_GROUP_* for every accepted group */
  rtipc_filter_fn filter;     /**< NULL: accept whatever is within the limits */
  void* filter_user;          /**< passed to filter */
  int32_t request_timeout_ms; /**< time a connected client has to send its request;
                                 0: RTIPC_DEFAULT_REQUEST_TIMEOUT_MS, -1: no limit */
  int32_t backlog;            /**< listen(2) backlog; 0: SOMAXCONN */
  uint32_t socket_mode;       /**< permission bits of the socket file; 0: the umask's */
  uint32_t min_cacheline;     /**< refuse layouts with a smaller cache line; 0: 8 (any) */
  uint32_t max_channels;      /**< per group, both directions */
  uint32_t max_slots;         /**< per channel (3 + add_msgs) */
  uint64_t max_region_size;   /**< bytes of the shared region */
  uint64_t max_private_size;  /**< bytes the server allocates and touches for one group:
                                 its producers' pages of the region, chain copies,
                                 producer caches, mlocked memory */
};

#if defined(__cplusplus)
#define RTIPC_CHANNEL_CONFIG_INIT \
  { sizeof(struct rtipc_channel_config), 0, 0, 0, NULL, 0, 0 }
#define RTIPC_GROUP_CONFIG_INIT \
  { sizeof(struct rtipc_group_config), 0, NULL, NULL, 0, 0, NULL, 0, 0 }
#define RTIPC_SERVER_CONFIG_INIT \
  { sizeof(struct rtipc_server_config), 0, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0 }
#else
#define RTIPC_CHANNEL_CONFIG_INIT \
  { .size = sizeof(struct rtipc_channel_config) }
#define RTIPC_GROUP_CONFIG_INIT \
  { .size = sizeof(struct rtipc_group_config) }
#define RTIPC_SERVER_CONFIG_INIT \
  { .size = sizeof(struct rtipc_server_config) }
#endif

/* ------------------------------------------------------------------------
 * Proposals: what a server's filter sees, in the server's terms (its
 * producers are the channels the client consumes). The request has been
 * decoded, checked against the limits and its descriptor count checked;
 * nothing has been mapped yet, and the descriptors themselves are checked
 * only after an accept.
 */

/** How many producers (consumers) the proposal has, in the server's terms.
 * Returns: the count.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    nothing. */
RTIPC_EXPORT uint32_t rtipc_proposal_producer_count(const rtipc_proposal* proposal) RTIPC_NOEXCEPT;
RTIPC_EXPORT uint32_t rtipc_proposal_consumer_count(const rtipc_proposal* proposal) RTIPC_NOEXCEPT;
/** Fills the first config->size bytes of *config with channel index's configuration.
 * Returns: 0; flags are 0 or RTIPC_CHANNEL_EVENTFD.
 * Errors:  -EINVAL: no such index, or a bad size.
 * Blocks:  no.
 * Owns:    config->info points into the proposal: valid during the filter call. */
RTIPC_EXPORT int rtipc_proposal_producer_config(const rtipc_proposal* proposal, uint32_t index,
                                                struct rtipc_channel_config* config) RTIPC_NOEXCEPT;
RTIPC_EXPORT int rtipc_proposal_consumer_config(const rtipc_proposal* proposal, uint32_t index,
                                                struct rtipc_channel_config* config) RTIPC_NOEXCEPT;
/** The group's info bytes.
 * Returns: the bytes, or NULL when none; *size receives their count.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    points into the proposal: valid during the filter call. */
RTIPC_EXPORT const void* rtipc_proposal_info(const rtipc_proposal* proposal,
                                             size_t* size) RTIPC_NOEXCEPT;
/** Bytes of the shared region the layout needs, and the layout's cache line.
 * Returns: the size; the cache line.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    nothing. */
RTIPC_EXPORT uint64_t rtipc_proposal_region_size(const rtipc_proposal* proposal) RTIPC_NOEXCEPT;
RTIPC_EXPORT uint32_t rtipc_proposal_cacheline(const rtipc_proposal* proposal) RTIPC_NOEXCEPT;
/** The client process, from SO_PEERCRED at connect time.
 * Returns: its pid, uid and gid; pid 0 and uid/gid (uint32_t)-1 when unknown
 *          (rtipc_group_from_request saw no socket).
 * Errors:  none.
 * Blocks:  no.
 * Owns:    nothing. */
RTIPC_EXPORT int32_t rtipc_proposal_peer_pid(const rtipc_proposal* proposal) RTIPC_NOEXCEPT;
RTIPC_EXPORT uint32_t rtipc_proposal_peer_uid(const rtipc_proposal* proposal) RTIPC_NOEXCEPT;
RTIPC_EXPORT uint32_t rtipc_proposal_peer_gid(const rtipc_proposal* proposal) RTIPC_NOEXCEPT;

/* ------------------------------------------------------------------------
 * Channel groups
 */

/** Largest request a group may need (what one SOCK_SEQPACKET message of a
 * default Linux socket carries, with room to spare). rtipc_group_create
 * refuses a larger configuration with -EMSGSIZE; a server refuses a larger
 * request. */
#define RTIPC_MAX_REQUEST_SIZE 65536u

/** Creates a group as a client: a sealed memfd with every channel, and eventfds.
 * Returns: 0 and *group. The group and its channels get a record in the
 *          process's statistics page unless RTIPC_STATS=0 (rtipc(3)).
 * Errors:  -EINVAL: a bad configuration. -E2BIG: see Structs. -EMSGSIZE: the
 *          request would exceed RTIPC_MAX_REQUEST_SIZE. -ENOMEM. -errno of a
 *          failed system call.
 * Blocks:  no; system calls.
 * Owns:    the configuration is copied; the caller owns *group
 *          (rtipc_group_destroy). */
RTIPC_EXPORT int rtipc_group_create(const struct rtipc_group_config* config,
                                    rtipc_group** group) RTIPC_NOEXCEPT;

/** The protocol request that describes the group (docs/protocol.md).
 * Returns: its length, whether or not it fit (like snprintf); written to buf
 *          when size is enough.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    buf is the caller's; it may be NULL when size is 0. */
RTIPC_EXPORT int rtipc_group_request(const rtipc_group* group, void* buf,
                                     size_t size) RTIPC_NOEXCEPT;

/** The descriptors to send with the request: the memfd, then the eventfds.
 * Returns: how many there are, in table order; written to fds when count is
 *          enough.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    the descriptors stay the group's; fds may be NULL when count is 0. */
RTIPC_EXPORT int rtipc_group_fds(const rtipc_group* group, int* fds, size_t count) RTIPC_NOEXCEPT;

/** Builds the server side of a group from a client's request and descriptors.
 * Returns: 0 and *group. Everything is checked against config (NULL: defaults),
 *          whose filter, if any, decides with an unknown peer; a hostile peer
 *          gets an error, never a crash.
 * Errors:  -EBADMSG: a malformed request or a wrong descriptor count. -EINVAL:
 *          a size beyond the hard limits. -E2BIG: beyond config's limits.
 *          -EBADF, -EPERM: a descriptor that is not a sealed tmpfs memfd or not
 *          an eventfd. -RTIPC_EREJECTED: the filter. -errno.
 * Blocks:  no; system calls.
 * Owns:    takes all fd_count descriptors, and closes them also on failure;
 *          the caller owns *group. */
RTIPC_EXPORT int rtipc_group_from_request(const void* request, size_t size, const int* fds,
                                          size_t fd_count, const struct rtipc_server_config* config,
                                          rtipc_group** group) RTIPC_NOEXCEPT;

/** Destroys the group and the channels not taken out of it.
 * Returns: nothing.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    releases the group; channels taken out live on, and the shared
 *          memory stays mapped until the last one is gone. Accepts NULL. */
RTIPC_EXPORT void rtipc_group_destroy(rtipc_group* group) RTIPC_NOEXCEPT;

/** How many producers (consumers) the group has, in this side's terms.
 * Returns: the count.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    nothing. */
RTIPC_EXPORT uint32_t rtipc_group_producer_count(const rtipc_group* group) RTIPC_NOEXCEPT;
RTIPC_EXPORT uint32_t rtipc_group_consumer_count(const rtipc_group* group) RTIPC_NOEXCEPT;

/** The group's info bytes.
 * Returns: the bytes, or NULL when there are none; *size receives their count.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    the group's: valid while it lives. */
RTIPC_EXPORT const void* rtipc_group_info(const rtipc_group* group, size_t* size) RTIPC_NOEXCEPT;

/** The layout's cache line, and the region's size in bytes.
 * Returns: the cache line; the size.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    nothing. */
RTIPC_EXPORT uint32_t rtipc_group_cacheline(const rtipc_group* group) RTIPC_NOEXCEPT;
RTIPC_EXPORT uint64_t rtipc_group_region_size(const rtipc_group* group) RTIPC_NOEXCEPT;

/** Fills the first config->size bytes of *config with channel index's configuration.
 * Returns: 0; info included.
 * Errors:  -EINVAL: no such index, or a bad size.
 * Blocks:  no.
 * Owns:    config->info points into the group: valid while it lives. */
RTIPC_EXPORT int rtipc_group_producer_config(const rtipc_group* group, uint32_t index,
                                             struct rtipc_channel_config* config) RTIPC_NOEXCEPT;
RTIPC_EXPORT int rtipc_group_consumer_config(const rtipc_group* group, uint32_t index,
                                             struct rtipc_channel_config* config) RTIPC_NOEXCEPT;

/** The peer process's pid, as the handshake's SO_PEERCRED gave it.
 * Returns: the pid, or 0 when unknown (a group from rtipc_group_create or
 *          rtipc_group_from_request saw no handshake). These are the socket's
 *          credentials: a client's peer is the process that called
 *          rtipc_server_create; both ends of a socketpair name its creator.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    nothing. */
RTIPC_EXPORT int32_t rtipc_group_peer_pid(const rtipc_group* group) RTIPC_NOEXCEPT;

/** A pidfd of the peer process: readable (POLLIN) once it has exited.
 * Returns: the descriptor, for poll/epoll/select, taken during the handshake
 *          (rtipc_group(3) says how).
 * Errors:  -ENOTSUP: unknown (no handshake, or a kernel without pidfds).
 * Blocks:  no.
 * Owns:    the group's; its producers and consumers watch the peer on their
 *          own. */
RTIPC_EXPORT int rtipc_group_peer_fd(const rtipc_group* group) RTIPC_NOEXCEPT;

/** Takes producer (consumer) index out of the group.
 * Returns: 0 and *producer (*consumer).
 * Errors:  -EINVAL: no such index. -EBUSY: taken already.
 * Blocks:  no.
 * Owns:    the caller owns it (rtipc_producer_destroy, rtipc_consumer_destroy). */
RTIPC_EXPORT int rtipc_group_take_producer(rtipc_group* group, uint32_t index,
                                           rtipc_producer** producer) RTIPC_NOEXCEPT;
RTIPC_EXPORT int rtipc_group_take_consumer(rtipc_group* group, uint32_t index,
                                           rtipc_consumer** consumer) RTIPC_NOEXCEPT;

/* ------------------------------------------------------------------------
 * Producing
 */

/** Modes of rtipc_produce. */
#define RTIPC_PRODUCE_FORCE 0u /**< never fails: discards the oldest waiting message when full */
#define RTIPC_PRODUCE_TRY 1u   /**< never discards: reports RTIPC_QUEUE_FULL */

/** Results of rtipc_produce. */
#define RTIPC_PUBLISHED 0           /**< the message is in the queue */
#define RTIPC_PUBLISHED_DISCARDED 1 /**< ... and the oldest waiting message was dropped */
#define RTIPC_QUEUE_FULL 2          /**< nothing published; the message stays in place */

/** Destroys the producer.
 * Returns: nothing; counts queued for a notifier reach the eventfd first.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    releases the producer and its eventfd. Accepts NULL. */
RTIPC_EXPORT void rtipc_producer_destroy(rtipc_producer* producer) RTIPC_NOEXCEPT;

/** Where to write the next message.
 * Returns: rtipc_producer_msg_size() bytes aligned to rtipc_producer_msg_align().
 *          The slot is shared memory the peer can see (unless the group has
 *          RTIPC_GROUP_PRODUCER_CACHE): write the message, then produce.
 * Errors:  none.
 * Blocks:  no. Hot path.
 * Owns:    the producer's; valid until the next rtipc_produce that publishes. */
RTIPC_EXPORT void* rtipc_producer_msg(rtipc_producer* producer) RTIPC_NOEXCEPT;

/** Publishes the message at rtipc_producer_msg().
 * Returns: RTIPC_PUBLISHED, RTIPC_PUBLISHED_DISCARDED or RTIPC_QUEUE_FULL.
 * Errors:  -EPROTO: the shared indices are corrupt (nothing is written outside
 *          the region). -EINVAL: a bad mode.
 * Blocks:  no; wait-free. On a channel with an eventfd a publishing push adds
 *          one count to it: one io_submit(2) that never waits, whatever a
 *          peer does; attached to a notifier in io_uring mode, no system
 *          call. Without Linux AIO, poll(2) and write(2), which a hostile
 *          peer can hold (rtipc_producer(3)).
 * Owns:    nothing. */
RTIPC_EXPORT int rtipc_produce(rtipc_producer* producer, unsigned mode) RTIPC_NOEXCEPT;

/** Any thread: the channel's message size, slots, alignment, info and eventfd.
 * Returns: the message size; the slot count n = 3 + add_msgs (before the
 *          consumer's first message n - 1 messages fit; after it, n - 2 wait
 *          behind the one the consumer reads); the alignment of
 *          rtipc_producer_msg(), the layout's cache line (the client chose it;
 *          a server can refuse small ones with min_cacheline); the info bytes
 *          (NULL when none; *size receives their count); the eventfd.
 * Errors:  rtipc_producer_fd: -ENOTSUP when the channel has no eventfd.
 * Blocks:  no.
 * Owns:    info and the eventfd are the producer's. */
RTIPC_EXPORT size_t rtipc_producer_msg_size(const rtipc_producer* producer) RTIPC_NOEXCEPT;
RTIPC_EXPORT uint32_t rtipc_producer_slots(const rtipc_producer* producer) RTIPC_NOEXCEPT;
RTIPC_EXPORT size_t rtipc_producer_msg_align(const rtipc_producer* producer) RTIPC_NOEXCEPT;
RTIPC_EXPORT const void* rtipc_producer_info(const rtipc_producer* producer,
                                             size_t* size) RTIPC_NOEXCEPT;
RTIPC_EXPORT int rtipc_producer_fd(const rtipc_producer* producer) RTIPC_NOEXCEPT;

/** Any thread: how many published messages the consumer has not taken yet.
 * Returns: the count, a snapshot (the message the consumer holds does not
 *          count); reads shared memory only and writes nothing.
 * Errors:  -EPROTO: the shared indices are corrupt.
 * Blocks:  no; no system call.
 * Owns:    nothing. */
RTIPC_EXPORT int rtipc_producer_pending(const rtipc_producer* producer) RTIPC_NOEXCEPT;

/** Any thread: whether the peer process still runs.
 * Returns: 1 while it does, 0 once it has exited; works after the group is
 *          destroyed.
 * Errors:  -ENOTSUP: unknown (see rtipc_group_peer_fd). -errno.
 * Blocks:  no; one poll(2): not for the hot path.
 * Owns:    nothing. */
RTIPC_EXPORT int rtipc_producer_peer_alive(const rtipc_producer* producer) RTIPC_NOEXCEPT;

/* ------------------------------------------------------------------------
 * Consuming
 */

/** Modes of rtipc_consume. */
#define RTIPC_CONSUME_NEXT 0u   /**< the oldest unread message */
#define RTIPC_CONSUME_LATEST 1u /**< the newest message, skipping older ones */

/** Results of rtipc_consume. */
#define RTIPC_NOTHING_PRODUCED 0 /**< the producer has not published anything yet */
#define RTIPC_NO_NEW 1           /**< nothing newer than the message held */
#define RTIPC_NEW 2              /**< a new message, directly after the last one */
#define RTIPC_NEW_AFTER_GAP 3    /**< a new message; messages before it were skipped */

/** Destroys the consumer.
 * Returns: nothing.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    releases the consumer and its eventfd; remove it from any waitset
 *          first. Accepts NULL. */
RTIPC_EXPORT void rtipc_consumer_destroy(rtipc_consumer* consumer) RTIPC_NOEXCEPT;

/** The message the consumer holds, read in place.
 * Returns: the message, or NULL before the first. The producer never writes it
 *          meanwhile (a hostile one could: see Peers).
 * Errors:  none.
 * Blocks:  no. Hot path.
 * Owns:    the consumer's; valid until the next rtipc_consume. */
RTIPC_EXPORT const void* rtipc_consumer_msg(const rtipc_consumer* consumer) RTIPC_NOEXCEPT;

/** Moves to the next (RTIPC_CONSUME_NEXT) or newest (LATEST) message.
 * Returns: RTIPC_NOTHING_PRODUCED, RTIPC_NO_NEW, RTIPC_NEW or
 *          RTIPC_NEW_AFTER_GAP; from RTIPC_NEW up, rtipc_consumer_msg()
 *          changed. Finding nothing new writes no shared memory.
 * Errors:  -EPROTO: the shared indices are corrupt. -EINVAL: a bad mode.
 * Blocks:  no; wait-free in both modes (rtipc_consumer(3)), no system call.
 * Owns:    nothing. */
RTIPC_EXPORT int rtipc_consume(rtipc_consumer* consumer, unsigned mode) RTIPC_NOEXCEPT;

/** Any thread: as the producer's getters (rtipc_producer_msg_size).
 * Returns: the message size; the slot count; the alignment; the info bytes
 *          (NULL when none; *size receives their count).
 * Errors:  none.
 * Blocks:  no.
 * Owns:    info is the consumer's. */
RTIPC_EXPORT size_t rtipc_consumer_msg_size(const rtipc_consumer* consumer) RTIPC_NOEXCEPT;
RTIPC_EXPORT uint32_t rtipc_consumer_slots(const rtipc_consumer* consumer) RTIPC_NOEXCEPT;
RTIPC_EXPORT size_t rtipc_consumer_msg_align(const rtipc_consumer* consumer) RTIPC_NOEXCEPT;
RTIPC_EXPORT const void* rtipc_consumer_info(const rtipc_consumer* consumer,
                                             size_t* size) RTIPC_NOEXCEPT;

/** Any thread: the channel's eventfd, for poll/epoll/select.
 * Returns: the descriptor. Readable means "maybe a new message"; register it
 *          edge-triggered (EPOLLET), or take stale counts as rtipc_consumer(3)
 *          shows, since a peer can keep the counter full.
 * Errors:  -ENOTSUP: the channel has no eventfd.
 * Blocks:  no.
 * Owns:    the consumer's. */
RTIPC_EXPORT int rtipc_consumer_fd(const rtipc_consumer* consumer) RTIPC_NOEXCEPT;

/** Any thread: as rtipc_producer_pending, from the consumer's side.
 * Returns: the count of published messages not taken yet.
 * Errors:  -EPROTO: the shared indices are corrupt.
 * Blocks:  no; no system call.
 * Owns:    nothing. */
RTIPC_EXPORT int rtipc_consumer_pending(const rtipc_consumer* consumer) RTIPC_NOEXCEPT;

/** Waits until rtipc_consume would find something new, or the peer exits.
 * Returns: 1 when something is there; 0 when timeout_ms passed (-1: no limit;
 *          0: just check). What the peer published before it went is reported
 *          first. Counts left by messages already consumed never make it
 *          return early (rtipc_consumer(3)). Does not consume.
 * Errors:  -EPIPE: the peer has exited and nothing new is left. -EINTR.
 *          -ENOTSUP: the channel has no eventfd and no message came while
 *          spinning (poll such a channel with rtipc_consume, and watch
 *          rtipc_consumer_peer_alive). -errno.
 * Blocks:  yes: spins for rtipc_consumer_set_spin's time (never longer than
 *          timeout_ms), then sleeps on the eventfd and the peer's pidfd.
 * Owns:    nothing. */
RTIPC_EXPORT int rtipc_consumer_wait(rtipc_consumer* consumer, int timeout_ms) RTIPC_NOEXCEPT;

/** Any thread: as rtipc_producer_peer_alive.
 * Returns: 1 while the peer runs, 0 once it has exited.
 * Errors:  -ENOTSUP: unknown. -errno.
 * Blocks:  no; one poll(2).
 * Owns:    nothing. */
RTIPC_EXPORT int rtipc_consumer_peer_alive(const rtipc_consumer* consumer) RTIPC_NOEXCEPT;

/** How long rtipc_consumer_wait busy-polls before it sleeps.
 * Returns: nothing; 0 (the default) sleeps at once.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    nothing. */
RTIPC_EXPORT void rtipc_consumer_set_spin(rtipc_consumer* consumer,
                                          uint32_t spin_ns) RTIPC_NOEXCEPT;

/* ------------------------------------------------------------------------
 * Handshake over a Unix SOCK_SEQPACKET socket (docs/protocol.md)
 */

/** Listens on path, with the settings of config (NULL: defaults).
 * Returns: 0 and *server. A stale socket file that nobody listens on
 *          (connect refused) is replaced.
 * Errors:  -EADDRINUSE: a server listens there (it sees a connection that
 *          hangs up at once, which its accept skips). -EEXIST: something that
 *          is not a socket is there; it is never removed. -EINVAL. -E2BIG: see
 *          Structs. -ENAMETOOLONG. -errno.
 * Blocks:  no; system calls.
 * Owns:    config is copied; the caller owns *server (rtipc_server_destroy).
 *          A child forked without exec inherits the listening descriptor and
 *          keeps it alive. */
RTIPC_EXPORT int rtipc_server_create(const char* path, const struct rtipc_server_config* config,
                                     rtipc_server** server) RTIPC_NOEXCEPT;

/** Any thread: a descriptor for poll or an event loop, readable when
 * rtipc_server_accept(server, 0, ...) has something to do.
 * Returns: the descriptor: an epoll set of the listening socket, the
 *          connections waiting for their request and their request timer
 *          (rtipc_server(3)).
 * Errors:  none.
 * Blocks:  no.
 * Owns:    the server's. */
RTIPC_EXPORT int rtipc_server_fd(const rtipc_server* server) RTIPC_NOEXCEPT;

/** Accepts one client: request, limits, filter, group, reply, close.
 * Returns: 0 and *group. Silent clients cannot hold it past its deadline, and
 *          a connection that hangs up without sending anything is skipped
 *          (rtipc_server(3)). Every failure that concerns one client leaves the
 *          server ready for the next, with every received descriptor closed;
 *          in every rejection the client got the reason where the socket
 *          allowed: -E2BIG, -EBADMSG, -EINVAL, -EBADF, -EACCES (for -EPERM),
 *          -ENOMEM, -RTIPC_EREJECTED, or -1 for any other.
 * Errors:  -ETIMEDOUT: no client accepted in time. -EINTR. -RTIPC_EREJECTED:
 *          the filter said no. -E2BIG: beyond the server's limits. -EBADMSG,
 *          -EINVAL, -EBADF, -EPERM: a bad request or bad descriptors. -EPROTO:
 *          a client connected but sent no request within the request timeout.
 *          -EPIPE (or -ECONNRESET): it left before the reply. -EMFILE (or
 *          -ENFILE, -ENOMEM): this process ran out of descriptors or memory (a
 *          client caught in it got -ENOMEM or -1).
 * Blocks:  yes: up to timeout_ms in all (-1: no limit; 0: never: a silent
 *          connection joins the table and the call returns -ETIMEDOUT).
 * Owns:    the caller owns *group. */
RTIPC_EXPORT int rtipc_server_accept(rtipc_server* server, int timeout_ms,
                                     rtipc_group** group) RTIPC_NOEXCEPT;

/** The server side of the handshake on an already connected SOCK_SEQPACKET socket.
 * Returns: as rtipc_server_accept, with the settings of config (NULL: defaults;
 *          backlog and socket_mode do not apply).
 * Errors:  as rtipc_server_accept; -EPROTO when timeout_ms passes before the
 *          request, -ECONNABORTED when the peer hangs up without sending
 *          anything.
 * Blocks:  yes: up to timeout_ms for the request.
 * Owns:    borrows sock and does not close it; the caller owns *group. */
RTIPC_EXPORT int rtipc_server_accept_socket(int sock, const struct rtipc_server_config* config,
                                            int timeout_ms, rtipc_group** group) RTIPC_NOEXCEPT;

/** Stops listening and frees the server.
 * Returns: nothing. The socket file is removed if it is still the one the
 *          server created and this is the process that created it: a process
 *          that inherited the server through fork() may destroy its copy
 *          without taking the path away from the original.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    releases the server. Accepts NULL. */
RTIPC_EXPORT void rtipc_server_destroy(rtipc_server* server) RTIPC_NOEXCEPT;

/** Creates a group (as rtipc_group_create) and hands it to the server at path.
 * Returns: 0 and *group.
 * Errors:  -ENOENT or -ECONNREFUSED: no server is there. The reason a librtipc
 *          server gave when it said no: -E2BIG (its limits), -EBADMSG or
 *          -EINVAL (a malformed request), -EBADF or -EACCES (bad descriptors),
 *          -ENOMEM (its memory), -RTIPC_EREJECTED (its filter).
 *          -RTIPC_EREJECTED for any other refusal (an answer of -1, any answer
 *          but 00 00 00 00, a hang-up). -ECONNRESET: the server went away with
 *          the connection unanswered. -ETIMEDOUT. -EINTR. -EINVAL: more than
 *          252 eventfds (the kernel passes at most 253 descriptors in one
 *          message). -errno.
 * Blocks:  yes: connect, request and answer within timeout_ms (-1: no limit).
 * Owns:    the caller owns *group. */
RTIPC_EXPORT int rtipc_client_connect(const char* path, const struct rtipc_group_config* config,
                                      int timeout_ms, rtipc_group** group) RTIPC_NOEXCEPT;

/** The same on an already connected SOCK_SEQPACKET socket.
 * Returns: as rtipc_client_connect.
 * Errors:  as rtipc_client_connect.
 * Blocks:  yes: up to timeout_ms.
 * Owns:    borrows sock and does not close it; the caller owns *group. */
RTIPC_EXPORT int rtipc_client_connect_socket(int sock, const struct rtipc_group_config* config,
                                             int timeout_ms, rtipc_group** group) RTIPC_NOEXCEPT;

/* ------------------------------------------------------------------------
 * Waiting on many channels
 *
 * A waitset collects consumers (channels with an eventfd), plain
 * descriptors and peers' pidfds, each under a 64-bit key of the caller's (a
 * number, or a pointer cast through uintptr_t), and waits for any of them.
 * How it waits: rtipc_waitset(3).
 *
 * Threads   rtipc_waitset_wait runs on one thread at a time, and that thread
 *           also consumes the waitset's consumers (or nobody consumes them
 *           while it waits). The add and remove calls may run on any thread,
 *           also while another thread waits: once a remove returns, the
 *           waitset never touches that consumer or descriptor again, so it
 *           may be destroyed or closed; a wait that was running meanwhile
 *           may still report its key once. Remove a consumer before
 *           destroying it. With the io_uring backend, rtipc_waitset_wait
 *           runs on the thread that created the waitset (the ring is
 *           single-issuer), -EPERM elsewhere.
 */

typedef struct rtipc_waitset rtipc_waitset;

/** Backends of a waitset. */
#define RTIPC_WAITSET_EPOLL 0u    /**< epoll(7): the default */
#define RTIPC_WAITSET_IO_URING 1u /**< poll requests on an io_uring (Linux 6.1+) */

/** Flags of struct rtipc_waitset_config. */
#define RTIPC_WAITSET_REQUIRE 0x1u /**< fail rather than fall back to epoll */

struct rtipc_waitset_config {
  uint32_t size;    /**< RTIPC_WAITSET_CONFIG_INIT */
  uint32_t flags;   /**< RTIPC_WAITSET_* flags */
  uint32_t backend; /**< RTIPC_WAITSET_EPOLL or RTIPC_WAITSET_IO_URING */
  uint32_t spin_ns; /**< busy-poll the consumers' queues this long before sleeping */
};

#if defined(__cplusplus)
#define RTIPC_WAITSET_CONFIG_INIT \
  { sizeof(struct rtipc_waitset_config), 0, 0, 0 }
#else
#define RTIPC_WAITSET_CONFIG_INIT \
  { .size = sizeof(struct rtipc_waitset_config) }
#endif

/** Why an entry is ready: bits of rtipc_waitset_event.ready. */
#define RTIPC_READY_MESSAGE 0x1u   /**< a consumer has something new for rtipc_consume */
#define RTIPC_READY_PEER_GONE 0x2u /**< a consumer's peer, or a watched pidfd, has exited */
#define RTIPC_READY_FD 0x4u        /**< a plain descriptor has events (see revents) */

/** One ready entry. A fixed 16-byte layout (arrays of it cross the ABI):
 * new reasons come as new bits of ready. */
struct rtipc_waitset_event {
  uint64_t key;   /**< the key the entry was added with */
  uint32_t ready; /**< RTIPC_READY_* */
  uint32_t
      revents; /**< poll(2) bits (POLLIN, POLLHUP...) of a descriptor or pidfd; 0 for consumers */
};

/** Creates a waitset (config NULL: defaults: epoll, no spin).
 * Returns: 0 and *waitset. Asked for RTIPC_WAITSET_IO_URING where it is not
 *          available (not built, RTIPC_NO_IO_URING in the environment, or the
 *          kernel refuses), it falls back to epoll and logs one warning;
 *          rtipc_waitset_backend tells which backend it got.
 * Errors:  -EINVAL. -E2BIG: see Structs. With RTIPC_WAITSET_REQUIRE, instead
 *          of the fallback: -ENOTSUP (not built, or RTIPC_NO_IO_URING) or the
 *          kernel's -errno (-EPERM, -ENOSYS, -ENOMEM). -errno.
 * Blocks:  no; system calls.
 * Owns:    the caller owns *waitset (rtipc_waitset_destroy). */
RTIPC_EXPORT int rtipc_waitset_create(const struct rtipc_waitset_config* config,
                                      rtipc_waitset** waitset) RTIPC_NOEXCEPT;

/** Frees the waitset; not while another thread waits on it.
 * Returns: nothing.
 * Errors:  none.
 * Blocks:  briefly: an io_uring waitset's teardown (rtipc_waitset(3)).
 * Owns:    releases the waitset; its consumers and descriptors stay the
 *          caller's. Accepts NULL. */
RTIPC_EXPORT void rtipc_waitset_destroy(rtipc_waitset* waitset) RTIPC_NOEXCEPT;

/** Any thread: the waitset's backend.
 * Returns: RTIPC_WAITSET_EPOLL or RTIPC_WAITSET_IO_URING.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    nothing. */
RTIPC_EXPORT unsigned rtipc_waitset_backend(const rtipc_waitset* waitset) RTIPC_NOEXCEPT;

/** Any thread: a descriptor for an outer event loop.
 * Returns: the epoll descriptor, or an eventfd the io_uring signals: readable
 *          when something fired since the last wait. It is edge-triggered:
 *          when it is readable, call rtipc_waitset_wait with timeout 0 and
 *          consume each reported consumer until rtipc_consume finds nothing
 *          new.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    the waitset's. */
RTIPC_EXPORT int rtipc_waitset_fd(const rtipc_waitset* waitset) RTIPC_NOEXCEPT;

/** Adds consumer under key.
 * Returns: 0. It is reported with RTIPC_READY_MESSAGE while rtipc_consume would
 *          find something new, and RTIPC_READY_PEER_GONE on every wait once its
 *          peer has exited (when the handshake gave a pidfd).
 * Errors:  -ENOTSUP: the channel has no eventfd (it cannot wake anyone).
 *          -EEXIST: already there. -ENOMEM. -errno.
 * Blocks:  no; a few system calls.
 * Owns:    borrows consumer: it must outlive its membership. */
RTIPC_EXPORT int rtipc_waitset_add_consumer(rtipc_waitset* waitset, rtipc_consumer* consumer,
                                            uint64_t key) RTIPC_NOEXCEPT;

/** Adds a plain descriptor (a socket, a timerfd...) for the poll(2) events given.
 * Returns: 0. Level-triggered: reported with RTIPC_READY_FD and its revents on
 *          every wait while the events hold.
 * Errors:  -EINVAL: fd < 0 or events 0. -EEXIST. -EPERM: a regular file, which
 *          cannot be polled. -errno.
 * Blocks:  no; a system call.
 * Owns:    borrows fd: remove it before closing it. */
RTIPC_EXPORT int rtipc_waitset_add_fd(rtipc_waitset* waitset, int fd, uint32_t events,
                                      uint64_t key) RTIPC_NOEXCEPT;

/** Adds a pidfd (rtipc_group_peer_fd, pidfd_open).
 * Returns: 0. Reported with RTIPC_READY_PEER_GONE on every wait once that
 *          process has exited.
 * Errors:  as rtipc_waitset_add_fd.
 * Blocks:  no; a system call.
 * Owns:    borrows pidfd: remove it before closing it. */
RTIPC_EXPORT int rtipc_waitset_add_peer(rtipc_waitset* waitset, int pidfd,
                                        uint64_t key) RTIPC_NOEXCEPT;

/** Any thread: removes a consumer, or a descriptor or pidfd by its number.
 * Returns: 0. Once it returns, the waitset never touches that entry again; a
 *          wait running meanwhile may still report its key once.
 * Errors:  -ENOENT: not there.
 * Blocks:  no; a system call.
 * Owns:    gives the entry back to the caller. */
RTIPC_EXPORT int rtipc_waitset_remove_consumer(rtipc_waitset* waitset,
                                               const rtipc_consumer* consumer) RTIPC_NOEXCEPT;
RTIPC_EXPORT int rtipc_waitset_remove_fd(rtipc_waitset* waitset, int fd) RTIPC_NOEXCEPT;

/** Waits until at least one entry is ready, timeout_ms passes, or a signal handler runs.
 * Returns: n >= 1 entries in events[0..n), up to max, each at most once, each
 *          consumer's reasons in one event (when more are ready than fit, the
 *          next wait starts where this one stopped); 0 on timeout (-1: no
 *          limit; 0: just look). Does not consume.
 * Errors:  -EINTR. -EINVAL: events NULL or max 0. -EPERM: an io_uring waitset,
 *          on a thread other than the one that created it. -errno.
 * Blocks:  yes: looks at the consumers' queues first (no system call),
 *          busy-polls them for the config's spin_ns (never past timeout_ms),
 *          then sleeps.
 * Owns:    events is the caller's. */
RTIPC_EXPORT int rtipc_waitset_wait(rtipc_waitset* waitset, struct rtipc_waitset_event* events,
                                    uint32_t max, int timeout_ms) RTIPC_NOEXCEPT;

/* ------------------------------------------------------------------------
 * Notifying without a system call (io_uring with a kernel poller)
 *
 * A notifier owns one io_uring whose kernel thread (the SQPOLL poller)
 * takes the eventfd writes of the producers attached to it, so a push makes
 * no system call while the poller is awake; the peer sees the same eventfd
 * counts as before. How it does that: rtipc_notifier(3).
 *
 * Threads   Producers attached to one notifier may push from different
 *           threads at once (each has its own ring). In a child forked
 *           after its creation, the notifier and its producers are in
 *           RTIPC_NOTIFY_DIRECT mode for the child (its pushes write as
 *           without a notifier), and the parent's rings stay untouched.
 */

typedef struct rtipc_notifier rtipc_notifier;

/** How a notifier (or a producer) signals eventfds. */
#define RTIPC_NOTIFY_DIRECT 0u   /**< write(2) on every publishing push */
#define RTIPC_NOTIFY_IO_URING 1u /**< queued to the poller: no system call while it is awake */

/** Flags of struct rtipc_notifier_config. */
#define RTIPC_NOTIFIER_REQUIRE 0x1u /**< fail rather than fall back to RTIPC_NOTIFY_DIRECT */
#define RTIPC_NOTIFIER_PIN_CPU 0x2u /**< run the poller on CPU cpu */

#define RTIPC_DEFAULT_NOTIFIER_IDLE_MS 1000u

struct rtipc_notifier_config {
  uint32_t size;    /**< RTIPC_NOTIFIER_CONFIG_INIT */
  uint32_t flags;   /**< RTIPC_NOTIFIER_* */
  uint32_t idle_ms; /**< the poller sleeps after this long without work; 0: the default */
  uint32_t cpu;     /**< with RTIPC_NOTIFIER_PIN_CPU */
};

#if defined(__cplusplus)
#define RTIPC_NOTIFIER_CONFIG_INIT \
  { sizeof(struct rtipc_notifier_config), 0, 0, 0 }
#else
#define RTIPC_NOTIFIER_CONFIG_INIT \
  { .size = sizeof(struct rtipc_notifier_config) }
#endif

/** Creates a notifier (config NULL: defaults) and starts its poller thread.
 * Returns: 0 and *notifier. Where the kernel cannot write an eventfd through
 *          io_uring as pushes will (checked at once; rtipc_notifier(3)), or
 *          io_uring is not built or RTIPC_NO_IO_URING is set, the notifier is
 *          in RTIPC_NOTIFY_DIRECT mode, which works like no notifier at all,
 *          and one warning says why.
 * Errors:  -EINVAL. -E2BIG: see Structs. With RTIPC_NOTIFIER_REQUIRE, instead
 *          of the fallback: -ENOTSUP (not built, or RTIPC_NO_IO_URING) or the
 *          kernel's -errno (-EPERM, -ENOSYS, -ENOMEM, -EOPNOTSUPP...). -errno.
 * Blocks:  no; system calls and a thread.
 * Owns:    the caller holds one reference to *notifier (rtipc_notifier_destroy). */
RTIPC_EXPORT int rtipc_notifier_create(const struct rtipc_notifier_config* config,
                                       rtipc_notifier** notifier) RTIPC_NOEXCEPT;

/** Releases the caller's reference to the notifier.
 * Returns: nothing.
 * Errors:  none.
 * Blocks:  no.
 * Owns:    the ring and its poller go when the last producer attached to it is
 *          detached or destroyed. Accepts NULL. */
RTIPC_EXPORT void rtipc_notifier_destroy(rtipc_notifier* notifier) RTIPC_NOEXCEPT;

/** Any thread: how the notifier signals.
 * Returns: RTIPC_NOTIFY_IO_URING, or RTIPC_NOTIFY_DIRECT (the fallback).
 * Errors:  none.
 * Blocks:  no.
 * Owns:    nothing. */
RTIPC_EXPORT unsigned rtipc_notifier_mode(const rtipc_notifier* notifier) RTIPC_NOEXCEPT;

/** Attaches producer to notifier (NULL: detaches it, back to write(2)).
 * Returns: 0; any earlier notifier is replaced. In direct mode it changes
 *          nothing. Call it from the thread that pushes.
 * Errors:  -ENOTSUP: the channel has no eventfd. -EMFILE. -ENOMEM. -errno; the
 *          producer is then detached.
 * Blocks:  no; a few system calls and a short-lived thread (rtipc_notifier(3)).
 *          Queued counts reach the eventfd before a detach returns.
 * Owns:    the producer holds a reference to the notifier while attached. */
RTIPC_EXPORT int rtipc_producer_set_notifier(rtipc_producer* producer,
                                             rtipc_notifier* notifier) RTIPC_NOEXCEPT;

/** How producer's pushes signal.
 * Returns: RTIPC_NOTIFY_IO_URING or RTIPC_NOTIFY_DIRECT.
 * Errors:  -ENOTSUP: the channel has no eventfd.
 * Blocks:  no. Any thread, except while rtipc_producer_set_notifier runs.
 * Owns:    nothing. */
RTIPC_EXPORT int rtipc_producer_notify_mode(const rtipc_producer* producer) RTIPC_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /**< RTIPC_H */
