/* C helpers for the Go binding: calls that must read the thread-local
 * rtipc_last_error() on the same OS thread as the failing call (a goroutine
 * may move between threads from one cgo call to the next), hot-path calls
 * that return the new slot with the result (one cgo call instead of two),
 * and the filter trampoline. */
#ifndef RTIPC_GO_SHIM_H
#define RTIPC_GO_SHIM_H

#include <stdint.h>
#include <rtipc/rtipc.h>

enum { RTIPC_GO_MSG_CAP = 256 };

/* rc as the call returned it; msg holds the library's message when rc < 0. */
struct rtipc_go_status {
  int rc;
  char msg[RTIPC_GO_MSG_CAP];
};

struct rtipc_go_slot {
  int rc;
  void* msg;
};

void rtipc_go_server_create(struct rtipc_go_status* st, const char* path,
                            const struct rtipc_server_config* config, rtipc_server** server);
void rtipc_go_server_accept(struct rtipc_go_status* st, rtipc_server* server, int timeout_ms,
                            rtipc_group** group);
void rtipc_go_client_connect_socket(struct rtipc_go_status* st, int sock,
                                    const struct rtipc_group_config* config, int timeout_ms,
                                    rtipc_group** group);
void rtipc_go_take_producer(struct rtipc_go_status* st, rtipc_group* group, uint32_t index,
                            rtipc_producer** producer);
void rtipc_go_take_consumer(struct rtipc_go_status* st, rtipc_group* group, uint32_t index,
                            rtipc_consumer** consumer);
void rtipc_go_consumer_wait(struct rtipc_go_status* st, rtipc_consumer* consumer, int timeout_ms);

/* The waitset and the notifier (waitset.go, notifier.go). The blocking
 * waits block the Go runtime's signals on their thread for the call (see
 * shim.c), so they end only for what they wait on. */
void rtipc_go_waitset_create(struct rtipc_go_status* st, const struct rtipc_waitset_config* config,
                             rtipc_waitset** waitset);
void rtipc_go_waitset_add_consumer(struct rtipc_go_status* st, rtipc_waitset* waitset,
                                   rtipc_consumer* consumer, uint64_t key);
void rtipc_go_waitset_add_fd(struct rtipc_go_status* st, rtipc_waitset* waitset, int fd,
                             uint32_t events, uint64_t key);
void rtipc_go_waitset_add_peer(struct rtipc_go_status* st, rtipc_waitset* waitset, int pidfd,
                               uint64_t key);
void rtipc_go_waitset_wait(struct rtipc_go_status* st, rtipc_waitset* waitset,
                           struct rtipc_waitset_event* events, uint32_t max, int timeout_ms);
void rtipc_go_notifier_create(struct rtipc_go_status* st,
                              const struct rtipc_notifier_config* config,
                              rtipc_notifier** notifier);
void rtipc_go_producer_set_notifier(struct rtipc_go_status* st, rtipc_producer* producer,
                                    rtipc_notifier* notifier);
/* A non-blocking eventfd for a context's cancellation, or -errno. */
int rtipc_go_cancel_fd(void);

/* The hot path takes its handle as an integer: cgo checks every pointer
 * argument of a call (GODEBUG=cgocheck), which costs more than the call. */
struct rtipc_go_slot rtipc_go_produce(uintptr_t producer, unsigned mode);
struct rtipc_go_slot rtipc_go_consume(uintptr_t consumer, unsigned mode);

/* Points config at the Go filter registered under handle. */
void rtipc_go_set_filter(struct rtipc_server_config* config, uintptr_t handle);

#endif
