# Requests that mean one thing.  A header the checks read (X-Amz-Target,
# Content-Type, X-Dynamo-Role, the token header, X-Amz-Security-Token when
# it may carry the token) is refused when sent twice, in any case of its
# name: the checks could judge one copy while an upstream that verifies
# no signature reads the other.  The request target is "/" exactly as
# sent, as it is signed.  Refused requests reach neither STS nor DynamoDB;
# a served one takes upstream exactly the headers that were judged and
# signed.
#
# "--- upstream_calls" names the emulator's services that must have been
# called once the answer is in ("none", or e.g. "echo sts");
# "--- upstream_headers" the names of the headers the echo upstream
# received, lowercased and sorted, with a count where one came more than
# once.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;

our (%tok, %h);

emulator();

$tok{alice} = mint_token(key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                         claims => {azp => 'drsa/sa/default/alice'},
                         exp_in => 3600);

%h = (token  => "cyral.token: $tok{alice}",
      target => 'X-Amz-Target: DynamoDB_20120810.DescribeTable',
      type   => 'Content-Type: application/x-amz-json-1.0');

# a raw POST of {"TableName": "orders"} to $uri with these header lines

sub post {
    my ($uri, @headers) = @_;

    my $body = '{"TableName": "orders"}';

    return "POST $uri HTTP/1.1\r\nHost: localhost\r\n"
           . join('', map { "$_\r\n" } @headers)
           . 'Content-Length: ' . length($body) . "\r\n"
           . "Connection: close\r\n\r\n$body";
}

sub refusal {
    my ($type, $message) = @_;

    my %ns = (ValidationException => 'com.amazon.coral.validate',
              UnrecognizedClientException => 'com.amazon.coral.service');

    $message =~ s/"/\\"/g;

    return qq({"__type":"$ns{$type}#$type","message":"$message"});
}

add_response_body_check(sub {
    my ($block, $body, $req_idx, $rep, $dry_run) = @_;

    return if $dry_run;

    my $name = $block->name;
    my $emu = emulator();

    my $want = $block->upstream_calls;

    if (defined $want) {
        chomp $want;

        my $calls = $emu->counters->{_requests} || {};
        my $got = join(' ', sort grep { $calls->{$_} } keys %$calls)
                  || 'none';

        Test::More::is($got, $want, "$name - services called upstream");
    }

    $want = $block->upstream_headers;

    if (defined $want) {
        chomp $want;

        my $echo = $emu->requests('echo');
        my %n;

        $n{lc $_->[0]}++ for map { @{ $_->{headers} } } @$echo;

        my $got = join(' ', map { $n{$_} > 1 ? "$_*$n{$_}" : $_ }
                            sort keys %n);

        Test::More::is($got, $want, "$name - headers received upstream");

        Test::More::ok(@$echo == 1 && $echo->[0]{authorization_matches},
                       "$name - the signature is botocore's")
            or Test::More::diag(json_encode($echo));
    }
});

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->config) {
        $block->set_value("config", <<'CONF');
    ignore_invalid_headers off;

    location = / {
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Reports;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:$TEST_NGINX_ECHO_PORT;
        dynamo_activity_log logs/activity.log;
    }

    location = /sdk {
        rewrite ^ / break;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_token_in_session_token on;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:$TEST_NGINX_ECHO_PORT;
    }

    location /plain/ {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        proxy_pass http://127.0.0.1:$TEST_NGINX_ECHO_PORT;
    }

    location = /activity {
        default_type application/json;
        alias logs/activity.log;
    }
CONF
    }

    aws_block_preprocessor($block);
});

no_shuffle();
no_root_location();
check_accum_error_log();
run_tests();

__DATA__

=== TEST 1: the baseline: each header once, served through STS to the upstream
--- raw_request eval
::post('/', @::h{qw(token target type)}, 'X-Dynamo-Role: Reports')
--- error_code: 200
--- response_body chomp
{}
--- upstream_calls
echo sts



