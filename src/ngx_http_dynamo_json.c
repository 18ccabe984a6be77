
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * The incremental JSON tokenizer: one state machine that takes the text a
 * byte at a time, in pieces split anywhere, as nginx's request line parser
 * does; strings and numbers have scanners of their own, and runs of plain
 * string bytes are found several at a time.  Nesting is tracked in arrays,
 * never by recursion.  See ngx_http_dynamo_json.h for the interface.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo_json.h"


/*
 * The states.  Those up to sw_done are between tokens, where whitespace
 * may come; the string's and the number's are those of their own
 * scanners, and the names of a number's say what was read last.
 * sw_string_end and sw_number_end are only seen by the loop that called
 * the scanner, in the same turn: the token has ended.
 */

enum {
    sw_value = 0,
    sw_value_or_end,
    sw_key_or_end,
    sw_key,
    sw_colon,
    sw_after_value,
    sw_done,
    sw_literal,
    sw_string,
    sw_utf8,
    sw_escape,
    sw_uhex,
    sw_low_backslash,
    sw_low_u,
    sw_string_end,
    sw_number,
    sw_minus,
    sw_zero,
    sw_int,
    sw_dot,
    sw_frac,
    sw_exp,
    sw_exp_sign,
    sw_exp_digits,
    sw_number_end,
    sw_error
};


/* byte classes inside a string */

#define NGX_HTTP_DYNAMO_JSON_PLAIN      0
#define NGX_HTTP_DYNAMO_JSON_QUOTE      1
#define NGX_HTTP_DYNAMO_JSON_BACKSLASH  2
#define NGX_HTTP_DYNAMO_JSON_CONTROL    3
#define NGX_HTTP_DYNAMO_JSON_LEAD_MIN   4   /* 4 .. 10: UTF-8 lead bytes */
#define NGX_HTTP_DYNAMO_JSON_LEAD_MAX   10
#define NGX_HTTP_DYNAMO_JSON_INVALID    11


static const u_char  ngx_http_dynamo_json_class[256] = {
     3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  /* 00 */
     3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  /* 10 */
     0,  0,  1,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 20 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 30 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 40 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  2,  0,  0,  0,  /* 50 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 60 */
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 70 */
    11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,  /* 80 */
    11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,  /* 90 */
    11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,  /* A0 */
    11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,  /* B0 */
    11, 11,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  /* C0 */
     4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  /* D0 */
     5,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  6,  7,  6,  6,  /* E0 */
     8,  9,  9,  9, 10, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11   /* F0 */
};


/*
 * For each lead class: how many continuation bytes follow, and the range
 * of the first one (which rules out overlongs, surrogates and code points
 * above U+10FFFF); the others are always 80 .. BF.
 */

typedef struct {
    u_char                       need;
    u_char                       lo;
    u_char                       hi;
} ngx_http_dynamo_json_lead_t;


static const ngx_http_dynamo_json_lead_t  ngx_http_dynamo_json_leads[] = {
    { 1, 0x80, 0xbf },          /* C2 .. DF */
    { 2, 0xa0, 0xbf },          /* E0 */
    { 2, 0x80, 0xbf },          /* E1 .. EC, EE, EF */
    { 2, 0x80, 0x9f },          /* ED */
    { 3, 0x90, 0xbf },          /* F0 */
    { 3, 0x80, 0xbf },          /* F1 .. F3 */
    { 3, 0x80, 0x8f }           /* F4 */
};


#define ngx_http_dynamo_json_ws(c)                                            \
    ((c) == ' ' || (c) == '\n' || (c) == '\r' || (c) == '\t')
#define ngx_http_dynamo_json_digit(c)  ((c) >= '0' && (c) <= '9')


static void ngx_http_dynamo_json_start(ngx_http_dynamo_json_t *js,
    ngx_uint_t key);
static void ngx_http_dynamo_json_literal(ngx_http_dynamo_json_t *js,
    u_char c);
static ngx_int_t ngx_http_dynamo_json_open(ngx_http_dynamo_json_t *js,
    u_char c);
static ngx_int_t ngx_http_dynamo_json_close(ngx_http_dynamo_json_t *js,
    u_char *raw, u_char *p);
