# Hostile requests to a dynamo_pass location, sent raw: very large and
# very many headers, invalid UTF-8 in the token, chunked bodies, HTTP/1.0,
# pipelining, bodies that stop halfway, JSON nested 10,000 deep.  Each
# gets the error contract's refusal, nginx's own refusal when nginx refuses
# before the module sees the request, or the right answer; and nginx never
# crashes: the master runs, so that a worker dying on a signal is logged.
#
# Every block logs its request in a line of its own format to access.log:
# "hostile <status> <completion> up=<upstream> err=<$dynamo_error>", so
# that whether anything went upstream can be checked even when the client
# got no answer.  A block that ignores the response (the client gives up)
# gets the same line in error.log too and checks it there with
# "--- error_log": the real Test::Nginx makes no access_log checks in
# such a block.  "--- error_type" names the __type every answer must carry
# (a list of alternatives split on "|", an array for pipelined requests):
# the body must then be valid UTF-8, and a JSON object of exactly "__type"
# and "message".

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;
use Encode ();
use JSON::PP ();
use MIME::Base64 ();

our (%tok, %body);

emulator();

$tok{alice} = mint_token(key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                         claims => {azp => 'drsa/sa/default/alice',
                                    sub => 'alice', jti => 'hostile-1'},
                         exp_in => 3600);


# a token signed with rsa1 by hand (openssl), over a header and claims
# given as raw bytes: PyJWT cannot be made to encode invalid UTF-8

