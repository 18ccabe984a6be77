
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * Unit tests of the streaming JSON tokenizer.  Every input is fed whole,
 * byte by byte, and (when short) in two pieces at every split point: the
 * events, values, errors and offsets must be identical.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define TRACE_MAX  (1024 * 1024)


static ngx_uint_t  checks;


#define check(cond, ...)                                                     \
    do {                                                                      \
        checks++;                                                             \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n    ", __FILE__,        \
                    __LINE__, #cond);                                         \
            fprintf(stderr, __VA_ARGS__);                                     \
            fprintf(stderr, "\n");                                            \
            exit(1);                                                          \
        }                                                                     \
    } while (0)


typedef struct {
    char                    *out;
    size_t                   len;
    size_t                   size;
    ngx_uint_t               capture;
    ngx_uint_t               show_depth;
    ngx_uint_t               skip_key;    /* mute values of key "skip" */
    ngx_uint_t               raw_key;     /* raw-capture key "raw" */
    ngx_uint_t               abort_key;   /* refuse key "abort" */
    ngx_uint_t               next_skip;
    u_char                  *raw_buf;
    size_t                   raw_size;
} trace_t;


static void
trace_add(trace_t *t, const char *s, size_t n)
{
    if (t->len + n >= t->size) {
        fprintf(stderr, "trace overflow\n");
        exit(1);
    }

    memcpy(t->out + t->len, s, n);
    t->len += n;
    t->out[t->len] = '\0';
}


static void
trace_str(trace_t *t, const char *s)
{
    trace_add(t, s, strlen(s));
}


static void
trace_value(trace_t *t, ngx_http_dynamo_json_t *js)
{
    char    buf[16];
    size_t  i;

    for (i = 0; i < js->len; i++) {
        if (js->value[i] >= 0x20 && js->value[i] < 0x7f
            && js->value[i] != '\\')
        {
            trace_add(t, (char *) &js->value[i], 1);

        } else {
            snprintf(buf, sizeof(buf), "\\x%02x", js->value[i]);
            trace_str(t, buf);
        }
    }

    if (js->truncated || js->len != js->length) {
        snprintf(buf, sizeof(buf), "~%lu%s", (unsigned long) js->length,
                 js->truncated ? "T" : "");
        trace_str(t, buf);
    }
}


static ngx_int_t
trace_handler(ngx_http_dynamo_json_t *js, ngx_uint_t event)
{
    trace_t  *t = js->data;
    char      buf[64];

    if (t->show_depth) {
        snprintf(buf, sizeof(buf), "%lu:", (unsigned long) js->depth);
        trace_str(t, buf);
    }

    if (t->raw_buf != NULL && js->raw_done) {
        trace_str(t, "<raw ");

        if (js->raw_overflow) {
            trace_str(t, "overflow");

        } else {
            trace_add(t, (char *) t->raw_buf, js->raw_len);
        }

        trace_str(t, ">");
        js->raw_done = 0;
    }

    switch (event) {

    case NGX_HTTP_DYNAMO_JSON_OBJECT_START:
        trace_str(t, "{");

        if (t->next_skip) {
            t->next_skip = 0;
            ngx_http_dynamo_json_skip(js);
            trace_str(t, "(skip)");
        }

        break;

    case NGX_HTTP_DYNAMO_JSON_ARRAY_START:
        trace_str(t, "[");

        if (t->next_skip) {
            t->next_skip = 0;
            ngx_http_dynamo_json_skip(js);
            trace_str(t, "(skip)");
        }

        break;

    case NGX_HTTP_DYNAMO_JSON_OBJECT_END:
        snprintf(buf, sizeof(buf), "}%lu ",
                 (unsigned long) js->index[js->depth]);
        trace_str(t, buf);
        break;

    case NGX_HTTP_DYNAMO_JSON_ARRAY_END:
        snprintf(buf, sizeof(buf), "]%lu ",
                 (unsigned long) js->index[js->depth]);
        trace_str(t, buf);
        break;

    case NGX_HTTP_DYNAMO_JSON_KEY:
        trace_str(t, "k");
        trace_value(t, js);
        trace_str(t, ":");

        if (t->abort_key && js->len == 5
            && memcmp(js->value, "abort", 5) == 0)
        {
            return NGX_ERROR;
        }

        if (t->skip_key && js->len == 4 && memcmp(js->value, "skip", 4) == 0)
        {
            t->next_skip = 1;
        }

        if (t->raw_key && js->len == 3 && memcmp(js->value, "raw", 3) == 0) {
            ngx_http_dynamo_json_raw(js, t->raw_buf, t->raw_size);

            /* with skip_key too: the captured value is also muted */

            t->next_skip = t->skip_key;
        }

        break;

    case NGX_HTTP_DYNAMO_JSON_STRING:
        trace_str(t, "s");
        trace_value(t, js);
        trace_str(t, " ");
        break;

    case NGX_HTTP_DYNAMO_JSON_NUMBER:
        trace_str(t, "n");
        trace_value(t, js);
        trace_str(t, " ");
        break;

    case NGX_HTTP_DYNAMO_JSON_TRUE:
        trace_str(t, "t ");
        break;

    case NGX_HTTP_DYNAMO_JSON_FALSE:
        trace_str(t, "f ");
        break;

    case NGX_HTTP_DYNAMO_JSON_NULL:
        trace_str(t, "z ");
        break;

    default:
        trace_str(t, "?");
        break;
    }

    js->capture = t->capture;

    return NGX_OK;
}


typedef struct {
    ngx_int_t                rc;
    const char              *error;
    off_t                    offset;
    char                    *trace;
} result_t;


/*
 * Feeds the input in pieces: split 0 = whole, 1 = byte by byte,
 * n > 1 = two pieces, the first n - 2 bytes long.
 */

static void
run(trace_t *tmpl, const u_char *in, size_t len, size_t split, result_t *res)
{
    size_t                   i, n, from, to;
    u_char                  *copy;
    trace_t                  t;
    ngx_int_t                rc;
    ngx_http_dynamo_json_t  *js;

    /* separate heap copies, so that reading past a piece is caught */

    js = malloc(sizeof(ngx_http_dynamo_json_t));
    check(js != NULL, "malloc");

    /*
     * a trace is a few bytes for each byte of input at most; a megabyte
     * for each run made the sanitizers' build of this test slow
     */

    t = *tmpl;
    t.size = 16 * len + 1024;
    t.out = malloc(t.size);
    check(t.out != NULL, "malloc");
    t.out[0] = '\0';
    t.len = 0;

    ngx_http_dynamo_json_init(js, trace_handler, &t);
    js->capture = t.capture;

    rc = NGX_OK;

    if (split == 1) {
        for (i = 0; i < len && rc == NGX_OK; i++) {
            copy = malloc(1);
            check(copy != NULL, "malloc");
            copy[0] = in[i];
            rc = ngx_http_dynamo_json_feed(js, copy, copy + 1);
            free(copy);
        }

    } else {
        n = (split == 0) ? len : split - 2;

        for (i = 0; i < 2 && rc == NGX_OK; i++) {
            from = (i == 0) ? 0 : n;
            to = (i == 0) ? n : len;

            copy = malloc(to - from + 1);
            check(copy != NULL, "malloc");
            memcpy(copy, in + from, to - from);
            rc = ngx_http_dynamo_json_feed(js, copy, copy + (to - from));
            free(copy);
        }
    }

    if (rc == NGX_OK) {
        rc = ngx_http_dynamo_json_finish(js);
    }

    if (rc == NGX_OK) {
        check(js->error == NULL, "error set on success: %s", js->error);
        check(js->consumed == (off_t) len, "consumed %ld of %lu",
              (long) js->consumed, (unsigned long) len);
    }

    res->rc = rc;
    res->error = js->error;
    res->offset = js->offset;
    res->trace = t.out;

    free(js);
}


/* runs every split and checks all results are the same as the whole feed */

static void
run_all(trace_t *tmpl, const u_char *in, size_t len, result_t *res)
{
    size_t    split, last;
    result_t  r;

    run(tmpl, in, len, 0, res);

    last = (len <= 400) ? len + 2 : 1;

    for (split = 1; split <= last; split++) {
        run(tmpl, in, len, split, &r);

        check(r.rc == res->rc, "split %lu: rc %ld, whole %ld for %.*s",
              (unsigned long) split, (long) r.rc, (long) res->rc,
              (int) ngx_min(len, 200), in);
        check(strcmp(r.trace, res->trace) == 0,
              "split %lu: trace\n    %s\nwhole\n    %s",
              (unsigned long) split, r.trace, res->trace);

        if (res->rc != NGX_OK) {
            check(r.error == res->error
                  || (r.error && res->error
                      && strcmp(r.error, res->error) == 0),
                  "split %lu: error %s, whole %s", (unsigned long) split,
                  r.error, res->error);
            check(r.offset == res->offset,
                  "split %lu: offset %ld, whole %ld", (unsigned long) split,
                  (long) r.offset, (long) res->offset);
        }

        free(r.trace);
    }
}


static void
ok_t(trace_t *tmpl, const char *in, size_t len, const char *expect)
{
    result_t  r;

    run_all(tmpl, (const u_char *) in, len, &r);

    check(r.rc == NGX_OK, "%s: %s at %ld", in, r.error, (long) r.offset);
    check(strcmp(r.trace, expect) == 0, "input %s\n    got    %s\n"
          "    expect %s", in, r.trace, expect);

    free(r.trace);
}


static void
ok_s(trace_t *tmpl, const char *in, const char *expect)
{
    ok_t(tmpl, in, strlen(in), expect);
}


static void
ok(const char *in, const char *expect)
{
    trace_t  t;

    memset(&t, 0, sizeof(trace_t));
    t.capture = 1;

    ok_t(&t, in, strlen(in), expect);
}


static void
fail_n(const char *in, size_t len, const char *error, off_t offset)
{
    trace_t   t;
    result_t  r;

    memset(&t, 0, sizeof(trace_t));
    t.capture = 1;

    run_all(&t, (const u_char *) in, len, &r);

    check(r.rc == NGX_ERROR, "%.*s: accepted, trace %s", (int) len, in,
          r.trace);
    check(r.error != NULL && strcmp(r.error, error) == 0,
          "%.*s: error \"%s\", expected \"%s\"", (int) len, in, r.error,
          error);
    check(r.offset == offset, "%.*s: offset %ld, expected %ld", (int) len,
          in, (long) r.offset, (long) offset);

    free(r.trace);
}


static void
fail(const char *in, const char *error, off_t offset)
{
    fail_n(in, strlen(in), error, offset);
}


static void
test_events(void)
{
    ok("{\"a\":[1,true,false,null,\"x\",{}],\"b\":{\"c\":-1.5e+3}}",
       "{ka:[n1 t f z sx {}0 ]6 kb:{kc:n-1.5e+3 }1 }2 ");

    ok("[]", "[]0 ");
    ok("{}", "{}0 ");
    ok("[[]]", "[[]0 ]1 ");
    ok("[[1,2],[3],[]]", "[[n1 n2 ]2 [n3 ]1 []0 ]3 ");
    ok(" \t\r\n{ \"k\" \n: \t\"v\" , \"l\" : [ 1 , 2 ] } \r\n",
       "{kk:sv kl:[n1 n2 ]2 }2 ");
    ok("\"top\"", "stop ");
    ok("true", "t ");
    ok("false ", "f ");
    ok("null", "z ");
    ok("{\"\":\"\"}", "{k:s }1 ");

    /* depth as seen by the handler */
    {
        trace_t  t;

        memset(&t, 0, sizeof(trace_t));
        t.capture = 1;
        t.show_depth = 1;

        ok_s(&t, "{\"a\":[{\"b\":1}],\"c\":2}",
             "1:{1:ka:2:[3:{3:kb:3:n1 3:}1 2:]1 1:kc:1:n2 1:}2 ");

        ok_s(&t, "7", "0:n7 ");
    }
}


static void
test_strings(void)
{
    ok("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
       "s\"\\x5c/\\x08\\x0c\\x0a\\x0d\\x09 ");

    ok("\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"",
       "sA\\xc3\\xa9\\xe2\\x82\\xac\\xf0\\x9f\\x98\\x80 ");

    ok("\"a\\u0000b\"", "sa\\x00b ");
    ok("\"\\uFFFF\\uDBFF\\uDFFF\"",
       "s\\xef\\xbf\\xbf\\xf4\\x8f\\xbf\\xbf ");

    /* raw UTF-8: 2, 3 and 4 bytes, the edges of each range */
    ok("\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
       "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"",
       "s\\xc2\\x80\\xdf\\xbf\\xe0\\xa0\\x80\\xed\\x9f\\xbf\\xee\\x80\\x80"
       "\\xf0\\x90\\x80\\x80\\xf4\\x8f\\xbf\\xbf ");
    ok("[\"caf\xc3\xa9\",\"\xe2\x82\xac\",\"\xf0\x9f\x98\x80\"]",
       "[scaf\\xc3\\xa9 s\\xe2\\x82\\xac s\\xf0\\x9f\\x98\\x80 ]3 ");

    fail("\"\\x\"", "invalid escape", 2);
    fail("\"\\u12G4\"", "invalid \\u escape", 5);
    fail("\"\\ud83d\"", "invalid surrogate pair", 7);
    fail("\"\\ud83dx\"", "invalid surrogate pair", 7);
    fail("\"\\ud83d\\n\"", "invalid surrogate pair", 8);
    fail("\"\\ud83d\\u0041\"", "invalid surrogate pair", 12);
    fail("\"\\ude00\"", "invalid surrogate pair", 6);
    fail("\"\\ud83d\\ud83d\"", "invalid surrogate pair", 12);

    fail("\"a\nb\"", "control character in string", 2);
    fail("\"\t\"", "control character in string", 1);
    fail("[\"\x1f\"]", "control character in string", 2);

    /* overlongs */
    fail("\"\xc0\x80\"", "invalid UTF-8", 1);
    fail("\"\xc1\xbf\"", "invalid UTF-8", 1);
    fail("\"\xe0\x80\x80\"", "invalid UTF-8", 2);
    fail("\"\xe0\x9f\xbf\"", "invalid UTF-8", 2);
    fail("\"\xf0\x80\x80\x80\"", "invalid UTF-8", 2);
    fail("\"\xf0\x8f\xbf\xbf\"", "invalid UTF-8", 2);

    /* surrogates encoded in UTF-8 */
    fail("\"\xed\xa0\x80\"", "invalid UTF-8", 2);
    fail("\"\xed\xbf\xbf\"", "invalid UTF-8", 2);

    /* above U+10FFFF */
    fail("\"\xf4\x90\x80\x80\"", "invalid UTF-8", 2);
    fail("\"\xf5\x80\x80\x80\"", "invalid UTF-8", 1);
    fail("\"\xff\"", "invalid UTF-8", 1);

    /* truncated and stray sequences */
    fail("\"\xc3\"", "invalid UTF-8", 2);
    fail("\"\xe2\x82\"", "invalid UTF-8", 3);
    fail("\"\xf0\x9f\x98x\"", "invalid UTF-8", 4);
    fail("\"\x80\"", "invalid UTF-8", 1);
    fail("\"a\xbf\"", "invalid UTF-8", 2);
    fail("{\"k\xc3\":1}", "invalid UTF-8", 4);

    fail("\"abc", "truncated JSON", 4);
    fail("\"\\u12", "truncated JSON", 5);
    fail("\"\xe2\x82", "truncated JSON", 3);
}


/* the trace of plain bytes, as trace_value() shows them */

static char *
trace_plain(char *e, const u_char *s, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (s[i] < 0x7f) {
            *e++ = s[i];

        } else {
            e += sprintf(e, "\\x%02x", s[i]);
        }
    }

    return e;
}