static ngx_int_t ngx_http_dynamo_json_scalar(ngx_http_dynamo_json_t *js,
    ngx_uint_t event, u_char *raw, u_char *p);
static void ngx_http_dynamo_json_next(ngx_http_dynamo_json_t *js);
static ngx_int_t ngx_http_dynamo_json_string_end(ngx_http_dynamo_json_t *js,
    u_char *raw, u_char *p);
static u_char *ngx_http_dynamo_json_string(ngx_http_dynamo_json_t *js,
    u_char *p, u_char *last);
static u_char *ngx_http_dynamo_json_number(ngx_http_dynamo_json_t *js,
    u_char *p, u_char *last);
static u_char *ngx_http_dynamo_json_fail(ngx_http_dynamo_json_t *js,
    u_char *p, const char *error);
static ngx_int_t ngx_http_dynamo_json_emit(ngx_http_dynamo_json_t *js,
    ngx_uint_t event);
static void ngx_http_dynamo_json_put(ngx_http_dynamo_json_t *js, u_char *s,
    size_t n);
static void ngx_http_dynamo_json_put_code(ngx_http_dynamo_json_t *js,
    uint32_t cp);
static u_char *ngx_http_dynamo_json_escape(u_char *p, u_char *src,
    u_char *last);
static u_char *ngx_http_dynamo_json_control(u_char *p, u_char ch);
static ngx_int_t ngx_http_dynamo_json_utf8(u_char *p, u_char *last);
static void ngx_http_dynamo_json_raw_add(ngx_http_dynamo_json_t *js,
    u_char *from, u_char *to);


void
ngx_http_dynamo_json_init(ngx_http_dynamo_json_t *js,
    ngx_http_dynamo_json_handler_pt handler, void *data)
{
    /*
     * all of it: a block reused from one request to the next keeps no
     * value of the last one, whatever the order of its fields
     */

    ngx_memzero(js, sizeof(ngx_http_dynamo_json_t));

    js->handler = handler;
    js->data = data;
    js->state = sw_value;
}