sub b64u {
    my $s = MIME::Base64::encode_base64($_[0], '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+$//;
    return $s;
}

sub raw_token {
    my ($header, $claims) = @_;

    my $input = b64u($header) . '.' . b64u($claims);
    my $key = keys_dir() . '/rsa1.key';

    my $file = server_root() . '.signing-input';
    open my $out, '>', $file or die "$file: $!\n";
    print $out $input;
    close $out;

    my $sig = `openssl dgst -sha256 -binary -sign '$key' '$file'`;
    die "openssl dgst failed\n" if $? != 0 || length $sig != 256;
    unlink $file;

    return "$input." . b64u($sig);
}

{
    my $exp = time + 3600;

    # the identity claim is not UTF-8: a lone continuation byte, an
    # overlong encoding, a surrogate
    $tok{bad_azp} = raw_token(
        '{"alg":"RS256","kid":"rsa1","typ":"JWT"}',
        qq({"azp":"drsa/sa/default/\x80\xc0\xaf\xed\xa0\x80","exp":$exp}));

    # the identity is fine, another claim is not
    $tok{bad_sub} = raw_token(
        '{"alg":"RS256","kid":"rsa1","typ":"JWT"}',
        qq({"azp":"drsa/sa/default/alice","sub":"\xff\xfe","exp":$exp}));

    # the kid is not UTF-8: an unknown kid named in the message
    $tok{bad_kid} = raw_token(
        qq({"alg":"RS256","kid":"rsa1\xff\"\\\\","typ":"JWT"}),
        qq({"azp":"drsa/sa/default/alice","exp":$exp}));
}


# A raw DynamoDB request: ddb(body, option => value, ...)
#
#   target      the operation, ListTables by default; undef: no X-Amz-Target
#   token       the cyral.token value, alice's by default; undef: none
#   version     "HTTP/1.1" by default
#   uri         "/" by default
#   method      "POST" by default
#   headers     more header lines, "\r\n"-terminated, before the token
#   length      Content-Length; undef: none; the body's length by default
#   chunks      the body in these chunks (Transfer-Encoding: chunked)
#   connection  "close" by default; undef: no Connection header

sub ddb {
    my ($body, %o) = @_;

    my %d = (target => 'ListTables', token => $tok{alice},
             version => 'HTTP/1.1', uri => '/', method => 'POST',
             headers => '', connection => 'close');
    %o = (%d, %o);
    $body //= '';

    my $req = "$o{method} $o{uri} $o{version}\r\nHost: localhost\r\n"
              . $o{headers};
    $req .= "cyral.token: $o{token}\r\n" if defined $o{token};
    $req .= "X-Amz-Target: DynamoDB_20120810.$o{target}\r\n"
        if defined $o{target};
    $req .= "Content-Type: application/x-amz-json-1.0\r\n";
    $req .= "Connection: $o{connection}\r\n" if defined $o{connection};

    if ($o{chunks}) {
        $req .= "Transfer-Encoding: chunked\r\n\r\n";
        $req .= sprintf("%x\r\n%s\r\n", length $_, $_) for @{ $o{chunks} };
        return $req . "0\r\n\r\n";
    }

    my $len = exists $o{length} ? $o{length} : length $body;
    $req .= "Content-Length: $len\r\n" if defined $len;

    return "$req\r\n$body";
}

$body{deep_objects} = '{"TableName": "orders", "Key": '
                      . ('{"a":' x 10000) . '1' . ('}' x 10000) . '}';
$body{deep_arrays} = '{"ExclusiveStartTableName": "a", "Limit": 1, "x": '
                     . ('[' x 10000) . (']' x 10000) . '}';
$body{deep_open} = '{"TableName": "orders", "Key": ' . ('[' x 10000);
$body{deep_top} = ('[' x 10000) . (']' x 10000);
$body{deep_item} = '{"TableName": "orders", "Item": {"pk": {"S": "o-1"}, '
                   . '"doc": ' . ('{"M": {"m": ' x 5000) . '{"S": "x"}'
                   . ('}}' x 5000) . '}}';


add_response_body_check(sub {
    my ($block, $body, $req_idx, $rep, $dry_run) = @_;

    my $want = $block->error_type;
    return if !defined $want || $dry_run;

    $want = $want->[$req_idx] if ref $want eq 'ARRAY';
    chomp $want;
    return if $want eq '';

    my $name = $block->name . " (req $req_idx)";
    my @types = split /\|/, $want;

    my $text = eval { Encode::decode('UTF-8', $body // '',
                                     Encode::FB_CROAK | Encode::LEAVE_SRC) };
    if (!defined $text) {
        Test::More::fail("$name - the error body is valid UTF-8");
        (my $shown = $body // '') =~
            s/([^\x20-\x7e])/sprintf('\x%02x', ord $1)/ge;
        Test::More::diag("body: $shown");
        return;
    }

    my $doc = eval { JSON::PP->new->decode($text) };

    my $ok = ref $doc eq 'HASH'
             && join(',', sort keys %$doc) eq '__type,message'
             && !ref $doc->{message} && length $doc->{message}
             && grep { $doc->{__type} =~ /#\Q$_\E\z/ } @types;

    Test::More::ok($ok, "$name - the body is DynamoDB's error shape, "
                        . "__type $want")
        or Test::More::diag("body: $text");
});


add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", <<'CONF');
dynamo_zone dynamo:1m;
dynamo_base_credentials env;
log_format hostile escape=json
    'hostile $status "$request_completion" up=$upstream_addr err="$dynamo_error"';
CONF
    }

    if (!defined $block->config) {
        $block->set_value("config", <<CONF);
    ignore_invalid_headers off;
    large_client_header_buffers 4 32k;
    client_body_buffer_size 16k;
    access_log \$TEST_NGINX_SERVER_ROOT/logs/access.log hostile;
HOSTILE_IN_ERROR_LOG

    location = / {
        dynamo_jwt_key \$TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:\$TEST_NGINX_DDB_PORT;
        dynamo_activity_log \$TEST_NGINX_SERVER_ROOT/logs/activity.log;
        dynamo_activity_log_statement full;
        client_max_body_size 256k;
        client_body_timeout 1s;
    }
CONF
    }

    my $config = $block->config;
    my $also = defined $block->ignore_response
               ? "    access_log \$TEST_NGINX_SERVER_ROOT/logs/error.log hostile;\n"
               : '';
    $block->set_value("config", $config)
        if $config =~ s/^HOSTILE_IN_ERROR_LOG\n/$also/m;

    # nginx must never crash, whatever the block expects besides
    my $never = "[alert]\n[crit]\n[emerg]\nexited on signal\n";
    my $no = $block->no_error_log;
    if (!defined $no) {
        $block->set_value("no_error_log", "[error]\n$never");
    } elsif (!ref $no) {
        $block->set_value("no_error_log", $no =~ /\n\z/ ? "$no$never"
                                                        : "$no\n$never");
    } else {
        $block->set_value("no_error_log",
                          [@$no, grep { length } split /\n/, $never]);
    }

    $block->set_value("wait", 0.1) unless defined $block->wait;

    aws_block_preprocessor($block);
});

