/* sigtrap [-u] [-p] [-x SIG]: a program under pid1 that reports every signal it receives.
 * Catches every catchable signal (1-64 but KILL, STOP and glibc's 32, 33) and writes "sig N\n" to stdout
 * for each one, with write(2) from the handler. Prints "ready\n" once the handlers are in place.
 *   -u  unblock every signal after installing the handlers (the mask pid1 restored may block some)
 *   -x  exit 0 right after reporting signal SIG
 *   -p  wait with pause() forever; without it, read stdin and exit 0 at end of file */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int exit_on;

static void on_signal(int sig)
{
    char line[16] = "sig ";
    int n = 4;
    if (sig >= 10) line[n++] = (char)('0' + sig / 10);
    line[n++] = (char)('0' + sig % 10);
    line[n++] = '\n';
    (void)!write(STDOUT_FILENO, line, n);
    if (sig == exit_on) _exit(0);
}

int main(int argc, char **argv)
{
    int unblock = 0, use_pause = 0, opt;
    while ((opt = getopt(argc, argv, "upx:")) != -1) {
        if (opt == 'u') unblock = 1;
        else if (opt == 'p') use_pause = 1;
        else if (opt == 'x') exit_on = atoi(optarg);
        else return 2;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigfillset(&sa.sa_mask); /* one report at a time; no SA_RESTART, so read(2) returns EINTR */
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP || sig == 32 || sig == 33) continue;
        if (sigaction(sig, &sa, NULL) != 0) return 3;
    }

    if (unblock) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
    }

    (void)!write(STDOUT_FILENO, "ready\n", 6);
    for (;;) {
        if (use_pause) {
            pause();
            continue;
        }
        char buffer[256];
        ssize_t n = read(STDIN_FILENO, buffer, sizeof buffer);
        if (n == 0) return 0;
        if (n < 0 && errno != EINTR) return 1;
    }
}