ngx_int_t
ngx_http_dynamo_json_feed(ngx_http_dynamo_json_t *js, u_char *p,
    u_char *last)
{
    u_char  c, *start, *raw;

    if (js->state == sw_error) {
        return NGX_ERROR;
    }

    start = p;
    raw = p;

    while (p < last) {

        c = *p;

        if (c <= ' ' && js->state <= sw_done && ngx_http_dynamo_json_ws(c)) {

            /* between tokens: whitespace is left out of a raw capture */

            if (js->raw_active) {
                ngx_http_dynamo_json_raw_add(js, raw, p);
            }

            do {
                p++;
            } while (p < last && ngx_http_dynamo_json_ws(*p));

            raw = p;

            if (p == last) {
                break;
            }

            c = *p;
        }

        switch (js->state) {

        case sw_value_or_end:

            if (c == ']') {
                p++;

                if (ngx_http_dynamo_json_close(js, raw, p) != NGX_OK) {
                    goto failed;
                }

                break;
            }

            /* fall through */

        case sw_value:

            js->started = 1;

            if (js->raw_armed) {
                js->raw_armed = 0;
                js->raw_active = 1;
                js->raw_depth = js->depth;
                raw = p;
            }

            switch (c) {

            case '{':
            case '[':

                if (ngx_http_dynamo_json_open(js, c) != NGX_OK) {
                    goto failed;
                }

                p++;
                break;

            case '"':
                ngx_http_dynamo_json_start(js, 0);
                js->state = sw_string;
                p++;
                break;

            case '-':
            case '0': case '1': case '2': case '3': case '4':
            case '5': case '6': case '7': case '8': case '9':
                ngx_http_dynamo_json_start(js, 0);
                js->state = sw_number;
                break;

            case 't':
            case 'f':
            case 'n':
                ngx_http_dynamo_json_literal(js, c);
                js->state = sw_literal;
                p++;
                break;

            default:
                js->error = "unexpected character";
                goto failed;
            }

            break;

        case sw_colon:

            if (c != ':') {
                js->error = "unexpected character";
                goto failed;
            }

            js->state = sw_value;
            p++;
            break;

        case sw_after_value:

            if (c == ',') {
                js->state = (js->kind[js->depth] == '{') ? sw_key : sw_value;
                p++;
                break;
            }

            if (c == (js->kind[js->depth] == '{' ? '}' : ']')) {
                p++;

                if (ngx_http_dynamo_json_close(js, raw, p) != NGX_OK) {
                    goto failed;
                }

                break;
            }

            js->error = "unexpected character";
            goto failed;

        case sw_done:
            js->error = "trailing characters";
            goto failed;

        case sw_literal:

            if (c != *js->lit) {
                js->error = "invalid literal";
                goto failed;
            }

            p++;

            if (*++js->lit == '\0'
                && ngx_http_dynamo_json_scalar(js, js->lit_event, raw, p)
                   != NGX_OK)
            {
                goto failed;
            }

            break;

        case sw_key_or_end:

            if (c == '}') {
                p++;

                if (ngx_http_dynamo_json_close(js, raw, p) != NGX_OK) {
                    goto failed;
                }

                break;
            }

            /* fall through */

        case sw_key:

            if (c != '"') {
                js->error = "unexpected character";
                goto failed;
            }

            ngx_http_dynamo_json_start(js, 1);
            js->state = sw_string;
            p++;

            /* fall through */

        case sw_string:
        case sw_utf8:
        case sw_escape:
        case sw_uhex:
        case sw_low_backslash:
        case sw_low_u:

            p = ngx_http_dynamo_json_string(js, p, last);

            if (js->state == sw_error) {
                goto failed;
            }

            if (js->state == sw_string_end
                && ngx_http_dynamo_json_string_end(js, raw, p) != NGX_OK)
            {
                goto failed;
            }

            break;

        case sw_number:
        case sw_minus:
        case sw_zero:
        case sw_int:
        case sw_dot:
        case sw_frac:
        case sw_exp:
        case sw_exp_sign:
        case sw_exp_digits:

            p = ngx_http_dynamo_json_number(js, p, last);

            if (js->state == sw_error) {
                goto failed;
            }

            /* the delimiter is not part of the number, it is seen again */

            if (js->state == sw_number_end
                && ngx_http_dynamo_json_scalar(js, NGX_HTTP_DYNAMO_JSON_NUMBER,
                                               raw, p)
                   != NGX_OK)
            {
                goto failed;
            }

            break;

        default: /* sw_error */
            return NGX_ERROR;
        }
    }

    if (js->raw_active) {
        ngx_http_dynamo_json_raw_add(js, raw, p);
    }

    js->consumed += p - start;

    return NGX_OK;

failed:

    /* js->error was set by whatever failed, or by the handler */

    js->offset = js->consumed + (p - start);
    js->state = sw_error;

    return NGX_ERROR;
}


/* a key (key is 1) or a scalar value starts: nothing of it kept yet */

static void
ngx_http_dynamo_json_start(ngx_http_dynamo_json_t *js, ngx_uint_t key)
{
    js->in_key = key;
    js->copy = (js->skip == 0 && (key || js->capture));
    js->len = 0;
    js->length = 0;
    js->truncated = 0;
}


/* true, false or null starts with c: the rest of it is to come */

static void
ngx_http_dynamo_json_literal(ngx_http_dynamo_json_t *js, u_char c)
{
    if (c == 't') {
        js->lit = (const u_char *) "rue";
        js->lit_event = NGX_HTTP_DYNAMO_JSON_TRUE;

    } else if (c == 'f') {
        js->lit = (const u_char *) "alse";
        js->lit_event = NGX_HTTP_DYNAMO_JSON_FALSE;

    } else {
        js->lit = (const u_char *) "ull";
        js->lit_event = NGX_HTTP_DYNAMO_JSON_NULL;
    }
}


/* '{' or '[' at depth + 1 */

