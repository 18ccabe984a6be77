# limit_req and limit_conn keyed by the caller: the identity variables,
# read in the preaccess phase, verify the token there (once a request:
# the access phase takes the outcome as it is), so each caller has a
# limit of its own, and a request with no valid token is refused as
# ever, never limited on an empty key.  A limited request gets DynamoDB's
# ThrottlingException, status 400, which SDKs retry.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;

our %tok;

my @names = qw(alice bob sub_x sub_y wrong);
my @tokens = mint_tokens(
    { secret => 'hs256', alg => 'HS256', exp_in => 3600,
      claims => {azp => 'drsa/sa/default/alice', sub => 'x-1'} },
    { secret => 'hs256', alg => 'HS256', exp_in => 3600,
      claims => {azp => 'drsa/sa/default/bob', sub => 'y-2'} },
    { secret => 'hs256', alg => 'HS256', exp_in => 3600,
      claims => {azp => 'drsa/sa/default/carol', sub => 'x-1'} },
    { secret => 'hs256', alg => 'HS256', exp_in => 3600,
      claims => {azp => 'drsa/sa/default/dave', sub => 'z-3'} },
    { key => 'rsa1', alg => 'RS256', exp_in => 3600,
      claims => {azp => 'drsa/sa/default/alice', sub => 'x-1'} },
);
@tok{@names} = @tokens;

# the status codes of $n requests sent at once with $token

sub at_once {
    my ($n, $token, $path) = @_;

    my $hdr = defined $token ? "cyral.token: $token\r\n" : '';

    return Dynamo::Test::concurrent_requests(n => $n, types => 1,
        request => "GET " . ($path // '/t') . " HTTP/1.1\r\n"
                   . "Host: localhost\r\n$hdr"
                   . "Connection: close\r\n\r\n");
}

# answers of a status, and of an error type when one is given:
# count_of(200, @answers), count_of('400 ThrottlingException', @answers)

sub count_of {
    my ($want, @answers) = @_;
    return scalar grep { /^\Q$want\E(?: |$)/ } @answers;
}

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'CONF');
    dynamo_zone dynamo:1m;
    limit_req_zone $dynamo_identity zone=per_caller:1m rate=2r/s;
    limit_req_zone $dynamo_claim_sub zone=per_sub:1m rate=2r/s;
    limit_req_zone $dynamo_role_arn zone=per_role:1m rate=2r/s;
CONF
    }

    if (!defined $block->user_files) {
        $block->set_value("user_files",
                          ">>> t\nok\n>>> sub\nok\n>>> role\nok\n");
    }

    if (!defined $block->config) {
        $block->set_value("config", <<'CONF');
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/hs256.secret alg=HS256;
        limit_req zone=per_caller burst=1 nodelay;
        limit_req_status 429;
        add_header X-Identity $dynamo_identity;
    }
    location = /sub {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/hs256.secret alg=HS256;
        limit_req zone=per_sub burst=1 nodelay;
        limit_req_status 429;
    }
    location = /role {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/hs256.secret alg=HS256;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_service_account drsa/sa/default/bob
                               arn:aws:iam::123456789012:role/Orders;
        limit_req zone=per_role burst=1 nodelay;
        limit_req_status 429;
        add_header X-Identity $dynamo_identity always;
    }
    location = /status {
        dynamo_status;
    }
CONF
    }
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: each caller has a limit of its own
alice sends 6 requests at once: the burst of 2 passes, the rest are
limited; bob, in the same second, passes both of his; alice is still
limited after him.  Each of the 9 requests had its token verified once
(2 tokens: 2 misses, 7 hits), the limited ones too.
--- init
my @a = main::at_once(6, $::tok{alice});
my @b = main::at_once(2, $::tok{bob});
my @a2 = main::at_once(1, $::tok{alice});
Test::More::is(main::count_of(200, @a), 2, "TEST 1: alice: 2 of 6 pass");
Test::More::is(main::count_of('400 ThrottlingException', @a), 4, "TEST 1: alice: 4 of 6 limited");
Test::More::is(main::count_of(200, @b), 2, "TEST 1: bob: both pass");
Test::More::is(main::count_of('400 ThrottlingException', @a2), 1, "TEST 1: alice: still limited");
--- request
GET /status
--- response_body_like eval
qr/"tokens":\{"hits":7,"misses":2,"entries":2\}/



