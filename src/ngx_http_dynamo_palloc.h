
/*
 * Copyright (C) The ngx_dynamo authors
 */


#ifndef _NGX_HTTP_DYNAMO_PALLOC_H_INCLUDED_
#define _NGX_HTTP_DYNAMO_PALLOC_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * Built with -DNGX_HTTP_DYNAMO_DEBUG_PALLOC=1 (util/build, VARIANT=asan
 * and VARIANT=memcheck), every pool allocation of the module is a heap
 * block of its own (a "large" allocation that the pool frees), so that
 * ASan and valgrind see an overrun of any of them; in a pool's shared
 * block an overrun silently corrupts whatever nginx placed next.
 * Include after ngx_core.h: the macros rename calls, not declarations.
 */

#if (NGX_HTTP_DYNAMO_DEBUG_PALLOC)

static ngx_inline void *
ngx_http_dynamo_debug_pcalloc(ngx_pool_t *pool, size_t size)
{
    void  *p;

    p = ngx_pmemalign(pool, size, NGX_ALIGNMENT);
    if (p) {
        ngx_memzero(p, size);
    }

    return p;
}

#define ngx_palloc(pool, size)   ngx_pmemalign(pool, size, NGX_ALIGNMENT)
#define ngx_pnalloc(pool, size)  ngx_pmemalign(pool, size, NGX_ALIGNMENT)
#define ngx_pcalloc(pool, size)  ngx_http_dynamo_debug_pcalloc(pool, size)

#endif


#endif /* _NGX_HTTP_DYNAMO_PALLOC_H_INCLUDED_ */