static ngx_int_t
ngx_http_dynamo_json_open(ngx_http_dynamo_json_t *js, u_char c)
{
    if (js->depth == NGX_HTTP_DYNAMO_JSON_MAX_DEPTH) {
        js->error = "nesting too deep";
        return NGX_ERROR;
    }

    js->depth++;
    js->kind[js->depth] = c;
    js->index[js->depth] = 0;

    if (c == '{') {
        js->state = sw_key_or_end;
        return ngx_http_dynamo_json_emit(js,
                                         NGX_HTTP_DYNAMO_JSON_OBJECT_START);
    }

    js->state = sw_value_or_end;

    return ngx_http_dynamo_json_emit(js, NGX_HTTP_DYNAMO_JSON_ARRAY_START);
}


/* the container at js->depth has ended, p is past its bracket */

static ngx_int_t
ngx_http_dynamo_json_close(ngx_http_dynamo_json_t *js, u_char *raw,
    u_char *p)
{
    ngx_uint_t  event;

    if (js->raw_active && js->depth == js->raw_depth + 1) {
        ngx_http_dynamo_json_raw_add(js, raw, p);
        js->raw_active = 0;
        js->raw_done = 1;
    }

    event = (js->kind[js->depth] == '{') ? NGX_HTTP_DYNAMO_JSON_OBJECT_END
                                         : NGX_HTTP_DYNAMO_JSON_ARRAY_END;

    if (ngx_http_dynamo_json_emit(js, event) != NGX_OK) {
        return NGX_ERROR;
    }

    js->depth--;

    ngx_http_dynamo_json_next(js);

    return NGX_OK;
}


/* a string, number or literal has ended, p is past it */