/*
 * Runs of plain bytes are skipped a word at a time: one byte or sequence
 * that is not plain, or a plain byte next to one, at each offset of runs
 * of 0 .. 17, 25, 33 and 41 bytes, in a value and in a key, each fed whole,
 * byte by byte and split at every position, captured and not.  The runs
 * are made of plain bytes at the edges of their ranges.
 */

#define S(s)  (u_char *) s, sizeof(s) - 1

static void
test_plain_runs(void)
{
    char        expect[512], *e;
    u_char      run[64], in[128], *p;
    size_t      len, at, i, k, n;
    trace_t     t;
    ngx_uint_t  key, capture;

    static const u_char  fill[] = " !#[]~\x7f" "azAZ09";

    static const struct {
        u_char              *in;
        size_t               len;
        const char          *out;       /* its trace, or NULL: an error */
        size_t               length;    /* decoded */
        const char          *error;
        size_t               at;        /* of the error, from in */
    } cases[] = {
        { S("\\n"), "\\x0a", 1, NULL, 0 },
        { S("\\\\"), "\\x5c", 1, NULL, 0 },
        { S("\\\""), "\"", 1, NULL, 0 },
        { S("\\u00e9"), "\\xc3\\xa9", 2, NULL, 0 },
        { S("\xc3\xa9"), "\\xc3\\xa9", 2, NULL, 0 },
        { S("\xe2\x82\xac"), "\\xe2\\x82\\xac", 3, NULL, 0 },
        { S("\xf0\x9f\x98\x80"), "\\xf0\\x9f\\x98\\x80", 4, NULL, 0 },
        { S(" "), " ", 1, NULL, 0 },
        { S("!"), "!", 1, NULL, 0 },
        { S("#"), "#", 1, NULL, 0 },
        { S("["), "[", 1, NULL, 0 },
        { S("]"), "]", 1, NULL, 0 },
        { S("\x7f"), "\\x7f", 1, NULL, 0 },
        { S("\"x"), NULL, 0, "unexpected character", 1 },
        { S("\0"), NULL, 0, "control character in string", 0 },
        { S("\x01"), NULL, 0, "control character in string", 0 },
        { S("\n"), NULL, 0, "control character in string", 0 },
        { S("\x1f"), NULL, 0, "control character in string", 0 },
        { S("\x80"), NULL, 0, "invalid UTF-8", 0 },
        { S("\xbf"), NULL, 0, "invalid UTF-8", 0 },
        { S("\xc0\x80"), NULL, 0, "invalid UTF-8", 0 },
        { S("\xff"), NULL, 0, "invalid UTF-8", 0 },
        { S("\xc3x"), NULL, 0, "invalid UTF-8", 1 },
        { S("\\x"), NULL, 0, "invalid escape", 1 }
    };

    memset(&t, 0, sizeof(trace_t));

    for (i = 0; i < sizeof(run); i++) {
        run[i] = fill[i % (sizeof(fill) - 1)];
    }

    for (len = 0; len <= 41; len += (len < 17) ? 1 : 8) {
        for (at = 0; at <= len; at++) {
            for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
                for (key = 0; key < 2; key++) {

                    /* ["run"] or {"run":1}, the case at offset at */

                    p = in;
                    *p++ = key ? '{' : '[';
                    *p++ = '"';

                    memcpy(p, run, at);
                    p += at;
                    memcpy(p, cases[k].in, cases[k].len);
                    p += cases[k].len;
                    memcpy(p, run + at, len - at);
                    p += len - at;

                    n = key ? 4 : 2;
                    memcpy(p, key ? "\":1}" : "\"]", n);
                    n += p - in;

                    if (cases[k].out == NULL) {
                        fail_n((char *) in, n, cases[k].error,
                               2 + at + cases[k].at);
                        continue;
                    }

                    for (capture = 0; capture < 2; capture++) {
                        t.capture = capture;

                        e = expect;
                        e += sprintf(e, key ? "{k" : "[s");

                        if (key || capture) {
                            e = trace_plain(e, run, at);
                            e += sprintf(e, "%s", cases[k].out);
                            e = trace_plain(e, run + at, len - at);

                        } else {
                            e += sprintf(e, "~%lu", (unsigned long)
                                         (len + cases[k].length));
                        }

                        if (key) {
                            e += sprintf(e, capture ? ":n1 }1 "
                                                    : ":n~1 }1 ");

                        } else {
                            e += sprintf(e, " ]1 ");
                        }

                        ok_t(&t, (char *) in, n, expect);
                    }
                }
            }
        }
    }
}


