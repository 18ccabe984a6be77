
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The harnesses' controls, over nginx's own core: the harnesses link
 * nginx's objects (fuzz/Makefile), built with NGX_DEBUG_PALLOC, so that
 * every pool allocation is a heap block of its own, whose bounds
 * AddressSanitizer knows.
 *
 * What a process of nginx sets up at start (ngx_os_init(), the cycle) is
 * set up here the least that the module's files need: the page size and
 * the slab allocator's sizes, the cached time, a cycle with a log.  The
 * time is fixed, and set by the harness.  Every log line is formatted,
 * arguments included, so that a format that does not match its arguments
 * shows; it is printed only when the environment has NGX_FUZZ_VERBOSE.
 *
 * A shared zone is a heap block given to nginx's slab allocator, as nginx
 * does with shared memory; its mutex is nginx's, and a lock taken twice
 * hangs as it would in nginx, until libFuzzer's timeout reports it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <sys/mman.h>


/* what fills a zone's pages at first: nginx does not zero an allocation */
#define NGX_FUZZ_SLAB_JUNK   0xa5


/* the pool functions, wrapped at link time (fuzz/Makefile) */

void *__real_ngx_palloc(ngx_pool_t *pool, size_t size);
void *__real_ngx_pnalloc(ngx_pool_t *pool, size_t size);
void *__real_ngx_pcalloc(ngx_pool_t *pool, size_t size);
void *__real_ngx_pmemalign(ngx_pool_t *pool, size_t size, size_t alignment);
ngx_pool_cleanup_t *__real_ngx_pool_cleanup_add(ngx_pool_t *p, size_t size);
void *__wrap_ngx_palloc(ngx_pool_t *pool, size_t size);
void *__wrap_ngx_pnalloc(ngx_pool_t *pool, size_t size);
void *__wrap_ngx_pcalloc(ngx_pool_t *pool, size_t size);
void *__wrap_ngx_pmemalign(ngx_pool_t *pool, size_t size, size_t alignment);
ngx_pool_cleanup_t *__wrap_ngx_pool_cleanup_add(ngx_pool_t *p, size_t size);

static ngx_uint_t ngx_fuzz_alloc_fails(void);
static void ngx_fuzz_log_writer(ngx_log_t *log, ngx_uint_t level,
    u_char *buf, size_t len);


static ngx_time_t         ngx_fuzz_time;
static ngx_log_t          ngx_fuzz_log_s;
static ngx_open_file_t    ngx_fuzz_log_file;
static ngx_cycle_t        ngx_fuzz_cycle;
static ngx_uint_t         ngx_fuzz_verbose_s;
static ngx_uint_t         ngx_fuzz_initialized;

static ngx_uint_t         ngx_fuzz_alloc_at;
static ngx_uint_t         ngx_fuzz_alloc_count;
static ngx_uint_t         ngx_fuzz_alloc_fail;

static ngx_slab_pool_t   *ngx_fuzz_zone_pool;

static int                ngx_fuzz_fd = -1;
static ngx_str_t          ngx_fuzz_file_name;
static ngx_str_t          ngx_fuzz_dir = ngx_string("/proc/self/fd/");
static u_char             ngx_fuzz_file_buf[NGX_INT_T_LEN + 1];


/* what a harness with nothing more to set up starts with */

__attribute__((weak)) int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;

    ngx_fuzz_init();

    return 0;
}