static ngx_int_t
ngx_http_dynamo_json_scalar(ngx_http_dynamo_json_t *js, ngx_uint_t event,
    u_char *raw, u_char *p)
{
    if (js->raw_active && js->depth == js->raw_depth) {
        ngx_http_dynamo_json_raw_add(js, raw, p);
        js->raw_active = 0;
        js->raw_done = 1;
    }

    if (ngx_http_dynamo_json_emit(js, event) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_dynamo_json_next(js);

    return NGX_OK;
}


/* a value has ended: what may follow it */

static void
ngx_http_dynamo_json_next(ngx_http_dynamo_json_t *js)
{
    if (js->depth == 0) {
        js->state = sw_done;
        return;
    }

    js->index[js->depth]++;
    js->state = sw_after_value;
}


/* the closing quote of a key or a string value was read, p is past it */

static ngx_int_t
ngx_http_dynamo_json_string_end(ngx_http_dynamo_json_t *js, u_char *raw,
    u_char *p)
{
    if (js->truncated) {
        js->len = ngx_http_dynamo_utf8_cut(js->value, js->len);
    }

    if (js->in_key) {
        js->state = sw_colon;
        return ngx_http_dynamo_json_emit(js, NGX_HTTP_DYNAMO_JSON_KEY);
    }

    return ngx_http_dynamo_json_scalar(js, NGX_HTTP_DYNAMO_JSON_STRING, raw,
                                       p);
}


/*
 * The inside of a string, from p on: runs of plain bytes found by
 * ngx_http_dynamo_json_scan() and kept whole, the rest a byte at a time.
 * The answer is where it stopped: at last, past the closing quote (the
 * state is then sw_string_end), or at the byte in error (sw_error, with
 * js->error set).
 */

static u_char *
ngx_http_dynamo_json_string(ngx_http_dynamo_json_t *js, u_char *p,
    u_char *last)
{
    u_char                             *s, c;
    uint32_t                            cp;
    ngx_uint_t                          cls;
    const ngx_http_dynamo_json_lead_t  *lead;

    while (p < last) {

        c = *p;

        switch (js->state) {

        case sw_string:

            s = p;
            p = ngx_http_dynamo_json_scan(p, last);

            js->length += p - s;

            if (js->copy) {
                ngx_http_dynamo_json_put(js, s, p - s);
            }

            if (p == last) {
                return p;
            }

            c = *p;
            cls = ngx_http_dynamo_json_class[c];

            if (cls == NGX_HTTP_DYNAMO_JSON_QUOTE) {
                js->state = sw_string_end;
                return p + 1;
            }

            if (cls == NGX_HTTP_DYNAMO_JSON_BACKSLASH) {
                js->state = sw_escape;
                p++;
                break;
            }

            if (cls == NGX_HTTP_DYNAMO_JSON_CONTROL) {
                return ngx_http_dynamo_json_fail(js, p,
                                                 "control character in string");
            }

            if (cls == NGX_HTTP_DYNAMO_JSON_INVALID) {
                return ngx_http_dynamo_json_fail(js, p, "invalid UTF-8");
            }

            lead = &ngx_http_dynamo_json_leads[cls
                                               - NGX_HTTP_DYNAMO_JSON_LEAD_MIN];
            js->need = lead->need;
            js->lo = lead->lo;
            js->hi = lead->hi;
            js->state = sw_utf8;

            js->length++;

            if (js->copy) {
                ngx_http_dynamo_json_put(js, p, 1);
            }

            p++;
            break;

        case sw_utf8:

            if (c < js->lo || c > js->hi) {
                return ngx_http_dynamo_json_fail(js, p, "invalid UTF-8");
            }

            js->lo = 0x80;
            js->hi = 0xbf;
            js->length++;

            if (js->copy) {
                ngx_http_dynamo_json_put(js, p, 1);
            }

            p++;

            if (--js->need == 0) {
                js->state = sw_string;
            }

            break;

        case sw_escape:

            switch (c) {
            case '"':
            case '\\':
            case '/':
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            case 't':
                c = '\t';
                break;

            case 'u':
                js->cp = 0;
                js->hex = 0;
                js->state = sw_uhex;
                p++;
                continue;

            default:
                return ngx_http_dynamo_json_fail(js, p, "invalid escape");
            }

            js->length++;

            if (js->copy) {
                ngx_http_dynamo_json_put(js, &c, 1);
            }

            js->state = sw_string;
            p++;
            break;

        case sw_uhex:

            if (c >= '0' && c <= '9') {
                cp = c - '0';

            } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
                cp = (c | 0x20) - 'a' + 10;

            } else {
                return ngx_http_dynamo_json_fail(js, p, "invalid \\u escape");
            }

            js->cp = (js->cp << 4) | cp;

            if (++js->hex < 4) {
                p++;
                break;
            }

            /* the error is at the escape's last digit */

            cp = js->cp;

            if (js->high) {
                if (cp < 0xdc00 || cp > 0xdfff) {
                    return ngx_http_dynamo_json_fail(js, p,
                                                     "invalid surrogate pair");
                }

                cp = 0x10000 + ((js->high - 0xd800) << 10) + (cp - 0xdc00);
                js->high = 0;

            } else if (cp >= 0xd800 && cp <= 0xdbff) {
                js->high = cp;
                js->state = sw_low_backslash;
                p++;
                break;

            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                return ngx_http_dynamo_json_fail(js, p,
                                                 "invalid surrogate pair");
            }

            ngx_http_dynamo_json_put_code(js, cp);
            js->state = sw_string;
            p++;
            break;

        case sw_low_backslash:

            if (c != '\\') {
                return ngx_http_dynamo_json_fail(js, p,
                                                 "invalid surrogate pair");
            }

            js->state = sw_low_u;
            p++;
            break;

        default: /* sw_low_u */

            if (c != 'u') {
                return ngx_http_dynamo_json_fail(js, p,
                                                 "invalid surrogate pair");
            }

            js->cp = 0;
            js->hex = 0;
            js->state = sw_uhex;
            p++;
            break;
        }
    }

    return p;
}


/*
 * A number, from p on, as RFC 8259's grammar has it, the state naming
 * what was read last.  The answer is where it stopped: at last, at the
 * delimiter that ends it (the state is then sw_number_end), or at the byte
 * in error (sw_error, with js->error set).
 */

