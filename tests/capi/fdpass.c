#define _GNU_SOURCE
#include "fdpass.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int fdpass_send(int sock, const void* buf, size_t len, const int* fds, size_t nfds) {
  if (nfds > FDPASS_MAX_FDS) return -EINVAL;
  union {
    char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX_FDS)];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {(void*)buf, len};
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (nfds > 0) {
    msg.msg_control = control.buf;
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
  if (n < 0) return -errno;
  return (size_t)n == len ? 0 : -EIO;
}

ssize_t fdpass_recv(int sock, void* buf, size_t cap, int* fds, size_t max_fds, size_t* nfds) {
  union {
    char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX_FDS)];
    struct cmsghdr align;
  } control;
  struct iovec iov = {buf, cap};
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;

  *nfds = 0;
  int cut = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (*nfds < max_fds)
        fds[(*nfds)++] = fd;
      else {
        close(fd);
        cut = 1;
      }
    }
  }
  if (cut) {
    for (size_t i = 0; i < *nfds; ++i) close(fds[i]);
    *nfds = 0;
    return -EMSGSIZE;
  }
  return n;
}

int count_open_fds(void) {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return -1;
  int count = 0;
  struct dirent* e;
  while ((e = readdir(dir)) != NULL)
    if (e->d_name[0] != '.') count++;
  closedir(dir);
  return count - 1; /* the directory's own descriptor */
}
