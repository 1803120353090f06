/* Checks src/MuslCompat/arena-malloc.c, linked statically with musl as in pid1 (MallocTests builds and runs
 * it). A broken allocator is a broken init, so every function is exercised at its edges, and threads and
 * forks hammer it. Prints "FAIL <what>" and exits 1 at the first failure, or prints "ok" and exits 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096

static void check(int ok, const char *what, size_t detail)
{
    if (!ok) {
        printf("FAIL %s (%zu)\n", what, detail);
        fflush(stdout);
        _exit(1);
    }
}

static int aligned(void *p, size_t alignment)
{
    return ((uintptr_t)p & (alignment - 1)) == 0;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (unsigned char)(seed + i * 7);
    }
}

static int holds(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != (unsigned char)(seed + i * 7)) {
            return 0;
        }
    }
    return 1;
}

/* Runs first: the first chunk must be resident as soon as the first blocks are handed out (MAP_POPULATE),
 * and blocks of different sizes must share its pages. Only the allocator's own constructor allocated before
 * (pthread_atfork's record), so the first chunk starts on this block's page. */
static void first_chunk_is_populated_and_dense(void)
{
    char *first = malloc(24);
    char *chunk = (char *)((uintptr_t)first & ~(uintptr_t)(PAGE - 1));
    unsigned char resident[16];
    int result = mincore(chunk, 16 * PAGE, resident);
    check(result == 0, "mincore on the first chunk", (size_t)errno);
    for (int i = 0; i < 16; i++) {
        check(resident[i] & 1, "a page of the first chunk is resident before use", (size_t)i);
    }
    char *lowest = first, *highest = first;
    for (size_t n = 1; n <= 200; n += 3) {
        char *p = malloc(n);
        lowest = p < lowest ? p : lowest;
        highest = p + n > highest ? p + n : highest;
    }
    check(highest - lowest < 3 * PAGE, "67 blocks of 1-200 bytes fit in three pages", (size_t)(highest - lowest));
}

static void every_size_is_aligned_usable_and_disjoint(void)
{
    enum { COUNT = 600 };
    static unsigned char *blocks[COUNT];
    static size_t sizes[COUNT];
    for (size_t i = 0; i < COUNT; i++) {
        sizes[i] = i < 500 ? i * 41 : (i - 499) * 33333; /* 0 to 20 KB, then up to 3.3 MB */
        blocks[i] = malloc(sizes[i]);
        check(blocks[i] != NULL, "malloc", sizes[i]);
        check(aligned(blocks[i], 16), "malloc's 16-byte alignment", sizes[i]);
        check(malloc_usable_size(blocks[i]) >= sizes[i], "usable size covers the request", sizes[i]);
        fill(blocks[i], malloc_usable_size(blocks[i]), (unsigned)i);
    }
    for (size_t i = 0; i < COUNT; i++) {
        check(holds(blocks[i], malloc_usable_size(blocks[i]), (unsigned)i), "a block kept its bytes", sizes[i]);
    }
    for (size_t i = 0; i < COUNT; i += 2) {
        free(blocks[i]);
    }
    for (size_t i = 0; i < COUNT; i += 2) {
        blocks[i] = malloc(sizes[i]);
        fill(blocks[i], malloc_usable_size(blocks[i]), (unsigned)i);
    }
    for (size_t i = 0; i < COUNT; i++) {
        check(holds(blocks[i], malloc_usable_size(blocks[i]), (unsigned)i), "a block kept its bytes after reuse", sizes[i]);
        free(blocks[i]);
    }
    free(NULL);
    check(malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL)", 0);
    void *zero = malloc(0), *other = malloc(0);
    check(zero && other && zero != other, "malloc(0) gives distinct blocks", 0);
    free(zero);
    free(other);
}

static void impossible_sizes_fail_with_enomem(void)
{
    size_t sizes[] = {SIZE_MAX, SIZE_MAX - 4096, PTRDIFF_MAX, (size_t)PTRDIFF_MAX + 1};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        errno = 0;
        check(malloc(sizes[i]) == NULL && errno == ENOMEM, "malloc of an impossible size", i);
        errno = 0;
        check(aligned_alloc(64, sizes[i]) == NULL && errno == ENOMEM, "aligned_alloc of an impossible size", i);
        void *p = malloc(10);
        errno = 0;
        check(realloc(p, sizes[i]) == NULL && errno == ENOMEM, "realloc to an impossible size", i);
        free(p);
        void *big = malloc(100000);
        errno = 0;
        check(realloc(big, sizes[i]) == NULL && errno == ENOMEM, "realloc of a large block to an impossible size", i);
        free(big);
    }
    errno = 0;
    check(calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM, "calloc whose product overflows", 0);
    errno = 0;
    check(calloc((size_t)1 << 32, (size_t)1 << 32) == NULL && errno == ENOMEM, "calloc of 2^64", 0);
}

