/* pid1's malloc for the musl build (Directory.Build.targets links it ahead of libc.a, so the linker takes
 * these definitions of the public allocation functions instead of mallocng's).
 *
 * Why: page faults are a third of pid1's own start-up (issue 7), and on the VMs pid1 is measured on one
 * costs about 12.8 us while populating a page with MAP_POPULATE costs about 2.7 us. mallocng spreads the
 * runtime's ~140 start-up allocations (47 KB in all, most under 200 bytes) over a group per size class,
 * each on its own page, reads its metadata pages fresh, and hands emptied groups back to the kernel at
 * once: the runtime's cgroup probing opens and closes files in turn, so every fclose unmapped a page that
 * the next fopen faulted in again. That was ~25 faults of pid1's 90 with the version option.
 *
 * So: blocks up to SMALL_MAX (header included) are carved densely, every size class side by side, from a
 * chunk; the first chunk is mapped with MAP_POPULATE (one syscall instead of a fault per page touched),
 * later ones fault in on demand. A freed block goes on its class's free list and is never returned to
 * the kernel: an init allocates little and the same things over and over, so what it keeps is bounded by
 * its peak use per class. Bigger blocks get their own mapping, unmapped when freed.
 *
 * Every block starts with a 16-byte header (so payloads keep malloc's 16-byte alignment): its size and
 * its kind. Blocks over-aligned by aligned_alloc are INNER blocks inside an ordinary one, their header
 * giving the distance back to it. One mutex guards the chunk and the free lists (the runtime allocates
 * from any of its threads: pid1 has one, the echo server several); fork() takes it around the fork, as
 * mallocng did, so a child of a multithreaded process can allocate. pid1's CLONE_VM|CLONE_VFORK and clone3 children allocate nothing
 * (DESIGN hazards 5 and 13). musl's internal allocations (__libc_malloc: dlerror, posix_spawn file actions)
 * stay with mallocng, which musl keeps apart from the public functions.
 *
 * Measured against mallocng on the same build (farm-bench, 100 paired runs, median A/B wall, two sessions):
 * pid1 /bin/true 0.88-0.90, --version 0.81-0.88, -fp --mount-proc /bin/true 0.89, --unshare-all /bin/true
 * 0.93; page faults (perf stat) 150 -> 122 with /bin/true, 92 -> 66 with --version, 191 -> 157 with -fp
 * --mount-proc, 186 -> 154 with --unshare-all; idle RSS the same within 8 KB. Start-up uses ~43 KB of the
 * 64 KB chunk (plain, -fp and --unshare-all alike). tests/Pid1.Tests/Native/malloc-test.c exercises every function;
 * MallocTests runs it. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define ALIGNMENT ((size_t)16)
#define HEADER sizeof(struct header)
#define SMALL_MIN ((size_t)32)
#define SMALL_MAX ((size_t)16384)
#define CLASSES 35
#define FIRST_CHUNK ((size_t)64 << 10)
#define CHUNK ((size_t)256 << 10)
#define PAGE ((size_t)4096)

enum kind {
    SMALL = 0x5ba11,      /* carved from a chunk; size is the block's, header included */
    SMALL_FREE = 0xf5ee,  /* on a free list (a second free of it aborts) */
    LARGE = 0x1a26e,      /* its own mapping; size is the mapping's length */
    INNER = 0x122e,       /* aligned_alloc's pointer inside another block; size is the distance back to it */
};

struct header {
    size_t size;
    size_t kind;
};

_Static_assert(sizeof(struct header) == ALIGNMENT, "payloads must keep malloc's alignment");

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct header *free_lists[CLASSES];
static char *chunk_next, *chunk_end;
static int chunks_mapped;

/* Block sizes are multiples of 16 up to 128, then four steps per power of two up to SMALL_MAX. */
static unsigned class_of(size_t block)
{
    if (block <= 128) {
        return (unsigned)((block + 15) / 16) - 2;
    }
    unsigned log = 63 - (unsigned)__builtin_clzl(block - 1);
    size_t step = (size_t)1 << (log - 2);
    return 7 + (log - 7) * 4 + (unsigned)((block - 1 - ((size_t)1 << log)) / step);
}

static size_t class_size(unsigned class)
{
    if (class < 7) {
        return (class + 2) * 16;
    }
    unsigned log = (class - 7) / 4 + 7;
    return ((size_t)1 << log) + ((class - 7) % 4 + 1) * ((size_t)1 << (log - 2));
}

_Static_assert(CLASSES == 7 + (14 - 7) * 4, "the last class is SMALL_MAX's");

static struct header *header_of(void *p)
{
    return (struct header *)p - 1;
}

static void *map(size_t length, int flags)
{
    void *p = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
    return p == MAP_FAILED ? NULL : p; /* mmap set errno to ENOMEM */
}

/* The start-up allocations fit in the first chunk: populating it is one syscall instead of a fault per page. */
static int new_chunk(void)
{
    size_t length = chunks_mapped == 0 ? FIRST_CHUNK : CHUNK;
    char *chunk = map(length, chunks_mapped == 0 ? MAP_POPULATE : 0);
    if (!chunk) {
        return 0;
    }
    chunks_mapped++;
    chunk_next = chunk; /* the old chunk's tail, too small for the block asked for, is left unused */
    chunk_end = chunk + length;
    return 1;
}

/* Caller holds the lock. */
static struct header *take_small(unsigned class)
{
    struct header *block = free_lists[class];
    if (block) {
        free_lists[class] = *(struct header **)(block + 1);
    } else {
        size_t size = class_size(class);
        if ((size_t)(chunk_end - chunk_next) < size && !new_chunk()) {
            return NULL;
        }
        block = (struct header *)chunk_next;
        chunk_next += size;
        block->size = size;
    }
    block->kind = SMALL;
    return block;
}

