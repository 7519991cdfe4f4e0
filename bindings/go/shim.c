#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "shim.h"
#include "_cgo_export.h"

static void keep(struct rtipc_go_status* st, int rc) {
  st->rc = rc;
  st->msg[0] = '\0';
  if (rc < 0) {
    const char* m = rtipc_last_error();
    if (!m[0]) m = rtipc_strerror(rc);
    strncpy(st->msg, m, RTIPC_GO_MSG_CAP - 1);
    st->msg[RTIPC_GO_MSG_CAP - 1] = '\0';
  }
}

void rtipc_go_server_create(struct rtipc_go_status* st, const char* path,
                            const struct rtipc_server_config* config, rtipc_server** server) {
  keep(st, rtipc_server_create(path, config, server));
}

/* The Go runtime's signals (SIGURG, SIGPROF, SIGCHLD, ...) would end a
 * blocking call with -EINTR, and a handshake cannot be resumed: every
 * blocking call blocks them on its thread (the kernel hands process signals
 * to other threads; a thread-directed one waits until the call returns).
 * Go's program never sees EINTR: a context's cancel is an eventfd in the
 * wait, or a shutdown of the socket for a connect. */
static void block_signals(sigset_t* old) {
  sigset_t all;
  sigfillset(&all);
  sigdelset(&all, SIGSEGV);
  sigdelset(&all, SIGBUS);
  sigdelset(&all, SIGFPE);
  sigdelset(&all, SIGILL);
  pthread_sigmask(SIG_BLOCK, &all, old);
}

static void restore_signals(const sigset_t* old) {
  pthread_sigmask(SIG_SETMASK, old, NULL);
}

void rtipc_go_server_accept(struct rtipc_go_status* st, rtipc_server* server, int timeout_ms,
                            rtipc_group** group) {
  sigset_t old;
  block_signals(&old);
  keep(st, rtipc_server_accept(server, timeout_ms, group));
  restore_signals(&old);
}

void rtipc_go_client_connect_socket(struct rtipc_go_status* st, int sock,
                                    const struct rtipc_group_config* config, int timeout_ms,
                                    rtipc_group** group) {
  sigset_t old;
  block_signals(&old);
  keep(st, rtipc_client_connect_socket(sock, config, timeout_ms, group));
  restore_signals(&old);
}

void rtipc_go_take_producer(struct rtipc_go_status* st, rtipc_group* group, uint32_t index,
                            rtipc_producer** producer) {
  keep(st, rtipc_group_take_producer(group, index, producer));
}

void rtipc_go_take_consumer(struct rtipc_go_status* st, rtipc_group* group, uint32_t index,
                            rtipc_consumer** consumer) {
  keep(st, rtipc_group_take_consumer(group, index, consumer));
}

void rtipc_go_consumer_wait(struct rtipc_go_status* st, rtipc_consumer* consumer, int timeout_ms) {
  sigset_t old;
  block_signals(&old);
  keep(st, rtipc_consumer_wait(consumer, timeout_ms));
  restore_signals(&old);
}

void rtipc_go_waitset_create(struct rtipc_go_status* st, const struct rtipc_waitset_config* config,
                             rtipc_waitset** waitset) {
  keep(st, rtipc_waitset_create(config, waitset));
}

void rtipc_go_waitset_add_consumer(struct rtipc_go_status* st, rtipc_waitset* waitset,
                                   rtipc_consumer* consumer, uint64_t key) {
  keep(st, rtipc_waitset_add_consumer(waitset, consumer, key));
}

void rtipc_go_waitset_add_fd(struct rtipc_go_status* st, rtipc_waitset* waitset, int fd,
                             uint32_t events, uint64_t key) {
  keep(st, rtipc_waitset_add_fd(waitset, fd, events, key));
}

void rtipc_go_waitset_add_peer(struct rtipc_go_status* st, rtipc_waitset* waitset, int pidfd,
                               uint64_t key) {
  keep(st, rtipc_waitset_add_peer(waitset, pidfd, key));
}

void rtipc_go_waitset_wait(struct rtipc_go_status* st, rtipc_waitset* waitset,
                           struct rtipc_waitset_event* events, uint32_t max, int timeout_ms) {
  sigset_t old;
  block_signals(&old);
  keep(st, rtipc_waitset_wait(waitset, events, max, timeout_ms));
  restore_signals(&old);
}

void rtipc_go_notifier_create(struct rtipc_go_status* st,
                              const struct rtipc_notifier_config* config,
                              rtipc_notifier** notifier) {
  keep(st, rtipc_notifier_create(config, notifier));
}

void rtipc_go_producer_set_notifier(struct rtipc_go_status* st, rtipc_producer* producer,
                                    rtipc_notifier* notifier) {
  keep(st, rtipc_producer_set_notifier(producer, notifier));
}

int rtipc_go_cancel_fd(void) {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  return fd < 0 ? -errno : fd;
}

struct rtipc_go_slot rtipc_go_produce(uintptr_t handle, unsigned mode) {
  rtipc_producer* producer = (rtipc_producer*)handle;
  struct rtipc_go_slot s;
  s.rc = rtipc_produce(producer, mode);
  s.msg = rtipc_producer_msg(producer);
  return s;
}

struct rtipc_go_slot rtipc_go_consume(uintptr_t handle, unsigned mode) {
  rtipc_consumer* consumer = (rtipc_consumer*)handle;
  struct rtipc_go_slot s;
  s.rc = rtipc_consume(consumer, mode);
  s.msg = (void*)rtipc_consumer_msg(consumer);
  return s;
}

static int filter_trampoline(const rtipc_proposal* proposal, void* user) {
  return rtipcGoFilter((rtipc_proposal*)proposal, (uintptr_t)user);
}

void rtipc_go_set_filter(struct rtipc_server_config* config, uintptr_t handle) {
  config->filter = filter_trampoline;
  config->filter_user = (void*)handle;
}