static void calloc_zeroes_reused_and_fresh_blocks(void)
{
    size_t sizes[] = {1, 16, 17, 100, 1000, 5000, 16000, 16368, 16369, 70000, 1 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        for (int round = 0; round < 3; round++) {
            unsigned char *dirty = malloc(sizes[i]);
            memset(dirty, 0xa5, malloc_usable_size(dirty));
            free(dirty);
            unsigned char *p = calloc(1, sizes[i]);
            check(p != NULL, "calloc", sizes[i]);
            for (size_t j = 0; j < sizes[i]; j++) {
                check(p[j] == 0, "calloc's bytes are zero", sizes[i]);
            }
            memset(p, 0x5a, sizes[i]);
            free(p);
        }
    }
    unsigned *array = calloc(1000, sizeof(unsigned));
    for (int i = 0; i < 1000; i++) {
        check(array[i] == 0, "calloc(count, size) zeroes count * size bytes", (size_t)i);
    }
    free(array);
}

static void realloc_keeps_contents_as_it_grows_and_shrinks(void)
{
    unsigned char *p = realloc(NULL, 1);
    check(p != NULL, "realloc(NULL, 1)", 0);
    p[0] = 7;
    size_t n = 1;
    while (n < (4u << 20)) {
        size_t next = n + n / 3 + 1;
        p = realloc(p, next);
        check(p != NULL && aligned(p, 16), "realloc growing", next);
        check(holds(p + 1, n - 1, 3), "realloc growing kept the bytes", next);
        check(p[0] == 7, "realloc growing kept the first byte", next);
        fill(p + 1, next - 1, 3);
        n = next;
    }
    while (n > 1) {
        size_t next = n / 2;
        p = realloc(p, next);
        check(p != NULL && malloc_usable_size(p) >= next, "realloc shrinking", next);
        check(p[0] == 7 && holds(p + 1, next - 1, 3), "realloc shrinking kept the bytes", next);
        n = next;
    }
    free(p);

    unsigned char *same = malloc(40);
    fill(same, 40, 1);
    check(realloc(same, 44) == same, "a realloc within the block's size class stays in place", 44);
    check(holds(same, 40, 1), "in place kept the bytes", 40);
    void *zero = realloc(same, 0);
    check(zero != NULL, "realloc(p, 0) gives a minimal block, as musl's does", 0);
    free(zero);
}

static void aligned_functions_align_and_refuse_bad_alignments(void)
{
    for (size_t alignment = 1; alignment <= (1u << 16); alignment *= 2) {
        for (size_t n = 0; n < 70000; n = n * 3 + 5) {
            unsigned char *a = aligned_alloc(alignment, n);
            unsigned char *m = memalign(alignment, n);
            void *pm = NULL;
            int result = posix_memalign(&pm, alignment, n);
            check(a && aligned(a, alignment), "aligned_alloc", alignment);
            check(m && aligned(m, alignment), "memalign", alignment);
            if (alignment < sizeof(void *)) {
                check(result == EINVAL, "posix_memalign below sizeof(void *)", alignment);
            } else {
                check(result == 0 && aligned(pm, alignment), "posix_memalign", alignment);
            }
            check(malloc_usable_size(a) >= n, "usable size of an aligned block", n);
            fill(a, malloc_usable_size(a), 9);
            fill(m, n, 11);
            check(holds(a, malloc_usable_size(a), 9) && holds(m, n, 11), "aligned blocks are disjoint", n);
            unsigned char *moved = realloc(m, n + 100);
            check(moved && holds(moved, n, 11), "realloc of an aligned block keeps its bytes", n);
            free(a);
            free(moved);
            free(pm);
        }
    }
    size_t bad[] = {0, 3, 24, 100, 4097};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        errno = 0;
        check(aligned_alloc(bad[i], 64) == NULL && errno == EINVAL, "aligned_alloc of a non-power of two", bad[i]);
        void *pm = NULL;
        check(posix_memalign(&pm, bad[i], 64) == EINVAL && pm == NULL, "posix_memalign of a bad alignment", bad[i]);
    }
}

/* Threads share one array of slots: each swaps its fresh block into a random slot and frees what it took
 * out, so blocks are freed by other threads than their own, of every size class and the large ones. */
enum { THREADS = 8, ROUNDS = 20000, SLOTS = 512 };
static unsigned char *_Atomic slots[SLOTS];

static size_t size_for(unsigned r)
{
    return r % 64 == 0 ? 17000 + r % 50000 : r % 2000;
}

static unsigned next_random(unsigned *state)
{
    *state = *state * 1103515245 + 12345;
    return *state >> 4;
}

