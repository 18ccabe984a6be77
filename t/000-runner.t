use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket;      # planned below: skipped under the real one

# The project's own Test::Nginx::Socket runner (t/lib/fallback) tested
# against a plain nginx, one section or feature per block.  Some blocks
# rely on what only our runner does (stderr read for must_die with a
# binary logging to stderr by default, $TEST_NGINX_* in every section),
# so this file is skipped under the real Test::Nginx.

use Time::HiRes ();

if ($INC{'Test/Nginx/Socket.pm'} !~ m{/fallback/}) {
    plan skip_all => 'tests the fallback runner, not the real Test::Nginx';
}
plan 'no_plan';

$ENV{TEST_NGINX_RUNNER_WORD} = 'expanded';

our $WaitStart;

# per-block process model and repeat count, from sections of our own:
# the setters are read when a block starts, as with the real runner
add_block_preprocessor(sub {
    my $block = shift;

    if (defined $block->master_workers) {
        master_on();
        workers($block->master_workers);

    } else {
        master_off();
        workers(1);
    }

    repeat_each(defined $block->repeat ? $block->repeat : 1);
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: static file written by user_files
--- user_files
>>> hello.txt
hello, world
--- request
GET /hello.txt
--- response_body
hello, world
--- response_headers
Content-Type: text/plain
Content-Length: 13



=== TEST 2: the default root location serves index.html
--- request
GET /
--- response_body_like: It works!



=== TEST 3: error_code, and the error it logs
--- request
GET /no/such/file
--- error_code: 404
--- response_body_like: 404 Not Found
--- error_log
No such file or directory
--- no_error_log
[alert]



=== TEST 4: response_headers, present and absent
--- config
    location = /h {
        add_header X-Runner "yes";
        return 200 "headers\n";
    }
--- request
GET /h
--- response_headers
X-Runner: yes
! X-Absent
--- response_body
headers



=== TEST 5: response_headers_like and raw_response_headers_like
--- config
    location = /h {
        return 200 "headers\n";
    }
--- request
GET /h
--- response_headers_like
Server: nginx/[\d.]+
Content-Type: text/.*
--- raw_response_headers_like: ^HTTP/1\.1 200 OK\r\n



=== TEST 6: more_headers, and comments before the request line
--- config
    location = /echo-header {
        return 200 "x-test=$http_x_test ua=$http_user_agent\n";
    }
--- more_headers
X-Test: runner
User-Agent: fallback
--- request
# a comment the runner drops
GET /echo-header
--- response_body
x-test=runner ua=fallback



=== TEST 7: request body: Content-Length computed, body seen by nginx
--- http_config
    log_format runner_body 'body=$request_body';
--- config
    location = /body {
        access_log logs/access.log runner_body;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/sink;
    }
    location = /sink {
        return 200 "len=$http_content_length type=$http_content_type\n";
    }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request
POST /body
a=1&b=2
--- response_body
len=7 type=application/x-www-form-urlencoded
--- access_log
body=a=1&b=2



=== TEST 8: one request sent as two packets, the second one delayed
--- http_config
    log_format runner_body 'body=$request_body';
--- config
    location = /body {
        access_log logs/access.log runner_body;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/sink;
    }
    location = /sink {
        return 200 "len=$http_content_length\n";
    }
--- request eval
[["POST /body\nhel", { value => "lo, packets", delay_before => 0.2 }]]
--- response_body
len=14
--- access_log
body=hello, packets



=== TEST 9: chunked request body from more_headers
--- config
    location = /body {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/sink;
    }
    location = /sink {
        return 200 "len=$http_content_length\n";
    }
--- more_headers
Transfer-Encoding: chunked
--- request eval
"POST /body
5\r
hello\r
0\r
\r
"
--- response_body
len=5



=== TEST 10: several requests in sequence on the same server
--- config
    location /multi {
        return 200 "uri=$uri\n";
    }
--- request eval
["GET /multi/a", "GET /multi/b", "GET /nothing-here"]
--- error_code eval
[200, 200, 404]
--- response_body_like eval
["^uri=/multi/a\$", "^uri=/multi/b\$", "404 Not Found"]



=== TEST 11: pipelined requests on one connection
--- config
    location /pipe {
        return 200 "pipe $uri\n";
    }
--- pipelined_requests eval
["GET /pipe/1", "GET /pipe/2"]
--- error_code eval
[200, 200]
--- response_body eval
["pipe /pipe/1\n", "pipe /pipe/2\n"]



=== TEST 12: raw_request sent as it is
--- config
    location = /raw {
        return 200 "raw $server_protocol\n";
    }
--- raw_request eval
"GET /raw HTTP/1.0\r\nHost: localhost\r\n\r\n"
--- response_body
raw HTTP/1.0



=== TEST 13: raw_request packets split inside a header
--- config
    location = /raw {
        return 200 "raw $server_protocol\n";
    }
--- raw_request eval
["GET /raw HTTP/1.1\r\nHo", "st: localhost\r\nConnection: close\r\n\r\n"]
--- raw_request_middle_delay: 0.1
--- response_body
raw HTTP/1.1



=== TEST 14: malformed raw_request
--- raw_request eval
"GET /a b c d\r\n\r\n"
--- error_code: 400
--- error_log
client sent invalid request



=== TEST 15: error_log, no_error_log and grep_error_log
--- config
    rewrite_log on;

    location /rw/ {
        rewrite ^/rw/(.*)$ /target/$1 last;
    }

    location /target/ {
        return 200 "target $uri\n";
    }
--- request
GET /rw/x
--- response_body
target /target/x
--- error_log eval
['rewritten data: "/target/x"', qr/"\^\/rw\/\(\.\*\)\$" matches "\/rw\/x"/]
--- no_error_log
[error]
[alert]
--- grep_error_log eval
qr/rewritten data: "[^"]+"/
--- grep_error_log_out
rewritten data: "/target/x"



=== TEST 16: must_die: a bad directive, its message read from stderr
--- config
    location = /t {
        bogus_runner_directive on;
    }
--- must_die
--- error_log
unknown directive "bogus_runner_directive"
--- no_error_log
[alert]



=== TEST 17: must_die with the expected exit code
--- config
    location = /t {
        return abc def ghi;
    }
--- must_die: 1
--- error_log
invalid number of arguments in "return" directive



=== TEST 18: main_config and http_config
--- main_config
    thread_pool runner_pool threads=1;
--- http_config
    map $uri $runner_mapped {
        default "from http_config";
    }
--- config
    location = /mapped {
        aio threads=runner_pool;
        return 200 "$runner_mapped\n";
    }
--- request
GET /mapped
--- response_body
from http_config



=== TEST 19: init runs Perl code before the request
--- init
open my $fh, '>', html_dir() . '/from-init.txt' or die $!;
print $fh "written by init\n";
close $fh;
--- request
GET /from-init.txt
--- response_body
written by init



=== TEST 20: wait before the log checks
--- init
$main::WaitStart = Time::HiRes::time();
--- config
    location = /w {
        return 200 "w\n";
    }
--- request
GET /w
--- response_body
w
--- wait: 0.5



=== TEST 21: the previous block did wait
--- init
main::cmp_ok(Time::HiRes::time() - $main::WaitStart, '>=', 0.5,
             'TEST 20 waited 0.5 s');
--- request
GET /
--- response_body_like: It works



=== TEST 22: client timeout with abort: not a failure
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
--- timeout: 300ms
--- abort
--- error_code:
--- response_body:



=== TEST 23: a slow upstream within a longer timeout; the mock TCP server
--- config
    location = /up {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/hi;
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
"HTTP/1.0 200 OK\r\nContent-Length: 7\r\n\r\nmocked\n"
--- tcp_reply_delay: 0.3
--- tcp_query eval
"GET /hi HTTP/1.0\r\nHost: 127.0.0.1:" . '$TEST_NGINX_RAND_PORT_1'
. "\r\nConnection: close\r\n\r\n"
--- request
GET /up
--- timeout: 5
--- response_body
mocked



=== TEST 24: $TEST_NGINX_* expanded in every section
--- config
    location = /env/$TEST_NGINX_RUNNER_WORD {
        return 200 "word=$TEST_NGINX_RUNNER_WORD port=$server_port\n";
    }
--- request
GET /env/$TEST_NGINX_RUNNER_WORD
--- response_body
word=$TEST_NGINX_RUNNER_WORD port=$ServerPort
--- error_log
"GET /env/$TEST_NGINX_RUNNER_WORD HTTP/1.1"



=== TEST 25: master process and two workers
--- master_workers: 2
--- config
    location = /m {
        return 200 "m\n";
    }
--- request
GET /m
--- response_body
m
--- grep_error_log eval
qr/start worker process \d+/
--- grep_error_log_out eval
qr/\A(?:start worker process \d+\n){2}\z/



=== TEST 26: log_level section
--- log_level: warn
--- request
GET /
--- response_body_like: It works
--- no_error_log
[debug]
[notice]



=== TEST 27: repeat_each: each repeat checks its own log lines
--- repeat: 2
--- config
    location = /rep {
        return 200 "rep\n";
    }
--- request
GET /rep
--- response_body
rep
--- error_log
http request line: "GET /rep HTTP/1.1"



=== TEST 28: eval and chomp filters on the expected body
--- config
    location = /bin {
        return 200 "a\tb";
    }
    location = /nl {
        return 200 "no newline";
    }
--- request eval
["GET /bin", "GET /nl"]
--- response_body eval
["a\tb", "no newline"]



=== TEST 29: chomp filter
--- config
    location = /nl {
        return 200 "no newline";
    }
--- request
GET /nl
--- response_body chomp
no newline



=== TEST 30: chunked response decoded
--- user_files
>>> sub.txt
hello world
--- config
    location = /sub.txt {
        root html;
        sub_filter world runner;
        sub_filter_types *;
    }
--- request
GET /sub.txt
--- response_headers
Transfer-Encoding: chunked
! Content-Length
--- response_body
hello runner



=== TEST 31: HEAD request: headers, no body
--- user_files
>>> hello.txt
hello, world
--- request
HEAD /hello.txt
--- response_headers
Content-Length: 13
--- response_body



=== TEST 32: error_code_like and response_body_filters
--- config
    location = /f {
        return 201 "Filtered\n";
    }
--- request
GET /f
--- error_code_like: ^20[01]$
--- response_body_filters
uc
--- response_body
FILTERED



=== TEST 33: skip_nginx skips the block
--- skip_nginx: 3: < 99.0.0
--- request
GET /never
--- error_code: 599
--- response_body
never



=== TEST 34: skip_eval skips the block
--- skip_eval: 2: 1
--- request
GET /never
--- error_code: 599



=== TEST 35: SKIP: never run
--- SKIP
--- config
    this is not valid nginx;
--- request
GET /



=== TEST 36: response_body_unlike, and LAST
--- request
GET /
--- response_body_unlike: not served
--- LAST



=== TEST 37: after LAST: never run
--- config
    this is not valid nginx either;
--- request
GET /
--- error_code: 599