master_on();
no_shuffle();
no_root_location();
run_tests();

__DATA__

=== TEST 1: the baseline: a well-formed raw request is answered by dynalite
--- raw_request eval
::ddb('{}')
--- error_code: 200
--- response_headers
Content-Type: application/x-amz-json-1.0
--- response_body_like: ^\{"TableNames":\[.*\]\}$
--- access_log eval
qr/^hostile 200 "OK" up=127\.0\.0\.1:\d+ err=""$/



=== TEST 2: one header of 64 KB: nginx's own 400 before the module, nothing upstream
--- raw_request eval
::ddb('{}', headers => 'X-Padding: ' . ('a' x 65536) . "\r\n")
--- error_code: 400
--- response_body_like: Request Header Or Cookie Too Large
--- access_log eval
qr/^hostile 400 "OK" up= err=""$/
--- error_log
client sent too long header line



=== TEST 3: a token of 16 KB (nginx takes the header line): the module refuses it, never echoes it
--- raw_request eval
::ddb('{}', token => 'eyJ' . ('Q' x 16381))
--- error_code: 400
--- response_headers
Content-Type: application/x-amz-json-1.0
--- error_type: UnrecognizedClientException
--- response_body_like: identity token is too large
--- response_body_unlike: QQQQQQQQ
--- access_log eval
qr/^hostile 400 "OK" up= err=".*too large.*"$/



=== TEST 4: 900 headers the module strips (X-Amz-Date, X-Amz-Security-Token), the token last: served
Under the 1000 headers that nginx's max_headers allows by default where
it has the directive (Debian backported it).  Every copy must be
stripped: one left over breaks the signature the front checks, and the
front takes no more than 100 headers.
--- raw_request eval
::ddb('{}', headers => CORE::join('', map {
          $_ % 2 ? "X-Amz-Date: 20200101T0000${_}Z\r\n"
                 : "X-Amz-Security-Token: client-$_\r\n" } 1 .. 900))
--- error_code: 200
--- response_body_like: ^\{"TableNames":\[.*\]\}$
--- access_log eval
qr/^hostile 200 "OK" up=127\.0\.0\.1:\d+ err=""$/



=== TEST 5: 20,000 headers, over what nginx takes (max_headers, buffers): nginx's own 400
--- raw_request eval
::ddb('{}', headers => CORE::join('', map { "X-Header-$_: value\r\n" } 1 .. 20000))
--- error_code: 400
--- response_body_like: Request Header Or Cookie Too Large
--- access_log eval
qr/^hostile 400 "OK" up= err=""$/



=== TEST 6: the token header 100 times: refused, not the first or last taken
--- raw_request eval
::ddb('{}', token => undef,
      headers => "cyral.token: $::tok{alice}\r\n" x 100)
--- error_code: 400
--- error_type: UnrecognizedClientException
--- response_body_like: sent 100 times
--- access_log eval
qr/^hostile 400 "OK" up= err=".*100 times.*"$/



=== TEST 7: invalid UTF-8 and control bytes in the token header itself: refused, nothing echoed
--- raw_request eval
::ddb('{}', token => "eyJ\xff\xfe\x80.\xc3\x28\x01\x7f.\xed\xa0\x80\xf8\x88\x80\x80\x80")
--- error_code: 400
--- response_headers
Content-Type: application/x-amz-json-1.0
--- error_type: UnrecognizedClientException
--- response_body_unlike eval
qr/[\x80-\xff]|eyJ/
--- access_log eval
qr/^hostile 400 "OK" up= err=".+"$/



=== TEST 8: a NUL byte in the token: nginx's own 400 (invalid header line)
--- raw_request eval
::ddb('{}', token => "eyJhbGciOiJSUzI1NiJ9\0.e30.x")
--- error_code: 400
--- response_body_like: 400 Bad Request
--- access_log eval
qr/^hostile 400 "OK" up= err=""$/