void
ngx_fuzz_init(void)
{
    ngx_uint_t  n;

    if (ngx_fuzz_initialized) {
        return;
    }

    ngx_fuzz_initialized = 1;

    ngx_fuzz_verbose_s = (getenv("NGX_FUZZ_VERBOSE") != NULL);

    /* every level and every debug mask: all log lines get formatted */

    ngx_fuzz_log_file.fd = ngx_stderr;
    ngx_fuzz_log_s.file = &ngx_fuzz_log_file;
    ngx_fuzz_log_s.log_level = NGX_LOG_DEBUG_ALL | NGX_LOG_DEBUG;
    ngx_fuzz_log_s.writer = ngx_fuzz_log_writer;

    /* the log's writer prints, or not: never nginx's copy to stderr */

    ngx_use_stderr = 0;

    ngx_fuzz_cycle.log = &ngx_fuzz_log_s;
    ngx_cycle = &ngx_fuzz_cycle;

    /* what ngx_os_init() and main() set */

    ngx_pid = ngx_getpid();
    ngx_ncpu = 1;
    ngx_pagesize = getpagesize();
    ngx_cacheline_size = NGX_CPU_CACHE_LINE;

    for (n = ngx_pagesize; n >>= 1; ngx_pagesize_shift++) { /* void */ }

    ngx_slab_sizes_init();

    ngx_time_init();

    if (ngx_crc32_table_init() != NGX_OK) {
        ngx_fuzz_fail(__FILE__, __LINE__, "ngx_crc32_table_init()", "failed");
    }

    ngx_fuzz_set_time(NGX_FUZZ_NOW);
}


u_char *
ngx_fuzz_copy(const void *p, size_t len)
{
    u_char  *copy;

    copy = malloc(len ? len : 1);
    ngx_fuzz_assert(copy != NULL, "malloc");

    if (len) {
        ngx_memcpy(copy, p, len);
    }

    return copy;
}


void
ngx_fuzz_fail(const char *file, int line, const char *cond,
    const char *fmt, ...)
{
    va_list  args;

    fprintf(stderr, "\n==ngx_fuzz== %s:%d: check failed: %s\n==ngx_fuzz== ",
            file, line, cond);

    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);

    fprintf(stderr, "\n");
    fflush(stderr);

    abort();
}


ngx_log_t *
ngx_fuzz_log(void)
{
    return &ngx_fuzz_log_s;
}


ngx_uint_t
ngx_fuzz_verbose(void)
{
    return ngx_fuzz_verbose_s;
}


static void
ngx_fuzz_log_writer(ngx_log_t *log, ngx_uint_t level, u_char *buf,
    size_t len)
{
    if (ngx_fuzz_verbose_s) {
        (void) fwrite(buf, 1, len, stderr);
    }
}


/* the cached time nginx's ngx_time() and ngx_timeofday() read */

void
ngx_fuzz_set_time(time_t now)
{
    ngx_fuzz_time.sec = now;
    ngx_fuzz_time.msec = 0;
    ngx_fuzz_time.gmtoff = 0;

    ngx_cached_time = &ngx_fuzz_time;
}


/*
 * Failing allocations: the calls of the module's files (and of nginx's
 * other objects: arrays, buffers) to the pool functions reach these
 * first; a call within ngx_palloc.c does not, so that each allocation
 * asked for counts once.  A pool cleanup counts as an allocation.
 */

void
ngx_fuzz_fail_alloc(ngx_uint_t n)
{
    ngx_fuzz_alloc_at = n;
    ngx_fuzz_alloc_count = 0;
    ngx_fuzz_alloc_fail = 0;
}


ngx_uint_t
ngx_fuzz_alloc_failed(void)
{
    return ngx_fuzz_alloc_fail;
}


static ngx_uint_t
ngx_fuzz_alloc_fails(void)
{
    if (ngx_fuzz_alloc_at && ++ngx_fuzz_alloc_count == ngx_fuzz_alloc_at) {
        ngx_fuzz_alloc_fail = 1;
        return 1;
    }

    return 0;
}


void *
__wrap_ngx_palloc(ngx_pool_t *pool, size_t size)
{
    return ngx_fuzz_alloc_fails() ? NULL : __real_ngx_palloc(pool, size);
}


void *
__wrap_ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    return ngx_fuzz_alloc_fails() ? NULL : __real_ngx_pnalloc(pool, size);
}


void *
__wrap_ngx_pcalloc(ngx_pool_t *pool, size_t size)
{
    return ngx_fuzz_alloc_fails() ? NULL : __real_ngx_pcalloc(pool, size);
}