static void
test_numbers(void)
{
    ok("0", "n0 ");
    ok("-0", "n-0 ");
    ok("-0.0", "n-0.0 ");
    ok("1e5", "n1e5 ");
    ok("1E+5", "n1E+5 ");
    ok("1e-05", "n1e-05 ");
    ok("-1.25e-10", "n-1.25e-10 ");
    ok("123456789012345678901234567890",
       "n123456789012345678901234567890 ");
    ok("[0,-0,10,0.5,2e0]", "[n0 n-0 n10 n0.5 n2e0 ]5 ");
    ok("{\"n\":1.5}", "{kn:n1.5 }1 ");
    ok("[1 ,2\n]", "[n1 n2 ]2 ");

    fail("01", "trailing characters", 1);
    fail("[01]", "unexpected character", 2);
    fail("1.", "truncated JSON", 2);
    fail("[1.]", "invalid number", 3);
    fail("1.e5", "invalid number", 2);
    fail(".5", "unexpected character", 0);
    fail("+1", "unexpected character", 0);
    fail("-", "truncated JSON", 1);
    fail("-a", "invalid number", 1);
    fail("--1", "invalid number", 1);
    fail("1e", "truncated JSON", 2);
    fail("1e+", "truncated JSON", 3);
    fail("[1e]", "invalid number", 3);
    fail("[1e+]", "invalid number", 4);
    fail("0x1", "trailing characters", 1);
    fail("[1x]", "unexpected character", 2);
    fail("[-]", "invalid number", 2);
    fail("[1-2]", "unexpected character", 2);
}