static u_char *
ngx_http_dynamo_json_number(ngx_http_dynamo_json_t *js, u_char *p,
    u_char *last)
{
    u_char  c, *s;

    for (s = p; p < last; p++) {

        c = *p;

        switch (js->state) {

        case sw_number:

            /* the first character, '-' or a digit */

            if (c == '-') {
                js->state = sw_minus;

            } else {
                js->state = (c == '0') ? sw_zero : sw_int;
            }

            continue;

        case sw_minus:

            if (c == '0') {
                js->state = sw_zero;
                continue;
            }

            if (c >= '1' && c <= '9') {
                js->state = sw_int;
                continue;
            }

            break;

        case sw_int:

            if (ngx_http_dynamo_json_digit(c)) {
                continue;
            }

            /* fall through */

        case sw_zero:

            if (c == '.') {
                js->state = sw_dot;
                continue;
            }

            if (c == 'e' || c == 'E') {
                js->state = sw_exp;
                continue;
            }

            js->state = sw_number_end;
            break;

        case sw_dot:

            if (ngx_http_dynamo_json_digit(c)) {
                js->state = sw_frac;
                continue;
            }

            break;

        case sw_frac:

            if (ngx_http_dynamo_json_digit(c)) {
                continue;
            }

            if (c == 'e' || c == 'E') {
                js->state = sw_exp;
                continue;
            }

            js->state = sw_number_end;
            break;

        case sw_exp:

            if (c == '+' || c == '-') {
                js->state = sw_exp_sign;
                continue;
            }

            /* fall through */

        case sw_exp_sign:

            if (ngx_http_dynamo_json_digit(c)) {
                js->state = sw_exp_digits;
                continue;
            }

            break;

        default: /* sw_exp_digits */

            if (ngx_http_dynamo_json_digit(c)) {
                continue;
            }

            js->state = sw_number_end;
            break;
        }

        /* a delimiter, or a character no number has there */

        break;
    }

    js->length += p - s;

    if (js->copy) {
        ngx_http_dynamo_json_put(js, s, p - s);
    }

    if (p < last && js->state != sw_number_end) {
        return ngx_http_dynamo_json_fail(js, p, "invalid number");
    }

    return p;
}


/* a token's error at p: the scanners' answer */

static u_char *
ngx_http_dynamo_json_fail(ngx_http_dynamo_json_t *js, u_char *p,
    const char *error)
{
    js->error = error;
    js->state = sw_error;

    return p;
}


ngx_int_t
ngx_http_dynamo_json_finish(ngx_http_dynamo_json_t *js)
{
    switch (js->state) {

    case sw_error:
        return NGX_ERROR;

    case sw_zero:
    case sw_int:
    case sw_frac:
    case sw_exp_digits:

        if (js->depth != 0) {
            break;
        }

        /* a top-level number ends with the text */

        if (js->raw_active) {
            js->raw_active = 0;
            js->raw_done = 1;
        }

        js->state = sw_done;

        if (ngx_http_dynamo_json_emit(js, NGX_HTTP_DYNAMO_JSON_NUMBER)
            != NGX_OK)
        {
            js->offset = js->consumed;
            js->state = sw_error;
            return NGX_ERROR;
        }

        return NGX_OK;

    case sw_done:
        return NGX_OK;

    default:
        break;
    }

    js->error = js->started ? "truncated JSON" : "empty JSON text";
    js->offset = js->consumed;
    js->state = sw_error;

    return NGX_ERROR;
}


void
ngx_http_dynamo_json_skip(ngx_http_dynamo_json_t *js)
{
    if (js->skip == 0) {
        js->skip = js->depth;
    }
}


void
ngx_http_dynamo_json_raw(ngx_http_dynamo_json_t *js, u_char *buf,
    size_t size)
{
    js->raw = buf;
    js->raw_size = size;
    js->raw_len = 0;
    js->raw_armed = 1;
    js->raw_active = 0;
    js->raw_done = 0;
    js->raw_overflow = 0;
}


size_t
ngx_http_dynamo_utf8_cut(u_char *p, size_t len)
{
    size_t  i, need;

    if (len == 0) {
        return 0;
    }

    /* find the start of the last character: at most 3 bytes back */

    i = len - 1;

    while (i > 0 && len - i < 4 && (p[i] & 0xc0) == 0x80) {
        i--;
    }

    if (p[i] < 0x80) {
        return len;
    }

    if ((p[i] & 0xe0) == 0xc0) {
        need = 2;

    } else if ((p[i] & 0xf0) == 0xe0) {
        need = 3;

    } else if ((p[i] & 0xf8) == 0xf0) {
        need = 4;

    } else {
        return len;
    }

    return (i + need > len) ? i : len;
}


