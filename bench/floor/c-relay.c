/* The native floor: a one-thread poll() relay in C, as a bench target (no TLS, no parsing). Each accepted
 * client gets its own backend connection; bytes are read and written back-to-back with TCP_NODELAY.
 * Build: gcc -O2 -o c-relay c-relay.c. Usage: c-relay LISTEN_PORT BACKEND_PORT; prints "ready". */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 1024
static struct pollfd fds[MAX_FDS];
static int peer[MAX_FDS]; /* peer[i]: index of the other side of fds[i] */
static int nfds;

static void nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int write_all(int fd, const char *buf, ssize_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, (size_t)n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += w;
    n -= w;
  }
  return 0;
}

static void drop(int i) {
  int j = peer[i];
  close(fds[i].fd);
  close(fds[j].fd);
  fds[i].fd = -1;
  fds[j].fd = -1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: c-relay LISTEN_PORT BACKEND_PORT\n");
    return 2;
  }
  struct sockaddr_in listen_addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
  struct sockaddr_in backend_addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
  inet_pton(AF_INET, "127.0.0.1", &listen_addr.sin_addr);
  inet_pton(AF_INET, "127.0.0.1", &backend_addr.sin_addr);
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, (struct sockaddr *)&listen_addr, sizeof listen_addr) < 0 || listen(lfd, 128) < 0) {
    perror("listen");
    return 1;
  }
  fds[0].fd = lfd;
  fds[0].events = POLLIN;
  nfds = 1;
  printf("ready\n");
  fflush(stdout);
  static char buf[65536];
  for (;;) {
    if (poll(fds, (nfds_t)nfds, -1) < 0) {
      if (errno == EINTR) continue;
      perror("poll");
      return 1;
    }
    if (fds[0].revents & POLLIN) {
      int c = accept(lfd, NULL, NULL);
      int b = c < 0 ? -1 : socket(AF_INET, SOCK_STREAM, 0);
      if (c >= 0 && (b < 0 || connect(b, (struct sockaddr *)&backend_addr, sizeof backend_addr) < 0 ||
                     nfds + 2 > MAX_FDS)) {
        close(c);
        if (b >= 0) close(b);
      } else if (c >= 0) {
        nodelay(c);
        nodelay(b);
        fds[nfds] = (struct pollfd){.fd = c, .events = POLLIN};
        fds[nfds + 1] = (struct pollfd){.fd = b, .events = POLLIN};
        peer[nfds] = nfds + 1;
        peer[nfds + 1] = nfds;
        nfds += 2;
      }
    }
    for (int i = 1; i < nfds; i++) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0 || write_all(fds[peer[i]].fd, buf, n) < 0) drop(i);
    }
    /* Compact closed pairs away (pairs stay adjacent: client at odd index, backend after it). */
    int k = 1;
    for (int i = 1; i < nfds; i += 2) {
      if (fds[i].fd < 0) continue;
      fds[k] = fds[i];
      fds[k + 1] = fds[i + 1];
      peer[k] = k + 1;
      peer[k + 1] = k;
      k += 2;
    }
    nfds = k;
  }
}
