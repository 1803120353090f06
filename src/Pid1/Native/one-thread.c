/* Keeps pid1 single-threaded: the .NET runtime's finalizer thread is never started (linked into pid1 for musl
 * and glibc, with -Wl,--wrap=pthread_create; see Pid1.csproj).
 *
 * The runtime starts its finalizer thread inside its own initialisation, before Main, whether or not the
 * program ever has an object to finalize. pid1 has none that matter: it holds file descriptors as plain
 * integers and closes them itself, and the streams checkpoint uses are disposed where they are made. A
 * finalizable object that is never disposed would only stay in memory; nothing in pid1 waits for finalizers
 * (GC.WaitForPendingFinalizers is a banned API: it would wait forever).
 *
 * What one thread buys (issue 7, measured with farm-bench and bench/signals.c):
 * - start-up: no pthread_create (stack mmap, guard page, clone, TLS, the new thread's first page faults and
 *   its spin-wait calibration competing for the second core) before the program is spawned: 0.97 of the
 *   time for `pid1 /bin/true` and `pid1 --version`;
 * - exit: pid1 no longer wakes and tears down a second thread after its program is gone;
 * - signals: every signal sent to pid1 goes to the thread that waits for it; no other thread's mask matters;
 * - clone without CLONE_VM: the child copies a process whose only thread is the caller, so no lock can be
 *   held there by a thread that does not exist in the child (DESIGN hazard 13).
 *
 * The finalizer thread is recognised by its start routine, the runtime's FinalizerStart, which the runtime
 * passes straight to pthread_create (PalStartFinalizerThread). Were it renamed, pid1 would fail to link
 * (an undefined symbol), not quietly get its second thread back; the integration test
 * Threads_Pid1IsOneThread_WhichBlocksExactlyTheWaitedSignals counts pid1's threads. Any other thread the
 * runtime might create is created as usual. */
#include <pthread.h>

/* The runtime's `uint32_t FinalizerStart(void*)`, a C++ function (Runtime/FinalizerHelpers.cpp). */
extern unsigned int pid1_runtime_finalizer_start(void *context) __asm__("_Z14FinalizerStartPv");

int __real_pthread_create(pthread_t *thread, const pthread_attr_t *attributes, void *(*start)(void *), void *argument);

int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attributes, void *(*start)(void *), void *argument)
{
    if ((void *)start == (void *)pid1_runtime_finalizer_start) {
        /* Reported as started: the runtime keeps no handle to it, and its events are simply never waited on. */
        *thread = (pthread_t)0;
        return 0;
    }

    return __real_pthread_create(thread, attributes, start, argument);
}