/*
 * A JSON string, quoted: what every string of the activity record is
 * written with.  Escaped as JSON needs, and anything but valid UTF-8
 * made U+FFFD, so that the record is always what strict parsers take.
 */

u_char *
ngx_http_dynamo_json_str(u_char *p, u_char *src, size_t len)
{
    size_t     i;
    uint32_t   head, tail;
    uint64_t   w;

    /*
     * Most strings have nothing to escape: they are looked at and copied
     * eight bytes at a time, the last eight overlapping those before,
     * and shorter ones as two overlapping halves; a string that has
     * anything to escape is written again, from its start, by the byte
     */

    *p++ = '"';

    if (len >= 8) {

        for (i = 0; i < len - 8; i += 8) {
            ngx_memcpy(&w, src + i, 8);

            if (ngx_http_dynamo_json_special8(w)) {
                goto escape;
            }

            ngx_memcpy(p + i, &w, 8);
        }

        ngx_memcpy(&w, src + len - 8, 8);

        if (ngx_http_dynamo_json_special8(w)) {
            goto escape;
        }

        ngx_memcpy(p + len - 8, &w, 8);

    } else if (len >= 4) {
        ngx_memcpy(&head, src, 4);
        ngx_memcpy(&tail, src + len - 4, 4);

        w = ((uint64_t) head << 32) | tail;

        if (ngx_http_dynamo_json_special8(w)) {
            goto escape;
        }

        ngx_memcpy(p, &head, 4);
        ngx_memcpy(p + len - 4, &tail, 4);

    } else if (len) {
        goto escape;
    }

    p += len;
    *p++ = '"';

    return p;

escape:

    p = ngx_http_dynamo_json_escape(p, src, src + len);
    *p++ = '"';

    return p;
}


/*
 * What the fast path above leaves: escapes, and UTF-8 checked strictly.
 * A valid character is copied as it is; what is not valid UTF-8 is
 * written as U+FFFD, one for each maximal subpart (Unicode's "best
 * practice", which Python's and browsers' decoders follow): the record
 * stays valid UTF-8 and JSON, and still shows that something was there.
 */

static u_char *
ngx_http_dynamo_json_escape(u_char *p, u_char *src, u_char *last)
{
    ngx_int_t  n;

    while (src < last) {

        /* plain bytes, as they are */

        while (src < last && !ngx_http_dynamo_json_special(*src)) {
            *p++ = *src++;
        }

        if (src == last) {
            break;
        }

        if (*src == '"' || *src == '\\') {
            *p++ = '\\';
            *p++ = *src++;
            continue;
        }

        if (*src < 0x80) {
            p = ngx_http_dynamo_json_control(p, *src++);
            continue;
        }

        n = ngx_http_dynamo_json_utf8(src, last);

        if (n > 0) {
            p = ngx_cpymem(p, src, n);
            src += n;
            continue;
        }

        p = ngx_cpymem(p, NGX_HTTP_DYNAMO_JSON_REPLACEMENT,
                       sizeof(NGX_HTTP_DYNAMO_JSON_REPLACEMENT) - 1);
        src += -n;
    }

    return p;
}


/*
 * A control character as JSON writes it: the five with a short escape,
 * the others as \u00XX in upper case, as nginx's ngx_escape_json() does
 */

static u_char *
ngx_http_dynamo_json_control(u_char *p, u_char ch)
{
    static u_char  hex[] = "0123456789ABCDEF";

    *p++ = '\\';

    switch (ch) {

    case '\n':
        *p++ = 'n';
        break;

    case '\r':
        *p++ = 'r';
        break;

    case '\t':
        *p++ = 't';
        break;

    case '\b':
        *p++ = 'b';
        break;

    case '\f':
        *p++ = 'f';
        break;

    default:
        *p++ = 'u';
        *p++ = '0';
        *p++ = '0';
        *p++ = hex[ch >> 4];
        *p++ = hex[ch & 0xf];
    }

    return p;
}