static void
test_literals(void)
{
    ok("[true,false,null]", "[t f z ]3 ");

    fail("tru", "truncated JSON", 3);
    fail("trUe", "invalid literal", 2);
    fail("[nul]", "invalid literal", 4);
    fail("nulll", "trailing characters", 4);
    fail("True", "unexpected character", 0);
    fail("[fals ]", "invalid literal", 5);
}


static void
test_structure(void)
{
    fail("", "empty JSON text", 0);
    fail("   \n ", "empty JSON text", 5);
    fail("{", "truncated JSON", 1);
    fail("{\"a\":", "truncated JSON", 5);
    fail("{\"a\":1", "truncated JSON", 6);
    fail("[1,", "truncated JSON", 3);
    fail("[", "truncated JSON", 1);

    fail("{} x", "trailing characters", 3);
    fail("{}{}", "trailing characters", 2);
    fail("[1] ,", "trailing characters", 4);
    fail("\"a\" \"b\"", "trailing characters", 4);

    fail("{,}", "unexpected character", 1);
    fail("{\"a\"}", "unexpected character", 4);
    fail("{\"a\":1,}", "unexpected character", 7);
    fail("[1,]", "unexpected character", 3);
    fail("[,1]", "unexpected character", 1);
    fail("[1 2]", "unexpected character", 3);
    fail("{\"a\" 1}", "unexpected character", 5);
    fail("{\"a\"::1}", "unexpected character", 5);
    fail("{1:2}", "unexpected character", 1);
    fail("{'a':2}", "unexpected character", 1);
    fail("]", "unexpected character", 0);
    fail("}", "unexpected character", 0);
    fail("[}", "unexpected character", 1);
    fail("{]", "unexpected character", 1);
    fail("[1}", "unexpected character", 2);
    fail("{\"a\":1]", "unexpected character", 6);
    fail("\xef\xbb\xbf{}", "unexpected character", 0);
    fail_n("{\"a\":1}\x00", 8, "trailing characters", 7);
}


