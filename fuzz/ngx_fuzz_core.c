
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The nginx core functions the module's files call, written for the fuzz
 * harnesses from the behaviour nginx documents for them (the development
 * guide, the headers' declarations and comments, the directives'
 * documentation), in our own way: none of nginx's code is taken.
 *
 * Where nginx's behaviour matters to the code under test, it is kept:
 * pools free everything at once and run their cleanups last in, first
 * out; a full array moves to a larger block and leaves the old one as it
 * was; the printf family knows nginx's conversions (%V, %uz, %T, %*s, ...)
 * and stops at the end of the buffer; base64 decoding refuses a byte
 * outside the alphabet and stops at "="; ngx_escape_json() writes the
 * control characters as nginx does.
 *
 * Where it does not, it is simpler: every pool allocation is a malloc()
 * of its own, so that AddressSanitizer sees the bounds of each; the shared
 * zone's slab allocator is malloc() within a byte budget; the red-black
 * tree is a plain binary search tree (lookups walk it the same way);
 * shared memory mutexes only check that they are taken and released in
 * turn, which catches a double lock (a deadlock in nginx) or a lock left
 * held.
 *
 * Every log line is formatted, arguments included, so that a format that
 * does not match its arguments shows; it is printed only when the
 * environment has NGX_FUZZ_VERBOSE.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>


#define NGX_FUZZ_SLAB_MAGIC  0x5a4f4e45

/* what fills a slab allocation that nginx would not zero */
#define NGX_FUZZ_SLAB_JUNK   0xa5

/* room for the cleanup structure ahead of its data, kept 16 bytes aligned */
#define NGX_FUZZ_CLEANUP_SIZE  ngx_align(sizeof(ngx_pool_cleanup_t), 16)

/* ngx_sprintf() has no end: the highest address there is */
#define NGX_FUZZ_NO_END  ((u_char *) (uintptr_t) -1)

/* a byte outside a base64 alphabet */
#define NGX_FUZZ_B64_NONE  0xff


typedef struct ngx_fuzz_block_s  ngx_fuzz_block_t;

struct ngx_fuzz_block_s {
    ngx_fuzz_block_t            *next;
    size_t                       size;    /* keeps data 16 bytes aligned */
};


typedef struct {
    ngx_pool_t                   pool;
    ngx_fuzz_block_t            *blocks;
} ngx_fuzz_pool_t;


typedef struct ngx_fuzz_slab_s  ngx_fuzz_slab_t;

struct ngx_fuzz_slab_s {
    ngx_fuzz_slab_t             *prev;
    ngx_fuzz_slab_t             *next;
    size_t                       size;
    uint32_t                     magic;
    uint32_t                     pad;
};


/* a base64 variant: its alphabet, and whether it pads with "=" */

typedef struct {
    u_char                       alphabet[65];
    ngx_uint_t                   padded;
} ngx_fuzz_b64_code_t;


/* one conversion of the printf family, as its flags describe it */

typedef struct {
    ngx_uint_t                   width;
    ngx_uint_t                   precision;   /* %.Nf */
    size_t                       length;      /* %*s, or (size_t) -1 */
    u_char                       fill;        /* '0' or ' ' */
    unsigned                     is_signed:1;
    unsigned                     widest:1;    /* %m: the type's full width */
    unsigned                     hex:2;       /* 1 lower case, 2 upper */
} ngx_fuzz_conv_t;


#define NGX_FUZZ_LOCKS_MAX  8


static void *ngx_fuzz_pool_get(ngx_pool_t *pool, size_t size,
    ngx_uint_t zeroed);
static void ngx_fuzz_pool_release(ngx_fuzz_pool_t *fp);
static ngx_int_t ngx_fuzz_array_grow(ngx_array_t *a, ngx_uint_t want);
static ngx_int_t ngx_fuzz_casecmp(u_char *s1, u_char *s2, size_t n);
static void ngx_fuzz_b64_encode(ngx_str_t *dst, ngx_str_t *src,
    const ngx_fuzz_b64_code_t *code);
static ngx_int_t ngx_fuzz_b64_decode(ngx_str_t *dst, ngx_str_t *src,
    const ngx_fuzz_b64_code_t *code);
static size_t ngx_fuzz_json_escape(u_char c, u_char *out);
static const char *ngx_fuzz_conv_parse(const char *fmt,
    ngx_fuzz_conv_t *conv, va_list *ap);
static ngx_int_t ngx_fuzz_conv_integer(int type, ngx_fuzz_conv_t *conv,
    va_list *ap, uint64_t *magnitude, ngx_uint_t *negative);
static u_char *ngx_fuzz_put_bytes(u_char *buf, u_char *last, u_char *src,
    size_t len);
static u_char *ngx_fuzz_put_number(u_char *buf, u_char *last, uint64_t v,
    ngx_uint_t hex, u_char fill, ngx_uint_t width);
static u_char *ngx_fuzz_put_double(u_char *buf, u_char *last, double f,
    ngx_fuzz_conv_t *conv);
static void ngx_fuzz_log_write(const char *where, ngx_uint_t level,
    ngx_err_t err, const char *fmt, va_list args);
static void *ngx_fuzz_slab_get(size_t size, u_char fill);
static void *ngx_fuzz_slab_take(ngx_slab_pool_t *pool, size_t size,
    u_char fill);
static void ngx_fuzz_rbtree_replace(ngx_rbtree_t *tree, ngx_rbtree_node_t *u,
    ngx_rbtree_node_t *v);


/* what nginx's core defines, and the module's files use */

ngx_uint_t               ngx_pagesize = 4096;
ngx_uint_t               ngx_pagesize_shift = 12;
ngx_uint_t               ngx_cacheline_size = 64;
ngx_uint_t               ngx_worker;

volatile ngx_time_t     *ngx_cached_time;

uint32_t                 ngx_crc32_table256[256];
uint32_t                *ngx_crc32_table_short;


/* our own state */

static ngx_time_t        ngx_fuzz_time;
static uint32_t          ngx_fuzz_crc16[16];
static ngx_log_t         ngx_fuzz_log_s;
static ngx_uint_t        ngx_fuzz_verbose_s;
static ngx_uint_t        ngx_fuzz_initialized;

