# The verified-token cache: the zone's entries and each worker's slots
# in front of them.  A worker has 256 slots; more tokens than that must
# share slots, and a token found in a slot must be the token sent, byte
# for byte, or the answer would name someone else.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;

our @many = slot_tokens();

# one token, and the same token with the first character of its signature
# changed (the last one may only carry padding bits): same length, a hash
# of its own, a signature that does not verify
our $one = $many[0];
(our $forged = $one) =~ s/\.([^.])([^.]*)$/'.' . ($1 eq 'A' ? 'B' : 'A') . $2/e;

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", "dynamo_zone dynamo:1m;\n");
    }

    if (!defined $block->user_files) {
        $block->set_value("user_files", ">>> t\nok\n");
    }
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: tokens that share a worker's slot are never mixed up
300 tokens, each sent twice: every answer names the identity of the token
it was sent with, and each token was verified once.
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/hs256.secret alg=HS256;
        add_header X-Identity "$dynamo_identity $dynamo_claim_jti";
    }
    location = /status {
        dynamo_status;
    }
--- init
Test::More::is(Dynamo::Test::slot_answers_right(@::many), 600,
   "TEST 1: each of 600 answers names its token's identity");
--- request
GET /status
--- response_body_like eval
qr/"tokens":\{"hits":300,"misses":300,"entries":300\}/
--- timeout: 60



=== TEST 2: a token of the same length as a cached one, one character apart, is checked and refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/hs256.secret alg=HS256;
        add_header X-Identity $dynamo_identity;
    }
    location = /status {
        dynamo_status;
    }
--- request eval
["GET /t", "GET /t", "GET /t", "GET /status"]
--- more_headers eval
["cyral.token: $::one", "cyral.token: $::forged", "cyral.token: $::one", ""]
--- error_code eval
[200, 400, 200, 200]
--- response_headers eval
["X-Identity: drsa/sa/default/many-1", "X-Identity:",
 "X-Identity: drsa/sa/default/many-1", ""]
--- response_body_like eval
[qr/^ok$/,
 qr/^\{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"identity token signature is invalid"\}$/,
 qr/^ok$/,
 qr/"tokens":\{"hits":1,"misses":2,"entries":1\}/]