=== TEST 9: a well-signed token whose identity claim is not UTF-8: a malformed token, in valid UTF-8 JSON
The claims are not JSON (RFC 8259 wants UTF-8): the token is malformed,
whatever its signature.
--- raw_request eval
::ddb('{}', token => $::tok{bad_azp})
--- error_code: 400
--- response_headers
Content-Type: application/x-amz-json-1.0
--- error_type: UnrecognizedClientException
--- response_body_unlike eval
qr/[\x80-\xff]/
--- access_log eval
qr/^hostile 400 "OK" up= err=".*malformed.*"$/



=== TEST 10: a well-signed token with another claim not UTF-8: malformed too, though the identity is fine
Taking it would carry the bytes into $dynamo_claim_sub, the activity
record's subject and the role session name.
--- raw_request eval
::ddb('{}', token => $::tok{bad_sub})
--- error_code: 400
--- error_type: UnrecognizedClientException
--- response_body_unlike eval
qr/[\x80-\xff]/
--- access_log eval
qr/^hostile 400 "OK" up= err=".*malformed.*"$/



=== TEST 11: a kid that is not UTF-8, with a quote and backslashes: refused, the message stays JSON
--- raw_request eval
::ddb('{}', token => $::tok{bad_kid})
--- error_code: 400
--- error_type: UnrecognizedClientException
--- response_body_unlike eval
qr/[\x80-\xff]/
--- access_log eval
qr/^hostile 400 "OK" up= err=".+"$/