static ngx_uint_t        ngx_fuzz_alloc_at;
static ngx_uint_t        ngx_fuzz_alloc_count;
static ngx_uint_t        ngx_fuzz_alloc_fail;

static ngx_fuzz_slab_t   ngx_fuzz_slabs = { &ngx_fuzz_slabs, &ngx_fuzz_slabs,
                                            0, 0, 0 };
static size_t            ngx_fuzz_slab_used;
static size_t            ngx_fuzz_slab_budget;

static ngx_shmtx_t      *ngx_fuzz_locks[NGX_FUZZ_LOCKS_MAX];
static ngx_uint_t        ngx_fuzz_nlocks;

static int               ngx_fuzz_fd = -1;
static ngx_str_t         ngx_fuzz_file_name;
static ngx_str_t         ngx_fuzz_dir = ngx_string("/proc/self/fd/");
static u_char            ngx_fuzz_file_buf[NGX_INT_T_LEN + 1];


static const char  *ngx_fuzz_levels[] = {
    "stderr", "emerg", "alert", "crit", "error", "warn", "notice", "info",
    "debug"
};


/* the harnesses' controls */

/* what a harness with nothing more to set up starts with */

__attribute__((weak)) int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;

    ngx_fuzz_init();

    return 0;
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
ngx_fuzz_init(void)
{
    uint32_t    c;
    ngx_uint_t  i, k;

    if (ngx_fuzz_initialized) {
        return;
    }

    ngx_fuzz_initialized = 1;

    ngx_fuzz_verbose_s = (getenv("NGX_FUZZ_VERBOSE") != NULL);

    /* every level and every debug mask: all log lines get formatted */

    ngx_fuzz_log_s.log_level = NGX_LOG_DEBUG_ALL | NGX_LOG_DEBUG;

    ngx_fuzz_set_time(NGX_FUZZ_NOW);

    /* CRC-32 (IEEE 802.3, reflected), by byte and by half byte */

    for (i = 0; i < 256; i++) {
        c = (uint32_t) i;

        for (k = 0; k < 8; k++) {
            c = (c & 1) ? 0xedb88320 ^ (c >> 1) : c >> 1;
        }

        ngx_crc32_table256[i] = c;
    }

    for (i = 0; i < 16; i++) {
        c = (uint32_t) i;

        for (k = 0; k < 4; k++) {
            c = (c & 1) ? 0xedb88320 ^ (c >> 1) : c >> 1;
        }

        ngx_fuzz_crc16[i] = c;
    }

    ngx_crc32_table_short = ngx_fuzz_crc16;
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


void
ngx_fuzz_set_time(time_t now)
{
    ngx_fuzz_time.sec = now;
    ngx_fuzz_time.msec = 0;
    ngx_fuzz_time.gmtoff = 0;

    ngx_cached_time = &ngx_fuzz_time;
}


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


/*
 * Pools: each allocation a block of its own, on the pool's list of
 * blocks, all of them freed with the pool.
 */

ngx_pool_t *
ngx_create_pool(size_t size, ngx_log_t *log)
{
    ngx_fuzz_pool_t  *fp;

    (void) size;

    fp = calloc(1, sizeof(ngx_fuzz_pool_t));
    if (fp == NULL) {
        return NULL;
    }

    fp->pool.log = (log != NULL) ? log : &ngx_fuzz_log_s;

    return &fp->pool;
}


void
ngx_destroy_pool(ngx_pool_t *pool)
{
    ngx_pool_cleanup_t  *cln;

    /*
     * The cleanups are in the pool's memory and may use what it holds:
     * all of them run, the last added first, before any block is freed.
     */

    while (pool->cleanup != NULL) {
        cln = pool->cleanup;
        pool->cleanup = cln->next;

        if (cln->handler != NULL) {
            cln->handler(cln->data);
        }
    }

    ngx_fuzz_pool_release((ngx_fuzz_pool_t *) pool);

    free(pool);
}


void
ngx_reset_pool(ngx_pool_t *pool)
{
    /* the cleanups were in the blocks: forgotten with them */

    ngx_fuzz_pool_release((ngx_fuzz_pool_t *) pool);

    pool->cleanup = NULL;
}


static void
ngx_fuzz_pool_release(ngx_fuzz_pool_t *fp)
{
    ngx_fuzz_block_t  *b;

    while (fp->blocks != NULL) {
        b = fp->blocks;
        fp->blocks = b->next;
        free(b);
    }
}


void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    return ngx_fuzz_pool_get(pool, size, 0);
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    return ngx_fuzz_pool_get(pool, size, 0);
}


void *
ngx_pcalloc(ngx_pool_t *pool, size_t size)
{
    return ngx_fuzz_pool_get(pool, size, 1);
}


static void *
ngx_fuzz_pool_get(ngx_pool_t *pool, size_t size, ngx_uint_t zeroed)
{
    size_t             total;
    ngx_fuzz_pool_t   *fp;
    ngx_fuzz_block_t  *b;

    /* the failure the harness asked for: the n-th allocation from now */

    if (ngx_fuzz_alloc_at && ++ngx_fuzz_alloc_count == ngx_fuzz_alloc_at) {
        ngx_fuzz_alloc_fail = 1;
        return NULL;
    }

    if (size > (size_t) -1 - sizeof(ngx_fuzz_block_t)) {
        return NULL;
    }

    total = sizeof(ngx_fuzz_block_t) + size;

    b = zeroed ? calloc(1, total) : malloc(total);
    if (b == NULL) {
        return NULL;
    }

    fp = (ngx_fuzz_pool_t *) pool;

    b->size = size;
    b->next = fp->blocks;
    fp->blocks = b;

    return &b[1];
}


void *
ngx_pmemalign(ngx_pool_t *pool, size_t size, size_t alignment)
{
    (void) alignment;

    /* malloc()'s 16 bytes, and a 16 bytes header: enough for nginx's uses */

    return ngx_palloc(pool, size);
}