=== TEST 2: X-Amz-Target twice, two operations: ValidationException, nothing upstream
--- raw_request eval
::post('/', @::h{qw(token target type)},
       'X-Amz-Target: DynamoDB_20120810.DeleteTable')
--- error_code: 400
--- response_body eval
::refusal(ValidationException =>
          'the "X-Amz-Target" header is sent 2 times, once is allowed')
--- upstream_calls
none



=== TEST 3: X-Amz-Target twice, the same operation, names in two cases: refused
--- raw_request eval
::post('/', @::h{qw(token target type)}, lc $::h{target})
--- error_code: 400
--- response_body eval
::refusal(ValidationException =>
          'the "X-Amz-Target" header is sent 2 times, once is allowed')
--- upstream_calls
none



=== TEST 4: Content-Type twice, names in two cases: refused
--- raw_request eval
::post('/', @::h{qw(token target type)},
       'CONTENT-TYPE: application/x-amz-json-1.1')
--- error_code: 400
--- response_body eval
::refusal(ValidationException =>
          'the "Content-Type" header is sent 2 times, once is allowed')
--- upstream_calls
none



=== TEST 5: X-Dynamo-Role twice, each a role of the identity: refused
--- raw_request eval
::post('/', @::h{qw(token target type)}, 'X-Dynamo-Role: Orders',
       'x-dynamo-role: Reports')
--- error_code: 400
--- response_body eval
::refusal(ValidationException =>
          'the "X-Dynamo-Role" header is sent 2 times, once is allowed')
--- upstream_calls
none



=== TEST 6: the token header twice, names in two cases: UnrecognizedClientException
--- raw_request eval
::post('/', @::h{qw(token target type)}, "CYRAL.TOKEN: $::tok{alice}")
--- error_code: 400
--- response_body eval
::refusal(UnrecognizedClientException =>
          'the "cyral.token" header is sent 2 times, once is allowed')
--- upstream_calls
none



=== TEST 7: the token as the session token, served (dynamo_token_in_session_token on)
--- raw_request eval
::post('/sdk', "X-Amz-Security-Token: $::tok{alice}", @::h{qw(target type)})
--- error_code: 200
--- response_body chomp
{}
--- upstream_calls
echo sts



=== TEST 8: X-Amz-Security-Token twice where it may carry the token: UnrecognizedClientException
--- raw_request eval
::post('/sdk', "X-Amz-Security-Token: $::tok{alice}", @::h{qw(target type)},
       "x-amz-security-token: $::tok{alice}")
--- error_code: 400
--- response_body eval
::refusal(UnrecognizedClientException =>
          'the "X-Amz-Security-Token" header is sent 2 times, once is allowed')
--- upstream_calls
none



=== TEST 9: ... even when the token header is there too
--- raw_request eval
::post('/sdk', @::h{qw(token target type)}, 'X-Amz-Security-Token: a',
       'X-AMZ-SECURITY-TOKEN: b')
--- error_code: 400
--- response_body eval
::refusal(UnrecognizedClientException =>
          'the "X-Amz-Security-Token" header is sent 2 times, once is allowed')
--- upstream_calls
none



=== TEST 10: exactly the headers judged and signed go upstream, one of each
Without dynamo_token_in_session_token no X-Amz-Security-Token is read:
its copies are all stripped, as the client's Authorization, date, payload
hash, role choice and token are; the gateway's own take their place.
--- raw_request eval
::post('/', @::h{qw(token target type)},
       'Authorization: AWS4-HMAC-SHA256 Credential=AKIDCLIENTKEY0000/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
       'X-Amz-Date: 20260101T000000Z',
       'X-Amz-Security-Token: client-session-token-1',
       'x-amz-security-token: client-session-token-2',
       'X-Amz-Content-Sha256: UNSIGNED-PAYLOAD',
       'X-Dynamo-Role: Orders',
       'User-Agent: Boto3/1.26.27')
--- error_code: 200
--- response_body chomp
{}
--- upstream_calls
echo sts
--- upstream_headers
authorization connection content-length content-type host user-agent x-amz-date x-amz-security-token x-amz-target



