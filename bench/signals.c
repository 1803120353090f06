/* signals: how fast an init passes signals on.
 *   signals term RUNS INIT [ARGS...]   starts `INIT ARGS /bin/sleep 1000` RUNS times; once sleep runs, sends
 *                                      SIGTERM to the init and times kill() -> waitpid() returning.
 *   signals idle-term RUNS INIT [ARGS...]  the same, but the init has run idle for 200 ms first: how a real
 *                                      SIGTERM finds an init (pid1, for one, trims its pages once idle).
 *   signals rate COUNT INIT [ARGS...]  starts `INIT ARGS <this program> echo <our pid>`; the echo child answers
 *                                      each SIGUSR1 it gets with a SIGUSR2 to us; times COUNT round trips
 *                                      (kill USR1 to the init -> forwarded -> USR2 back): one signal in flight,
 *                                      so none is merged with another and the rate is signals really delivered.
 * Prints one line: median_us=.. min_us=.. max_us=.. child_survived=.. (term: children left running after
 * their init exited) or rate_per_s=.. median_us=.. (rate). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int compare(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static pid_t start(char **init, int count, char *last1, char *last2, char *last3)
{
    char **argv = calloc(count + 4, sizeof *argv);
    memcpy(argv, init, count * sizeof *argv);
    argv[count] = last1;
    argv[count + 1] = last2;
    argv[count + 2] = last3;
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* stdout to /dev/null: a child that outlives its init must not hold the caller's pipe open. */
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        execvp(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    free(argv);
    return pid;
}

static int named(const char *pid, const char *name)
{
    char path[64], comm[64] = "";
    snprintf(path, sizeof path, "/proc/%s/comm", pid);
    FILE *c = fopen(path, "r");
    if (!c) return 0;
    if (fgets(comm, sizeof comm, c)) comm[strcspn(comm, "\n")] = 0;
    fclose(c);
    return strcmp(comm, name) == 0;
}

/* The pid of the process running `name`: `init` itself (an init that execs it, like env) or one of its
 * children; 0 while there is none yet. */
static pid_t running(pid_t init, const char *name)
{
    char path[64], children[4096];
    snprintf(path, sizeof path, "%d", init);
    if (named(path, name)) return init;
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", init, init);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(children, 1, sizeof children - 1, f);
    fclose(f);
    children[n] = 0;
    for (char *p = strtok(children, " \n"); p; p = strtok(NULL, " \n"))
        if (named(p, name)) return atoi(p);
    return 0;
}

static pid_t wait_for_child(pid_t init, const char *name)
{
    long long deadline = now_ns() + 5000000000LL;
    pid_t child;
    while (!(child = running(init, name))) {
        if (now_ns() > deadline) return 0;
        usleep(200);
    }
    return child;
}

static int term(int runs, int settle_ms, char **init, int count)
{
    long long *took = calloc(runs, sizeof *took);
    int survivors = 0;
    for (int i = 0; i < runs; i++) {
        pid_t pid = start(init, count, "/bin/sleep", "1000", NULL);
        pid_t sleeper = wait_for_child(pid, "sleep");
        if (!sleeper) { fprintf(stderr, "signals: %s never started sleep\n", init[0]); kill(pid, SIGKILL); return 1; }
        if (settle_ms) usleep(settle_ms * 1000);
        long long t0 = now_ns();
        kill(pid, SIGTERM);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        took[i] = now_ns() - t0;
        /* An init that dies of the signal itself (default action) leaves its child running: count and end it. */
        if (sleeper != pid && kill(sleeper, 0) == 0) {
            survivors++;
            kill(sleeper, SIGKILL);
        }
    }
    qsort(took, runs, sizeof *took, compare);
    printf("median_us=%.1f min_us=%.1f max_us=%.1f runs=%d child_survived=%d\n", took[runs / 2] / 1e3, took[0] / 1e3, took[runs - 1] / 1e3, runs, survivors);
    return 0;
}

static int rate(int count, char **init, int n)
{
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    char self[4096], me[32];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len < 0) { perror("signals: /proc/self/exe"); return 1; }
    self[len] = 0;
    snprintf(me, sizeof me, "%d", getpid());
    pid_t pid = start(init, n, self, "echo", me);
    struct timespec limit = { 5, 0 };
    if (sigtimedwait(&usr2, NULL, &limit) != SIGUSR2) { fprintf(stderr, "signals: echo child never got ready\n"); kill(pid, SIGKILL); return 1; }
    long long *took = calloc(count, sizeof *took);
    long long begin = now_ns();
    for (int i = 0; i < count; i++) {
        long long t0 = now_ns();
        kill(pid, SIGUSR1);
        if (sigtimedwait(&usr2, NULL, &limit) != SIGUSR2) { fprintf(stderr, "signals: %s did not forward SIGUSR1 #%d\n", init[0], i); kill(pid, SIGKILL); return 1; }
        took[i] = now_ns() - t0;
    }
    long long total = now_ns() - begin;
    kill(pid, SIGTERM);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    qsort(took, count, sizeof *took, compare);
    printf("rate_per_s=%.0f median_us=%.1f min_us=%.1f max_us=%.1f count=%d\n", count / (total / 1e9), took[count / 2] / 1e3, took[0] / 1e3, took[count - 1] / 1e3, count);
    return 0;
}

/* The echo child: answer every SIGUSR1 with a SIGUSR2 to the harness; SIGTERM ends it. */
static __attribute__((noreturn)) void echo(pid_t harness)
{
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_SETMASK, &usr1, NULL);
    /* An init that dies of SIGTERM instead of forwarding it would leave this loop running forever. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    kill(harness, SIGUSR2);
    for (;;) {
        if (sigwaitinfo(&usr1, NULL) == SIGUSR1) kill(harness, SIGUSR2);
    }
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "echo") == 0) echo(atoi(argv[2]));
    if (argc < 4) { fprintf(stderr, "usage: signals term|idle-term RUNS INIT [ARGS...] | signals rate COUNT INIT [ARGS...]\n"); return 2; }
    int n = atoi(argv[2]);
    if (strcmp(argv[1], "term") == 0) return term(n, 0, argv + 3, argc - 3);
    if (strcmp(argv[1], "idle-term") == 0) return term(n, 200, argv + 3, argc - 3);
    if (strcmp(argv[1], "rate") == 0) return rate(n, argv + 3, argc - 3);
    return 2;
}