ngx_int_t
ngx_pfree(ngx_pool_t *pool, void *p)
{
    (void) pool;
    (void) p;

    /* only large blocks are given back in nginx: none here */

    return NGX_DECLINED;
}


ngx_pool_cleanup_t *
ngx_pool_cleanup_add(ngx_pool_t *p, size_t size)
{
    u_char              *block;
    ngx_pool_cleanup_t  *cln;

    /* the cleanup and its data in one block, the data after it */

    block = ngx_palloc(p, NGX_FUZZ_CLEANUP_SIZE + size);
    if (block == NULL) {
        return NULL;
    }

    cln = (ngx_pool_cleanup_t *) block;

    cln->handler = NULL;
    cln->data = (size != 0) ? block + NGX_FUZZ_CLEANUP_SIZE : NULL;

    /* a stack: ngx_destroy_pool() runs the newest first */

    cln->next = p->cleanup;
    p->cleanup = cln;

    return cln;
}


/* arrays */

ngx_array_t *
ngx_array_create(ngx_pool_t *p, ngx_uint_t n, size_t size)
{
    ngx_array_t   head, *arr;

    /* the elements first, then the header they are described by */

    if (ngx_array_init(&head, p, n, size) != NGX_OK) {
        return NULL;
    }

    arr = ngx_palloc(p, sizeof(ngx_array_t));

    if (arr != NULL) {
        *arr = head;
    }

    return arr;
}


void
ngx_array_destroy(ngx_array_t *a)
{
    /* pool memory: it goes with the pool */

    (void) a;
}


void *
ngx_array_push(ngx_array_t *a)
{
    return ngx_array_push_n(a, 1);
}


void *
ngx_array_push_n(ngx_array_t *a, ngx_uint_t n)
{
    u_char      *first;
    ngx_uint_t   want;

    want = a->nelts + n;

    if (want > a->nalloc && ngx_fuzz_array_grow(a, want) != NGX_OK) {
        return NULL;
    }

    first = (u_char *) a->elts + a->nelts * a->size;
    a->nelts = want;

    return first;
}


/*
 * A larger block, at least twice the size, the elements copied into it;
 * the old block stays as it was (pointers into it are stale, but valid
 * memory, as in nginx).
 */

static ngx_int_t
ngx_fuzz_array_grow(ngx_array_t *a, ngx_uint_t want)
{
    void        *elts;
    ngx_uint_t   capacity;

    capacity = (a->nalloc != 0) ? 2 * a->nalloc : 1;

    while (capacity < want) {
        capacity *= 2;
    }

    elts = ngx_palloc(a->pool, capacity * a->size);
    if (elts == NULL) {
        return NGX_ERROR;
    }

    if (a->nelts != 0) {
        ngx_memcpy(elts, a->elts, a->nelts * a->size);
    }

    a->elts = elts;
    a->nalloc = capacity;

    return NGX_OK;
}


/* memory outside pools: what the worker keeps of the zone */

void *
ngx_alloc(size_t size, ngx_log_t *log)
{
    (void) log;

    return malloc(size);
}


/* strings */

/* a zeroing the compiler may not drop, as the C library's */

void
ngx_explicit_memzero(void *buf, size_t n)
{
    explicit_bzero(buf, n);
}


void
ngx_strlow(u_char *dst, u_char *src, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        dst[i] = ngx_tolower(src[i]);
    }
}


u_char *
ngx_pstrdup(ngx_pool_t *pool, ngx_str_t *src)
{
    u_char  *copy;

    copy = ngx_pnalloc(pool, src->len);

    if (copy != NULL && src->len != 0) {
        (void) ngx_cpymem(copy, src->data, src->len);
    }

    return copy;
}


ngx_int_t
ngx_strcasecmp(u_char *s1, u_char *s2)
{
    return ngx_fuzz_casecmp(s1, s2, (size_t) -1);
}


ngx_int_t
ngx_strncasecmp(u_char *s1, u_char *s2, size_t n)
{
    return ngx_fuzz_casecmp(s1, s2, n);
}


/*
 * ASCII letters only, as nginx does: the difference of the first bytes
 * that differ once lowered, 0 when the strings end together or after n
 * bytes.
 */

static ngx_int_t
ngx_fuzz_casecmp(u_char *s1, u_char *s2, size_t n)
{
    size_t     i;
    ngx_int_t  diff;

    for (i = 0; i < n; i++) {
        diff = (ngx_int_t) ngx_tolower(s1[i]) - (ngx_int_t) ngx_tolower(s2[i]);

        if (diff != 0 || s1[i] == '\0') {
            return diff;
        }
    }

    return 0;
}


/* base64, RFC 4648: the standard alphabet padded, the URL one not */

static const ngx_fuzz_b64_code_t  ngx_fuzz_b64 = {
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 1
};

static const ngx_fuzz_b64_code_t  ngx_fuzz_b64url = {
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 0
};


void
ngx_encode_base64(ngx_str_t *dst, ngx_str_t *src)
{
    ngx_fuzz_b64_encode(dst, src, &ngx_fuzz_b64);
}


void
ngx_encode_base64url(ngx_str_t *dst, ngx_str_t *src)
{
    ngx_fuzz_b64_encode(dst, src, &ngx_fuzz_b64url);
}


/*
 * Three bytes (fewer at the end) make a 24-bit group, read as four 6-bit
 * characters: two for one byte, three for two, "=" for each missing one
 * when padded.
 */

static void
ngx_fuzz_b64_encode(ngx_str_t *dst, ngx_str_t *src,
    const ngx_fuzz_b64_code_t *code)
{
    u_char      *out, *in;
    size_t       left;
    uint32_t     group;
    ngx_uint_t   k, used;

    out = dst->data;

    for (in = src->data, left = src->len; left != 0; in += used - 1) {
        group = (uint32_t) in[0] << 16;

        if (left > 1) {
            group |= (uint32_t) in[1] << 8;
        }

        if (left > 2) {
            group |= in[2];
        }

        used = (left >= 3) ? 4 : left + 1;
        left -= used - 1;

        for (k = 0; k < 4; k++) {
            if (k < used) {
                *out++ = code->alphabet[(group >> (18 - 6 * k)) & 0x3f];

            } else if (code->padded) {
                *out++ = '=';
            }
        }
    }

    dst->len = out - dst->data;
}