=== TEST 11: a request target of "/%2F" (normalised to "/"): ValidationException, nothing upstream
--- raw_request eval
::post('/%2F', @::h{qw(token target type)})
--- error_code: 400
--- response_body eval
::refusal(ValidationException =>
          'DynamoDB requests are made to "/", not "/%2F"')
--- upstream_calls
none



=== TEST 12: "/%2f": refused
--- raw_request eval
::post('/%2f', @::h{qw(token target type)})
--- error_code: 400
--- response_body eval
::refusal(ValidationException =>
          'DynamoDB requests are made to "/", not "/%2f"')
--- upstream_calls
none



=== TEST 13: "/%2e/": refused
--- raw_request eval
::post('/%2e/', @::h{qw(token target type)})
--- error_code: 400
--- response_body eval
::refusal(ValidationException =>
          'DynamoDB requests are made to "/", not "/%2e/"')
--- upstream_calls
none



=== TEST 14: "//": refused
--- raw_request eval
::post('//', @::h{qw(token target type)})
--- error_code: 400
--- response_body eval
::refusal(ValidationException =>
          'DynamoDB requests are made to "/", not "//"')
--- upstream_calls
none



=== TEST 15: "/./": refused
--- raw_request eval
::post('/./', @::h{qw(token target type)})
--- error_code: 400
--- response_body eval
::refusal(ValidationException =>
          'DynamoDB requests are made to "/", not "/./"')
--- upstream_calls
none



=== TEST 16: "/?x=1": refused
--- raw_request eval
::post('/?x=1', @::h{qw(token target type)})
--- error_code: 400
--- response_body eval
::refusal(ValidationException =>
          'DynamoDB requests are made to "/", not "/?x=1"')
--- upstream_calls
none



=== TEST 17: "/?", an empty query: refused
--- raw_request eval
::post('/?', @::h{qw(token target type)})
--- error_code: 400
--- response_body eval
::refusal(ValidationException =>
          'DynamoDB requests are made to "/", not "/?"')
--- upstream_calls
none



=== TEST 18: a target a rewrite made "/" is served: the proxy sends the URI, not the client's
--- raw_request eval
::post('/sdk', @::h{qw(token target type)})
--- error_code: 200
--- response_body chomp
{}
--- upstream_calls
echo sts



=== TEST 19: dynamo_access in front of a plain proxy_pass: X-Amz-Target twice refused there too
--- raw_request eval
::post('/plain/x', @::h{qw(token target type)},
       'X-Amz-Target: DynamoDB_20120810.DeleteTable')
--- error_code: 400
--- response_body eval
::refusal(ValidationException =>
          'the "X-Amz-Target" header is sent 2 times, once is allowed')
--- upstream_calls
none



=== TEST 20: ... and X-Dynamo-Role twice
--- raw_request eval
::post('/plain/x', @::h{qw(token target type)}, 'X-Dynamo-Role: Orders',
       'X-Dynamo-Role: Orders')
--- error_code: 400
--- response_body eval
::refusal(ValidationException =>
          'the "X-Dynamo-Role" header is sent 2 times, once is allowed')
--- upstream_calls
none



=== TEST 21: dynamo_access alone takes any target: its location is not DynamoDB's "/"
--- raw_request eval
::post('/plain/x?y=1', @::h{qw(token target type)})
--- error_code: 200
--- upstream_calls
echo



=== TEST 22: the refusal is in the activity record, which names no operation of the two
--- request eval
[qq{POST /\n{"TableName": "orders"}}, "GET /activity"]
--- more_headers eval
["$::h{token}\n$::h{target}\nX-Amz-Target: DynamoDB_20120810.DeleteTable", ""]
--- error_code eval
[400, 200]
--- response_body_like eval
['ValidationException',
 qr/^\{.*"statementType":"".*"message":"the \\"X-Amz-Target\\" header is sent 2 times, once is allowed","isError":true,"errorType":"ValidationException".*\}\n\z/s]
