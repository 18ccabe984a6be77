use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }
use Test::Nginx::Socket 'no_plan';

# --- ONLY: run by t/001-runner-fail.t, which checks that TEST 2 alone
# ran (the other blocks would fail).

run_tests();

__DATA__

=== TEST 1: not run
--- request
GET /
--- error_code: 599



=== TEST 2: the only block run
--- ONLY
--- config
    location = /t {
        return 200 "only\n";
    }
--- request
GET /t
--- response_body
only



=== TEST 3: not run either
--- request
GET /
--- error_code: 599