ngx_int_t
ngx_decode_base64(ngx_str_t *dst, ngx_str_t *src)
{
    return ngx_fuzz_b64_decode(dst, src, &ngx_fuzz_b64);
}


ngx_int_t
ngx_decode_base64url(ngx_str_t *dst, ngx_str_t *src)
{
    return ngx_fuzz_b64_decode(dst, src, &ngx_fuzz_b64url);
}


/*
 * The text up to the first "=" (or the end) must be in the alphabet and
 * not one character past a multiple of four; what follows "=" is not
 * looked at, nor are the unused low bits of the last character.  The
 * characters go into a bit accumulator, a byte out of every full eight.
 */

static ngx_int_t
ngx_fuzz_b64_decode(ngx_str_t *dst, ngx_str_t *src,
    const ngx_fuzz_b64_code_t *code)
{
    u_char      *out, sextet[256];
    size_t       n, i;
    uint32_t     bits;
    ngx_uint_t   nbits;

    ngx_memset(sextet, NGX_FUZZ_B64_NONE, sizeof(sextet));

    for (i = 0; i < 64; i++) {
        sextet[code->alphabet[i]] = (u_char) i;
    }

    n = 0;

    while (n < src->len && src->data[n] != '=') {
        if (sextet[src->data[n]] == NGX_FUZZ_B64_NONE) {
            return NGX_ERROR;
        }

        n++;
    }

    if (n % 4 == 1) {
        return NGX_ERROR;
    }

    out = dst->data;
    bits = 0;
    nbits = 0;

    for (i = 0; i < n; i++) {
        bits = ((bits << 6) | sextet[src->data[i]]) & 0xffff;
        nbits += 6;

        if (nbits >= 8) {
            nbits -= 8;
            *out++ = (u_char) (bits >> nbits);
        }
    }

    dst->len = out - dst->data;

    return NGX_OK;
}


/*
 * JSON string escaping as nginx does it: '"', '\' and the control
 * characters (\n \r \t \b \f by name, the others as \u00XX in upper case
 * hexadecimal); the other bytes, UTF-8 or not, as they are.  With dst ==
 * NULL: the number of bytes the escaping adds.
 */

uintptr_t
ngx_escape_json(u_char *dst, u_char *src, size_t size)
{
    u_char  seq[8];
    size_t  i, n, added;

    if (dst == NULL) {
        added = 0;

        for (i = 0; i < size; i++) {
            n = ngx_fuzz_json_escape(src[i], seq);

            if (n != 0) {
                added += n - 1;
            }
        }

        return (uintptr_t) added;
    }

    for (i = 0; i < size; i++) {
        n = ngx_fuzz_json_escape(src[i], dst);

        if (n == 0) {
            *dst = src[i];
            n = 1;
        }

        dst += n;
    }

    return (uintptr_t) dst;
}


/* the escape of one byte into out, and its length; 0 for none */

static size_t
ngx_fuzz_json_escape(u_char c, u_char *out)
{
    u_char  name;

    static const u_char  upper[] = "0123456789ABCDEF";

    switch (c) {

    case '"':
    case '\\':
        name = c;
        break;

    case '\n':
        name = 'n';
        break;

    case '\r':
        name = 'r';
        break;

    case '\t':
        name = 't';
        break;

    case '\b':
        name = 'b';
        break;

    case '\f':
        name = 'f';
        break;

    default:

        if (c >= 0x20) {
            return 0;
        }

        ngx_memcpy(out, "\\u00", 4);
        out[4] = upper[c >> 4];
        out[5] = upper[c & 0x0f];

        return 6;
    }

    out[0] = '\\';
    out[1] = name;

    return 2;
}


/*
 * nginx's printf family.  A conversion is "%", flags, then its letter:
 *
 *   flags: "0" pads with zeroes, digits give the width, "u" unsigned,
 *          "x" and "X" hexadecimal (and unsigned), "m" the type's full
 *          width, "*" takes a length for %s, ".N" digits after the point
 *   integers: d int, l long, i ngx_int_t, z ssize_t, D int32_t,
 *          L int64_t, A ngx_atomic_int_t (or their unsigned types);
 *          O off_t, T time_t, P ngx_pid_t, r rlim_t (always signed);
 *          M ngx_msec_t (-1 shows as -1); p a pointer
 *   others: V ngx_str_t *, v ngx_variable_value_t *, s a NUL-terminated
 *          string (or %*s, a length and a string), f double, c a
 *          character, Z a NUL, N a new line, %% a "%"
 *
 * A minus sign comes before the padding.  The output stops at last.
 */

u_char * ngx_cdecl
ngx_sprintf(u_char *buf, const char *fmt, ...)
{
    u_char   *end;
    va_list   ap;

    va_start(ap, fmt);
    end = ngx_vslprintf(buf, NGX_FUZZ_NO_END, fmt, ap);
    va_end(ap);

    return end;
}


u_char * ngx_cdecl
ngx_snprintf(u_char *buf, size_t max, const char *fmt, ...)
{
    u_char   *end;
    va_list   ap;

    va_start(ap, fmt);
    end = ngx_vslprintf(buf, &buf[max], fmt, ap);
    va_end(ap);

    return end;
}


u_char * ngx_cdecl
ngx_slprintf(u_char *buf, u_char *last, const char *fmt, ...)
{
    u_char   *end;
    va_list   ap;

    va_start(ap, fmt);
    end = ngx_vslprintf(buf, last, fmt, ap);
    va_end(ap);

    return end;
}


