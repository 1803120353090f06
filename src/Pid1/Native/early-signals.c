/* Blocks the signals pid1 waits for before the .NET runtime starts (linked into pid1 for musl and glibc).
 *
 * Until Main runs, the runtime sets itself up (about a millisecond): a signal arriving then would take its
 * default action (SIGTERM kills pid1), and nothing managed runs early enough to block it. This ELF
 * constructor runs from .init_array, after the libc is ready and before main() enters the runtime, so a
 * signal sent while the runtime starts stays pending until pid1's supervisor takes it (forwarded, not lost,
 * never fatal). pid1 is one thread (one-thread.c keeps the runtime's finalizer thread from starting); masks
 * are per thread and inherited, so any thread the runtime did create would start with the set blocked too.
 *
 * The set is Signals.FillWaited's (src/Pid1/Init/Signals.cs): 1-31 but KILL and STOP (CHLD included), and
 * the users' real-time signals above the libc's SIGRTMIN. SIGRTMIN itself (glibc 34, musl 35) is the
 * runtime's thread-suspension signal for the GC and must stay deliverable on every thread; 32 up to it
 * belong to the libc. The integration test Threads_Pid1IsOneThread_WhichBlocksExactlyTheWaitedSignals compares
 * pid1's SigBlk with the managed set, so the two cannot drift apart unnoticed.
 *
 * The mask pid1 was started with is what its program must get back (DESIGN hazard 9): recorded here,
 * before it changes, and read once by Signals.InheritedMask through pid1_inherited_sigmask. */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>

#include "early-signals.h"

#define PID1_MAX_SIGNAL 64

static sigset_t inherited;
static int inherited_sigpipe_ignored;

/* 101: the first priority not reserved for the implementation, so this runs before any other constructor. */
__attribute__((constructor(101))) static void pid1_block_waited_signals(void)
{
    sigset_t waited;
    sigemptyset(&waited);
    for (int number = 1; number < 32; number++) {
        if (number != SIGKILL && number != SIGSTOP) {
            sigaddset(&waited, number);
        }
    }

    for (int number = SIGRTMIN + 1; number <= PID1_MAX_SIGNAL; number++) {
        sigaddset(&waited, number);
    }

    pthread_sigmask(SIG_BLOCK, &waited, &inherited);

    /* The runtime sets SIGPIPE to ignored before main; only here can pid1 still see whether its caller did. */
    struct sigaction sigpipe;
    inherited_sigpipe_ignored = sigaction(SIGPIPE, NULL, &sigpipe) == 0 && sigpipe.sa_handler == SIG_IGN;
}

void pid1_inherited_sigmask(sigset_t *mask)
{
    *mask = inherited;
}

int pid1_inherited_sigpipe_ignored(void)
{
    return inherited_sigpipe_ignored;
}
