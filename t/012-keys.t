# Keys that must not verify anything, refused when the configuration is
# read (each refusal an EMERG naming the file, the key and the reason),
# or set aside; and tokens with more than one spelling, refused.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64url);

# the keys the module must refuse are made with the others; a keys
# directory made before them gets them now
my $dir = keys_dir();
if (!-f "$dir/stamp-bad") {
    system(debian_python(), 't/lib/make_keys.py', $dir, 'bad') == 0
        or die "make_keys.py bad failed\n";
}

our %tok;

my %claims = (azp => 'drsa/sa/default/keys', sub => 'keys-test');

my @specs = (
    rs256 => { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
               claims => {%claims}, exp_in => 3600 },
    enc   => { key => 'rsa2', alg => 'RS256', kid => 'enc',
               claims => {%claims}, exp_in => 3600 },
    es256 => { key => 'ec256', alg => 'ES256', kid => 'ec256',
               claims => {%claims}, exp_in => 3600 },
);

my @names = @specs[grep { $_ % 2 == 0 } 0 .. $#specs];
@tok{@names} = mint_tokens(@specs[grep { $_ % 2 == 1 } 0 .. $#specs]);

# Another spelling of the same bytes: a bit set among those the last
# character carries beyond the data (a canonical spelling has them zero)
my $alphabet = join '', 'A' .. 'Z', 'a' .. 'z', '0' .. '9', '-', '_';

sub respell {
    my $s = shift;
    die "no unused bits in a part of ", length $s, " characters\n"
        if length($s) % 4 == 0;
    my $v = index $alphabet, substr($s, -1);
    substr($s, -1) = substr($alphabet, $v | 1, 1);
    return $s;
}

# HS256 tokens put together here, so that a part can be spelled
# otherwise and the signature still be made over that spelling: only the
# spelling can refuse them.  The secret is the file's text.
open my $fh, '<', "$dir/hs256.secret" or die "hs256.secret: $!\n";
my $secret = do { local $/; <$fh> };
close $fh;
$secret =~ s/\s+\z//;

my $header = '{"alg":"HS256","typ":"JWT" }';     # 28 bytes: 38 characters
my $payload = sprintf '{"azp":"%s","exp":%d}', $claims{azp}, time + 3600;
$payload =~ s/}\z/ }/ while length($payload) % 3 == 0;

sub hs256 {
    my ($h, $p) = @_;
    return "$h.$p." . encode_base64url(hmac_sha256("$h.$p", $secret));
}

my ($h, $p) = (encode_base64url($header), encode_base64url($payload));

$tok{hs_canonical} = hs256($h, $p);
$tok{hs_header} = hs256(respell($h), $p);
$tok{hs_payload} = hs256($h, respell($p));
{
    my @part = split /\./, $tok{hs_canonical};
    $tok{hs_signature} = "$part[0].$part[1]." . respell($part[2]);
    $tok{pad_header} = "$part[0]==.$part[1].$part[2]";
    $tok{pad_payload} = "$part[0].$part[1]=.$part[2]";
    $tok{pad_signature} = "$part[0].$part[1].$part[2]=";
}

for my $name (qw(rs256 es256)) {
    my @part = split /\./, $tok{$name};
    $tok{"${name}_respelled"} = "$part[0].$part[1]." . respell($part[2]);
}

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

=== TEST 1: an RSA key with exponent 1 (PEM) is refused at start, naming the file
With e = 1 a signature is the padded hash, which anyone makes from the
public key.
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/rsa-e1.pub;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*dynamo_jwt_key "[^"]*\/rsa-e1\.pub": RSA exponent 1 is not allowed \(odd, >= 3\)/



=== TEST 2: the same key as a JWK is refused, naming its kid
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/rsa-e1.json;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*dynamo_jwt_key "[^"]*\/rsa-e1\.json": key "e1": RSA exponent 1 is not allowed \(odd, >= 3\)/



=== TEST 3: an even exponent is refused, as a JWK and as PEM
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/rsa-even.json;
    }
--- must_die
--- error_log eval
qr/dynamo_jwt_key "[^"]*\/rsa-even\.json": key "even": RSA exponent 65536 is not allowed \(odd, >= 3\)/



=== TEST 4: an even exponent in a PEM key, named by kid= of the directive
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/rsa-even.pub kid=pem;
    }
--- must_die
--- error_log eval
qr/dynamo_jwt_key "[^"]*\/rsa-even\.pub": key "pem": RSA exponent 65536 is not allowed/



=== TEST 5: exponent 3, odd and >= 3, is allowed
The key loads: a token naming another kid is refused as naming no key.
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/rsa-e3.json;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{rs256}"
--- error_code: 400
--- response_body chomp
{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"identity token names an unknown key (kid \"rsa1\")"}



=== TEST 6: a 1024-bit modulus as a JWK is refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/weak.json;
    }
--- must_die
--- error_log eval
qr/dynamo_jwt_key "[^"]*\/weak\.json": key "weak": the RSA modulus has 1024 bits, at least 2048 are needed/



=== TEST 7: a modulus with the ROCA fingerprint (PEM) is refused
Its two primes have the form k * M + (65537^a mod M) of the keys
Infineon's library made, whose factors can be recovered.
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/roca.pub;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*dynamo_jwt_key "[^"]*\/roca\.pub": the RSA modulus has the ROCA fingerprint \(CVE-2017-15361\)/



=== TEST 8: the ROCA key in a key set is refused by its kid, the whole set with it
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/roca.json;
    }
--- must_die
--- error_log eval
qr/dynamo_jwt_key "[^"]*\/roca\.json": key "roca": the RSA modulus has the ROCA fingerprint/



