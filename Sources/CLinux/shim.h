#ifndef THETA_CLINUX_SHIM_H
#define THETA_CLINUX_SHIM_H
// Linux APIs that Glibc's Swift module does not export.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

// accept4 is declared only under _GNU_SOURCE, which Glibc's module is built without.
extern int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);
#endif
