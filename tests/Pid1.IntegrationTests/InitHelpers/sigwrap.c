/* sigwrap [-b SIG]... [-i SIG]... [-r SIG]... -- PROGRAM [ARGS...]
 * Starts PROGRAM with exactly this signal state, as a caller of pid1 might: the mask is the -b signals,
 * the -i signals are ignored and every other one has its default action; each -r signal is sent to the
 * process itself before exec (blocked, it stays pending across execve). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    sigset_t mask, ignored, raised;
    sigemptyset(&mask);
    sigemptyset(&ignored);
    sigemptyset(&raised);
    int opt;
    while ((opt = getopt(argc, argv, "+b:i:r:")) != -1) {
        int sig = atoi(optarg);
        if (opt == 'b') sigaddset(&mask, sig);
        else if (opt == 'i') sigaddset(&ignored, sig);
        else if (opt == 'r') sigaddset(&raised, sig);
        else return 2;
    }
    if (optind >= argc) return 2;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP || sig == 32 || sig == 33) continue;
        sa.sa_handler = sigismember(&ignored, sig) ? SIG_IGN : SIG_DFL;
        if (sigaction(sig, &sa, NULL) != 0) return 3;
    }

    if (sigprocmask(SIG_SETMASK, &mask, NULL) != 0) return 4;
    for (int sig = 1; sig <= 64; sig++) {
        if (sigismember(&raised, sig) == 1 && kill(getpid(), sig) != 0) return 5;
    }

    execvp(argv[optind], argv + optind);
    perror(argv[optind]);
    return 127;
}
