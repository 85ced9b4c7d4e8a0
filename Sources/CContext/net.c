// Sockets and epoll for GMP's netpoller (Sources/GMP/Net). Swift's Glibc module does not
// export epoll or eventfd, and building sockaddrs is plainer in C. Every call returns
// -errno on failure (never leaves the answer in errno: a goroutine may change threads
// between a call and a read of errno) and never blocks: descriptors are non-blocking.
#define _GNU_SOURCE
#include "CContext.h"

#if defined(__linux__)

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int tc_epoll_create(void) {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

int tc_epoll_add(int ep, int fd, uint64_t data) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = data;
  return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

// The break eventfd is level-triggered, as Go registers it (netpollinit: _EPOLLIN only):
// a non-blocking poll that sees a break leaves it unread for the blocking poll it was meant
// for, and with an edge-triggered registration that poll would never see it again.
int tc_epoll_add_level(int ep, int fd, uint64_t data) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.u64 = data;
  return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int tc_epoll_del(int ep, int fd) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  return epoll_ctl(ep, EPOLL_CTL_DEL, fd, &ev) < 0 ? -errno : 0;
}

int tc_epoll_wait(int ep, tc_poll_event *out, int max, int timeout_ms) {
  struct epoll_event evs[128];
  if (max > 128) max = 128;
  int n = epoll_wait(ep, evs, max, timeout_ms);
  if (n < 0) return -errno;
  for (int i = 0; i < n; i++) {
    uint32_t e = evs[i].events, m = 0;
    // Go's netpoll: a hang-up or error makes both directions ready (the next call reports it).
    if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) m |= TC_POLL_READ;
    if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) m |= TC_POLL_WRITE;
    if (e & EPOLLERR) m |= TC_POLL_ERROR;
    out[i].data = evs[i].data.u64;
    out[i].ready = m;
  }
  return n;
}

int tc_eventfd_create(void) {
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

void tc_eventfd_signal(int fd) {
  uint64_t one = 1;
  while (write(fd, &one, sizeof one) < 0 && errno == EINTR) {}
}

void tc_eventfd_drain(int fd) {
  uint64_t v;
  while (read(fd, &v, sizeof v) < 0 && errno == EINTR) {}
}

// Fills `ss` from a numeric IPv4/IPv6 address ("localhost" is 127.0.0.1: no resolver,
// which could block the thread).
static int make_addr(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (strcmp(host, "localhost") == 0) host = "127.0.0.1";
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *len = sizeof *a4;
    return 0;
  }
  if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    *len = sizeof *a6;
    return 0;
  }
  return -EINVAL;
}

// The address of host:port and a non-blocking TCP socket of its family; the socket's fd, or
// -errno.
static int new_tcp_socket(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
  int r = make_addr(host, port, ss, len);
  if (r < 0) return r;
  int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return fd < 0 ? -errno : fd;
}

