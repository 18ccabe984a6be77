# Identity token verification in the access phase: keys, algorithms,
# claims, where the token comes from, the verified-token cache, and the
# error contract of every refusal.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;
use MIME::Base64 qw(encode_base64url);

our %tok;

my %sa = (azp => 'drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b',
          sub => 'e350970e-0c1f-43fb-88b2-80e848044da3',
          jti => '7c465cca-ada1-472a-9794-4c5979a2fdf7',
          iss => 'https://cp.example.com/auth/realms/default',
          aud => 'dynamo-gateway');

my @specs = (
    rs256      => { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                    claims => {%sa}, exp_in => 3600 },
    rs256_nokid => { key => 'rsa1', alg => 'RS256', claims => {%sa},
                    exp_in => 3600 },
    rs512      => { key => 'rsa2', alg => 'RS512', kid => 'rsa2',
                    claims => {%sa}, exp_in => 3600 },
    es256      => { key => 'ec256', alg => 'ES256', kid => 'ec256',
                    claims => {%sa}, exp_in => 3600 },
    es384      => { key => 'ec384', alg => 'ES384', kid => 'ec384',
                    claims => {%sa}, exp_in => 3600 },
    es512      => { key => 'ec521', alg => 'ES512', kid => 'ec521',
                    claims => {%sa}, exp_in => 3600 },
    hs256      => { secret => 'hs256', alg => 'HS256', claims => {%sa},
                    exp_in => 3600 },
    hs256_oct  => { secret => 'hs256', alg => 'HS256', kid => 'oct1',
                    claims => {%sa}, exp_in => 3600 },
    none       => { alg => 'none', claims => {%sa, exp => time + 3600} },
    hs_pem     => { hmac_key => 'rsa1.pub', alg => 'HS256',
                    claims => {%sa}, exp_in => 3600 },
    hs_pem_kid => { hmac_key => 'rsa1.pub', alg => 'HS256', kid => 'rsa1',
                    claims => {%sa}, exp_in => 3600 },
    unknown_kid => { key => 'rsa1', alg => 'RS256', kid => 'nope',
                    claims => {%sa}, exp_in => 3600 },
    empty_kid  => { key => 'rsa1', alg => 'RS256', kid => '',
                    claims => {%sa}, exp_in => 3600 },
    ec_kid     => { key => 'rsa1', alg => 'RS256', kid => 'ec256',
                    claims => {%sa}, exp_in => 3600 },
    wrong_key  => { key => 'rsa2', alg => 'RS256', kid => 'rsa1',
                    claims => {%sa}, exp_in => 3600 },
    expired    => { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                    claims => {%sa}, exp_in => -60 },
    not_yet    => { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                    claims => {%sa}, exp_in => 3600, nbf_in => 600 },
    future_iat => { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                    claims => {%sa}, exp_in => 3600, iat_in => 600 },
    in_leeway  => { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                    claims => {%sa}, exp_in => -300 },
    past_leeway => { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                    claims => {%sa}, exp_in => -900 },
    nbf_in_leeway => { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                    claims => {%sa}, exp_in => 3600, nbf_in => 300 },
    nbf_past_leeway => { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                    claims => {%sa}, exp_in => 3600, nbf_in => 900 },
    aud_array  => { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                    claims => {%sa, aud => ['other', 'dynamo-gateway']},
                    exp_in => 3600 },
    no_exp     => { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                    claims => {%sa} },
    no_identity => { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                    claims => {sub => 'x', iss => $sa{iss}},
                    exp_in => 3600 },
    client_id  => { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                    claims => {clientId => 'drsa/sa/default/from-clientid',
                               sub => 'x'}, exp_in => 3600 },
    big        => { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                    claims => {%sa, pad => 'x' x 16384}, exp_in => 3600 },
);