static void
test_depth(void)
{
    char    *s;
    size_t   i, n;
    trace_t  t;

    memset(&t, 0, sizeof(trace_t));

    /* 128 nested arrays are fine, 129 are not, nor 10000 */

    s = malloc(2 * 10000 + 1);
    check(s != NULL, "malloc");

    n = NGX_HTTP_DYNAMO_JSON_MAX_DEPTH;

    for (i = 0; i < n; i++) {
        s[i] = '[';
        s[2 * n - 1 - i] = ']';
    }

    {
        result_t  r;

        run_all(&t, (u_char *) s, 2 * n, &r);
        check(r.rc == NGX_OK, "depth 128: %s", r.error);
        free(r.trace);
    }

    n = NGX_HTTP_DYNAMO_JSON_MAX_DEPTH + 1;

    for (i = 0; i < n; i++) {
        s[i] = '[';
        s[2 * n - 1 - i] = ']';
    }

    fail_n(s, 2 * n, "nesting too deep", 128);

    for (i = 0; i < 10000; i++) {
        s[i] = '[';
        s[2 * 10000 - 1 - i] = ']';
    }

    fail_n(s, 2 * 10000, "nesting too deep", 128);

    /* objects: {"a":{"a": ... */

    n = 0;

    for (i = 0; i < 200; i++) {
        memcpy(s + n, "{\"a\":", 5);
        n += 5;
    }

    fail_n(s, n, "nesting too deep", 128 * 5);

    free(s);
}


