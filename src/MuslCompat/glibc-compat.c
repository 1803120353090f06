/* Linked into pid1 and the echo server when they are built against musl (Directory.Build.targets).
 *
 * Microsoft publishes the NativeAOT runtime for linux-musl-x64 only on its own feed, not on the NuGet
 * registry these machines reach, so the linux-x64 runtime objects (compiled against glibc's headers) are
 * linked with musl instead. On x86_64 the two libcs share every layout those objects use (stat, sigaction,
 * ucontext, pthread types, dirent: all the kernel's), and musl exports nearly every glibc symbol they call;
 * the two below are the only ones missing: glibc's out-of-line helpers behind CPU_ALLOC and CPU_FREE,
 * which the runtime uses to read the process's CPU affinity at start-up. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>

cpu_set_t *__sched_cpualloc(size_t count)
{
    return malloc(CPU_ALLOC_SIZE(count));
}

void __sched_cpufree(cpu_set_t *set)
{
    free(set);
}