static void *hammer(void *arg)
{
    unsigned state = (unsigned)(uintptr_t)arg;
    for (int i = 0; i < ROUNDS; i++) {
        unsigned r = next_random(&state);
        size_t n = size_for(r);
        unsigned char *p = (r & 1) ? malloc(n + 2) : calloc(1, n + 2);
        check(p != NULL, "malloc in a thread", n);
        if (r & 2) {
            p = realloc(p, n + 2 + (r % 300));
            check(p != NULL, "realloc in a thread", n);
        }
        p[0] = (unsigned char)(n >> 8);
        p[1] = (unsigned char)n;
        fill(p + 2, n, (unsigned)n);
        unsigned char *old = atomic_exchange(&slots[r % SLOTS], p);
        if (old) {
            size_t m = (size_t)old[0] << 8 | old[1];
            check(holds(old + 2, m, (unsigned)m), "a block another thread filled", m);
            free(old);
        }
    }
    return NULL;
}

static void threads_hammer_it(void)
{
    pthread_t threads[THREADS];
    for (uintptr_t t = 0; t < THREADS; t++) {
        check(pthread_create(&threads[t], NULL, hammer, (void *)(t + 1)) == 0, "pthread_create", t);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
    }
    for (int i = 0; i < SLOTS; i++) {
        free(slots[i]);
        slots[i] = NULL;
    }
}

/* A child forked while another thread allocates must find the allocator unlocked (fork's atfork handlers). */
static _Atomic int stop_forking_hammer;

static void *allocate_until_stopped(void *arg)
{
    (void)arg;
    while (!stop_forking_hammer) {
        free(malloc(64));
        free(malloc(3000));
    }
    return NULL;
}

static void fork_while_another_thread_allocates(void)
{
    pthread_t thread;
    check(pthread_create(&thread, NULL, allocate_until_stopped, NULL) == 0, "pthread_create", 0);
    for (int i = 0; i < 300; i++) {
        pid_t pid = fork();
        check(pid >= 0, "fork", (size_t)errno);
        if (pid == 0) {
            alarm(5); /* a deadlocked child dies of SIGALRM */
            free(malloc(64));
            free(malloc(3000));
            _exit(0);
        }
        int status;
        check(waitpid(pid, &status, 0) == pid, "waitpid", (size_t)errno);
        check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the forked child allocated and exited", (size_t)status);
    }
    stop_forking_hammer = 1;
    pthread_join(thread, NULL);
}

/* In a child whose address space is capped just above what it has mapped: malloc fails cleanly when no chunk
 * can be mapped, a shrink that cannot move keeps its block, and freed blocks are handed out again. */
static void run_out_of_memory(void)
{
    unsigned char *shrinking = malloc(8000);
    fill(shrinking, 8000, 5);
    long pages = 0;
    FILE *statm = fopen("/proc/self/statm", "r");
    check(statm && fscanf(statm, "%ld", &pages) == 1, "read /proc/self/statm", 0);
    fclose(statm);
    struct rlimit cap = {(rlim_t)(pages + 2) * PAGE, (rlim_t)(pages + 2) * PAGE};
    check(setrlimit(RLIMIT_AS, &cap) == 0, "setrlimit RLIMIT_AS", (size_t)errno);
    void *last = NULL;
    size_t count = 0;
    size_t sizes[] = {100, 1}; /* then the chunk's tail, too small for 100 bytes */
    for (int i = 0; i < 2; i++) {
        for (void *p; (p = malloc(sizes[i])) != NULL; count++) {
            *(void **)p = last;
            last = p;
        }
        check(errno == ENOMEM, "malloc failing sets ENOMEM", count);
    }
    check(malloc(20000) == NULL, "a large malloc fails too", 0);
    check(realloc(shrinking, 10) == shrinking, "a shrink that cannot move keeps its block", 0);
    check(holds(shrinking, 10, 5), "and its bytes", 0);
    free(last);
    check(malloc(1) == last, "a freed block is handed out again", 0);
}

/* The wait status of a child that runs test and exits 0 (a failed check exits 1 and says what failed). */
static int status_of_child(void (*test)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        test();
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return status;
}

static int dies_of_abort(int status)
{
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void free_twice(void)
{
    void *p = malloc(50);
    free(p);
    free(p);
}

static void free_a_pointer_malloc_never_gave(void)
{
    static _Alignas(16) char not_from_malloc[64];
    free(not_from_malloc + 16);
}

int main(void)
{
    first_chunk_is_populated_and_dense();
    every_size_is_aligned_usable_and_disjoint();
    impossible_sizes_fail_with_enomem();
    calloc_zeroes_reused_and_fresh_blocks();
    realloc_keeps_contents_as_it_grows_and_shrinks();
    aligned_functions_align_and_refuse_bad_alignments();
    threads_hammer_it();
    fork_while_another_thread_allocates();
    int status = status_of_child(run_out_of_memory);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "running out of memory", (size_t)status);
    check(dies_of_abort(status_of_child(free_twice)), "a double free aborts", 0);
    check(dies_of_abort(status_of_child(free_a_pointer_malloc_never_gave)), "freeing a pointer malloc never gave aborts", 0);
    puts("ok");
    return 0;
}
