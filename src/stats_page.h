/* The per-process statistics page (docs/stats.md): its layout, written by the
 * core (src/stats.cpp) and read by the rtipc program (tools/rtipc). Plain C
 * so that any reader may include it; every field has a fixed size and
 * offset, the same on every 64-bit and 32-bit Linux target.
 *
 * One memfd per process, named RTIPC_STATS_MEMFD_NAME, so /proc/PID/fd shows
 * it as "/memfd:rtipc-stats (deleted)". A 64-byte header, then `capacity`
 * records of `record_size` bytes, each one group or one channel. Never shared
 * with a peer: only the process writes it, only readers with the right to
 * open /proc/PID/fd/N (same user or root) read it. */
#ifndef RTIPC_STATS_PAGE_H
#define RTIPC_STATS_PAGE_H

#include <stdint.h>

#define RTIPC_STATS_MEMFD_NAME "rtipc-stats"
#define RTIPC_STATS_MAGIC "rtipcST\0" /* 8 bytes, the NUL included */
#define RTIPC_STATS_VERSION 1u
#define RTIPC_STATS_CAPACITY 2048u /* records per page */
#define RTIPC_STATS_PATH_MAX 108u  /* sun_path */
#define RTIPC_STATS_INFO_MAX 196u  /* info bytes kept; info_size is the real length */

/* record.kind */
#define RTIPC_STATS_FREE 0u
#define RTIPC_STATS_GROUP 1u
#define RTIPC_STATS_PRODUCER 2u /* a channel this process produces into */
#define RTIPC_STATS_CONSUMER 3u /* a channel this process consumes from */

/* record.role: this process's side of the handshake */
#define RTIPC_STATS_CLIENT 1u
#define RTIPC_STATS_SERVER 2u

struct rtipc_stats_header {
  char magic[8];        /* RTIPC_STATS_MAGIC */
  uint32_t version;     /* RTIPC_STATS_VERSION; a reader refuses others */
  uint32_t header_size; /* offset of record 0 */
  uint32_t record_size;
  uint32_t capacity;
  int32_t pid;         /* the process that owns the page (a forked child makes its own) */
  uint32_t used;       /* records [0, used) may be in use; the rest never were */
  uint64_t generation; /* +1 whenever a record is added, changed or freed */
  uint64_t lost;       /* records that did not fit: their groups or channels go uncounted */
  uint8_t reserved[16];
};

/* Written only by the thread that owns the channel, with relaxed stores; a
 * reader takes each counter as one atomic 64-bit load. Own cache lines: a
 * channel's thread touches no other record's. */
struct rtipc_stats_counters {
  uint64_t produced;  /* producer: messages published (discarding ones included) */
  uint64_t discarded; /* producer: oldest messages a forced push discarded */
  uint64_t full;      /* producer: pushes refused because the queue was full */
  uint64_t consumed;  /* consumer: messages taken */
  uint64_t gaps;      /* consumer: takes that found messages lost before them */
  uint64_t waits;     /* consumer: times a wait went to sleep */
  uint64_t wakeups;   /* consumer: sleeps ended by a signal; producer: signals sent */
  uint64_t last_ns;   /* CLOCK_MONOTONIC_COARSE of the last activity (docs/stats.md) */
  uint64_t reserved[8];
};

/* A record's description changes only under its seqlock: `seq` is odd while
 * the owner writes; a reader copies the record and keeps the copy if `seq`
 * was the same even, non-zero value before and after. */
struct rtipc_stats_record {
  uint32_t seq;
  uint32_t kind;         /* RTIPC_STATS_* kinds */
  uint64_t group_serial; /* the same for a group and its channels; unique in the process */
  int32_t peer_pid;      /* 0: unknown (no handshake yet, or none) */
  uint32_t role;         /* RTIPC_STATS_CLIENT or RTIPC_STATS_SERVER */
  uint32_t index;        /* channel: its index among this side's producers or consumers */
  uint32_t msg_size;     /* channel; group: its number of producers */
  uint32_t slots;        /* channel; group: its number of consumers */
  uint32_t eventfd;      /* channel: 1 with an eventfd */
  uint32_t cacheline;    /* the layout's cache line */
  int32_t region_fd;     /* the shared region's memfd in the owner, -1 unknown */
  uint64_t region_ino;   /* that memfd's inode number, to confirm the descriptor */
  uint64_t region_size;
  uint64_t offset;    /* channel: where its index area starts in the region */
  uint32_t info_size; /* the real length of the info bytes */
  uint32_t reserved0;
  char socket_path[RTIPC_STATS_PATH_MAX]; /* NUL-terminated; "" when unknown */
  uint8_t info[RTIPC_STATS_INFO_MAX];     /* the first info bytes (group info for a group) */
  struct rtipc_stats_counters counters;   /* at offset 384 */
};

#define RTIPC_STATS_HEADER_SIZE 64u
#define RTIPC_STATS_RECORD_SIZE 512u

#ifdef __cplusplus
static_assert(sizeof(rtipc_stats_header) == RTIPC_STATS_HEADER_SIZE, "header layout");
static_assert(sizeof(rtipc_stats_record) == RTIPC_STATS_RECORD_SIZE, "record layout");
static_assert(__builtin_offsetof(rtipc_stats_record, counters) == 384, "counters on own lines");
#else
_Static_assert(sizeof(struct rtipc_stats_header) == RTIPC_STATS_HEADER_SIZE, "header layout");
_Static_assert(sizeof(struct rtipc_stats_record) == RTIPC_STATS_RECORD_SIZE, "record layout");
#endif

#endif /* RTIPC_STATS_PAGE_H */