my @names = @specs[grep { $_ % 2 == 0 } 0 .. $#specs];
my @toks = mint_tokens(@specs[grep { $_ % 2 == 1 } 0 .. $#specs]);
@tok{@names} = @toks;

# a valid token with its payload swapped for another one
my @p = split /\./, $tok{rs256};
my $forged = encode_base64url(
    '{"azp":"drsa/sa/default/admin","exp":' . (time + 3600) . '}');
$tok{tampered} = "$p[0].$forged.$p[2]";
$tok{bad_b64} = "$p[0].\@\@notbase64.$p[2]";
$tok{header_not_json} = encode_base64url('{"alg":RS256')
                        . ".$p[1].$p[2]";
$tok{payload_not_json} = "$p[0]." . encode_base64url('[1,2') . ".$p[2]";
$tok{two_parts} = "$p[0].$p[1]";

$ENV{TEST_NGINX_IDENTITY} = $sa{azp};

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
check_accum_error_log();
run_tests();

__DATA__

=== TEST 1: a valid RS256 token from a JWKS is accepted, identity in $dynamo_identity
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        add_header X-Identity $dynamo_identity;
        add_header X-Sub $dynamo_claim_sub;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{rs256}"
--- response_headers
X-Identity: drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
X-Sub: e350970e-0c1f-43fb-88b2-80e848044da3
--- response_body
ok
--- no_error_log
[error]



=== TEST 2: ES256, ES384 and ES512 tokens, each verified by its curve's key
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        add_header X-Identity $dynamo_identity;
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{es256}", "cyral.token: $::tok{es384}",
 "cyral.token: $::tok{es512}"]
--- error_code eval
[200, 200, 200]
--- response_headers eval
["X-Identity: $ENV{TEST_NGINX_IDENTITY}", "X-Identity: $ENV{TEST_NGINX_IDENTITY}",
 "X-Identity: $ENV{TEST_NGINX_IDENTITY}"]



=== TEST 3: RS512 from a JWK whose alg is RS512
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json kid=rsa2;
        add_header X-Identity $dynamo_identity;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{rs512}"
--- response_headers
X-Identity: drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b



=== TEST 4: HS256 with an explicit secret file and alg=HS256
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/hs256.secret alg=HS256;
        add_header X-Identity $dynamo_identity;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{hs256}"
--- response_headers
X-Identity: drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b



=== TEST 5: HS256 from an "oct" JWK, usable only with alg=HS256
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/oct.json alg=HS256;
        add_header X-Identity $dynamo_identity;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{hs256_oct}"
--- response_headers
X-Identity: drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b



=== TEST 6: an "oct" JWK without alg= is refused at start
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/oct.json;
    }
--- must_die
--- error_log
is used only with an explicit alg=HS256, HS384 or HS512



=== TEST 7: a PEM public key, with and without a kid in the token
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/rsa1.pub kid=rsa1;
        add_header X-Identity $dynamo_identity;
    }
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{rs256}", "cyral.token: $::tok{rs256_nokid}"]
--- error_code eval
[200, 200]



=== TEST 8: alg "none" is refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{none}"
--- error_code: 400
--- response_headers
Content-Type: application/x-amz-json-1.0
--- response_body chomp
{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"unsigned identity tokens (alg \"none\") are not accepted"}
--- error_log
dynamo: invalid token: unsigned identity tokens



=== TEST 9: HS256 signed with the RSA public key PEM as the secret is refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/rsa1.pub;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{hs_pem}"
--- error_code: 400
--- response_body chomp
{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"no key verifies HS256 identity tokens"}



=== TEST 10: the same forgery naming the RSA key's kid: algorithm mismatch
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{hs_pem_kid}"
--- error_code: 400
--- response_body chomp
{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"identity token algorithm HS256 does not match its key \"rsa1\", which is for RS256"}



=== TEST 11: an unknown kid is refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{unknown_kid}"
--- error_code: 400
--- response_body chomp
{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"identity token names an unknown key (kid \"nope\")"}



=== TEST 12: an empty kid names no key: refused, though a key without kid would verify the token
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/rsa1.pub alg=RS256;
    }
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{empty_kid}", "cyral.token: $::tok{rs256_nokid}"]
--- error_code eval
[400, 200]
--- response_body_like eval
[qr/^\{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"identity token names an unknown key \(kid \\"\\"\)"\}$/,
 qr/^ok$/]



=== TEST 13: a kid naming an EC key on an RS256 token is refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{ec_kid}"
--- error_code: 400
--- response_body chomp
{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"identity token algorithm RS256 does not match its key \"ec256\", which is for ES256"}



=== TEST 14: a tampered payload and a token signed by another key are refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    }
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{tampered}", "cyral.token: $::tok{wrong_key}"]
--- error_code eval
[400, 400]
--- response_body eval
['{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"identity token signature is invalid"}',
 '{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"identity token signature is invalid"}']



=== TEST 15: an expired token: ExpiredTokenException naming the time
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{expired}"
--- error_code: 400
--- response_body_like chomp
^\{"__type":"com\.amazon\.coral\.service#ExpiredTokenException","message":"identity token expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\}$



=== TEST 16: nbf in the future, and iat in the future: not yet valid
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    }
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{not_yet}", "cyral.token: $::tok{future_iat}"]
--- error_code eval
[400, 400]
--- response_body_like eval
[qr/ExpiredTokenException","message":"identity token is not valid before /,
 qr/ExpiredTokenException","message":"identity token is issued in the future/]



=== TEST 17: leeway 10m: expired 5m ago passes, 15m ago does not
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_jwt_leeway 600s;
    }
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{in_leeway}", "cyral.token: $::tok{past_leeway}"]
--- error_code eval
[200, 400]
--- response_body_like eval
[qr/^ok$/, qr/ExpiredTokenException/]