=== TEST 9: the other key of that set, picked by kid=, has no fingerprint and loads
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/roca.json kid=fine;
        dynamo_jwt_key $TEST_NGINX_KEYS/rsa2.pub kid=rsa2;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json kid=rsa1;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{rs256}"
--- response_body
ok



=== TEST 10: a JWK whose key_ops lack "verify" is set aside
Its kid then names no key; the key beside it, with key_ops ["verify"],
verifies.
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/key-ops.json;
    }
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{enc}", "cyral.token: $::tok{rs256}"]
--- error_code eval
[400, 200]
--- response_body eval
['{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"identity token names an unknown key (kid \"enc\")"}',
 "ok\n"]



=== TEST 11: that key, asked for by kid=, leaves no signing key: refused
The notice that it is set aside is written as the configuration is read.
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/key-ops.json kid=enc;
    }
--- must_die
--- error_log eval
[qr/\[notice\] .*dynamo_jwt_key "[^"]*\/key-ops\.json": key "enc": skipped, its "key_ops" do not include "verify"/,
 qr/\[emerg\] .*dynamo_jwt_key "[^"]*\/key-ops\.json": no signing key with kid "enc"/]



=== TEST 12: key_ops that are not an array are refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/key-ops-string.json;
    }
--- must_die
--- error_log eval
qr/dynamo_jwt_key "[^"]*\/key-ops-string\.json": key "rsa1": "key_ops" is not an array/



=== TEST 13: two keys with one kid in a key set are refused, naming the kid
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/dup-kid.json;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*dynamo_jwt_key "[^"]*\/dup-kid\.json": key "twice": another key of this context, from "[^"]*\/dup-kid\.json", has the same kid/



=== TEST 14: a kid given by two dynamo_jwt_key lines of one context is refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_jwt_key $TEST_NGINX_KEYS/rsa2.pub kid=rsa1;
    }
--- must_die
--- error_log eval
qr/dynamo_jwt_key "[^"]*\/rsa2\.pub": key "rsa1": another key of this context, from "[^"]*\/jwks\.json", has the same kid/



=== TEST 15: the same file twice in one context is refused too
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/rsa1.pub kid=one;
        dynamo_jwt_key $TEST_NGINX_KEYS/rsa1.pub kid=one;
    }
--- must_die
--- error_log eval
qr/dynamo_jwt_key "[^"]*\/rsa1\.pub": key "one": another key of this context/



=== TEST 16: an inner context's keys replace the outer ones: the same kid in both is no conflict
/inner has its own key "rsa1" (in fact rsa2's), which does not verify the
token of rsa1; /outer keeps the http block's keys, which do.
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
--- config
    ignore_invalid_headers off;
    location = /inner {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/rsa2.pub kid=rsa1;
        alias html/t;
    }
    location = /outer {
        dynamo_access on;
        alias html/t;
    }
--- request eval
["GET /inner", "GET /outer"]
--- more_headers eval
["cyral.token: $::tok{rs256}", "cyral.token: $::tok{rs256}"]
--- error_code eval
[400, 200]
--- response_body eval
['{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"identity token signature is invalid"}',
 "ok\n"]



=== TEST 17: base64url padding in a JWK member is refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/b64-padded.json;
    }
--- must_die
--- error_log eval
qr/dynamo_jwt_key "[^"]*\/b64-padded\.json": key "padded": no valid "n" and "e" \(canonical base64url\)/



=== TEST 18: a set unused bit in a JWK member's last character is refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/b64-bits.json;
    }
--- must_die
--- error_log eval
qr/dynamo_jwt_key "[^"]*\/b64-bits\.json": key "bits": no valid "n" and "e" \(canonical base64url\)/



=== TEST 19: the HS256 token put together by the test verifies as it is spelled
The control for the next test: only the spelling differs there.
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
"cyral.token: $::tok{hs_canonical}"
--- response_headers
X-Identity: drsa/sa/default/keys
--- response_body
ok



=== TEST 20: another spelling of the header, of the payload, of the signature: refused
Header and payload are signed as spelled, so that the signature holds.
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/hs256.secret alg=HS256;
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{hs_header}", "cyral.token: $::tok{hs_payload}",
 "cyral.token: $::tok{hs_signature}"]
--- error_code eval
[400, 400, 400]
--- response_body eval
['{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"malformed identity token: the header is not canonical base64url"}',
 '{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"malformed identity token: the payload is not canonical base64url"}',
 '{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"malformed identity token: the signature is not canonical base64url"}']



=== TEST 21: an RS256 and an ES256 signature spelled otherwise are refused, the originals pass
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
    }
--- request eval
["GET /t", "GET /t", "GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{rs256_respelled}", "cyral.token: $::tok{es256_respelled}",
 "cyral.token: $::tok{rs256}", "cyral.token: $::tok{es256}"]
--- error_code eval
[400, 400, 200, 200]
--- response_body eval
['{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"malformed identity token: the signature is not canonical base64url"}',
 '{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"malformed identity token: the signature is not canonical base64url"}',
 "ok\n", "ok\n"]



=== TEST 22: padding in the header, the payload or the signature is refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/hs256.secret alg=HS256;
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{pad_header}", "cyral.token: $::tok{pad_payload}",
 "cyral.token: $::tok{pad_signature}"]
--- error_code eval
[400, 400, 400]
--- response_body eval
['{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"malformed identity token: expected three base64url parts separated by dots"}',
 '{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"malformed identity token: expected three base64url parts separated by dots"}',
 '{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"malformed identity token: expected three base64url parts separated by dots"}']