u_char *
ngx_vslprintf(u_char *buf, u_char *last, const char *fmt, va_list args)
{
    int                    type;
    u_char                *s;
    va_list                ap;
    uint64_t               magnitude;
    ngx_str_t             *str;
    ngx_uint_t             negative;
    ngx_fuzz_conv_t        conv;
    ngx_variable_value_t  *var;

    va_copy(ap, args);

    while (*fmt != '\0' && buf < last) {

        if (*fmt != '%') {
            *buf++ = (u_char) *fmt++;
            continue;
        }

        fmt = ngx_fuzz_conv_parse(fmt + 1, &conv, &ap);

        if (*fmt == '\0') {
            break;
        }

        type = *fmt++;

        /* each case writes at most one byte before checking for room */

        switch (type) {

        case 'V':
            str = va_arg(ap, ngx_str_t *);
            buf = ngx_fuzz_put_bytes(buf, last, str->data, str->len);
            continue;

        case 'v':
            var = va_arg(ap, ngx_variable_value_t *);
            buf = ngx_fuzz_put_bytes(buf, last, var->data, var->len);
            continue;

        case 's':
            s = va_arg(ap, u_char *);

            if (conv.length != (size_t) -1) {
                buf = ngx_fuzz_put_bytes(buf, last, s, conv.length);
                continue;
            }

            for ( /* void */ ; buf < last && *s != '\0'; s++) {
                *buf++ = *s;
            }

            continue;

        case 'f':
            buf = ngx_fuzz_put_double(buf, last, va_arg(ap, double), &conv);
            continue;

        case 'c':
            *buf++ = (u_char) (va_arg(ap, int) & 0xff);
            continue;

        case 'Z':
            *buf++ = '\0';
            continue;

        case 'N':
            *buf++ = LF;
            continue;

        case '%':
            *buf++ = '%';
            continue;
        }

        if (ngx_fuzz_conv_integer(type, &conv, &ap, &magnitude, &negative)
            != NGX_OK)
        {
            /* no such conversion: the letter itself */
            *buf++ = (u_char) type;
            continue;
        }

        if (negative) {
            *buf++ = '-';
        }

        buf = ngx_fuzz_put_number(buf, last, magnitude, conv.hex, conv.fill,
                                  conv.width);
    }

    va_end(ap);

    return buf;
}


/* the flags after "%": returns where the conversion's letter is */

static const char *
ngx_fuzz_conv_parse(const char *fmt, ngx_fuzz_conv_t *conv, va_list *ap)
{
    ngx_memzero(conv, sizeof(ngx_fuzz_conv_t));

    conv->fill = (u_char) ((*fmt == '0') ? '0' : ' ');
    conv->length = (size_t) -1;
    conv->is_signed = 1;

    for ( /* void */ ; *fmt >= '0' && *fmt <= '9'; fmt++) {
        conv->width = 10 * conv->width + (ngx_uint_t) (*fmt - '0');
    }

    for ( ;; ) {

        if (*fmt == 'u') {
            conv->is_signed = 0;

        } else if (*fmt == 'x' || *fmt == 'X') {
            conv->hex = (*fmt == 'x') ? 1 : 2;
            conv->is_signed = 0;

        } else if (*fmt == 'm') {
            conv->widest = 1;

        } else if (*fmt == '*') {
            conv->length = va_arg(*ap, size_t);

        } else if (*fmt == '.') {

            /* the precision ends the flags */

            for (fmt++; *fmt >= '0' && *fmt <= '9'; fmt++) {
                conv->precision = 10 * conv->precision
                                  + (ngx_uint_t) (*fmt - '0');
            }

            return fmt;

        } else {
            return fmt;
        }

        fmt++;
    }
}


/* the argument of one type, as signed or unsigned as the flags say */

#define ngx_fuzz_conv_arg(conv, ap, stype, utype, s, u)                      \
    if ((conv)->is_signed) {                                                  \
        s = (int64_t) va_arg(*(ap), stype);                                   \
    } else {                                                                  \
        u = (uint64_t) va_arg(*(ap), utype);                                  \
    }


static ngx_int_t
ngx_fuzz_conv_integer(int type, ngx_fuzz_conv_t *conv, va_list *ap,
    uint64_t *magnitude, ngx_uint_t *negative)
{
    int64_t     s;
    uint64_t    u;
    ngx_msec_t  ms;

    s = 0;
    u = 0;

    switch (type) {

    case 'd':
        ngx_fuzz_conv_arg(conv, ap, int, u_int, s, u);
        break;

    case 'l':
        ngx_fuzz_conv_arg(conv, ap, long, u_long, s, u);
        break;

    case 'z':
        ngx_fuzz_conv_arg(conv, ap, ssize_t, size_t, s, u);
        break;

    case 'D':
        ngx_fuzz_conv_arg(conv, ap, int32_t, uint32_t, s, u);
        break;

    case 'L':
        ngx_fuzz_conv_arg(conv, ap, int64_t, uint64_t, s, u);
        break;

    case 'i':
        ngx_fuzz_conv_arg(conv, ap, ngx_int_t, ngx_uint_t, s, u);

        if (conv->widest) {
            conv->width = NGX_INT_T_LEN;
        }

        break;

    case 'A':
        ngx_fuzz_conv_arg(conv, ap, ngx_atomic_int_t, ngx_atomic_uint_t,
                          s, u);

        if (conv->widest) {
            conv->width = NGX_ATOMIC_T_LEN;
        }

        break;

    case 'O':
        conv->is_signed = 1;
        s = (int64_t) va_arg(*ap, off_t);
        break;

    case 'T':
        conv->is_signed = 1;
        s = (int64_t) va_arg(*ap, time_t);
        break;

    case 'P':
        conv->is_signed = 1;
        s = (int64_t) va_arg(*ap, ngx_pid_t);
        break;

    case 'r':
        conv->is_signed = 1;
        s = (int64_t) va_arg(*ap, rlim_t);
        break;

    case 'M':
        ms = va_arg(*ap, ngx_msec_t);

        /* the "no timer" value shows as -1, the others as unsigned */

        conv->is_signed = ((ngx_msec_int_t) ms == -1);
        s = -1;
        u = (uint64_t) ms;
        break;

    case 'p':
        u = (uint64_t) (uintptr_t) va_arg(*ap, void *);
        conv->is_signed = 0;
        conv->hex = 2;
        conv->fill = '0';
        conv->width = 2 * sizeof(void *);
        break;

    default:
        return NGX_DECLINED;
    }

    *negative = (conv->is_signed && s < 0);

    if (!conv->is_signed) {
        *magnitude = u;

    } else if (s < 0) {
        *magnitude = (uint64_t) 0 - (uint64_t) s;

    } else {
        *magnitude = (uint64_t) s;
    }

    return NGX_OK;
}


