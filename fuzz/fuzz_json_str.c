
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * ngx_http_dynamo_json_str(), the one escaper of every string of the
 * activity record, on any bytes, with a strict oracle:
 *
 *   - it writes within ngx_http_dynamo_json_str_len() bytes (the buffer
 *     is exactly that long: AddressSanitizer sees any byte beyond), and
 *     reads nothing outside the input (a copy of exactly its length);
 *   - what it writes is valid UTF-8 to a strict decoder: no overlong
 *     form, no surrogate, nothing above U+10FFFF, continuation bytes
 *     80..BF only;
 *   - it is one JSON string (RFC 8259): a quote, characters from 20 on
 *     but the quote and the backslash, escapes, a quote, nothing after;
 *     no \u escape of a surrogate, which a strict reader refuses alone;
 *   - its value is the input read as Unicode says to replace what is
 *     not UTF-8: each valid character as it is, U+FFFD for each maximal
 *     subpart of an invalid sequence.
 *
 * The checker and the reference decoder below are written apart from the
 * code under test, and differently: the strict check decodes code points
 * and compares them with the shortest form's range; the reference finds
 * a maximal subpart by trying every way to complete a prefix.
 *
 * Input: the string, whole.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_dynamo_json.h"
#include "ngx_fuzz.h"


static size_t fuzz_utf8_length(const u_char *p, size_t left);
static ngx_uint_t fuzz_prefix_ok(const u_char *p, size_t m);
static void fuzz_strict_utf8(const u_char *p, size_t len);
static size_t fuzz_json_value(const u_char *p, size_t len, u_char *value);
static size_t fuzz_reference(const u_char *p, size_t len, u_char *value);


/*
 * The length of the well-formed character at p, or 0: its code point,
 * decoded from the bits, is at least the smallest that needs that many
 * bytes, not a surrogate, at most U+10FFFF
 */

static size_t
fuzz_utf8_length(const u_char *p, size_t left)
{
    size_t    n, i;
    uint32_t  cp;

    static const uint32_t  min[5] = { 0, 0, 0x80, 0x800, 0x10000 };

    if (p[0] < 0x80) {
        return 1;
    }

    if ((p[0] & 0xe0) == 0xc0) {
        n = 2;
        cp = p[0] & 0x1f;

    } else if ((p[0] & 0xf0) == 0xe0) {
        n = 3;
        cp = p[0] & 0x0f;

    } else if ((p[0] & 0xf8) == 0xf0) {
        n = 4;
        cp = p[0] & 0x07;

    } else {
        return 0;
    }

    if (n > left) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        cp = (cp << 6) | (p[i] & 0x3f);
    }

    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }

    return n;
}


/* whether p[0 .. m) begins some well-formed character */

static ngx_uint_t
fuzz_prefix_ok(const u_char *p, size_t m)
{
    size_t      n, i;
    u_char      buf[4];
    ngx_uint_t  k;

    for (n = m; n <= 4; n++) {

        /* the missing bytes, each 80 or BF: every way */

        for (k = 0; k < (1u << (n - m)); k++) {
            ngx_memcpy(buf, p, m);

            for (i = m; i < n; i++) {
                buf[i] = (k >> (i - m)) & 1 ? 0xbf : 0x80;
            }

            if (fuzz_utf8_length(buf, n) == n) {
                return 1;
            }
        }
    }

    return 0;
}


static void
fuzz_strict_utf8(const u_char *p, size_t len)
{
    size_t  i, n;

    for (i = 0; i < len; i += n) {
        n = fuzz_utf8_length(p + i, len - i);

        ngx_fuzz_assert(n != 0, "output not strict UTF-8 at %zu: %02x",
                        i, p[i]);
    }
}


/*
 * The value of the JSON string p[0 .. len), as UTF-8, into value; a text
 * that is not exactly one JSON string fails
 */

