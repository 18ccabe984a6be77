
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * What the fuzz harnesses share: the controls of ngx_fuzz.c (over
 * nginx's own core, whose objects the harnesses link), and of
 * ngx_fuzz_http.c (HTTP requests, configurations and shared zones made
 * by hand for the files that need them).
 */


#ifndef _NGX_FUZZ_H_INCLUDED_
#define _NGX_FUZZ_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define ngx_fuzz_noreturn  __attribute__((noreturn))


/* the fixed "now" of every harness: 2026-01-01T00:00:00Z */
#define NGX_FUZZ_NOW  1767225600


/* a finding: the reason is printed, then abort() for libFuzzer */
#define ngx_fuzz_assert(cond, ...)                                           \
    if (!(cond)) {                                                            \
        ngx_fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);               \
    }


/*
 * libFuzzer's entry points: each harness has its own
 * LLVMFuzzerTestOneInput(); ngx_fuzz.c has an LLVMFuzzerInitialize()
 * that calls ngx_fuzz_init(), which a harness that sets more up replaces
 * with its own (calling ngx_fuzz_init() first)
 */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* core */

void ngx_fuzz_init(void);
void ngx_fuzz_fail(const char *file, int line, const char *cond,
    const char *fmt, ...) ngx_fuzz_noreturn;
ngx_log_t *ngx_fuzz_log(void);
void ngx_fuzz_set_time(time_t now);
ngx_uint_t ngx_fuzz_verbose(void);

/* the next allocation from any pool to fail: 0 never, n the n-th one */
void ngx_fuzz_fail_alloc(ngx_uint_t n);
ngx_uint_t ngx_fuzz_alloc_failed(void);

/* a shared zone for nginx's slab allocator: a budget in bytes, freeing it */
ngx_slab_pool_t *ngx_fuzz_slab_pool(size_t budget);
void ngx_fuzz_slab_reset(void);
ngx_uint_t ngx_fuzz_locks_held(void);

/*
 * a malloc()ed copy of exactly len bytes (one byte for none), so that
 * AddressSanitizer catches a read past the end of an input's piece
 */
u_char *ngx_fuzz_copy(const void *p, size_t len);

/* a file the harness rewrites for each input; its name, and its prefix */
ngx_str_t *ngx_fuzz_file(u_char *data, size_t len);
ngx_str_t *ngx_fuzz_file_dir(void);


#endif /* _NGX_FUZZ_H_INCLUDED_ */