static void
test_capture(void)
{
    char     *s, expect[4096], *e;
    size_t    i, n;
    trace_t   t;

    s = malloc(8192);
    check(s != NULL, "malloc");

    /* a 2000-byte value: 1024 kept, the length known */

    n = 0;
    s[n++] = '"';

    for (i = 0; i < 2000; i++) {
        s[n++] = 'a' + i % 26;
    }

    s[n++] = '"';

    e = expect;
    *e++ = 's';

    for (i = 0; i < NGX_HTTP_DYNAMO_JSON_VALUE_MAX; i++) {
        *e++ = 'a' + i % 26;
    }

    e += sprintf(e, "~2000T ");

    memset(&t, 0, sizeof(trace_t));
    t.capture = 1;

    ok_t(&t, s, n, expect);

    /* the cut never splits a character: 1023 bytes + a 2-byte one */

    n = 0;
    s[n++] = '"';

    for (i = 0; i < 1023; i++) {
        s[n++] = 'x';
    }

    s[n++] = '\xc3';
    s[n++] = '\xa9';
    s[n++] = '"';

    e = expect;
    *e++ = 's';

    for (i = 0; i < 1023; i++) {
        *e++ = 'x';
    }

    e += sprintf(e, "~1025T ");

    ok_t(&t, s, n, expect);

    /* the same through an escape */

    n = 0;
    s[n++] = '"';

    for (i = 0; i < 1022; i++) {
        s[n++] = 'x';
    }

    n += sprintf(s + n, "\\u20ac\"");

    e = expect;
    *e++ = 's';

    for (i = 0; i < 1022; i++) {
        *e++ = 'x';
    }

    e += sprintf(e, "~1025T ");

    ok_t(&t, s, n, expect);

    /* exactly 1024 bytes: not truncated */

    n = 0;
    s[n++] = '"';

    for (i = 0; i < 1024; i++) {
        s[n++] = 'y';
    }

    s[n++] = '"';

    e = expect;
    *e++ = 's';

    for (i = 0; i < 1024; i++) {
        *e++ = 'y';
    }

    e += sprintf(e, " ");

    ok_t(&t, s, n, expect);

    /* values not captured: nothing copied, the length still known */

    t.capture = 0;

    ok_s(&t, "{\"key\":\"value\",\"n\":-12.5,\"e\":\"\\u20ac\"}",
         "{kkey:s~5 kn:n~5 ke:s~3 }3 ");

    /* keys are always captured */

    ok_s(&t, "[\"abc\",{\"def\":1}]", "[s~3 {kdef:n~1 }1 ]2 ");

    free(s);
}


static void
test_skip(void)
{
    trace_t  t;

    memset(&t, 0, sizeof(trace_t));
    t.capture = 1;
    t.skip_key = 1;

    ok_s(&t, "{\"a\":1,\"skip\":[1,2,{\"x\":[3]},\"y\"],\"b\":2}",
         "{ka:n1 kskip:[(skip)]4 kb:n2 }3 ");

    ok_s(&t, "{\"skip\":{\"skip\":{},\"c\":[]},\"d\":{}}",
         "{kskip:{(skip)}2 kd:{}0 }2 ");

    ok_s(&t, "{\"skip\":[],\"skip\":{}}",
         "{kskip:[(skip)]0 kskip:{(skip)}0 }2 ");

    /* a muted container is still validated */

    {
        result_t  r;

        run_all(&t, (u_char *) "{\"skip\":[1,2,}", 14, &r);
        check(r.rc == NGX_ERROR && strcmp(r.error, "unexpected character")
              == 0 && r.offset == 13, "skip validates: %s", r.error);
        free(r.trace);
    }
}