/* as many of len bytes as there is room for */

static u_char *
ngx_fuzz_put_bytes(u_char *buf, u_char *last, u_char *src, size_t len)
{
    size_t  room;

    room = (size_t) (last - buf);

    if (len > room) {
        len = room;
    }

    /* an empty ngx_str_t may have NULL data: no memcpy() for it */

    return (len == 0) ? buf : ngx_cpymem(buf, src, len);
}


/* the digits, least significant first, then written the other way */

static u_char *
ngx_fuzz_put_number(u_char *buf, u_char *last, uint64_t v, ngx_uint_t hex,
    u_char fill, ngx_uint_t width)
{
    u_char       digits[NGX_INT64_LEN];
    ngx_uint_t   n, base;
    const char  *set;

    set = (hex == 2) ? "0123456789ABCDEF" : "0123456789abcdef";
    base = hex ? 16 : 10;
    n = 0;

    do {
        digits[n++] = (u_char) set[v % base];
        v /= base;
    } while (v != 0);

    for ( /* void */ ; width > n && buf < last; width--) {
        *buf++ = fill;
    }

    while (n != 0 && buf < last) {
        *buf++ = digits[--n];
    }

    return buf;
}


/* %f: the integer part, then %.N's digits after the point, rounded */

static u_char *
ngx_fuzz_put_double(u_char *buf, u_char *last, double f,
    ngx_fuzz_conv_t *conv)
{
    uint64_t    whole, part, scale;
    ngx_uint_t  i;

    if (f < 0) {
        *buf++ = '-';
        f = -f;
    }

    /* too large for 64 bits, or not a number: 0 rather than undefined */

    whole = (f < 18446744073709551615.0) ? (uint64_t) f : 0;
    part = 0;
    scale = 1;

    for (i = 0; i < conv->precision; i++) {
        scale *= 10;
    }

    if (conv->precision) {
        part = (uint64_t) ((f - (double) whole) * (double) scale + 0.5);

        if (part >= scale) {
            part -= scale;
            whole++;
        }
    }

    buf = ngx_fuzz_put_number(buf, last, whole, 0, conv->fill, conv->width);

    if (conv->precision == 0) {
        return buf;
    }

    if (buf < last) {
        *buf++ = '.';
    }

    return ngx_fuzz_put_number(buf, last, part, 0, '0', conv->precision);
}


/* logs: formatted always, printed when verbose */

void
ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...)
{
    va_list  args;

    (void) log;

    va_start(args, fmt);
    ngx_fuzz_log_write("", level, err, fmt, args);
    va_end(args);
}


void ngx_cdecl
ngx_conf_log_error(ngx_uint_t level, ngx_conf_t *cf, ngx_err_t err,
    const char *fmt, ...)
{
    va_list  args;

    (void) cf;

    va_start(args, fmt);
    ngx_fuzz_log_write(" (conf)", level, err, fmt, args);
    va_end(args);
}


static void
ngx_fuzz_log_write(const char *where, ngx_uint_t level, ngx_err_t err,
    const char *fmt, va_list args)
{
    u_char  *p, *last;
    u_char   errstr[NGX_MAX_ERROR_STR];

    last = errstr + NGX_MAX_ERROR_STR;

    p = ngx_slprintf(errstr, last, "[%s]%s ",
                     ngx_fuzz_levels[ngx_min(level, 8)], where);

    p = ngx_vslprintf(p, last, fmt, args);

    if (err) {
        p = ngx_slprintf(p, last, " (%d: %s)", err, strerror(err));
    }

    if (ngx_fuzz_verbose_s) {
        fprintf(stderr, "%.*s\n", (int) (p - errstr), errstr);
    }
}


/*
 * nginx's broken-down time: full year, months 1 to 12.  Whole 400-year
 * cycles first (146097 days each, wherever they start), then year by
 * year and month by month.
 */

