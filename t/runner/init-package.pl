use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }
use Test::More;
use Test::Nginx::Socket 'no_plan';

# Run by t/001-runner-fail.t: "--- init" calls Test::More's "is" bare.
# The real runner evaluates init in the package Test::Nginx::Util, where
# "is" is not defined, and bails out: the fallback must do the same
# rather than pass a file that the real runner aborts.

sub helper_of_this_file { 1 }

# TEST_NGINX_INIT_BLOCK=n runs block n alone: a bail-out ends the run

my $spec = do { local $/; <DATA> };
my @blocks = grep { /^=== / } split /(?=^=== TEST )/m, $spec;
my $n = $ENV{TEST_NGINX_INIT_BLOCK} // 3;
spec_string($blocks[$n - 1] // die "no block $n\n");

no_shuffle();
run_tests();

__DATA__

=== TEST 1: init calls Test::More's is bare
--- config
    location = /t {
        return 200 "hello\n";
    }
--- init
is(1, 1, "never reached in the real runner");
--- request
GET /t
--- response_body
hello



=== TEST 2: init calls a helper of the test file bare
--- config
    location = /t {
        return 200 "hello\n";
    }
--- init
helper_of_this_file();
--- request
GET /t
--- response_body
hello



=== TEST 3: init with qualified names and the runner's own helpers
--- config
    location = /t {
        return 200 "hello\n";
    }
--- init
Test::More::ok(main::helper_of_this_file() && html_dir() ne '',
               'TEST 3: qualified names work in init');
--- request
GET /t
--- response_body
hello