=== TEST 2: no token: refused as ever, never limited
Five requests without a token, all at once: an empty key limits nothing,
and the access phase answers each.
--- init
my @c = main::at_once(5, undef);
Test::More::is(main::count_of('400 MissingAuthenticationTokenException', @c), 5,
   "TEST 2: 5 requests without a token: 5 refusals");
--- request eval
["GET /t", "GET /t"]
--- error_code eval
[400, 400]
--- response_body_like eval
[qr/^\{"__type":"[\w.]+#MissingAuthenticationTokenException","message":"(?:[^"\\]|\\.)+"\}$/,
 qr/^\{"__type":"[\w.]+#MissingAuthenticationTokenException","message":"(?:[^"\\]|\\.)+"\}$/]



=== TEST 3: a token that does not verify: refused as ever, never limited
A token signed with another key, and one that is no token at all, each
sent more often than the limit allows.
--- init
my @c = main::at_once(4, $::tok{wrong});
Test::More::is(main::count_of('400 UnrecognizedClientException', @c), 4,
   "TEST 3: 4 requests with a forged token: 4 refusals");
--- request eval
["GET /t", "GET /t", "GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{wrong}", "cyral.token: $::tok{wrong}",
 "cyral.token: not.a.token", "cyral.token: not.a.token"]
--- error_code eval
[400, 400, 400, 400]
--- response_body_like eval
[(qr/^\{"__type":"[\w.]+#UnrecognizedClientException","message":"(?:[^"\\]|\\.)+"\}$/) x 4]



=== TEST 4: a valid caller is not held up by invalid requests
The refusals of TEST 2 and 3 left no entry under an empty key: alice,
first after them, passes.
--- init
my @c = main::at_once(3, undef);
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{alice}", "cyral.token: $::tok{alice}"]
--- error_code eval
[200, 200]
--- response_headers eval
["X-Identity: drsa/sa/default/alice", "X-Identity: drsa/sa/default/alice"]



=== TEST 5: a claim as the key: callers that share a subject share a limit
alice and carol both have the subject "x-1": 4 requests of alice's and
then carol's 2 exceed it together; dave, another subject, passes.
--- init
my @a = main::at_once(4, $::tok{alice}, '/sub');
my @c = main::at_once(2, $::tok{sub_x}, '/sub');
my @d = main::at_once(2, $::tok{sub_y}, '/sub');
Test::More::is(main::count_of(200, @a), 2, "TEST 5: alice: 2 of 4 pass");
Test::More::is(main::count_of('400 ThrottlingException', @a), 2, "TEST 5: alice: 2 of 4 limited");
Test::More::is(main::count_of('400 ThrottlingException', @c), 2, "TEST 5: carol, same subject: limited");
Test::More::is(main::count_of(200, @d), 2, "TEST 5: dave: both pass");
--- request
GET /status
--- response_body_like eval
qr/"tokens":\{"hits":5,"misses":3,"entries":3\}/



=== TEST 6: the role as the key: callers that act as one role share its limit
alice and bob both act as role/Orders, chosen before the access phase
with no STS call: alice's 2 pass, bob's 2 right after are limited.  carol
has no role: refused as ever (AccessDeniedException, not limited), and
once answered her identity is known to the header filter again.
--- init
my @a = main::at_once(2, $::tok{alice}, '/role');
my @b = main::at_once(2, $::tok{bob}, '/role');
my @c = main::at_once(3, $::tok{sub_x}, '/role');
Test::More::is(main::count_of(200, @a), 2, "TEST 6: alice: both pass");
Test::More::is(main::count_of('400 ThrottlingException', @b), 2, "TEST 6: bob, same role: limited");
Test::More::is(main::count_of('400 AccessDeniedException', @c), 3, "TEST 6: carol, no role: refused");
--- request
GET /role
--- more_headers eval
"cyral.token: $::tok{sub_x}"
--- error_code: 400
--- response_headers
X-Identity: drsa/sa/default/carol
--- response_body_like eval
qr/^\{"__type":"[\w.]+#AccessDeniedException","message":"(?:[^"\\]|\\.)+"\}$/