/*
 * The UTF-8 character that starts at p, a byte from 80 on, checked as
 * Unicode's table of well-formed byte sequences has it: no overlong form
 * (C0, C1, E0 80..9F, F0 80..8F), no surrogate (ED A0..BF), nothing above
 * U+10FFFF (F4 90.., F5..FF), continuation bytes 80..BF only.  The answer
 * is its length when it is valid; when it is not, minus the length of its
 * maximal subpart: the lead byte and the continuation bytes that could
 * still have made a character, at least one byte.
 */

static ngx_int_t
ngx_http_dynamo_json_utf8(u_char *p, u_char *last)
{
    u_char      c, lo, hi;
    ngx_int_t   i, n;

    c = *p;

    if (c < 0xc2 || c > 0xf4) {
        return -1;
    }

    lo = 0x80;
    hi = 0xbf;

    if (c < 0xe0) {
        n = 2;

    } else if (c < 0xf0) {
        n = 3;

        if (c == 0xe0) {
            lo = 0xa0;

        } else if (c == 0xed) {
            hi = 0x9f;
        }

    } else {
        n = 4;

        if (c == 0xf0) {
            lo = 0x90;

        } else if (c == 0xf4) {
            hi = 0x8f;
        }
    }

    for (i = 1; i < n; i++) {
        if (p + i == last || p[i] < lo || p[i] > hi) {
            return -i;
        }

        lo = 0x80;
        hi = 0xbf;
    }

    return n;
}


static ngx_int_t
ngx_http_dynamo_json_emit(ngx_http_dynamo_json_t *js, ngx_uint_t event)
{
    if (js->skip) {

        /* inside a muted container only its own END is delivered */

        if (js->depth != js->skip
            || (event != NGX_HTTP_DYNAMO_JSON_OBJECT_END
                && event != NGX_HTTP_DYNAMO_JSON_ARRAY_END))
        {
            return NGX_OK;
        }

        js->skip = 0;
    }

    if (js->handler == NULL) {
        return NGX_OK;
    }

    if (js->handler(js, event) != NGX_OK) {
        if (js->error == NULL) {
            js->error = "aborted by handler";
        }

        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_dynamo_json_put(ngx_http_dynamo_json_t *js, u_char *s, size_t n)
{
    size_t  room;

    room = NGX_HTTP_DYNAMO_JSON_VALUE_MAX - js->len;

    if (n > room) {
        n = room;
        js->truncated = 1;
    }

    ngx_memcpy(js->value + js->len, s, n);
    js->len += n;
}


static void
ngx_http_dynamo_json_put_code(ngx_http_dynamo_json_t *js, uint32_t cp)
{
    size_t  n;
    u_char  buf[4];

    if (cp < 0x80) {
        buf[0] = (u_char) cp;
        n = 1;

    } else if (cp < 0x800) {
        buf[0] = (u_char) (0xc0 | (cp >> 6));
        buf[1] = (u_char) (0x80 | (cp & 0x3f));
        n = 2;

    } else if (cp < 0x10000) {
        buf[0] = (u_char) (0xe0 | (cp >> 12));
        buf[1] = (u_char) (0x80 | ((cp >> 6) & 0x3f));
        buf[2] = (u_char) (0x80 | (cp & 0x3f));
        n = 3;

    } else {
        buf[0] = (u_char) (0xf0 | (cp >> 18));
        buf[1] = (u_char) (0x80 | ((cp >> 12) & 0x3f));
        buf[2] = (u_char) (0x80 | ((cp >> 6) & 0x3f));
        buf[3] = (u_char) (0x80 | (cp & 0x3f));
        n = 4;
    }

    js->length += n;

    if (js->copy) {
        ngx_http_dynamo_json_put(js, buf, n);
    }
}


static void
ngx_http_dynamo_json_raw_add(ngx_http_dynamo_json_t *js, u_char *from,
    u_char *to)
{
    size_t  n;

    n = to - from;

    if (js->raw_overflow || n == 0) {
        return;
    }

    if (n > js->raw_size - js->raw_len) {
        js->raw_overflow = 1;
        return;
    }

    ngx_memcpy(js->raw + js->raw_len, from, n);
    js->raw_len += n;
}
