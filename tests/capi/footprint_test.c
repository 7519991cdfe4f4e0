/* What a session leaves on the system: nothing in /dev/shm and no socket
 * file once the server is gone. The region is an anonymous memfd, visible
 * only as a mapping named "memfd:rtipc" while the channels live, and so is
 * the process's statistics page ("memfd:rtipc-stats", docs/stats.md). */
#define _GNU_SOURCE
#include <rtipc/rtipc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fdpass.h"

/* Mappings of memfds named exactly `name`. */
static int mapped_memfds(const char* name) {
  FILE* maps = fopen("/proc/self/maps", "r");
  if (!maps) return -1;
  char line[512], want[64];
  snprintf(want, sizeof want, "/memfd:%s (deleted)", name);
  int count = 0;
  while (fgets(line, sizeof line, maps))
    if (strstr(line, want)) count++;
  fclose(maps);
  return count;
}

int main(void) {
  char dir[] = "/tmp/rtipc-footprint-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char path[64];
  snprintf(path, sizeof path, "%s/s.sock", dir);
  const int shm_before = count_dir_entries("/dev/shm");

  rtipc_server* server;
  struct rtipc_server_config server_config = RTIPC_SERVER_CONFIG_INIT;
  server_config.socket_mode = 0600;
  CHECK_EQ(rtipc_server_create(path, &server_config, &server), 0);
  pid_t child = fork();
  if (child == 0) {
    struct rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
    c.msg_size = 64;
    c.add_msgs = 8;
    c.flags = RTIPC_CHANNEL_EVENTFD;
    struct rtipc_group_config config = RTIPC_GROUP_CONFIG_INIT;
    config.producers = &c;
    config.producer_count = 1;
    rtipc_group* group;
    int rc = rtipc_client_connect(path, &config, 5000, &group);
    if (rc == 0) rtipc_group_destroy(group);
    _exit(rc == 0 ? 0 : 1);
  }
  rtipc_group* group = NULL;
  CHECK_EQ(rtipc_server_accept(server, 5000, &group), 0);
  int status;
  waitpid(child, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  CHECK_EQ(mapped_memfds("rtipc"), 1);
  CHECK_EQ(mapped_memfds("rtipc-stats"), 1);
  CHECK_EQ(count_dir_entries("/dev/shm"), shm_before);
  rtipc_group_destroy(group);
  rtipc_server_destroy(server);

  CHECK_EQ(mapped_memfds("rtipc"), 0);
  CHECK_EQ(mapped_memfds("rtipc-stats"), 0); /* gone with the last group */
  CHECK_EQ(count_dir_entries("/dev/shm"), shm_before);
  CHECK_EQ(count_dir_entries(dir), 0); /* the socket file is gone */
  rmdir(dir);
  printf("footprint: %s\n", check_failures ? "FAIL" : "ok");
  return check_failures ? 1 : 0;
}
