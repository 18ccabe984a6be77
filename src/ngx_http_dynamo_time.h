
/*
 * Copyright (C) The ngx_dynamo authors
 */


/*
 * Clocks and the calendar, in one place: the module's two clocks (nginx's
 * cached milliseconds, the wall clock in nanoseconds), the dates it writes
 * (X-Amz-Date, ISO 8601 in refusals and the error log) and the ISO 8601
 * dates it reads (the Expiration of credentials).  Dates are UTC; the
 * seconds since 1970 are turned into a calendar date by nginx's own
 * ngx_gmtime().  A leaf like sigv4.h: nothing of ngx_http is needed.
 */


#ifndef _NGX_HTTP_DYNAMO_TIME_H_INCLUDED_
#define _NGX_HTTP_DYNAMO_TIME_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* "YYYYMMDDTHHMMSSZ" and "YYYY-MM-DDTHH:MM:SSZ" */
#define NGX_HTTP_DYNAMO_TIME_AMZ_LEN      16
#define NGX_HTTP_DYNAMO_TIME_ISO8601_LEN  20


/* nginx's cached time, in milliseconds: leases, cool-downs */
ngx_msec_t ngx_http_dynamo_time_ms(void);

/* the wall clock in nanoseconds, read now: the times of the record */
uint64_t ngx_http_dynamo_time_ns(void);

/* writes the n lowest decimal digits of v, zeros in front; their end */
u_char *ngx_http_dynamo_time_digits(u_char *p, uint64_t v, ngx_uint_t n);

/* writes "YYYYMMDDTHHMMSSZ" (16 bytes), returns its end */
u_char *ngx_http_dynamo_time_amz_date(u_char *buf, time_t t);

/* writes "YYYY-MM-DDTHH:MM:SSZ" and a NUL (21 bytes), returns the NUL */
u_char *ngx_http_dynamo_time_iso8601(u_char *buf, time_t t);

/*
 * YYYY-MM-DD[Tt ]hh:mm:ss[.fraction][Z|z|+hh[:]mm|-hh[:]mm|+hh|-hh],
 * the year from 1970, the fraction dropped; NGX_OK and *t, the seconds
 * since 1970 (at most max), or NGX_ERROR
 */
ngx_int_t ngx_http_dynamo_time_parse_iso8601(u_char *p, u_char *last,
    int64_t max, time_t *t);


#endif /* _NGX_HTTP_DYNAMO_TIME_H_INCLUDED_ */
