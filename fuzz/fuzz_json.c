
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The streaming JSON tokenizer of ngx_http_dynamo_json.c, with a handler
 * that checks every event and uses the tokenizer's options as the
 * fuzzer chooses: values captured or not, containers muted, a raw capture
 * of the top-level value, an abort at some event.
 *
 * Input: four bytes of settings, then the JSON text.
 *
 *   byte 0  bit 0     capture values from the start
 *           bit 1     toggle the capture at every key
 *           bit 2     arm a raw capture of the top-level value
 *           bits 4-6  mute every container starting at that depth (0: no)
 *   byte 1  the raw capture's buffer: n * 16 bytes; 255: as long as the text
 *   byte 2  the handler refuses the n-th event (0: never)
 *   byte 3  where the text is cut in two: n / 255 of it
 *
 * The text is fed whole, in two pieces, and byte by byte when short: the
 * events, values, result, error and offset must be the same.  Checked in
 * every event: depth within bounds and matching the open containers,
 * keys only in objects, kept values within bounds, truncated exactly when
 * cut, cut at a UTF-8 boundary, nothing delivered inside a muted
 * container.  Against jansson: the tokenizer accepts a text exactly when
 * jansson does (but for what jansson cannot represent: nesting deeper
 * than the tokenizer's bound, numbers overflowing a double or an
 * integer, a key holding "\u0000"; a NUL byte, which jansson takes for
 * white space between tokens), and a raw capture parses to the same
 * value as the text.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo_json.h"
#include "ngx_fuzz.h"

#include <jansson.h>


typedef struct {
    uint64_t                     hash;
    ngx_uint_t                   events;
    ngx_uint_t                   toggle;
    ngx_uint_t                   mute_depth;
    ngx_uint_t                   muted;
    ngx_uint_t                   abort_at;
    ngx_uint_t                   max_depth;
} fuzz_trace_t;


typedef struct {
    ngx_int_t                    rc;
    const char                  *error;
    off_t                        offset;
    uint64_t                     hash;
    ngx_uint_t                   events;
    ngx_uint_t                   raw_done;
    ngx_uint_t                   raw_overflow;
    size_t                       raw_len;
    u_char                      *raw;
    ngx_uint_t                   max_depth;
} fuzz_result_t;


static void
fuzz_mix(fuzz_trace_t *t, const void *p, size_t len)
{
    const u_char  *c;

    for (c = p; len; len--, c++) {
        t->hash ^= *c;
        t->hash *= 0x100000001b3ULL;
    }
}


/* is p[0 .. len) well-formed UTF-8 (NUL bytes allowed) */

static ngx_uint_t
fuzz_utf8(u_char *p, size_t len)
{
    u_char  c, lo, hi;
    size_t  i, n;

    for (i = 0; i < len; i++) {
        c = p[i];

        if (c < 0x80) {
            continue;
        }

        lo = 0x80;
        hi = 0xbf;

        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            lo = (c == 0xe0) ? 0xa0 : 0x80;
            hi = (c == 0xed) ? 0x9f : 0xbf;

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            lo = (c == 0xf0) ? 0x90 : 0x80;
            hi = (c == 0xf4) ? 0x8f : 0xbf;

        } else {
            return 0;
        }

        if (len - i - 1 < n || p[i + 1] < lo || p[i + 1] > hi) {
            return 0;
        }

        for (i++, n--; n; n--) {
            if (p[++i] < 0x80 || p[i] > 0xbf) {
                return 0;
            }
        }
    }

    return 1;
}


