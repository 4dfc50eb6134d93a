// memory_probe: an LD_PRELOAD library that shows where a theta-console process's memory goes, and
// can leak on purpose, to prove bench/soak's RSS check fails on a real leak. Measurement only; the
// server never links it.
//
//   cc -shared -fPIC -O2 -o /tmp/memory_probe.so bench/memory_probe.c -lsqlite3 -lpthread
//   PROBE_DIR=/tmp/probe LD_PRELOAD=/tmp/memory_probe.so bench/soak 30 --binary …
//
// PROBE_DIR: every 2 s, each theta-console process appends a row to PROBE_DIR/probe-PID.tsv:
// SQLite's own allocations (sqlite3_memory_used, and its high-water mark), glibc's heap over all
// arenas (mallinfo2: in use, free but kept, mmapped) and the resident set (/proc/self/statm).
// PROBE_LEAK_KIB_PER_S=N: the server process also allocates N KiB a second, writes to it (so it is
// resident) and never frees it.
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern long long sqlite3_memory_used(void);
extern long long sqlite3_memory_highwater(int reset);

static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static long resident_kib(void) {
    long pages = 0, size = 0;
    FILE *statm = fopen("/proc/self/statm", "r");
    if (statm) {
        if (fscanf(statm, "%ld %ld", &size, &pages) != 2) pages = 0;
        fclose(statm);
    }
    return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

static void *sample(void *unused) {
    (void)unused;
    const char *dir = getenv("PROBE_DIR");
    const char *leak = getenv("PROBE_LEAK_KIB_PER_S");
    long leak_kib = leak ? atol(leak) : 0;
    FILE *out = NULL;
    if (dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/probe-%d.tsv", dir, (int)getpid());
        out = fopen(path, "w");
        if (out) fprintf(out, "seconds\tsqlite_used\tsqlite_highwater\theap_in_use\theap_free\theap_mmapped\trss_kib\n");
    }
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (leak_kib > 0) {
            size_t bytes = (size_t)leak_kib * 1024 * 2;  // two seconds' worth
            char *lost = malloc(bytes);
            if (lost) memset(lost, 0xA5, bytes);
        }
        if (out) {
            struct mallinfo2 heap = mallinfo2();
            fprintf(out, "%.1f\t%lld\t%lld\t%zu\t%zu\t%zu\t%ld\n", seconds_since(&start), sqlite3_memory_used(),
                    sqlite3_memory_highwater(0), heap.uordblks, heap.fordblks, heap.hblkhd, resident_kib());
            fflush(out);
        }
        sleep(2);
    }
    return NULL;
}

__attribute__((constructor)) static void start_probe(void) {
    if (!getenv("PROBE_DIR") && !getenv("PROBE_LEAK_KIB_PER_S")) return;
    char exe[4096] = {0};
    if (readlink("/proc/self/exe", exe, sizeof exe - 1) < 0 || !strstr(exe, "theta-console")) return;
    // The CLI processes the soak starts are sampled too, but only `serve` leaks.
    char cmdline[4096] = {0};
    FILE *f = fopen("/proc/self/cmdline", "r");
    size_t n = f ? fread(cmdline, 1, sizeof cmdline - 1, f) : 0;
    if (f) fclose(f);
    int serving = 0;
    for (size_t i = 0; i < n; i += strlen(cmdline + i) + 1)
        if (strcmp(cmdline + i, "serve") == 0) serving = 1;
    if (!serving) unsetenv("PROBE_LEAK_KIB_PER_S");
    pthread_t thread;
    if (pthread_create(&thread, NULL, sample, NULL) == 0) pthread_detach(thread);
}
