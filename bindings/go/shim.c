#include <signal.h>
#include <string.h>

#include "shim.h"
#include "_cgo_export.h"

static void keep(struct rtipc_go_status *st, int rc)
{
	st->rc = rc;
	st->msg[0] = '\0';
	if (rc < 0) {
		const char *m = rtipc_last_error();
		if (!m[0])
			m = rtipc_strerror(rc);
		strncpy(st->msg, m, RTIPC_GO_MSG_CAP - 1);
		st->msg[RTIPC_GO_MSG_CAP - 1] = '\0';
	}
}

void rtipc_go_server_create(struct rtipc_go_status *st, const char *path,
			    const struct rtipc_server_config *config, rtipc_server **server)
{
	keep(st, rtipc_server_create(path, config, server));
}

void rtipc_go_server_accept(struct rtipc_go_status *st, rtipc_server *server, int timeout_ms,
			    rtipc_group **group)
{
	keep(st, rtipc_server_accept(server, timeout_ms, group));
}

/* The Go runtime's signals (SIGURG, SIGPROF, SIGCHLD, ...) would end the
 * handshake with -EINTR, and a handshake cannot be resumed: block them on
 * this thread for the call (the kernel hands them to other threads). A
 * cancel shuts the socket down instead. */
void rtipc_go_client_connect_socket(struct rtipc_go_status *st, int sock,
				    const struct rtipc_group_config *config, int timeout_ms,
				    rtipc_group **group)
{
	sigset_t all, old;
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	keep(st, rtipc_client_connect_socket(sock, config, timeout_ms, group));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void rtipc_go_take_producer(struct rtipc_go_status *st, rtipc_group *group, uint32_t index,
			    rtipc_producer **producer)
{
	keep(st, rtipc_group_take_producer(group, index, producer));
}

void rtipc_go_take_consumer(struct rtipc_go_status *st, rtipc_group *group, uint32_t index,
			    rtipc_consumer **consumer)
{
	keep(st, rtipc_group_take_consumer(group, index, consumer));
}

void rtipc_go_consumer_wait(struct rtipc_go_status *st, rtipc_consumer *consumer, int timeout_ms)
{
	keep(st, rtipc_consumer_wait(consumer, timeout_ms));
}

struct rtipc_go_slot rtipc_go_produce(uintptr_t handle, unsigned mode)
{
	rtipc_producer *producer = (rtipc_producer *)handle;
	struct rtipc_go_slot s;
	s.rc = rtipc_produce(producer, mode);
	s.msg = rtipc_producer_msg(producer);
	return s;
}

struct rtipc_go_slot rtipc_go_consume(uintptr_t handle, unsigned mode)
{
	rtipc_consumer *consumer = (rtipc_consumer *)handle;
	struct rtipc_go_slot s;
	s.rc = rtipc_consume(consumer, mode);
	s.msg = (void *)rtipc_consumer_msg(consumer);
	return s;
}

static int filter_trampoline(const rtipc_proposal *proposal, void *user)
{
	return rtipcGoFilter((rtipc_proposal *)proposal, (uintptr_t)user);
}

void rtipc_go_set_filter(struct rtipc_server_config *config, uintptr_t handle)
{
	config->filter = filter_trampoline;
	config->filter_user = (void *)handle;
}
