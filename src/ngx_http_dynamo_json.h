
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * An incremental (push) JSON tokenizer, RFC 8259 strict, for bodies seen in
 * pieces by nginx body filters.  It keeps no pointer into the input and
 * allocates nothing: all its state lives in ngx_http_dynamo_json_t.
 *
 * Use:
 *
 *     ngx_http_dynamo_json_init(&js, handler, data);
 *
 *     for each piece of the body:
 *         if (ngx_http_dynamo_json_feed(&js, p, last) != NGX_OK) {
 *             js.error is a static message, js.offset the byte offset
 *         }
 *
 *     if (ngx_http_dynamo_json_finish(&js) != NGX_OK) {
 *         the text was empty, cut short, or a handler refused it
 *     }
 *
 * The handler is called once per event (OBJECT_START ... NULL) and may
 * return NGX_ERROR to abort; it may set js->error first, or "aborted by
 * handler" is reported.  While it runs:
 *
 *   - js->depth is the number of open containers; for OBJECT_START,
 *     ARRAY_START, OBJECT_END and ARRAY_END it is the depth of that
 *     container itself (1 for the top-level one), for KEY and scalars the
 *     depth of the enclosing container (0 for a top-level scalar);
 *   - js->kind[d] is '{' or '[' for each open depth d (1 .. depth);
 *   - js->index[d] is the position of the current member or element within
 *     the container at depth d, counting from 0; at the container's END
 *     event it is the number of members or elements;
 *   - for KEY, STRING and NUMBER, js->value holds the decoded value (UTF-8,
 *     may contain NUL bytes), js->len its kept length, js->length its full
 *     decoded length, js->truncated is set when len < length; a truncated
 *     value is cut at a UTF-8 character boundary.
 *
 * Keys are always kept.  A STRING or NUMBER value is kept only if
 * js->capture is set when it starts: the handler sets or clears it at any
 * event (typically at KEY, for the member's value), and it stays as set.
 * Values that are not kept are still fully validated, and js->length is
 * still their decoded length, but no byte is copied.
 *
 * ngx_http_dynamo_json_skip(js), called from an OBJECT_START or ARRAY_START
 * handler, mutes that container: no event is delivered for anything inside
 * it (it is still validated) and the container's END event is delivered,
 * with js->index[] giving the number of its members or elements.
 *
 * ngx_http_dynamo_json_raw(js, buf, size) arms a raw capture: the source
 * text of the next value to start (after a KEY, the member's value) is
 * copied into buf, whitespace outside strings dropped.  When that value's
 * last event (its END, or the scalar's event) is delivered, js->raw_done is
 * set and js->raw_len is the captured length, unless js->raw_overflow says
 * that the text did not fit in size bytes.
 *
 * Bounds: nesting NGX_HTTP_DYNAMO_JSON_MAX_DEPTH containers, values kept up
 * to NGX_HTTP_DYNAMO_JSON_VALUE_MAX bytes; input length is unbounded.
 */


#ifndef _NGX_HTTP_DYNAMO_JSON_H_INCLUDED_
#define _NGX_HTTP_DYNAMO_JSON_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#if (defined __SSE2__)
#include <emmintrin.h>
#endif


#define NGX_HTTP_DYNAMO_JSON_MAX_DEPTH     128
#define NGX_HTTP_DYNAMO_JSON_VALUE_MAX     1024


/*
 * Whether any of the eight bytes of w is not PLAIN: below 20, '"' (22),
 * '\' (5C), or 80 and above.  Such a byte b sets its high bit in
 * (b - 20) | ((b ^ 22) - 1) | ((b ^ 5C) - 1): the first term for b < 20,
 * the others for 22 and 5C, and for b >= 80 the second one, or the third
 * when b is A2.  A plain byte sets no high bit and makes no subtraction
 * borrow, so the least significant byte that is not plain sees no borrow
 * from below.  The answer, for the word as a whole, is thus exact on
 * either byte order; the byte loop then finds which byte it is.
 */

#define ngx_http_dynamo_json_bytes(b)  ((uint64_t) (b) * 0x0101010101010101ULL)

#define ngx_http_dynamo_json_special8(w)                                      \
    ((((w) - ngx_http_dynamo_json_bytes(0x20))                                \
      | (((w) ^ ngx_http_dynamo_json_bytes(0x22))                             \
         - ngx_http_dynamo_json_bytes(0x01))                                  \
      | (((w) ^ ngx_http_dynamo_json_bytes(0x5c))                             \
         - ngx_http_dynamo_json_bytes(0x01)))                                 \
     & ngx_http_dynamo_json_bytes(0x80))

#define ngx_http_dynamo_json_special(c)                                       \
    ((c) < 0x20 || (c) == '"' || (c) == '\\' || (c) >= 0x80)


/*
 * The first byte from p on that is not PLAIN, or last: where a string
 * ends, an escape starts, or UTF-8 is to be checked.  Sixteen bytes at a
 * time with SSE2 (every x86-64 has it): bytes below 20 and from 80 on
 * are those below 20 as signed; then eight at a time, then one.  It only
 * reads, and only from p to last.  Measured with callgrind on the
 * benchmark's 1 KB PutItem body: eight bytes at a time instead of sixteen
 * cost 1,460 instructions more per request, 1.5% of a gateway request,
 * and a byte at a time 11,100 (11.6%).  test_plain_runs() in
 * t/unit/test_json.c holds its answer to the byte loop's at every offset.
 */

#if (defined __SSE2__)

/* the bytes of v that are not PLAIN, as a mask of bits 0..15 */

#define ngx_http_dynamo_json_special16(v)                                     \
    ((unsigned int) _mm_movemask_epi8(                                        \
        _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),                  \
                     _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),      \
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))))))