static void
test_raw(void)
{
    u_char   buf[64];
    trace_t  t;

    memset(&t, 0, sizeof(trace_t));
    t.capture = 1;
    t.raw_key = 1;
    t.raw_buf = buf;
    t.raw_size = sizeof(buf);

    ok_s(&t, "{\"A\":1,\"raw\": { \"TableName\" : \"t\",\n \"Units\": 1.5 } ,"
         "\"B\":2}",
         "{kA:n1 kraw:{kTableName:st kUnits:n1.5 <raw {\"TableName\":\"t\","
         "\"Units\":1.5}>}2 kB:n2 }3 ");

    ok_s(&t, "{\"raw\" : [ {\"a\" : \"x y\"} , 2 ] }",
         "{kraw:[{ka:sx y }1 n2 <raw [{\"a\":\"x y\"},2]>]2 }1 ");

    ok_s(&t, "{\"raw\": 12 }", "{kraw:<raw 12>n12 }1 ");
    ok_s(&t, "{\"raw\":12}", "{kraw:<raw 12>n12 }1 ");
    ok_s(&t, "{\"raw\":\"a\\\"b\"}", "{kraw:<raw \"a\\\"b\">sa\"b }1 ");
    ok_s(&t, "{\"raw\":null}", "{kraw:<raw null>z }1 ");
    ok_s(&t, "{\"raw\":[]}", "{kraw:[<raw []>]0 }1 ");

    /* too big: overflow, never a cut fragment */

    t.raw_size = 10;

    ok_s(&t, "{\"raw\":{\"TableName\":\"t\"}}",
         "{kraw:{kTableName:st <raw overflow>}1 }1 ");

    ok_s(&t, "{\"raw\":{\"a\":1}}",
         "{kraw:{ka:n1 <raw {\"a\":1}>}1 }1 ");

    /* raw capture and muting together */

    t.raw_size = sizeof(buf);
    t.skip_key = 1;

    ok_s(&t, "{\"raw\": {\"a\": [1, {\"b\": \"c\"}]}, \"b\": 1}",
         "{kraw:{(skip)<raw {\"a\":[1,{\"b\":\"c\"}]}>}1 kb:n1 }2 ");

    ok_s(&t, "{\"raw\": [[], {}], \"b\": 1}",
         "{kraw:[(skip)<raw [[],{}]>]2 kb:n1 }2 ");
}