void *
__wrap_ngx_pmemalign(ngx_pool_t *pool, size_t size, size_t alignment)
{
    return ngx_fuzz_alloc_fails()
           ? NULL : __real_ngx_pmemalign(pool, size, alignment);
}


ngx_pool_cleanup_t *
__wrap_ngx_pool_cleanup_add(ngx_pool_t *p, size_t size)
{
    return ngx_fuzz_alloc_fails() ? NULL : __real_ngx_pool_cleanup_add(p, size);
}


/*
 * A shared zone: a page for the slab pool's own structures, "budget"
 * bytes rounded up to pages, and a page more, which the first allocation
 * smaller than half a page takes for its size's chunks; set up as
 * ngx_init_cycle() sets up a zone's shared memory
 */

ngx_slab_pool_t *
ngx_fuzz_slab_pool(size_t budget)
{
    size_t            size;
    ngx_slab_pool_t  *sp;

    ngx_fuzz_slab_reset();

    size = ngx_pagesize + ngx_align(budget, ngx_pagesize) + ngx_pagesize;

    if (posix_memalign((void **) &sp, ngx_pagesize, size) != 0) {
        return NULL;
    }

    /*
     * shared memory is zeroed when mapped: the pool's own structure (its
     * mutex) is; what the slab allocator hands out is junk, as it is
     * once freed and reused, so that what is read before written shows
     */

    ngx_memzero(sp, sizeof(ngx_slab_pool_t));
    ngx_memset((u_char *) sp + sizeof(ngx_slab_pool_t), NGX_FUZZ_SLAB_JUNK,
               size - sizeof(ngx_slab_pool_t));

    sp->end = (u_char *) sp + size;
    sp->min_shift = 3;
    sp->addr = sp;

    if (ngx_shmtx_create(&sp->mutex, &sp->lock, NULL) != NGX_OK) {
        free(sp);
        return NULL;
    }

    ngx_slab_init(sp);

    ngx_fuzz_zone_pool = sp;

    return sp;
}


void
ngx_fuzz_slab_reset(void)
{
    if (ngx_fuzz_zone_pool == NULL) {
        return;
    }

    ngx_shmtx_destroy(&ngx_fuzz_zone_pool->mutex);
    free(ngx_fuzz_zone_pool);
    ngx_fuzz_zone_pool = NULL;
}


ngx_uint_t
ngx_fuzz_locks_held(void)
{
    if (ngx_fuzz_zone_pool == NULL) {
        return 0;
    }

    return ngx_fuzz_zone_pool->lock.lock != 0;
}


/*
 * The harnesses' file, a memfd: "/proc/self/fd/N" opens it by name, and
 * nothing is left behind when a run ends.
 */

ngx_str_t *
ngx_fuzz_file(u_char *data, size_t len)
{
    u_char  *p;

    if (ngx_fuzz_fd == -1) {
        ngx_fuzz_fd = memfd_create("ngx_fuzz", 0);

        if (ngx_fuzz_fd == -1) {
            ngx_fuzz_fail(__FILE__, __LINE__, "memfd_create()", "%s",
                          strerror(errno));
        }

        p = ngx_sprintf(ngx_fuzz_file_buf, "%d", ngx_fuzz_fd);
        *p = '\0';

        ngx_fuzz_file_name.data = ngx_fuzz_file_buf;
        ngx_fuzz_file_name.len = p - ngx_fuzz_file_buf;
    }

    if (ftruncate(ngx_fuzz_fd, 0) == -1
        || (len && pwrite(ngx_fuzz_fd, data, len, 0) != (ssize_t) len))
    {
        ngx_fuzz_fail(__FILE__, __LINE__, "write", "%s", strerror(errno));
    }

    return &ngx_fuzz_file_name;
}


ngx_str_t *
ngx_fuzz_file_dir(void)
{
    return &ngx_fuzz_dir;
}