=== TEST 18: leeway 10m on nbf: valid in 5m passes, in 15m does not
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_jwt_leeway 10m;
    }
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{nbf_in_leeway}", "cyral.token: $::tok{nbf_past_leeway}"]
--- error_code eval
[200, 400]



=== TEST 19: without leeway, the token expired 5m ago is refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{in_leeway}"
--- error_code: 400
--- response_body_like chomp
ExpiredTokenException



=== TEST 20: issuer: the configured one passes, another is refused
--- config
    ignore_invalid_headers off;
    location = /good {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_jwt_issuer https://other.example.com
                          https://cp.example.com/auth/realms/default;
        alias html/t;
    }
    location = /bad {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_jwt_issuer https://other.example.com;
        alias html/t;
    }
--- request eval
["GET /good", "GET /bad"]
--- more_headers eval
["cyral.token: $::tok{rs256}", "cyral.token: $::tok{rs256}"]
--- error_code eval
[200, 400]
--- response_body eval
["ok\n", '{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"identity token issuer is not accepted"}']



=== TEST 21: audience as a string and as an array; a wrong audience is refused
--- config
    ignore_invalid_headers off;
    location = /good {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_jwt_audience dynamo-gateway;
        alias html/t;
    }
    location = /bad {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_jwt_audience somebody-else;
        alias html/t;
    }
--- request eval
["GET /good", "GET /good", "GET /bad", "GET /bad"]
--- more_headers eval
["cyral.token: $::tok{rs256}", "cyral.token: $::tok{aud_array}",
 "cyral.token: $::tok{rs256}", "cyral.token: $::tok{aud_array}"]
--- error_code eval
[200, 200, 400, 400]
--- response_body eval
["ok\n", "ok\n",
 '{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"identity token audience is not accepted"}',
 '{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"identity token audience is not accepted"}']



=== TEST 22: no exp claim, no identity claim: refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    }
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{no_exp}", "cyral.token: $::tok{no_identity}"]
--- error_code eval
[400, 400]
--- response_body eval
['{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"identity token has no valid \"exp\" claim"}',
 '{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"identity token has no identity claim (looked for azp and others)"}']



=== TEST 23: the identity comes from clientId when there is no azp
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        add_header X-Identity $dynamo_identity;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{client_id}"
--- response_headers
X-Identity: drsa/sa/default/from-clientid



=== TEST 24: dynamo_identity_claim picks another claim
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_identity_claim sub;
        add_header X-Identity $dynamo_identity;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{rs256}"
--- response_headers
X-Identity: e350970e-0c1f-43fb-88b2-80e848044da3



=== TEST 25: broken base64, parts that are not JSON, two parts: malformed
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    }
--- request eval
["GET /t", "GET /t", "GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{bad_b64}", "cyral.token: $::tok{header_not_json}",
 "cyral.token: $::tok{payload_not_json}", "cyral.token: $::tok{two_parts}"]
--- error_code eval
[400, 400, 400, 400]
--- response_body eval
['{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"malformed identity token: expected three base64url parts separated by dots"}',
 '{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"malformed identity token: the header is not a JSON object"}',
 '{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"malformed identity token: the payload is not a JSON object"}',
 '{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"malformed identity token: expected three base64url parts separated by dots"}']



=== TEST 26: a 16 KB token is refused before any parsing
--- config
    ignore_invalid_headers off;
    large_client_header_buffers 4 64k;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{big}"
--- error_code: 400
--- response_body_like chomp
^\{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"identity token is too large: \d+ bytes, the limit is 8192"\}$



=== TEST 27: the token header sent twice is refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{rs256}\ncyral.token: $::tok{es256}"
--- error_code: 400
--- response_body chomp
{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"the \"cyral.token\" header is sent 2 times, once is allowed"}



=== TEST 28: no token at all: MissingAuthenticationTokenException
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    }
--- request
GET /t
--- error_code: 400
--- response_headers
Content-Type: application/x-amz-json-1.0
--- response_body chomp
{"__type":"com.amazon.coral.service#MissingAuthenticationTokenException","message":"no identity token: send it in the \"cyral.token\" header"}
--- error_log
dynamo: missing token: no identity token



=== TEST 29: the token as X-Amz-Security-Token: accepted when enabled, ignored otherwise
--- config
    ignore_invalid_headers off;
    location = /on {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_token_in_session_token on;
        add_header X-Identity $dynamo_identity;
        alias html/t;
    }
    location = /off {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        alias html/t;
    }
--- request eval
["GET /on", "GET /off"]
--- more_headers eval
["X-Amz-Security-Token: $::tok{rs256}", "X-Amz-Security-Token: $::tok{rs256}"]
--- error_code eval
[200, 400]
--- response_body eval
["ok\n", '{"__type":"com.amazon.coral.service#MissingAuthenticationTokenException","message":"no identity token: send it in the \"cyral.token\" header"}']