static ngx_int_t
abort_handler(ngx_http_dynamo_json_t *js, ngx_uint_t event)
{
    if (event == NGX_HTTP_DYNAMO_JSON_NUMBER) {
        js->error = "numbers refused";
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
test_handler_abort(void)
{
    trace_t                  t;
    result_t                 r;
    ngx_http_dynamo_json_t   js;

    memset(&t, 0, sizeof(trace_t));
    t.abort_key = 1;

    run_all(&t, (u_char *) "{\"a\":1,\"abort\":2}", 17, &r);
    check(r.rc == NGX_ERROR && strcmp(r.error, "aborted by handler") == 0,
          "abort: %s", r.error);
    check(r.offset == 14, "abort offset %ld", (long) r.offset);
    free(r.trace);

    ngx_http_dynamo_json_init(&js, abort_handler, NULL);
    check(ngx_http_dynamo_json_feed(&js, (u_char *) "[1]", (u_char *) "[1]"
                                    + 3) == NGX_ERROR, "handler error");
    check(strcmp(js.error, "numbers refused") == 0, "handler message");

    /* once failed, always failed */

    check(ngx_http_dynamo_json_feed(&js, (u_char *) " ", (u_char *) " " + 1)
          == NGX_ERROR, "sticky error");
    check(ngx_http_dynamo_json_finish(&js) == NGX_ERROR, "sticky finish");

    /* a top-level number ends at finish, its handler may refuse it */

    ngx_http_dynamo_json_init(&js, abort_handler, NULL);
    check(ngx_http_dynamo_json_feed(&js, (u_char *) "12", (u_char *) "12"
                                    + 2) == NGX_OK, "feed 12");
    check(ngx_http_dynamo_json_finish(&js) == NGX_ERROR, "finish refused");

    /* no handler: validation only */

    ngx_http_dynamo_json_init(&js, NULL, NULL);
    check(ngx_http_dynamo_json_feed(&js, (u_char *) "{\"a\":[1]}",
                                    (u_char *) "{\"a\":[1]}" + 9) == NGX_OK,
          "no handler");
    check(ngx_http_dynamo_json_finish(&js) == NGX_OK, "no handler finish");

    /* empty pieces are harmless */

    ngx_http_dynamo_json_init(&js, NULL, NULL);
    check(ngx_http_dynamo_json_feed(&js, (u_char *) "", (u_char *) "")
          == NGX_OK, "empty piece");
    check(ngx_http_dynamo_json_finish(&js) == NGX_ERROR
          && strcmp(js.error, "empty JSON text") == 0, "empty");
}


static void
test_utf8_cut(void)
{
    check(ngx_http_dynamo_utf8_cut((u_char *) "", 0) == 0, "cut empty");
    check(ngx_http_dynamo_utf8_cut((u_char *) "abc", 3) == 3, "cut ascii");
    check(ngx_http_dynamo_utf8_cut((u_char *) "a\xc3\xa9", 3) == 3,
          "cut complete 2");
    check(ngx_http_dynamo_utf8_cut((u_char *) "a\xc3\xa9", 2) == 1,
          "cut half 2");
    check(ngx_http_dynamo_utf8_cut((u_char *) "a\xe2\x82\xac", 3) == 1,
          "cut 2 of 3");
    check(ngx_http_dynamo_utf8_cut((u_char *) "a\xe2\x82\xac", 2) == 1,
          "cut 1 of 3");
    check(ngx_http_dynamo_utf8_cut((u_char *) "a\xe2\x82\xac", 4) == 4,
          "cut 3 of 3");
    check(ngx_http_dynamo_utf8_cut((u_char *) "\xf0\x9f\x98\x80", 3) == 0,
          "cut 3 of 4");
    check(ngx_http_dynamo_utf8_cut((u_char *) "\xf0\x9f\x98\x80", 4) == 4,
          "cut 4 of 4");
    check(ngx_http_dynamo_utf8_cut((u_char *) "\xf0", 1) == 0,
          "cut lead only");
}


/* a pseudo-random document fed in random pieces: same trace as whole */

static void
test_random_pieces(void)
{
    char      *s;
    size_t     n, i, pos, piece;
    result_t   whole;
    trace_t    t, t2;
    unsigned   seed;
    ngx_int_t  rc;
    ngx_http_dynamo_json_t  *js;

    s = malloc(200000);
    check(s != NULL, "malloc");

    n = 0;
    n += sprintf(s + n, "{\"RequestItems\":{\"T\":[");

    for (i = 0; i < 500; i++) {
        n += sprintf(s + n, "%s{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":"
                     "\"id-%lu \\u00e9\xc3\xa9\\ud83d\\ude00\"},\"n\":{\"N\":"
                     "\"%lu\"},\"l\":{\"L\":[{\"BOOL\":true},{\"NULL\":true}"
                     ",-1.5e3]}}}}", i ? "," : "", (unsigned long) i,
                     (unsigned long) i * 7);
    }

    n += sprintf(s + n, "]}}");

    memset(&t, 0, sizeof(trace_t));
    t.capture = 1;

    run(&t, (u_char *) s, n, 0, &whole);
    check(whole.rc == NGX_OK, "random doc: %s", whole.error);

    seed = 12345;

    for (i = 0; i < 20; i++) {
        js = malloc(sizeof(ngx_http_dynamo_json_t));
        check(js != NULL, "malloc");

        t2 = t;
        t2.size = TRACE_MAX;
        t2.out = malloc(t2.size);
        check(t2.out != NULL, "malloc");
        t2.len = 0;
        t2.out[0] = '\0';

        ngx_http_dynamo_json_init(js, trace_handler, &t2);
        js->capture = 1;

        for (pos = 0; pos < n; pos += piece) {
            seed = seed * 1103515245 + 12345;
            piece = 1 + (seed >> 16) % 97;

            if (piece > n - pos) {
                piece = n - pos;
            }

            rc = ngx_http_dynamo_json_feed(js, (u_char *) s + pos,
                                           (u_char *) s + pos + piece);
            check(rc == NGX_OK, "random piece: %s", js->error);
        }

        check(ngx_http_dynamo_json_finish(js) == NGX_OK, "random finish");
        check(strcmp(t2.out, whole.trace) == 0, "random pieces differ");

        free(t2.out);
        free(js);
    }

    free(whole.trace);
    free(s);
}


int
main(void)
{
    test_events();
    test_strings();
    test_plain_runs();
    test_numbers();
    test_literals();
    test_structure();
    test_depth();
    test_capture();
    test_skip();
    test_raw();
    test_handler_abort();
    test_utf8_cut();
    test_random_pieces();

    printf("test_json: %lu checks passed\n", (unsigned long) checks);

    return 0;
}