// Binds `fd` to `a` and listens; `fd`, or -errno with `fd` closed.
static int bind_and_listen(int fd, const struct sockaddr *a, socklen_t len, int backlog) {
  if (bind(fd, a, len) < 0 || listen(fd, backlog) < 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

// Starts a non-blocking connect of `fd` to `a` (EINPROGRESS is success: the netpoller
// reports completion); `fd`, or -errno with `fd` closed.
static int start_connect(int fd, const struct sockaddr *a, socklen_t len) {
  if (connect(fd, a, len) < 0 && errno != EINPROGRESS) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

int tc_tcp_listen(const char *host, int port, int backlog) {
  struct sockaddr_storage ss;
  socklen_t len;
  int fd = new_tcp_socket(host, port, &ss, &len);
  if (fd < 0) return fd;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  return bind_and_listen(fd, (struct sockaddr *)&ss, len, backlog);
}

int tc_tcp_connect(const char *host, int port) {
  struct sockaddr_storage ss;
  socklen_t len;
  int fd = new_tcp_socket(host, port, &ss, &len);
  if (fd < 0) return fd;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return start_connect(fd, (struct sockaddr *)&ss, len);
}

int tc_tcp_accept(int lfd) {
  int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return -errno;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

int tc_unix_path_max(void) {
  struct sockaddr_un sa;
  return (int)sizeof sa.sun_path - 1;
}

// A filesystem Unix address and a non-blocking stream socket for it; the fd, or -errno.
static int new_unix_socket(const char *path, struct sockaddr_un *sa) {
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof sa->sun_path) return -ENAMETOOLONG;
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  memcpy(sa->sun_path, path, n);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return fd < 0 ? -errno : fd;
}

int tc_unix_listen(const char *path, int backlog) {
  struct sockaddr_un sa;
  int fd = new_unix_socket(path, &sa);
  if (fd < 0) return fd;
  return bind_and_listen(fd, (struct sockaddr *)&sa, sizeof sa, backlog);
}

int tc_unix_connect(const char *path) {
  struct sockaddr_un sa;
  int fd = new_unix_socket(path, &sa);
  if (fd < 0) return fd;
  return start_connect(fd, (struct sockaddr *)&sa, sizeof sa);
}

int tc_unix_accept(int lfd) {
  int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

int tc_unlink(const char *path) { return unlink(path) < 0 ? -errno : 0; }

int tc_sock_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return -errno;
  return -err;
}

int tc_sock_local_port(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return -errno;
  if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
  return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

long tc_sock_recv(int fd, void *buf, size_t n) {
  long r;
  do { r = recv(fd, buf, n, 0); } while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : r;
}

long tc_sock_send(int fd, const void *buf, size_t n) {
  long r;
  // MSG_NOSIGNAL: a write to a reset connection is EPIPE, not a process-killing SIGPIPE.
  do { r = send(fd, buf, n, MSG_NOSIGNAL); } while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : r;
}

int tc_sock_shutdown_write(int fd) { return shutdown(fd, SHUT_WR) < 0 ? -errno : 0; }

int tc_sock_set_linger_reset(int fd) {
  struct linger l = {1, 0};
  return setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) < 0 ? -errno : 0;
}

int tc_fd_close(int fd) { return close(fd) < 0 ? -errno : 0; }

long tc_raise_nofile(long want) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return -errno;
  if ((long)rl.rlim_cur >= want) return (long)rl.rlim_cur;
  rlim_t target = (rlim_t)want;
  if (rl.rlim_max != RLIM_INFINITY && target > rl.rlim_max) target = rl.rlim_max;
  rl.rlim_cur = target;
  if (setrlimit(RLIMIT_NOFILE, &rl) < 0) return -errno;
  return (long)target;
}

#else  // not Linux: no epoll; every call reports ENOSYS and GMP refuses network use.
#include <errno.h>
int tc_epoll_create(void) { return -ENOSYS; }
int tc_epoll_add(int ep, int fd, uint64_t data) { return -ENOSYS; }
int tc_epoll_add_level(int ep, int fd, uint64_t data) { return -ENOSYS; }
int tc_epoll_del(int ep, int fd) { return -ENOSYS; }
int tc_epoll_wait(int ep, tc_poll_event *out, int max, int timeout_ms) { return -ENOSYS; }
int tc_eventfd_create(void) { return -ENOSYS; }
void tc_eventfd_signal(int fd) {}
void tc_eventfd_drain(int fd) {}
int tc_tcp_listen(const char *host, int port, int backlog) { return -ENOSYS; }
int tc_tcp_connect(const char *host, int port) { return -ENOSYS; }
int tc_tcp_accept(int lfd) { return -ENOSYS; }
int tc_unix_path_max(void) { return 0; }
int tc_unix_listen(const char *path, int backlog) { return -ENOSYS; }
int tc_unix_connect(const char *path) { return -ENOSYS; }
int tc_unix_accept(int lfd) { return -ENOSYS; }
int tc_unlink(const char *path) { return -ENOSYS; }
int tc_sock_error(int fd) { return -ENOSYS; }
int tc_sock_local_port(int fd) { return -ENOSYS; }
long tc_sock_recv(int fd, void *buf, size_t n) { return -ENOSYS; }
long tc_sock_send(int fd, const void *buf, size_t n) { return -ENOSYS; }
int tc_sock_shutdown_write(int fd) { return -ENOSYS; }
int tc_sock_set_linger_reset(int fd) { return -ENOSYS; }
int tc_fd_close(int fd) { return -ENOSYS; }
long tc_raise_nofile(long want) { return -ENOSYS; }
#endif