static size_t
fuzz_json_value(const u_char *p, size_t len, u_char *value)
{
    u_char    *v, c;
    size_t     i, k;
    uint32_t   cp;

    ngx_fuzz_assert(len >= 2 && p[0] == '"' && p[len - 1] == '"',
                    "output not quoted (%zu bytes)", len);

    v = value;

    for (i = 1; i < len - 1; i++) {
        c = p[i];

        ngx_fuzz_assert(c >= 0x20 && c != '"',
                        "raw byte %02x in the string at %zu", c, i);

        if (c != '\\') {
            *v++ = c;
            continue;
        }

        ngx_fuzz_assert(i + 1 < len - 1, "escape cut short at %zu", i);

        c = p[++i];

        switch (c) {
        case '"':
        case '\\':
        case '/':
            *v++ = c;
            break;
        case 'b':
            *v++ = '\b';
            break;
        case 'f':
            *v++ = '\f';
            break;
        case 'n':
            *v++ = '\n';
            break;
        case 'r':
            *v++ = '\r';
            break;
        case 't':
            *v++ = '\t';
            break;

        case 'u':
            ngx_fuzz_assert(i + 4 < len - 1, "\\u cut short at %zu", i);

            cp = 0;

            for (k = 1; k <= 4; k++) {
                c = p[i + k];
                cp <<= 4;

                if (c >= '0' && c <= '9') {
                    cp |= c - '0';

                } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
                    cp |= (c | 0x20) - 'a' + 10;

                } else {
                    ngx_fuzz_fail(__FILE__, __LINE__, "hex",
                                  "bad \\u escape at %zu", i);
                }
            }

            i += 4;

            ngx_fuzz_assert(cp < 0xd800 || cp > 0xdfff,
                            "\\u escape of a surrogate at %zu", i);

            /* as UTF-8: the record escapes only what must be */

            ngx_fuzz_assert(cp < 0x20, "needless \\u%04x at %zu", cp, i);

            *v++ = (u_char) cp;
            break;

        default:
            ngx_fuzz_fail(__FILE__, __LINE__, "escape",
                          "bad escape \\%c at %zu", c, i);
        }
    }

    return v - value;
}


/* the input as Unicode's replacement of maximal subparts reads it */

static size_t
fuzz_reference(const u_char *p, size_t len, u_char *value)
{
    u_char  *v;
    size_t   i, n, m;

    v = value;

    for (i = 0; i < len; i += n) {
        n = fuzz_utf8_length(p + i, len - i);

        if (n) {
            v = ngx_cpymem(v, p + i, n);
            continue;
        }

        /* the longest prefix that could still begin a character */

        n = 1;

        for (m = 3; m > 1; m--) {
            if (m <= len - i && fuzz_prefix_ok(p + i, m)) {
                n = m;
                break;
            }
        }

        v = ngx_cpymem(v, NGX_HTTP_DYNAMO_JSON_REPLACEMENT,
                       sizeof(NGX_HTTP_DYNAMO_JSON_REPLACEMENT) - 1);
    }

    return v - value;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char  *in, *out, *last, *got, *want;
    size_t   bound, got_len, want_len;

    bound = ngx_http_dynamo_json_str_len(size);

    in = malloc(size ? size : 1);
    out = malloc(bound);
    got = malloc(bound);
    want = malloc(3 * size + 1);

    if (in == NULL || out == NULL || got == NULL || want == NULL) {
        abort();
    }

    ngx_memcpy(in, data, size);

    last = ngx_http_dynamo_json_str(out, in, size);

    ngx_fuzz_assert(last >= out + 2 && last <= out + bound,
                    "wrote %td bytes, bound %zu", last - out, bound);

    fuzz_strict_utf8(out, last - out);

    got_len = fuzz_json_value(out, last - out, got);
    want_len = fuzz_reference(in, size, want);

    ngx_fuzz_assert(got_len == want_len && ngx_memcmp(got, want, got_len) == 0,
                    "value differs from the reference: %zu and %zu bytes",
                    got_len, want_len);

    free(in);
    free(out);
    free(got);
    free(want);

    return 0;
}