static ngx_int_t
fuzz_event(ngx_http_dynamo_json_t *js, ngx_uint_t event)
{
    fuzz_trace_t  *t = js->data;

    uint64_t    v[5];
    ngx_uint_t  d;

    t->events++;
    d = js->depth;

    ngx_fuzz_assert(event >= NGX_HTTP_DYNAMO_JSON_OBJECT_START
                    && event <= NGX_HTTP_DYNAMO_JSON_NULL, "event %lu",
                    (unsigned long) event);

    ngx_fuzz_assert(d <= NGX_HTTP_DYNAMO_JSON_MAX_DEPTH, "depth %lu",
                    (unsigned long) d);

    t->max_depth = ngx_max(t->max_depth, d);

    /* nothing inside a muted container but its end */

    if (t->muted) {
        ngx_fuzz_assert(d == t->muted
                        && (event == NGX_HTTP_DYNAMO_JSON_OBJECT_END
                            || event == NGX_HTTP_DYNAMO_JSON_ARRAY_END),
                        "event %lu at depth %lu inside a container muted "
                        "at depth %lu", (unsigned long) event,
                        (unsigned long) d, (unsigned long) t->muted);
        t->muted = 0;
    }

    switch (event) {

    case NGX_HTTP_DYNAMO_JSON_OBJECT_START:
    case NGX_HTTP_DYNAMO_JSON_OBJECT_END:
        ngx_fuzz_assert(d >= 1 && js->kind[d] == '{', "object at depth %lu",
                        (unsigned long) d);
        break;

    case NGX_HTTP_DYNAMO_JSON_ARRAY_START:
    case NGX_HTTP_DYNAMO_JSON_ARRAY_END:
        ngx_fuzz_assert(d >= 1 && js->kind[d] == '[', "array at depth %lu",
                        (unsigned long) d);
        break;

    case NGX_HTTP_DYNAMO_JSON_KEY:
        ngx_fuzz_assert(d >= 1 && js->kind[d] == '{', "a key outside an "
                        "object");
        break;

    default:
        ngx_fuzz_assert(d == 0 || js->kind[d] == '{' || js->kind[d] == '[',
                        "a scalar in no container");
    }

    v[0] = event;
    v[1] = d;
    v[2] = js->index[d];
    v[3] = js->length;
    v[4] = 0;

    fuzz_mix(t, v, sizeof(v[0]) * 3);

    if (event == NGX_HTTP_DYNAMO_JSON_KEY
        || event == NGX_HTTP_DYNAMO_JSON_STRING
        || event == NGX_HTTP_DYNAMO_JSON_NUMBER)
    {
        fuzz_mix(t, &v[3], sizeof(v[3]));

        /* kept: keys always, values when captured (not known here) */

        if (event == NGX_HTTP_DYNAMO_JSON_KEY || js->len) {
            ngx_fuzz_assert(js->len <= NGX_HTTP_DYNAMO_JSON_VALUE_MAX
                            && js->len <= js->length
                            && js->truncated == (js->len < js->length),
                            "a value of %zu bytes kept of %zu, "
                            "truncated %u", js->len, js->length,
                            (unsigned) js->truncated);

            ngx_fuzz_assert(fuzz_utf8(js->value, js->len),
                            "a value cut inside a UTF-8 character");

            v[4] = js->len;
            fuzz_mix(t, &v[4], sizeof(v[4]));
            fuzz_mix(t, js->value, js->len);
        }

        if (event == NGX_HTTP_DYNAMO_JSON_KEY) {
            ngx_fuzz_assert(js->len == js->length || js->truncated,
                            "a key not kept");

            if (t->toggle) {
                js->capture = !js->capture;
            }
        }
    }

    if (t->mute_depth
        && d == t->mute_depth
        && (event == NGX_HTTP_DYNAMO_JSON_OBJECT_START
            || event == NGX_HTTP_DYNAMO_JSON_ARRAY_START))
    {
        ngx_http_dynamo_json_skip(js);
        t->muted = d;
    }

    if (t->abort_at && t->events == t->abort_at) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* pieces of exactly their size: reading past one is caught */

static ngx_int_t
fuzz_feed(ngx_http_dynamo_json_t *js, const uint8_t *p, size_t len)
{
    u_char     *copy;
    ngx_int_t   rc;

    copy = ngx_fuzz_copy(p, len);

    rc = ngx_http_dynamo_json_feed(js, copy, copy + len);

    free(copy);

    return rc;
}


static void
fuzz_run(const uint8_t *opt, const uint8_t *data, size_t size, size_t split,
    fuzz_result_t *res)
{
    size_t                   i, raw_size;
    ngx_int_t                rc;
    fuzz_trace_t             t;
    ngx_http_dynamo_json_t  *js;

    js = malloc(sizeof(ngx_http_dynamo_json_t));
    ngx_fuzz_assert(js != NULL, "malloc");

    ngx_memzero(&t, sizeof(fuzz_trace_t));
    t.hash = 0xcbf29ce484222325ULL;
    t.toggle = opt[0] & 2;
    t.mute_depth = (opt[0] >> 4) & 7;
    t.abort_at = opt[2];

    ngx_http_dynamo_json_init(js, fuzz_event, &t);

    js->capture = opt[0] & 1;

    res->raw = NULL;

    if (opt[0] & 4) {
        raw_size = (opt[1] == 255) ? size : (size_t) opt[1] * 16;

        res->raw = malloc(raw_size ? raw_size : 1);
        ngx_fuzz_assert(res->raw != NULL, "malloc");

        ngx_http_dynamo_json_raw(js, res->raw, raw_size);
    }

    rc = NGX_OK;

    if (split == 1) {
        for (i = 0; i < size && rc == NGX_OK; i++) {
            rc = fuzz_feed(js, data + i, 1);
        }

    } else {
        split = (split == 0) ? size : split - 2;

        rc = fuzz_feed(js, data, split);

        if (rc == NGX_OK) {
            rc = fuzz_feed(js, data + split, size - split);
        }
    }

    if (rc == NGX_OK) {
        rc = ngx_http_dynamo_json_finish(js);
    }

    ngx_fuzz_assert(rc == NGX_OK || rc == NGX_ERROR, "answered %ld",
                    (long) rc);

    if (rc == NGX_ERROR) {
        ngx_fuzz_assert(js->error != NULL, "an error without a reason");
        ngx_fuzz_assert(js->offset >= 0 && js->offset <= (off_t) size,
                        "an error at offset %lld of %zu",
                        (long long) js->offset, size);
    }

    res->rc = rc;
    res->error = (rc == NGX_ERROR) ? js->error : NULL;
    res->offset = (rc == NGX_ERROR) ? js->offset : 0;
    res->hash = t.hash;
    res->events = t.events;
    res->raw_done = js->raw_done;
    res->raw_overflow = js->raw_overflow;
    res->raw_len = js->raw_len;
    res->max_depth = t.max_depth;

    free(js);
}


static void
fuzz_same(fuzz_result_t *a, fuzz_result_t *b, const char *how)
{
    ngx_fuzz_assert(a->rc == b->rc && a->error == b->error
                    && a->offset == b->offset,
                    "fed %s: %ld \"%s\" at %lld, whole: %ld \"%s\" at %lld",
                    how, (long) b->rc, b->error ? b->error : "",
                    (long long) b->offset, (long) a->rc,
                    a->error ? a->error : "", (long long) a->offset);

    ngx_fuzz_assert(a->events == b->events && a->hash == b->hash,
                    "fed %s: %lu events, whole: %lu, or other values", how,
                    (unsigned long) b->events, (unsigned long) a->events);

    /* the captured length means something once the capture is done */

    ngx_fuzz_assert(a->raw_done == b->raw_done
                    && (!a->raw_done
                        || (a->raw_overflow == b->raw_overflow
                            && (a->raw_overflow
                                || (a->raw_len == b->raw_len
                                    && ngx_memcmp(a->raw, b->raw,
                                                  a->raw_len) == 0)))),
                    "fed %s: another raw capture", how);
}


/* what jansson says of the same text */

static void
fuzz_jansson(const uint8_t *opt, const uint8_t *data, size_t size,
    fuzz_result_t *res)
{
    json_t        *j, *raw;
    json_error_t   err;

    j = json_loadb((const char *) data, size,
                   JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);

    /* jansson takes a NUL byte between tokens for white space: not JSON */

    if (opt[2] == 0 && memchr(data, '\0', size) == NULL) {
        if (j != NULL && res->rc != NGX_OK) {
            ngx_fuzz_assert(res->error != NULL
                            && strcmp(res->error, "nesting too deep") == 0,
                            "jansson accepts what the tokenizer refuses: "
                            "%s at %lld", res->error ? res->error : "",
                            (long long) res->offset);
        }

        if (j == NULL && res->rc == NGX_OK) {
            ngx_fuzz_assert(strstr(err.text, "too big") != NULL
                            || strstr(err.text, "overflow") != NULL
                            || strstr(err.text, "maximum") != NULL
                            || strstr(err.text, "NUL byte in object key")
                               != NULL,
                            "the tokenizer accepts what jansson refuses: "
                            "%s (line %d, column %d)", err.text, err.line,
                            err.column);
        }
    }

    if (j != NULL && res->rc == NGX_OK && res->raw != NULL
        && res->raw_done && !res->raw_overflow)
    {
        raw = json_loadb((const char *) res->raw, res->raw_len,
                         JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);

        ngx_fuzz_assert(raw != NULL && json_equal(j, raw),
                        "the raw capture \"%.*s\" is another value",
                        (int) res->raw_len, res->raw);

        json_decref(raw);
    }

    json_decref(j);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          split;
    const uint8_t  *opt;
    fuzz_result_t   whole, cut, bytes;

    if (size < 4) {
        return -1;
    }

    opt = data;
    data += 4;
    size -= 4;

    split = size * opt[3] / 255;

    fuzz_run(opt, data, size, 0, &whole);
    fuzz_run(opt, data, size, split + 2, &cut);
    fuzz_same(&whole, &cut, "in two pieces");

    if (size <= 256) {
        fuzz_run(opt, data, size, 1, &bytes);
        fuzz_same(&whole, &bytes, "byte by byte");
        free(bytes.raw);
    }

    fuzz_jansson(opt, data, size, &whole);

    free(whole.raw);
    free(cut.raw);

    return 0;
}