#endif


static ngx_inline u_char *
ngx_http_dynamo_json_scan(u_char *p, u_char *last)
{
    uint64_t      w;
#if (defined __SSE2__)
    unsigned int  mask;

    while (last - p >= 16) {
        mask = ngx_http_dynamo_json_special16(
                   _mm_loadu_si128((const __m128i *) p));

        if (mask) {
            return p + __builtin_ctz(mask);
        }

        p += 16;
    }
#endif

    while (last - p >= 8) {
        ngx_memcpy(&w, p, 8);

        if (ngx_http_dynamo_json_special8(w)) {
            break;
        }

        p += 8;
    }

    while (p < last && !ngx_http_dynamo_json_special(*p)) {
        p++;
    }

    return p;
}


#define NGX_HTTP_DYNAMO_JSON_OBJECT_START  1
#define NGX_HTTP_DYNAMO_JSON_OBJECT_END    2
#define NGX_HTTP_DYNAMO_JSON_ARRAY_START   3
#define NGX_HTTP_DYNAMO_JSON_ARRAY_END     4
#define NGX_HTTP_DYNAMO_JSON_KEY           5
#define NGX_HTTP_DYNAMO_JSON_STRING        6
#define NGX_HTTP_DYNAMO_JSON_NUMBER        7
#define NGX_HTTP_DYNAMO_JSON_TRUE          8
#define NGX_HTTP_DYNAMO_JSON_FALSE         9
#define NGX_HTTP_DYNAMO_JSON_NULL          10


typedef struct ngx_http_dynamo_json_s  ngx_http_dynamo_json_t;

typedef ngx_int_t (*ngx_http_dynamo_json_handler_pt)(
    ngx_http_dynamo_json_t *js, ngx_uint_t event);


struct ngx_http_dynamo_json_s {
    ngx_http_dynamo_json_handler_pt  handler;
    void                            *data;

    const char                      *error;      /* static, or NULL */
    off_t                            offset;     /* of the error */
    off_t                            consumed;   /* bytes fed so far */

    ngx_uint_t                       depth;
    ngx_uint_t                       skip;       /* muted depth, or 0 */

    size_t                           len;        /* kept bytes of value */
    size_t                           length;     /* decoded length */

    unsigned                         capture:1;  /* keep scalar values */
    unsigned                         truncated:1;

    unsigned                         raw_armed:1;
    unsigned                         raw_active:1;
    unsigned                         raw_done:1;
    unsigned                         raw_overflow:1;

    /* private */
    unsigned                         in_key:1;
    unsigned                         copy:1;
    unsigned                         started:1;

    u_char                          *raw;
    size_t                           raw_size;
    size_t                           raw_len;
    ngx_uint_t                       raw_depth;

    ngx_uint_t                       state;
    ngx_uint_t                       lit_event;
    const u_char                    *lit;
    uint32_t                         cp;         /* \uXXXX being read */
    uint32_t                         high;       /* pending surrogate */
    u_char                           hex;        /* hex digits read */
    u_char                           need;       /* UTF-8 bytes to come */
    u_char                           lo;         /* next byte's range */
    u_char                           hi;

    u_char                           kind[NGX_HTTP_DYNAMO_JSON_MAX_DEPTH
                                          + 1];
    uint32_t                         index[NGX_HTTP_DYNAMO_JSON_MAX_DEPTH
                                           + 1];

    u_char                           value[NGX_HTTP_DYNAMO_JSON_VALUE_MAX];
};


void ngx_http_dynamo_json_init(ngx_http_dynamo_json_t *js,
    ngx_http_dynamo_json_handler_pt handler, void *data);
ngx_int_t ngx_http_dynamo_json_feed(ngx_http_dynamo_json_t *js, u_char *p,
    u_char *last);
ngx_int_t ngx_http_dynamo_json_finish(ngx_http_dynamo_json_t *js);
void ngx_http_dynamo_json_skip(ngx_http_dynamo_json_t *js);
void ngx_http_dynamo_json_raw(ngx_http_dynamo_json_t *js, u_char *buf,
    size_t size);

/*
 * src[0 .. len) as a quoted JSON string at p: the end of what is written,
 * at most ngx_http_dynamo_json_str_len(len) bytes (six for a byte, as
 * \u001F; an invalid UTF-8 byte makes three at most, U+FFFD)
 */

#define NGX_HTTP_DYNAMO_JSON_REPLACEMENT   "\xef\xbf\xbd"
#define ngx_http_dynamo_json_str_len(len)  (2 + 6 * (len))

u_char *ngx_http_dynamo_json_str(u_char *p, u_char *src, size_t len);

/* the length of p[0 .. len) cut back to a UTF-8 character boundary */

size_t ngx_http_dynamo_utf8_cut(u_char *p, size_t len);


#endif /* _NGX_HTTP_DYNAMO_JSON_H_INCLUDED_ */
