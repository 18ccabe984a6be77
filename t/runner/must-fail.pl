use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }
use Test::Nginx::Socket 'no_plan';

# Blocks that MUST fail, run by t/001-runner-fail.t as a subprocess (this
# file is outside the t/*.t glob on purpose).  Each block fails exactly
# the tests 001-runner-fail.t expects, and passes all the others.

no_shuffle();
run_tests();

__DATA__

=== TEST 1: wrong body
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- response_body
goodbye



=== TEST 2: wrong status
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- error_code: 404



=== TEST 3: missing error_log line
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- response_body
hello
--- error_log
this line is never logged



=== TEST 4: unexpected error_log line
--- request
GET /no/such/file
--- error_code: 404
--- no_error_log
[error]



=== TEST 5: response_body_like mismatch
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- response_body_like: ^bye



=== TEST 6: wrong header value
--- config
    location = /t {
        add_header X-Runner "yes";
        return 200 "hello\n";
    }
--- request
GET /t
--- response_headers
X-Runner: no



=== TEST 7: a header that must be absent is present
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- response_headers
! Server



=== TEST 8: client timeout without abort
--- config
    location = /hang {
        proxy_read_timeout 5s;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply:
--- tcp_no_close
--- request
GET /hang
--- timeout: 0.3
--- error_code:



=== TEST 9: must_die, but the configuration is fine
--- config
    location = /t {
        return 200 "hello\n";
    }
--- must_die



=== TEST 10: nginx cannot start and the block does not expect it
--- config
    location = /t {
        no_such_directive_here;
    }
--- request
GET /t



=== TEST 11: grep_error_log_out mismatch
--- config
    rewrite_log on;

    location /rw/ {
        rewrite ^/rw/(.*)$ /target/$1 last;
    }

    location /target/ {
        return 200 "target\n";
    }
--- request
GET /rw/x
--- grep_error_log eval
qr/rewritten data: "[^"]+"/
--- grep_error_log_out
rewritten data: "/elsewhere"



=== TEST 12: missing access_log line
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- access_log
GET /never-requested



=== TEST 13: must_die with another exit code
--- config
    location = /t {
        return abc def ghi;
    }
--- must_die: 2



=== TEST 14: the second of two requests has the wrong status
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request eval
["GET /t", "GET /t"]
--- error_code eval
[200, 500]



=== TEST 15: access_log with ignore_response is refused
The real runner would skip the check and pass the block.
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- ignore_response
--- access_log
GET /never-requested-either