=== TEST 30: a real session token (not a JWT) is not taken for the identity token
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_token_in_session_token on;
    }
--- request
GET /t
--- more_headers
X-Amz-Security-Token: FwoGZXIvYXdzEBYaDHqa0AP1mn+8cLsbHyKsAcs0
--- error_code: 400
--- response_body chomp
{"__type":"com.amazon.coral.service#MissingAuthenticationTokenException","message":"no identity token: send it in the \"cyral.token\" header or as the session token"}



=== TEST 31: a repeated token is verified once, then served from the cache
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        add_header X-Jti $dynamo_claim_jti;
    }
--- pipelined_requests eval
["GET /t", "GET /t", "GET /t"]
--- more_headers eval
"cyral.token: $::tok{rs256}"
--- response_body eval
["ok\n", "ok\n", "ok\n"]
--- grep_error_log eval
qr/dynamo: token (?:verified|cache hit)/
--- grep_error_log_out
dynamo: token verified
dynamo: token cache hit
dynamo: token cache hit



=== TEST 32: a cached token is checked against the clock on every hit
The token expired a minute ago: /lenient (1h leeway) accepts and caches it;
/strict shares the keys, so finds it in the cache, and refuses it.
--- config
    ignore_invalid_headers off;
    dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    location = /lenient {
        dynamo_access on;
        dynamo_jwt_leeway 1h;
        alias html/t;
    }
    location = /strict {
        dynamo_access on;
        alias html/t;
    }
--- pipelined_requests eval
["GET /lenient", "GET /strict"]
--- more_headers eval
"cyral.token: $::tok{expired}"
--- error_code eval
[200, 400]
--- response_body_like eval
[qr/^ok$/, qr/ExpiredTokenException","message":"identity token expired at /]
--- grep_error_log eval
qr/dynamo: token (?:verified|cache hit)/
--- grep_error_log_out
dynamo: token verified
dynamo: token cache hit



=== TEST 33: a dotted token header without "ignore_invalid_headers off" fails at start
--- config
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    }
--- must_die
--- error_log eval
qr/the identity token header "cyral\.token" contains "\.", which nginx drops as an invalid header: add "ignore_invalid_headers off;" to the server block of this location in \S+\/nginx\.conf:\d+$/



=== TEST 34: a token header without a dot needs no such setting
--- config
    location = /t {
        dynamo_access on;
        dynamo_token_header X-Identity-Token;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        add_header X-Identity $dynamo_identity;
    }
--- request
GET /t
--- more_headers eval
"X-Identity-Token: $::tok{es256}"
--- response_headers
X-Identity: drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b



=== TEST 35: the token never reaches the log, even when refused
--- log_level: info
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_jwt_issuer https://other.example.com;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{rs256}"
--- error_code: 400
--- error_log
dynamo: invalid token: identity token issuer is not accepted
--- no_error_log eval
[substr($::tok{rs256}, 0, 40), (split /\./, $::tok{rs256})[2]]



=== TEST 36: keys that must not load: a private key, a weak RSA key, no key at all
--- config
    ignore_invalid_headers off;
    location = /a {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/rsa1.key;
    }
--- must_die
--- error_log
holds a private key: give the gateway only the public key



=== TEST 37: an RSA key under 2048 bits is refused
--- config
    ignore_invalid_headers off;
    location = /a {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/weak.pub;
    }
--- must_die
--- error_log eval
qr/dynamo_jwt_key "[^"]*\/weak\.pub": the RSA modulus has 1024 bits, at least 2048 are needed/



=== TEST 38: dynamo_access without a key, and without a zone
--- http_config
--- config
    ignore_invalid_headers off;
    location = /a {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    }
--- must_die
--- error_log
dynamo_access needs a shared zone: add "dynamo_zone name:size;" to the http block



=== TEST 39: a JWK with no alg takes RS256 from its RSA key
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/noalg.json;
        add_header X-Identity $dynamo_identity;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{rs256_nokid}"
--- response_headers
X-Identity: drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b



=== TEST 40: an EC key cannot be declared to verify RS256
--- config
    ignore_invalid_headers off;
    location = /ec {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/ec256.pub alg=RS256;
    }
--- must_die
--- error_log
which signs ES256, not RS256



=== TEST 41: the HMAC secret must be long enough for its algorithm
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/hs256.secret alg=HS512;
    }
--- must_die
--- error_log eval
qr/dynamo_jwt_key "[^"]*\/hs256\.secret": the HS512 secret is 43 bytes long, at least 64 are needed/



=== TEST 42: dynamo_access off in a nested location turns the check off
--- config
    ignore_invalid_headers off;
    dynamo_access on;
    dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    location = /t {
        dynamo_access off;
    }
--- request
GET /t
--- response_body
ok
