/* Prints the messages of one client until it has gone: the server of the
 * Makefile example. usage: server SOCKET */
#include <errno.h>
#include <stdio.h>

#include <rtipc/rtipc.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: server SOCKET\n");
    return 1;
  }
  rtipc_server* server;
  rtipc_group* group;
  rtipc_consumer* in;
  if (rtipc_server_create(argv[1], NULL, &server) < 0) {
    fprintf(stderr, "server: %s\n", rtipc_last_error());
    return 1;
  }
  int err = rtipc_server_accept(server, 10000, &group);
  rtipc_server_destroy(server);
  if (err < 0 || rtipc_group_take_consumer(group, 0, &in) < 0) {
    fprintf(stderr, "server: %s\n", rtipc_last_error());
    return 1;
  }
  rtipc_group_destroy(group);

  int count = 0;
  for (;;) {
    while (rtipc_consume(in, RTIPC_CONSUME_NEXT) >= RTIPC_NEW) {
      printf("server: %s\n", (const char*)rtipc_consumer_msg(in));
      count++;
    }
    int r = rtipc_consumer_wait(in, 10000);
    if (r == -EPIPE) break; /* the client has gone and everything it sent is read */
    if (r <= 0) {
      fprintf(stderr, "server: wait: %s\n", r ? rtipc_strerror(r) : "timeout");
      return 1;
    }
  }
  printf("server: %d messages\n", count);
  rtipc_consumer_destroy(in);
  return 0;
}