static int fits_small(size_t n)
{
    return n <= SMALL_MAX - HEADER;
}

/* The size class of a block holding n bytes (n fits_small). */
static unsigned class_for(size_t n)
{
    return class_of(n + HEADER < SMALL_MIN ? SMALL_MIN : n + HEADER);
}

static void *malloc_small(size_t n)
{
    pthread_mutex_lock(&lock);
    struct header *h = take_small(class_for(n));
    pthread_mutex_unlock(&lock);
    return h ? h + 1 : NULL;
}

/* The mapping for n bytes and the header, or 0 (errno ENOMEM) for a size no mapping can hold. */
static size_t large_length(size_t n)
{
    if (n > PTRDIFF_MAX - HEADER - PAGE) {
        errno = ENOMEM;
        return 0;
    }
    return (n + HEADER + PAGE - 1) & ~(PAGE - 1);
}

static void *malloc_large(size_t n)
{
    size_t length = large_length(n);
    struct header *h = length ? map(length, 0) : NULL;
    if (!h) {
        return NULL;
    }
    h->size = length;
    h->kind = LARGE;
    return h + 1;
}

static void free_small(struct header *h)
{
    pthread_mutex_lock(&lock);
    if (h->kind != SMALL) {
        abort(); /* freed twice, by two threads at once (free's own check saw SMALL in both) */
    }
    unsigned class = class_of(h->size);
    h->kind = SMALL_FREE;
    *(struct header **)(h + 1) = free_lists[class];
    free_lists[class] = h;
    pthread_mutex_unlock(&lock);
}

/* Unknown kinds abort: a wild or twice-freed pointer, and carrying on would corrupt the heap. */
static size_t usable_size(void *p)
{
    struct header *h = header_of(p);
    switch (h->kind) {
    case SMALL:
    case LARGE:
        return h->size - HEADER;
    case INNER:
        return usable_size((char *)p - h->size) - h->size;
    default:
        abort();
    }
}

void *malloc(size_t n)
{
    return fits_small(n) ? malloc_small(n) : malloc_large(n);
}

void free(void *p)
{
    if (!p) {
        return;
    }
    struct header *h = header_of(p);
    switch (h->kind) {
    case SMALL:
        free_small(h);
        return;
    case LARGE:
        munmap(h, h->size);
        return;
    case INNER:
        free((char *)p - h->size);
        return;
    default:
        abort();
    }
}

void *calloc(size_t count, size_t size)
{
    size_t n;
    if (__builtin_mul_overflow(count, size, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    if (!fits_small(n)) {
        return malloc_large(n); /* a fresh mapping is zero already */
    }
    void *p = malloc_small(n);
    return p ? memset(p, 0, n) : NULL;
}

/* A large block grows or shrinks in place or by moving its pages (mremap), never by copying them. */
static void *realloc_large(struct header *h, size_t n)
{
    size_t length = large_length(n);
    struct header *moved = length ? mremap(h, h->size, length, MREMAP_MAYMOVE) : MAP_FAILED;
    if (moved == MAP_FAILED) {
        return NULL;
    }
    moved->size = length;
    return moved + 1;
}

static void *realloc_by_copy(void *p, size_t n)
{
    size_t old = usable_size(p);
    void *q = malloc(n);
    if (!q) {
        return n <= old ? p : NULL; /* a shrink that cannot move keeps its block */
    }
    memcpy(q, p, old < n ? old : n);
    free(p);
    return q;
}

void *realloc(void *p, size_t n)
{
    if (!p) {
        return malloc(n);
    }
    struct header *h = header_of(p);
    if (h->kind == SMALL && fits_small(n) && class_for(n) == class_of(h->size)) {
        return p;
    }
    if (h->kind == LARGE && !fits_small(n)) {
        return realloc_large(h, n);
    }
    return realloc_by_copy(p, n);
}

void *aligned_alloc(size_t alignment, size_t n)
{
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    if (alignment <= ALIGNMENT) {
        return malloc(n);
    }
    if (n > PTRDIFF_MAX - alignment) {
        errno = ENOMEM;
        return NULL;
    }
    char *outer = malloc(n + alignment);
    if (!outer || ((uintptr_t)outer & (alignment - 1)) == 0) {
        return outer;
    }
    /* outer is 16-aligned and not aligned enough, so p lies between outer + 16 and outer + alignment. */
    char *p = (char *)(((uintptr_t)outer + alignment - 1) & ~(uintptr_t)(alignment - 1));
    struct header *h = header_of(p);
    h->size = (size_t)(p - outer);
    h->kind = INNER;
    return p;
}

int posix_memalign(void **result, size_t alignment, size_t n)
{
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) {
        return EINVAL;
    }
    void *p = aligned_alloc(alignment, n);
    if (!p) {
        return ENOMEM;
    }
    *result = p;
    return 0;
}

void *memalign(size_t alignment, size_t n)
{
    return aligned_alloc(alignment, n);
}

size_t malloc_usable_size(void *p)
{
    return p ? usable_size(p) : 0;
}

/* musl's fork runs these around itself; the child has one thread, and a lock another thread held at the
 * fork would stay held in it forever. */
static void lock_for_fork(void)
{
    pthread_mutex_lock(&lock);
}

static void unlock_after_fork(void)
{
    pthread_mutex_unlock(&lock);
}

static void reset_in_child(void)
{
    pthread_mutex_init(&lock, NULL);
}

__attribute__((constructor)) static void register_fork_handlers(void)
{
    pthread_atfork(lock_for_fork, unlock_after_fork, reset_in_child);
}