void
ngx_gmtime(time_t t, ngx_tm_t *tp)
{
    int64_t     days, secs, year, len;
    ngx_uint_t  mon, leap;

    static const u_char  month_days[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    /* from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z */

    t = ngx_max(t, 0);
    t = ngx_min(t, (time_t) 253402300799LL);

    days = t / 86400;
    secs = t % 86400;

    tp->ngx_tm_hour = (ngx_tm_hour_t) (secs / 3600);
    tp->ngx_tm_min = (ngx_tm_min_t) (secs % 3600 / 60);
    tp->ngx_tm_sec = (ngx_tm_sec_t) (secs % 60);

    /* day 0 was a Thursday */

    tp->ngx_tm_wday = (ngx_tm_wday_t) ((days + 4) % 7);

    year = 1970 + 400 * (days / 146097);
    days %= 146097;

    for ( ;; ) {
        leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        len = 365 + leap;

        if (days < len) {
            break;
        }

        days -= len;
        year++;
    }

    for (mon = 0; mon < 11; mon++) {
        len = month_days[mon] + ((mon == 1) ? leap : 0);

        if (days < len) {
            break;
        }

        days -= len;
    }

    tp->ngx_tm_mday = (ngx_tm_mday_t) (days + 1);
    tp->ngx_tm_mon = (ngx_tm_mon_t) (mon + 1);
    tp->ngx_tm_year = (ngx_tm_year_t) year;
}


/* files */

ssize_t
ngx_read_file(ngx_file_t *file, u_char *buf, size_t size, off_t offset)
{
    ssize_t  got;

    got = pread(file->fd, buf, size, offset);

    if (got < 0) {
        ngx_log_error(NGX_LOG_CRIT, file->log, ngx_errno,
                      "reading %uz bytes at %O of \"%V\" failed",
                      size, offset, &file->name);
        return NGX_ERROR;
    }

    file->offset += got;

    return got;
}


/* relative names are relative to the prefix; the result NUL-terminated */

ngx_int_t
ngx_conf_full_name(ngx_cycle_t *cycle, ngx_str_t *name,
    ngx_uint_t conf_prefix)
{
    u_char     *n, *p;
    ngx_str_t  *prefix;

    if (name->len > 0 && name->data[0] == '/') {
        return NGX_OK;
    }

    prefix = conf_prefix ? &cycle->conf_prefix : &cycle->prefix;

    n = ngx_pnalloc(cycle->pool, prefix->len + name->len + 1);
    if (n == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(n, prefix->data, prefix->len);
    p = ngx_cpymem(p, name->data, name->len);
    *p = '\0';

    name->len += prefix->len;
    name->data = n;

    return NGX_OK;
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


/* buffers */

ngx_buf_t *
ngx_create_temp_buf(ngx_pool_t *pool, size_t size)
{
    u_char     *mem;
    ngx_buf_t  *b;

    mem = ngx_palloc(pool, size);
    b = (mem != NULL) ? ngx_calloc_buf(pool) : NULL;

    if (b != NULL) {
        b->start = mem;
        b->end = mem + size;
        b->pos = mem;
        b->last = mem;
        b->temporary = 1;
    }

    return b;
}


/* sizes: "1024", "64k", "8M": a number, then k or m in either case */

ssize_t
ngx_parse_size(ngx_str_t *line)
{
    u_char   *p, *end;
    ssize_t   value, unit, digit;

    if (line->len == 0) {
        return NGX_ERROR;
    }

    p = line->data;
    end = p + line->len;

    switch (end[-1] | 0x20) {

    case 'k':
        unit = 1024;
        end--;
        break;

    case 'm':
        unit = 1024 * 1024;
        end--;
        break;

    default:
        unit = 1;
    }

    if (p == end) {
        return NGX_ERROR;
    }

    /* refused when value * unit would not fit in ssize_t */

    for (value = 0; p < end; p++) {
        if (*p < '0' || *p > '9') {
            return NGX_ERROR;
        }

        digit = *p - '0';

        if (value > (NGX_MAX_SIZE_T_VALUE / unit - digit) / 10) {
            return NGX_ERROR;
        }

        value = 10 * value + digit;
    }

    return value * unit;
}


/* shared memory: a zone as big as asked, never mapped */

ngx_shm_zone_t *
ngx_shared_memory_add(ngx_conf_t *cf, ngx_str_t *name, size_t size, void *tag)
{
    ngx_shm_zone_t  *shm_zone;

    shm_zone = ngx_pcalloc(cf->pool, sizeof(ngx_shm_zone_t));
    if (shm_zone == NULL) {
        return NULL;
    }

    shm_zone->shm.size = size;
    shm_zone->shm.name = *name;
    shm_zone->shm.log = cf->log;
    shm_zone->tag = tag;

    return shm_zone;
}


/* the slab allocator: malloc() within a budget, every block known */

ngx_slab_pool_t *
ngx_fuzz_slab_pool(size_t budget)
{
    ngx_slab_pool_t  *pool;

    ngx_fuzz_slab_budget = (size_t) -1;

    pool = ngx_slab_calloc_locked(NULL, sizeof(ngx_slab_pool_t));
    if (pool == NULL) {
        return NULL;
    }

    ngx_fuzz_slab_used = 0;
    ngx_fuzz_slab_budget = budget;

    pool->start = (u_char *) pool;
    pool->end = (u_char *) pool + budget;
    pool->addr = pool;

    /* what the zone reads of nginx's pool: its free pages, its chunks */

    pool->min_shift = 3;
    pool->pfree = budget / ngx_pagesize;

    return pool;
}


void
ngx_fuzz_slab_reset(void)
{
    ngx_fuzz_slab_t  *s, *next;

    for (s = ngx_fuzz_slabs.next; s != &ngx_fuzz_slabs; s = next) {
        next = s->next;
        free(s);
    }

    ngx_fuzz_slabs.next = &ngx_fuzz_slabs;
    ngx_fuzz_slabs.prev = &ngx_fuzz_slabs;
    ngx_fuzz_slab_used = 0;

    ngx_fuzz_nlocks = 0;
}


void *
ngx_slab_alloc_locked(ngx_slab_pool_t *pool, size_t size)
{
    /* not zeroed in nginx: make what is read before written visible */

    return ngx_fuzz_slab_get(size, NGX_FUZZ_SLAB_JUNK);
}


void *
ngx_slab_calloc_locked(ngx_slab_pool_t *pool, size_t size)
{
    return ngx_fuzz_slab_get(size, 0);
}


void *
ngx_slab_alloc(ngx_slab_pool_t *pool, size_t size)
{
    return ngx_fuzz_slab_take(pool, size, NGX_FUZZ_SLAB_JUNK);
}


void *
ngx_slab_calloc(ngx_slab_pool_t *pool, size_t size)
{
    return ngx_fuzz_slab_take(pool, size, 0);
}


/* what the functions without "_locked" add: the pool's mutex around it */

static void *
ngx_fuzz_slab_take(ngx_slab_pool_t *pool, size_t size, u_char fill)
{
    void  *block;

    ngx_shmtx_lock(&pool->mutex);
    block = ngx_fuzz_slab_get(size, fill);
    ngx_shmtx_unlock(&pool->mutex);

    return block;
}


static void *
ngx_fuzz_slab_get(size_t size, u_char fill)
{
    ngx_fuzz_slab_t  *s;

    if (size > ngx_fuzz_slab_budget - ngx_fuzz_slab_used
        || size > (size_t) -1 - sizeof(ngx_fuzz_slab_t))
    {
        return NULL;
    }

    s = malloc(sizeof(ngx_fuzz_slab_t) + size);
    if (s == NULL) {
        return NULL;
    }

    s->size = size;
    s->magic = NGX_FUZZ_SLAB_MAGIC;

    s->next = ngx_fuzz_slabs.next;
    s->prev = &ngx_fuzz_slabs;
    s->next->prev = s;
    ngx_fuzz_slabs.next = s;

    ngx_fuzz_slab_used += size;

    ngx_memset(&s[1], fill, size);

    return &s[1];
}


void
ngx_slab_free_locked(ngx_slab_pool_t *pool, void *p)
{
    ngx_fuzz_slab_t  *s;

    (void) pool;

    s = (ngx_fuzz_slab_t *) p - 1;

    if (s->magic != NGX_FUZZ_SLAB_MAGIC) {
        ngx_fuzz_fail(__FILE__, __LINE__, "ngx_slab_free_locked()",
                      "%p was not allocated from the slab pool", p);
    }

    s->magic = 0;
    s->prev->next = s->next;
    s->next->prev = s->prev;

    ngx_fuzz_slab_used -= s->size;

    free(s);
}


void
ngx_slab_free(ngx_slab_pool_t *pool, void *p)
{
    ngx_shmtx_t  *mtx;

    mtx = &pool->mutex;

    ngx_shmtx_lock(mtx);
    ngx_slab_free_locked(pool, p);
    ngx_shmtx_unlock(mtx);
}


/* mutexes: taken and released in turn, one process */

void
ngx_shmtx_lock(ngx_shmtx_t *mtx)
{
    ngx_uint_t  i;

    for (i = 0; i < ngx_fuzz_nlocks; i++) {
        if (ngx_fuzz_locks[i] == mtx) {
            ngx_fuzz_fail(__FILE__, __LINE__, "ngx_shmtx_lock()",
                          "the mutex %p is already held: a deadlock", mtx);
        }
    }

    if (ngx_fuzz_nlocks == NGX_FUZZ_LOCKS_MAX) {
        ngx_fuzz_fail(__FILE__, __LINE__, "ngx_shmtx_lock()",
                      "too many mutexes held");
    }

    ngx_fuzz_locks[ngx_fuzz_nlocks++] = mtx;
}


ngx_uint_t
ngx_shmtx_trylock(ngx_shmtx_t *mtx)
{
    ngx_uint_t  i;

    for (i = 0; i < ngx_fuzz_nlocks; i++) {
        if (ngx_fuzz_locks[i] == mtx) {
            return 0;
        }
    }

    ngx_shmtx_lock(mtx);

    return 1;
}


void
ngx_shmtx_unlock(ngx_shmtx_t *mtx)
{
    ngx_uint_t  i;

    for (i = 0; i < ngx_fuzz_nlocks; i++) {
        if (ngx_fuzz_locks[i] == mtx) {
            ngx_fuzz_locks[i] = ngx_fuzz_locks[--ngx_fuzz_nlocks];
            return;
        }
    }

    ngx_fuzz_fail(__FILE__, __LINE__, "ngx_shmtx_unlock()",
                  "the mutex %p is not held", mtx);
}


ngx_uint_t
ngx_fuzz_locks_held(void)
{
    return ngx_fuzz_nlocks;
}


/*
 * The tree: the caller's insert function places the node, as in nginx;
 * no rebalancing follows, and deletion is that of a binary search tree.
 */

void
ngx_rbtree_insert(ngx_rbtree_t *tree, ngx_rbtree_node_t *node)
{
    if (tree->root != tree->sentinel) {

        /* the tree's own function walks down and links the node */

        tree->insert(tree->root, node, tree->sentinel);
        return;
    }

    tree->root = node;

    node->left = tree->sentinel;
    node->right = tree->sentinel;
    node->parent = NULL;
    ngx_rbt_black(node);
}


void
ngx_rbtree_delete(ngx_rbtree_t *tree, ngx_rbtree_node_t *node)
{
    ngx_rbtree_node_t  *sentinel, *next;

    sentinel = tree->sentinel;

    if (node->left == sentinel) {
        ngx_fuzz_rbtree_replace(tree, node, node->right);

    } else if (node->right == sentinel) {
        ngx_fuzz_rbtree_replace(tree, node, node->left);

    } else {

        /* two children: the next node in order takes its place */

        next = ngx_rbtree_min(node->right, sentinel);

        if (next->parent != node) {
            ngx_fuzz_rbtree_replace(tree, next, next->right);
            next->right = node->right;
            next->right->parent = next;
        }

        ngx_fuzz_rbtree_replace(tree, node, next);
        next->left = node->left;
        next->left->parent = next;
    }

    /* unlinked: a later use of its links crashes rather than misleads */

    node->left = node->right = node->parent = NULL;
}


static void
ngx_fuzz_rbtree_replace(ngx_rbtree_t *tree, ngx_rbtree_node_t *u,
    ngx_rbtree_node_t *v)
{
    if (u->parent == NULL) {
        tree->root = v;

    } else if (u == u->parent->left) {
        u->parent->left = v;

    } else {
        u->parent->right = v;
    }

    if (v != tree->sentinel) {
        v->parent = u->parent;
    }
}


/*
 * MurmurHash2, 32 bits, seeded with the length, the input read as little
 * endian words: the function nginx uses.
 */

#define NGX_FUZZ_MURMUR_M  0x5bd1e995

uint32_t
ngx_murmur_hash2(u_char *data, size_t len)
{
    size_t    i, words, tail;
    uint32_t  h, k;

    h = (uint32_t) len;
    words = len / 4;
    tail = len % 4;

    for (i = 0; i < words; i++, data += 4) {
        k = (uint32_t) data[0] | (uint32_t) data[1] << 8
            | (uint32_t) data[2] << 16 | (uint32_t) data[3] << 24;

        k *= NGX_FUZZ_MURMUR_M;
        k = (k ^ (k >> 24)) * NGX_FUZZ_MURMUR_M;

        h = (h * NGX_FUZZ_MURMUR_M) ^ k;
    }

    if (tail != 0) {
        for (i = tail; i > 0; i--) {
            h ^= (uint32_t) data[i - 1] << (8 * (i - 1));
        }

        h *= NGX_FUZZ_MURMUR_M;
    }

    h = (h ^ (h >> 13)) * NGX_FUZZ_MURMUR_M;

    return h ^ (h >> 15);
}
