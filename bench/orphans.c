/* orphans N [BATCH]: run as the main child of an init; makes N orphans for the init to reap, as fast as it can.
 *
 * Each batch: fork an intermediate process that vforks BATCH grandchildren which _exit(0) at once, then exits
 * itself; its zombies are reparented to the nearest subreaper/init, which must reap them. When all N exist,
 * wait until no zombie is left in this pid namespace (or 10 s pass), then print one line:
 *   orphans=N zombies_left=Z drain_ms=D init_cpu_ns=C
 * where C is the init's own CPU time (all its threads, from /proc/1/task/<tid>/schedstat): run this as the
 * child of an init that is PID 1 of its own pid namespace with its own /proc (unshare -fp --mount-proc INIT). */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void make_batch(long count)
{
    pid_t middle = fork();
    if (middle < 0) { perror("orphans: fork"); exit(2); }
    if (middle == 0) {
        for (long i = 0; i < count; i++) {
            pid_t g = vfork();
            if (g == 0) _exit(0);
            if (g < 0) { perror("orphans: vfork"); _exit(2); }
        }
        _exit(0);
    }
    int status;
    while (waitpid(middle, &status, 0) < 0) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "orphans: batch failed\n"); exit(2); }
}

/* Zombies anywhere in this pid namespace (its own /proc): state Z in /proc/PID/stat. */
static long count_zombies(void)
{
    DIR *proc = opendir("/proc");
    if (!proc) { perror("orphans: /proc"); exit(2); }
    long zombies = 0;
    struct dirent *e;
    while ((e = readdir(proc))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        char *close = strrchr(buf, ')');
        if (close && close[1] == ' ' && close[2] == 'Z') zombies++;
    }
    closedir(proc);
    return zombies;
}

/* CPU of PID 1 (the init), every thread: first field of each task's schedstat is ns on the CPU. */
static long long init_cpu_ns(void)
{
    DIR *tasks = opendir("/proc/1/task");
    if (!tasks) { perror("orphans: /proc/1/task"); exit(2); }
    long long total = 0;
    struct dirent *e;
    while ((e = readdir(tasks))) {
        if (e->d_name[0] == '.') continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/1/task/%s/schedstat", e->d_name);
        FILE *f = fopen(path, "r");
        long long ns = 0;
        if (f && fscanf(f, "%lld", &ns) == 1) total += ns;
        if (f) fclose(f);
    }
    closedir(tasks);
    return total;
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: orphans N [BATCH]\n"); return 2; }
    long total = atol(argv[1]);
    long batch = argc > 2 ? atol(argv[2]) : 100;
    if (getpid() == 1 || total <= 0 || batch <= 0) { fprintf(stderr, "orphans: run me under an init, N > 0\n"); return 2; }
    long long before = init_cpu_ns();
    for (long made = 0; made < total; made += batch)
        make_batch(total - made < batch ? total - made : batch);
    long long start = now_ns();
    long zombies;
    while ((zombies = count_zombies()) > 0 && now_ns() - start < 10000000000LL)
        usleep(1000);
    long long drain = now_ns() - start;
    printf("orphans=%ld zombies_left=%ld drain_ms=%.1f init_cpu_ns=%lld\n", total, zombies, drain / 1e6, init_cpu_ns() - before);
    return 0;
}
