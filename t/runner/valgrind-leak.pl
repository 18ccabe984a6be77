use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }
use Test::Nginx::Socket 'no_plan';

# Run by t/001-runner-fail.t under TEST_NGINX_USE_VALGRIND=1 without the
# suppressions file: stock nginx then reports the process-lifetime
# arrays it never frees as definitely lost, and "valgrind clean" must
# fail.

run_tests();

__DATA__

=== TEST 1: a plain request under valgrind
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- response_body
hello
