// The core's Peer on its own: the pidfd_open fallback, an unknown pid, a
// peer that was gone before we looked, and the socket path.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "peer.hpp"

namespace rtipc {
namespace {

bool cloexec(int fd) {
  return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

pid_t sleeper() {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::alarm(30);  // hang guard
    ::pause();
    ::_exit(0);
  }
  return pid;
}

TEST(PeerCore, PidfdOpenFallbackSeesTheExit) {
  const pid_t child = sleeper();
  ASSERT_GT(child, 0);
  auto peer = Peer::from_pid(child);
  EXPECT_EQ(peer->pid(), child);
  ASSERT_GE(peer->fd(), 0);
  EXPECT_TRUE(cloexec(peer->fd()));
  EXPECT_EQ(peer->alive(), 1);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  pollfd p = {peer->fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 20000), 1);  // hang guard only
  EXPECT_EQ(peer->alive(), 0);         // a zombie is dead
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  EXPECT_EQ(peer->alive(), 0);  // and so is a reaped one
}

TEST(PeerCore, UnknownPidHasNoDescriptor) {
  auto peer = Peer::from_pid(0);
  EXPECT_EQ(peer->pid(), 0);
  EXPECT_EQ(peer->fd(), -1);
  EXPECT_EQ(peer->alive(), -ENOTSUP);
}

TEST(PeerCore, PeerGoneBeforeWeLookedIsDead) {
  const pid_t child = sleeper();
  ASSERT_GT(child, 0);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);  // the pid is free now
  auto peer = Peer::from_pid(child);
  ASSERT_GE(peer->fd(), 0);
  EXPECT_TRUE(cloexec(peer->fd()));
  EXPECT_EQ(peer->alive(), 0);
  pollfd p = {peer->fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 1);
}

TEST(PeerCore, SocketPeerIsItsCreator) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  auto peer = Peer::from_socket(sv[0], ::getpid());
  EXPECT_EQ(peer->pid(), ::getpid());
  ASSERT_GE(peer->fd(), 0);
  EXPECT_TRUE(cloexec(peer->fd()));
  EXPECT_EQ(peer->alive(), 1);
  ::close(sv[0]);
  ::close(sv[1]);
}

// A descriptor that is no socket (an old kernel says ENOPROTOOPT, this one
// EBADF or ENOTSOCK): Peer falls back to the pid.
TEST(PeerCore, NoSocketFallsBackToThePid) {
  const pid_t child = sleeper();
  ASSERT_GT(child, 0);
  auto peer = Peer::from_socket(-1, child);
  EXPECT_EQ(peer->pid(), child);
  ASSERT_GE(peer->fd(), 0);
  EXPECT_EQ(peer->alive(), 1);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  EXPECT_EQ(peer->alive(), 0);
}

}  // namespace
}  // namespace rtipc