=== TEST 12: a chunked body in 1-byte chunks is read whole and signed as sent
--- raw_request eval
::ddb(undef, chunks => [split //, '{"Limit": 5}'])
--- error_code: 200
--- response_body_like: ^\{"TableNames":\[.*\]\}$
--- access_log eval
qr/^hostile 200 "OK" up=127\.0\.0\.1:\d+ err=""$/



=== TEST 13: a chunked body with an invalid chunk size: nginx's own 400, in DynamoDB's error shape, nothing upstream
--- raw_request eval
my $r = ::ddb(undef, chunks => ['{}']);
$r =~ s/\r\n\r\n2\r\n/\r\n\r\nzz\r\n/ or die "no chunk\n";
$r
--- error_code: 400
--- response_headers
Content-Type: application/x-amz-json-1.0
--- error_type: ValidationException
--- response_body_like: the request could not be parsed
--- access_log eval
qr/^hostile 400 "OK" up= err="the request could not be parsed"$/
--- error_log
400 answered as com.amazon.coral.validate#ValidationException
client sent invalid chunked body
--- no_error_log eval
[qr/\[(?:info|notice|warn|error)\].*dynamo:(?! 400 answered as)/]



=== TEST 14: a chunked body that grows past client_max_body_size: nginx's own 413, in DynamoDB's error shape
--- raw_request eval
::ddb(undef, chunks => ['{"x": "', ('a' x 65536) x 5, '"}'])
--- error_code: 413
--- response_headers
Content-Type: application/x-amz-json-1.0
--- error_type: ValidationException
--- response_body_like: the request body is larger than the gateway accepts
--- access_log eval
qr/^hostile 413 "OK" up= err="the request body is larger than the gateway accepts"$/
--- error_log
413 answered as com.amazon.coral.validate#ValidationException
client intended to send too large chunked body
--- no_error_log eval
[qr/\[(?:info|notice|warn|error)\].*dynamo:(?! 413 answered as)/]



=== TEST 15: both Content-Length and Transfer-Encoding: nginx's own 400
--- raw_request eval
my $r = ::ddb(undef, chunks => ['{}']);
$r =~ s/Transfer-Encoding: chunked\r\n/Content-Length: 7\r\nTransfer-Encoding: chunked\r\n/;
$r
--- error_code: 400
--- response_body_like: 400 Bad Request
--- access_log eval
qr/^hostile 400 "OK" up= err=""$/



=== TEST 16: a Content-Length past client_max_body_size: nginx's own 413, in DynamoDB's error shape before any body
--- raw_request eval
::ddb('{"x": "' . ('a' x 1048560) . '"}')
--- error_code: 413
--- response_headers
Content-Type: application/x-amz-json-1.0
--- error_type: ValidationException
--- response_body_like: the request body is larger than the gateway accepts
--- access_log eval
qr/^hostile 413 "OK" up= err="the request body is larger than the gateway accepts"$/
--- error_log
413 answered as com.amazon.coral.validate#ValidationException
client intended to send too large body
--- no_error_log eval
[qr/\[(?:info|notice|warn|error)\].*dynamo:(?! 413 answered as)/]



=== TEST 17: an absurd Content-Length: nginx's own 400
--- raw_request eval
::ddb('{}', length => '99999999999999999999999999')
--- error_code: 400
--- response_body_like: 400 Bad Request
--- access_log eval
qr/^hostile 400 "OK" up= err=""$/



=== TEST 18: HTTP/1.0 with a Content-Length: served, the connection closed
--- raw_request eval
::ddb('{"Limit": 3}', version => 'HTTP/1.0', connection => undef)
--- error_code: 200
--- response_body_like: ^\{"TableNames":\[.*\]\}$
--- response_headers
Connection: close
--- access_log eval
qr/^hostile 200 "OK" up=127\.0\.0\.1:\d+ err=""$/



=== TEST 19: HTTP/1.0 without a Content-Length: no body, refused by the module
--- raw_request eval
::ddb('{"Limit": 3}', version => 'HTTP/1.0', connection => undef,
      length => undef)
--- error_code: 400
--- error_type: ValidationException
--- response_body_like: request body is empty
--- access_log eval
qr/^hostile 400 "OK" up= err=".+"$/



=== TEST 20: HTTP/1.0 with Transfer-Encoding: nginx's own 400
--- raw_request eval
::ddb(undef, version => 'HTTP/1.0', chunks => ['{}'])
--- error_code: 400
--- response_body_like: 400 Bad Request
--- access_log eval
qr/^hostile 400 "OK" up= err=""$/



=== TEST 21: HTTP/0.9-style request line (no version): nginx's own refusal, never the module
--- raw_request eval
"POST /\r\n\r\n{}"
--- http09
--- response_body_like: 400 Bad Request
--- access_log eval
qr/^hostile 400 "OK" up= err=""$/



=== TEST 22: pipelined, the same headers: served, refused before the body (args, method), served
The refused requests' bodies must be discarded, not read as the next
request; every answer in order.
--- pipelined_requests eval
["POST /\n{}",
 qq{POST /?x=1\n{"TableName": "orders"}},
 "POST /\n{\"Limit\": 2}",
 "PUT /\n" . '{"TableName": "orders", "pad": "' . ('p' x 20000) . '"}',
 "POST /\n{}"]
--- more_headers eval
"cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.ListTables\nContent-Type: application/x-amz-json-1.0"
--- error_code eval
[200, 400, 200, 400, 200]
--- error_type eval
["", "ValidationException", "", "ValidationException", ""]
--- response_body_like eval
[qr/^\{"TableNames"/, qr/made to \\"\/\\"/, qr/^\{"TableNames"/,
 qr/POST, not PUT/, qr/^\{"TableNames"/]



=== TEST 23: pipelined, refused after the body was read (10,000 deep, not JSON), then served
--- pipelined_requests eval
["POST /\n$::body{deep_arrays}",
 "POST /\n{}",
 "POST /\n{\"Limit\": 2} trailing",
 "POST /\n{}"]
--- more_headers eval
"cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.ListTables\nContent-Type: application/x-amz-json-1.0"
--- error_code eval
[400, 200, 400, 200]
--- error_type eval
["ValidationException", "", "ValidationException", ""]
--- response_body_like eval
[qr/nesting too deep/, qr/^\{"TableNames"/, qr/trailing characters/,
 qr/^\{"TableNames"/]



=== TEST 24: pipelined, no token: each refused before its body is read, each body discarded
--- pipelined_requests eval
[qq{POST /\n{"TableName": "a"}},
 "POST /\n" . '{"TableName": "' . ('b' x 30000) . '"}',
 qq{POST /\n{"TableName": "c"}}]
--- more_headers
X-Amz-Target: DynamoDB_20120810.DescribeTable
--- error_code eval
[400, 400, 400]
--- error_type eval
["MissingAuthenticationTokenException", "MissingAuthenticationTokenException",
 "MissingAuthenticationTokenException"]



=== TEST 25: raw pipelining: a refused request with a body, then a good one, in one write
The runners parse one answer of a raw request: "http09" takes what came
back whole, both answers, in order.
--- raw_request eval
::ddb('{"TableName": "' . ('z' x 5000) . '"}', token => undef,
      connection => 'keep-alive')
. ::ddb('{}')
--- http09
--- response_body_like eval
qr{\AHTTP/1\.1 400 Bad Request\r\n(?:[^\r\n]+\r\n)*?Content-Type: application/x-amz-json-1\.0\r\n(?:[^\r\n]+\r\n)*\r\n\{"__type":"com\.amazon\.coral\.service#MissingAuthenticationTokenException","message":"(?:[^"\\]|\\.)+"\}HTTP/1\.1 200 OK\r\n(?:[^\r\n]+\r\n)*\r\n\{"TableNames":\[[^\]]*\]\}\z}
--- access_log eval
[qr/^hostile 400 "OK" up= err=".*no identity token.*"$/,
 qr/^hostile 200 "OK" up=127\.0\.0\.1:\d+ err=""$/]



=== TEST 26: a body that stops halfway, then the client closes: no answer, nothing upstream
--- raw_request eval
my $r = ::ddb('{"ExclusiveStartTableName": "' . ('h' x 2000) . '"}');
substr($r, 0, length($r) - 1000)
--- timeout: 0.5
--- abort
--- ignore_response
--- wait: 0.3
--- error_log eval
[qr/^hostile 400 "" up= err=""$/,
 "client prematurely closed connection"]



=== TEST 27: a body that stops halfway, the client stays: client_body_timeout, 408, no answer
--- raw_request eval
my $r = ::ddb('{"ExclusiveStartTableName": "' . ('h' x 2000) . '"}');
substr($r, 0, length($r) - 1000)
--- timeout: 3
--- ignore_response
--- error_log eval
[qr/^hostile 408 "" up= err=""$/]



=== TEST 28: a chunked body that stops halfway, the client closes
--- raw_request eval
my $r = ::ddb(undef, chunks => ['{"Limit": ', '5}']);
$r =~ s/2\r\n5\}\r\n0\r\n\r\n\z// or die "no chunks\n";
$r
--- timeout: 0.5
--- abort
--- ignore_response
--- wait: 0.3
--- error_log eval
[qr/^hostile 400 "" up= err=""$/,
 "client prematurely closed connection"]



=== TEST 29: the body in 3 packets, 100 ms apart: read asynchronously, served
--- raw_request eval
my $r = ::ddb('{"ExclusiveStartTableName": "abc", "Limit": 4}');
[substr($r, 0, length($r) - 30), substr($r, -30, 15), substr($r, -15)]
--- raw_request_middle_delay: 0.1
--- error_code: 200
--- response_body_like: ^\{"TableNames":\[.*\]\}$
--- access_log eval
qr/^hostile 200 "OK" up=127\.0\.0\.1:\d+ err=""$/



=== TEST 30: the client leaves while STS stalls: the subrequest ends, the request is logged, no crash
STS holds the AssumeRole call past proxy_read_timeout (2 s); the client
gives up after 0.5 s; the gateway answers its 503 to nobody.
--- emu_faults
{"service": "sts", "mode": "hang", "ms": 4000}
--- raw_request eval
::ddb('{}')
--- timeout: 0.5
--- abort
--- ignore_response
--- wait: 2.5
--- no_error_log
[crit]
--- error_log eval
[qr/^hostile (?:499|503) "(?:OK)?" up= err=".*"$/]



=== TEST 31: a JSON body of objects nested 10,000 deep (GetItem Key): ValidationException, nothing upstream
--- raw_request eval
::ddb($::body{deep_objects}, target => 'GetItem')
--- error_code: 400
--- error_type: ValidationException
--- response_body_like: nesting too deep
--- access_log eval
qr/^hostile 400 "OK" up= err=".*nesting too deep.*"$/



=== TEST 32: arrays nested 10,000 deep, never closed: ValidationException, nothing upstream
--- raw_request eval
::ddb($::body{deep_open}, target => 'GetItem')
--- error_code: 400
--- error_type: ValidationException
--- access_log eval
qr/^hostile 400 "OK" up= err=".+"$/



=== TEST 33: a top-level array nested 10,000 deep: ValidationException
--- raw_request eval
::ddb($::body{deep_top})
--- error_code: 400
--- error_type: ValidationException
--- access_log eval
qr/^hostile 400 "OK" up= err=".+"$/



=== TEST 34: an Item map nested 5,000 M deep (10,000 JSON levels), chunked: ValidationException
--- raw_request eval
my $b = $::body{deep_item};
::ddb(undef, target => 'PutItem',
      chunks => [map { substr($b, $_ * 4096, 4096) } 0 .. int(length($b) / 4096)])
--- error_code: 400
--- error_type: ValidationException
--- response_body_like: nesting too deep
--- access_log eval
qr/^hostile 400 "OK" up= err=".*nesting too deep.*"$/



=== TEST 35: an X-Amz-Target of 20 KB with invalid UTF-8, quotes and backslashes: a short, clean refusal
--- raw_request eval
::ddb('{}', target => "\xff\"\\" x 7000)
--- error_code: 400
--- error_type: ValidationException
--- response_body_like: unknown operation
--- response_body_unlike eval
qr/[\x80-\xff]|.{2048}/s
--- access_log eval
qr/^hostile 400 "OK" up= err=".+"$/



=== TEST 36: an X-Dynamo-Role of 20 KB: refused as not the identity's own, the message short
--- raw_request eval
::ddb('{}', headers => 'X-Dynamo-Role: ' . ("r\xe9le" x 5000) . "\r\n")
--- error_code: 400
--- error_type: AccessDeniedException
--- response_body_unlike eval
qr/[\x80-\xff]|.{2048}/s
--- access_log eval
qr/^hostile 400 "OK" up= err=".+"$/



=== TEST 37: an Authorization header of 30 KB: stripped, the request re-signed and served
--- raw_request eval
::ddb('{}', headers => 'Authorization: AWS4-HMAC-SHA256 Credential='
                       . ('A' x 30000) . "/x, Signature=00\r\n")
--- error_code: 200
--- response_body_like: ^\{"TableNames":\[.*\]\}$
--- access_log eval
qr/^hostile 200 "OK" up=127\.0\.0\.1:\d+ err=""$/



=== TEST 38: a request line of 40 KB: nginx's own 414
--- raw_request eval
::ddb('{}', uri => '/?' . ('q' x 40000))
--- error_code: 414
--- response_body_like: 414 Request-URI Too Large
--- access_log eval
qr/^hostile 414 "OK" up= err=""$/



=== TEST 39: Expect: 100-continue, the body sent after the interim answer: served
The interim answer and the final one, whole ("http09").
--- raw_request eval
my $r = ::ddb('{"Limit": 7}', headers => "Expect: 100-continue\r\n");
my $at = index($r, "\r\n\r\n") + 4;
[substr($r, 0, $at), substr($r, $at)]
--- raw_request_middle_delay: 0.3
--- http09
--- response_body_like eval
qr{\AHTTP/1\.1 100 Continue\r\n\r\nHTTP/1\.1 200 OK\r\n(?:[^\r\n]+\r\n)*\r\n\{"TableNames":\[[^\]]*\]\}\z}
--- access_log eval
qr/^hostile 200 "OK" up=127\.0\.0\.1:\d+ err=""$/



=== TEST 40: a body of 100 KB (buffered to a temp file) that stops at 60 KB, then the client closes
--- raw_request eval
my $r = ::ddb('{"ExclusiveStartTableName": "' . ('t' x 100000) . '"}');
substr($r, 0, length($r) - 40000)
--- timeout: 0.5
--- abort
--- ignore_response
--- wait: 0.3
--- error_log eval
[qr/^hostile 400 "" up= err=""$/,
 "client prematurely closed connection"]
--- no_error_log eval
[qr/\[error\]/]
