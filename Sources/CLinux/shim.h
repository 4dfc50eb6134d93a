#ifndef THETA_CLINUX_SHIM_H
#define THETA_CLINUX_SHIM_H
// Linux APIs that Glibc's Swift module does not export.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

// accept4 is declared only under _GNU_SOURCE, which Glibc's module is built without.
extern int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);

// Also _GNU_SOURCE only: naming a thread, and the number of CPUs in this process's affinity mask.
#include <pthread.h>
#include <sched.h>
extern int pthread_setname_np(pthread_t thread, const char *name);
extern int sched_getaffinity(pid_t pid, size_t cpusetsize, void *mask);
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
// setpriority on a thread id changes that thread alone (Linux): raises the calling thread's nice value.
static inline int theta_set_current_thread_nice(int nice) {
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice);
}
static inline int theta_available_cpus(void) {
    unsigned char mask[128];
    if (sched_getaffinity(0, sizeof mask, mask) != 0) return 0;
    int count = 0;
    for (unsigned i = 0; i < sizeof mask; i++) count += __builtin_popcount(mask[i]);
    return count;
}

// Also _GNU_SOURCE only (glibc 2.34): a spawned child closes every descriptor from `from` up. The
// tests start their programs with posix_spawn (TestSupport's ChildProcess).
#include <spawn.h>
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
#endif
