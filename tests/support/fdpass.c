#define _GNU_SOURCE
#include "fdpass.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

enum { CONTROL_SIZE = CMSG_SPACE(sizeof(int) * FDPASS_MAX_FDS), REQUEST_CAP = 1 << 20 };

int fdpass_send(int sock, const void* buf, size_t len, const int* fds, size_t nfds) {
  if (nfds > FDPASS_MAX_FDS) return -EINVAL;
  char* control = calloc(1, CONTROL_SIZE);
  if (!control) return -ENOMEM;
  struct iovec iov = {(void*)buf, len};
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (nfds > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
  }
  ssize_t n;
  do {
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  int err = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
  free(control);
  return err;
}

ssize_t fdpass_recv(int sock, void* buf, size_t cap, int* fds, size_t max_fds, size_t* nfds) {
  char* control = calloc(1, CONTROL_SIZE);
  if (!control) return -ENOMEM;
  struct iovec iov = {buf, cap};
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CONTROL_SIZE;
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    n = -errno;
    free(control);
    return n;
  }

  *nfds = 0;
  int cut = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (*nfds < max_fds) {
        fds[(*nfds)++] = fd;
      } else {
        close(fd);
        cut = 1;
      }
    }
  }
  free(control);
  if (cut) {
    for (size_t i = 0; i < *nfds; ++i) close(fds[i]);
    *nfds = 0;
    return -EMSGSIZE;
  }
  return n;
}

int fdpass_send_group(int sock, const rtipc_group* group) {
  int len = rtipc_group_request(group, NULL, 0);
  int nfds = rtipc_group_fds(group, NULL, 0);
  if (len < 0 || nfds < 0) return len < 0 ? len : nfds;
  void* buf = malloc((size_t)len);
  int* fds = malloc(sizeof(int) * (size_t)nfds);
  int err = -ENOMEM;
  if (buf && fds) {
    rtipc_group_request(group, buf, (size_t)len);
    rtipc_group_fds(group, fds, (size_t)nfds);
    err = fdpass_send(sock, buf, (size_t)len, fds, (size_t)nfds);
  }
  free(buf);
  free(fds);
  return err;
}

int fdpass_recv_group(int sock, const struct rtipc_server_config* config, rtipc_group** group) {
  void* buf = malloc(REQUEST_CAP);
  int* fds = malloc(sizeof(int) * FDPASS_MAX_FDS);
  int err = -ENOMEM;
  if (buf && fds) {
    size_t nfds;
    ssize_t len = fdpass_recv(sock, buf, REQUEST_CAP, fds, FDPASS_MAX_FDS, &nfds);
    err = len < 0 ? (int)len : rtipc_group_from_request(buf, (size_t)len, fds, nfds, config, group);
  }
  free(buf);
  free(fds);
  return err;
}

int count_dir_entries(const char* path) {
  DIR* dir = opendir(path);
  if (!dir) return -1;
  int count = 0;
  struct dirent* e;
  while ((e = readdir(dir)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) count++;
  closedir(dir);
  return count;
}

int count_open_fds(void) {
  int count = count_dir_entries("/proc/self/fd");
  return count < 0 ? -1 : count - 1; /* the directory's own descriptor */
}
