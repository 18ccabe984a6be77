# dynamo_pass: the request re-signed for the role and proxied.  Signatures
# are checked by botocore in the emulator (the DynamoDB front refuses bad
# ones; the echo upstream computes botocore's Authorization for what it
# received, to compare with the one sent, character for character).

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;
use File::Temp qw(tempdir);
use Compress::Zlib ();

our (%tok, %body);

emulator();

$tok{alice} = mint_token(key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                         claims => {azp => 'drsa/sa/default/alice'},
                         exp_in => 3600);
$tok{bob} = mint_token(key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                       claims => {azp => 'drsa/sa/default/bob'},
                       exp_in => 3600);

# a 1.5 MB BatchWriteItem: client_body_buffer_size keeps it in a temp file
$body{large} = '{"RequestItems": {"big": ['
    . join(', ', map {
          '{"PutRequest": {"Item": {"pk": {"S": "k' . $_
          . '"}, "v": {"S": "' . ('x' x 60000) . '"}}}}'
      } 1 .. 25)
    . ']}}';
$body{unicode} = qq({"TableName": "t\x{e9}st", "Item": {"pk": {"S": )
    . qq("\x{65e5}\x{672c}\x{8a9e} \x{1f600}"}}});
utf8::encode($body{unicode});

# a CA and a certificate for the local TLS front, made now
my $pki = tempdir(CLEANUP => 1);
system("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca "
       . "-keyout $pki/ca.key -out $pki/ca.pem 2>/dev/null && "
       . "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost "
       . "-keyout $pki/tls.key -out $pki/tls.csr 2>/dev/null && "
       . "printf 'subjectAltName=DNS:localhost\\n' > $pki/ext && "
       . "openssl x509 -req -in $pki/tls.csr -CA $pki/ca.pem -CAkey $pki/ca.key "
       . "-CAcreateserial -days 1 -extfile $pki/ext -out $pki/tls.pem 2>/dev/null && "
       . "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=other-ca "
       . "-keyout $pki/other.key -out $pki/other.pem 2>/dev/null") == 0
    or die "openssl failed\n";
$ENV{TEST_NGINX_PKI} = $pki;
$ENV{TEST_NGINX_TLS_PORT} = ($ENV{TEST_NGINX_PORT} // 1984) + 443;
$ENV{"TEST_NGINX_REGION_PORT_$_"} = ($ENV{TEST_NGINX_PORT} // 1984) + 450 + $_
    for 0 .. 3;

add_block_preprocessor(sub {
    my $block = shift;

    my $pass = $block->pass_location;

    if (defined $pass) {
        chomp $pass;
        $block->set_value("config", <<CONF . ($block->config // ''));
    ignore_invalid_headers off;
    client_body_buffer_size 16k;
    location = / {
        dynamo_jwt_key \$TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_service_account drsa/sa/default/bob
                               arn:aws:iam::123456789012:role/Reports;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass $pass;
        add_header X-Operation \$dynamo_operation always;
        add_header X-Tables \$dynamo_table always;
        add_header X-End-User \$dynamo_end_user always;
        add_header X-Role \$dynamo_role_arn always;
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

=== TEST 1: through the verifying DynamoDB front to dynalite: CreateTable, PutItem, GetItem
--- pass_location
http://127.0.0.1:$TEST_NGINX_DDB_PORT
--- request eval
[qq{POST /\n{"TableName": "orders", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}},
 qq{POST /\n{"TableName": "orders", "Item": {"pk": {"S": "o-1"}, "total": {"N": "42"}}}},
 qq{POST /\n{"TableName": "orders", "Key": {"pk": {"S": "o-1"}}}},
 "GET /emu/requests?service=dynamodb"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.CreateTable\nContent-Type: application/x-amz-json-1.0",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.PutItem\nContent-Type: application/x-amz-json-1.0",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.GetItem\nContent-Type: application/x-amz-json-1.0",
 ""]
--- error_code eval
[200, 200, 200, 200]
--- response_headers_like eval
["X-Operation: CreateTable\nX-Tables: orders\nx-amz-crc32: \\d+",
 "X-Operation: PutItem", "X-Operation: GetItem", ""]
--- response_body_like eval
[qr/"TableDescription":\{.*"TableName":"orders"/,
 qr/^\{\}$/,
 qr/^\{"Item":\{"pk":\{"S":"o-1"\},"total":\{"N":"42"\}\}\}$/,
 qr/"target": "DynamoDB_20120810.CreateTable".*"signature_ok": true.*"role_arn": "arn:aws:iam::123456789012:role\/Orders".*"target": "DynamoDB_20120810.PutItem".*"signature_ok": true.*"target": "DynamoDB_20120810.GetItem".*"signature_ok": true/s]



=== TEST 2: botocore computes the same Authorization for what the upstream received
Bodies small, large (1.5 MB, in a temp file), with unicode, chunked; with
the role's session token.
--- pass_location
http://127.0.0.1:$TEST_NGINX_ECHO_PORT
--- request eval
[qq{POST /\n{}},
 qq{POST /\n{"TableName": "orders", "Key": {"pk": {"S": "o-1"}}}},
 "POST /\n$::body{large}",
 "POST /\n$::body{unicode}",
 "GET /emu/requests?service=echo"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.ListTables\nContent-Type: application/x-amz-json-1.0",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.GetItem\nContent-Type: application/x-amz-json-1.0",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.BatchWriteItem\nContent-Type: application/x-amz-json-1.0",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.PutItem\nContent-Type: application/x-amz-json-1.0",
 ""]
--- error_code eval
[200, 200, 200, 200, 200]
--- response_body_like eval
[qr/^\{\}$/, qr/^\{\}$/, qr/^\{\}$/, qr/^\{\}$/,
 qr/^(?!.*"authorization_matches": false)(?:.*?"authorization_matches": true){4}/s]
--- timeout: 20



=== TEST 3: a chunked request body is signed as sent: the verifying front takes it
dynalite answers (no such item in the table TEST 1 made) only after the
front checked the signature (a bad one is InvalidSignatureException).
--- pass_location
http://127.0.0.1:$TEST_NGINX_DDB_PORT
--- raw_request eval
my @chunks = ('{"TableName": "o', 'rders", "Key": {"pk": {"S"', ': "x"}}}');
"POST / HTTP/1.1\r\nHost: localhost\r\ncyral.token: $::tok{alice}\r\n"
. "X-Amz-Target: DynamoDB_20120810.GetItem\r\n"
. "Content-Type: application/x-amz-json-1.0\r\n"
. "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
. CORE::join('', map { sprintf("%x\r\n%s\r\n", length, $_) } @chunks)
. "0\r\n\r\n"
--- error_code: 200
--- response_body chomp
{}



=== TEST 4: the client's credentials and token never go upstream; the role's do
--- pass_location
http://127.0.0.1:$TEST_NGINX_ECHO_PORT
--- request eval
[qq{POST /\n{"TableName": "orders"}}, "GET /emu/requests?service=echo"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.DescribeTable\nContent-Type: application/x-amz-json-1.0\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDCLIENTKEY0000/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00\nX-Amz-Date: 20260101T000000Z\nX-Amz-Security-Token: client-session-token\nX-Dynamo-Role: Orders\nUser-Agent: Boto3/1.26.27",
 ""]
--- response_headers_like eval
["X-End-User: AKIDCLIENTKEY0000", ""]
--- response_body_like eval
[qr/^\{\}$/, qr/\["Host", "127.0.0.1:\d+"\].*\["User-Agent", "Boto3\/1.26.27"\].*\["X-Amz-Date", "\d{8}T\d{6}Z"\], \["Authorization", "AWS4-HMAC-SHA256 Credential=ASIA[A-Z0-9]{16}\/\d{8}\/us-east-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}"\], \["X-Amz-Security-Token", "IQoJb3JpZ2luX2VjE[^"]+"\]\].*"authorization_matches": true/s]
--- response_body_unlike eval
["", qr/cyral|AKIDCLIENTKEY|client-session-token|X-Dynamo-Role|20260101T000000Z/i]



=== TEST 5: no X-Amz-Target, an unknown one, a body that is not JSON, a GET: ValidationException, nothing sent
--- pass_location
http://127.0.0.1:$TEST_NGINX_ECHO_PORT
--- request eval
[qq{POST /\n{"TableName": "orders"}},
 qq{POST /\n{"TableName": "orders"}},
 qq{POST /\n{"TableName": "orders"},},
 qq{POST /\n},
 "GET /",
 "GET /emu/counters"]
--- more_headers eval
["cyral.token: $::tok{alice}\nContent-Type: application/x-amz-json-1.0",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.DropEverything",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.DescribeTable",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.ListTables",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.ListTables",
 ""]
--- error_code eval
[400, 400, 400, 400, 400, 200]
--- response_body_like eval
['^\{"__type":"com.amazon.coral.validate#ValidationException","message":"the X-Amz-Target header is missing"\}$',
 '^\{"__type":"com.amazon.coral.validate#ValidationException","message":"unknown operation \\\\"DynamoDB_20120810.DropEverything\\\\" in X-Amz-Target"\}$',
 '^\{"__type":"com.amazon.coral.validate#ValidationException","message":"request body is not a JSON object: trailing characters at offset 23"\}$',
 '^\{"__type":"com.amazon.coral.validate#ValidationException","message":"request body is empty"\}$',
 '^\{"__type":"com.amazon.coral.validate#ValidationException","message":"DynamoDB requests are POST, not GET"\}$',
 '^(?!.*"echo")']



=== TEST 6: a JSON body nested 10,000 deep is refused without recursion
--- pass_location
http://127.0.0.1:$TEST_NGINX_ECHO_PORT
--- request eval
"POST /\n" . ('{"a":' x 10000) . '1' . ('}' x 10000)
--- more_headers eval
"cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.PutItem"
--- error_code: 400
--- response_body_like chomp
ValidationException","message":"request body is not a JSON object: nesting too deep at offset \d+"



=== TEST 7: a body over client_max_body_size gets nginx's own 413
--- config
    ignore_invalid_headers off;
    location = / {
        client_max_body_size 1k;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:$TEST_NGINX_ECHO_PORT;
    }
--- request eval
"POST /\n$::body{large}"
--- more_headers eval
"cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.BatchWriteItem"
--- error_code: 413



=== TEST 8: refusals in the access phase answer before anything goes upstream
--- pass_location
http://127.0.0.1:$TEST_NGINX_ECHO_PORT
--- request eval
[qq{POST /\n{"TableName": "orders"}}, "GET /emu/counters"]
--- more_headers eval
["X-Amz-Target: DynamoDB_20120810.DescribeTable", ""]
--- error_code eval
[400, 200]
--- response_body_like eval
['MissingAuthenticationTokenException', '^(?!.*"echo")(?!.*"sts": \{)']



=== TEST 9: the answer passes through untouched: status, x-amz-crc32, body
--- pass_location
http://127.0.0.1:$TEST_NGINX_ECHO_PORT
--- emu_config
{"echo": {"status": 400, "body": "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\",\"message\":\"The conditional request failed\"}"}}
--- request
POST /
{"TableName": "orders", "Item": {"pk": {"S": "o-1"}}, "ConditionExpression": "attribute_not_exists(pk)"}
--- more_headers eval
"cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.PutItem"
--- error_code: 400
--- response_headers eval
"x-amz-crc32: " . Compress::Zlib::crc32('{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}')
--- response_body chomp
{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}



=== TEST 10: TLS to the upstream, verified against a CA made for this test
--- pass_location
https://localhost:$TEST_NGINX_TLS_PORT
--- config
    proxy_ssl_verify on;
    proxy_ssl_trusted_certificate $TEST_NGINX_PKI/ca.pem;
    proxy_ssl_server_name on;
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials env;
    server {
        listen 127.0.0.1:$TEST_NGINX_TLS_PORT ssl;
        server_name localhost;
        ssl_certificate $TEST_NGINX_PKI/tls.pem;
        ssl_certificate_key $TEST_NGINX_PKI/tls.key;
        location / {
            proxy_pass http://127.0.0.1:$TEST_NGINX_ECHO_PORT;
            proxy_set_header Host $http_host;
        }
    }
--- request eval
[qq{POST /\n{"TableName": "orders"}}, "GET /emu/requests?service=echo"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.DescribeTable\nContent-Type: application/x-amz-json-1.0", ""]
--- response_body_like eval
[qr/^\{\}$/, qr/\["Host", "localhost:\d+"\].*"authorization_matches": true/s]



=== TEST 11: TLS to an upstream whose certificate the CA did not sign: 502
--- pass_location
https://localhost:$TEST_NGINX_TLS_PORT
--- config
    proxy_ssl_verify on;
    proxy_ssl_trusted_certificate $TEST_NGINX_PKI/other.pem;
    proxy_ssl_server_name on;
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials env;
    server {
        listen 127.0.0.1:$TEST_NGINX_TLS_PORT ssl;
        server_name localhost;
        ssl_certificate $TEST_NGINX_PKI/tls.pem;
        ssl_certificate_key $TEST_NGINX_PKI/tls.key;
        location / {
            proxy_pass http://127.0.0.1:$TEST_NGINX_ECHO_PORT;
        }
    }
--- request
POST /
{"TableName": "orders"}
--- more_headers eval
"cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.DescribeTable"
--- error_code: 502
--- error_log
upstream SSL certificate verify error



=== TEST 12: the region comes from the endpoint's name, or dynamo_region
Upstream groups named like AWS endpoints lead to the echo server; a
server per endpoint, reached through /a ... /d.
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials env;
    upstream dynamodb.eu-west-3.amazonaws.com {
        server 127.0.0.1:$TEST_NGINX_ECHO_PORT;
    }
    upstream 123456789012.ddb.ap-south-1.amazonaws.com {
        server 127.0.0.1:$TEST_NGINX_ECHO_PORT;
    }
    upstream dynamodb-fips.us-gov-west-1.amazonaws.com {
        server 127.0.0.1:$TEST_NGINX_ECHO_PORT;
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_REGION_PORT_0;
        ignore_invalid_headers off;
        location = / {
            dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
            dynamo_service_account drsa/sa/default/alice
                                   arn:aws:iam::123456789012:role/Orders;
            dynamo_sts /_sts;
            dynamo_pass http://dynamodb.eu-west-3.amazonaws.com;
            }
        location = /_sts {
            internal;
            proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/;
            proxy_set_header Host sts.us-east-1.amazonaws.com;
        }
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_REGION_PORT_1;
        ignore_invalid_headers off;
        location = / {
            dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
            dynamo_service_account drsa/sa/default/alice
                                   arn:aws:iam::123456789012:role/Orders;
            dynamo_sts /_sts;
            dynamo_pass http://123456789012.ddb.ap-south-1.amazonaws.com;
            }
        location = /_sts {
            internal;
            proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/;
            proxy_set_header Host sts.us-east-1.amazonaws.com;
        }
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_REGION_PORT_2;
        ignore_invalid_headers off;
        location = / {
            dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
            dynamo_service_account drsa/sa/default/alice
                                   arn:aws:iam::123456789012:role/Orders;
            dynamo_sts /_sts;
            dynamo_pass http://dynamodb-fips.us-gov-west-1.amazonaws.com;
            }
        location = /_sts {
            internal;
            proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/;
            proxy_set_header Host sts.us-east-1.amazonaws.com;
        }
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_REGION_PORT_3;
        ignore_invalid_headers off;
        location = / {
            dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
            dynamo_service_account drsa/sa/default/alice
                                   arn:aws:iam::123456789012:role/Orders;
            dynamo_sts /_sts;
            dynamo_pass http://dynamodb-fips.us-gov-west-1.amazonaws.com;
            dynamo_region us-east-2;
        }
        location = /_sts {
            internal;
            proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/;
            proxy_set_header Host sts.us-east-1.amazonaws.com;
        }
    }
--- config
    ignore_invalid_headers off;
    location = /a {
        proxy_pass http://127.0.0.1:$TEST_NGINX_REGION_PORT_0/;
    }
    location = /b {
        proxy_pass http://127.0.0.1:$TEST_NGINX_REGION_PORT_1/;
    }
    location = /c {
        proxy_pass http://127.0.0.1:$TEST_NGINX_REGION_PORT_2/;
    }
    location = /d {
        proxy_pass http://127.0.0.1:$TEST_NGINX_REGION_PORT_3/;
    }
--- request eval
[qq{POST /a\n{}}, qq{POST /b\n{}}, qq{POST /c\n{}}, qq{POST /d\n{}}, "GET /emu/requests?service=echo"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.ListTables",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.ListTables",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.ListTables",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.ListTables", ""]
--- error_code eval
[200, 200, 200, 200, 200]
--- response_body_like eval
[qr/^\{\}$/, qr/^\{\}$/, qr/^\{\}$/, qr/^\{\}$/,
 qr{"Host", "dynamodb.eu-west-3.amazonaws.com"\].*/eu-west-3/dynamodb/aws4_request.*"Host", "123456789012.ddb.ap-south-1.amazonaws.com"\].*/ap-south-1/dynamodb/aws4_request.*"Host", "dynamodb-fips.us-gov-west-1.amazonaws.com"\].*/us-gov-west-1/dynamodb/aws4_request.*"Host", "dynamodb-fips.us-gov-west-1.amazonaws.com"\].*/us-east-2/dynamodb/aws4_request}s]



=== TEST 13: a host that does not name its region needs dynamo_region
--- config
    ignore_invalid_headers off;
    location = /a {
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_sts /_sts;
        dynamo_pass http://127.0.0.1:8000;
    }
--- must_die
--- error_log
dynamo_pass to "127.0.0.1:8000": the signing region cannot be told from the host, add "dynamo_region"



=== TEST 14: dynamo_pass takes no URI part
--- config
    location = /a {
        dynamo_pass http://127.0.0.1:8000/prefix/;
    }
--- must_die
--- error_log
dynamo_pass "http://127.0.0.1:8000/prefix/" must not have a URI part



=== TEST 15: dynamo_pass without dynamo_sts fails at start
--- config
    ignore_invalid_headers off;
    location = /a {
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:8000;
    }
--- must_die
--- error_log
dynamo_pass to "127.0.0.1:8000" signs with the role's credentials: add "dynamo_sts" to fetch them



=== TEST 16: an upstream{} group: host= names the endpoint, which is signed and sent as Host
--- config
    ignore_invalid_headers off;
    location = / {
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Orders;
        dynamo_sts /_sts;
        dynamo_pass http://ddb_backend host=dynamodb.us-east-1.amazonaws.com;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
    }
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials env;
    upstream ddb_backend {
        server 127.0.0.1:$TEST_NGINX_ECHO_PORT;
        keepalive 4;
    }
--- request eval
[qq{POST /\n{"TableName": "a"}}, qq{POST /\n{"TableName": "b"}}, "GET /emu/requests?service=echo", "GET /emu/counters"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.DescribeTable\nContent-Type: application/x-amz-json-1.0",
 "cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.DescribeTable\nContent-Type: application/x-amz-json-1.0", "", ""]
--- response_body_like eval
[qr/^\{\}$/, qr/^\{\}$/,
 qr/\["Host", "dynamodb.us-east-1.amazonaws.com"\].*"authorization_matches": true.*"authorization_matches": true/s,
 qr/"_connections": \{[^}]*"echo": 1[,}]/]



=== TEST 17: a body read in two steps, then a credential fetch: the request goes on
The headers fill nginx's first buffer with part of the body; the rest is
read at once, then STS is called: the phases must resume after it.
--- pass_location
http://127.0.0.1:$TEST_NGINX_ECHO_PORT
--- request eval
"POST /\n" . '{"TableName": "orders", "Item": {"pk": {"S": "' . ('x' x 3000) . '"}}}'
--- more_headers eval
"cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.PutItem"
--- response_body chomp
{}
--- timeout: 5



=== TEST 18: header names in any case: found, stripped and re-signed the same
nginx matches names case-insensitively; so does the gateway, from the
lowercased names nginx keeps.  The Authorization here is not laid out as
SDKs write it: the access key id is still found.
--- pass_location
http://127.0.0.1:$TEST_NGINX_ECHO_PORT
--- request eval
[qq{POST /\n{"TableName": "orders"}}, "GET /emu/requests?service=echo"]
--- more_headers eval
["CYRAL.TOKEN: $::tok{alice}\nx-amz-target: DynamoDB_20120810.DescribeTable\nCONTENT-TYPE: application/x-amz-json-1.0\nauthorization: AWS4-HMAC-SHA256 SignedHeaders=host, credential=AKIDCLIENTKEY0000/20260101/us-east-1/dynamodb/aws4_request, Signature=00\nx-AMZ-date: 20260101T000000Z\nX-AMZ-SECURITY-TOKEN: client-session-token\nx-dynamo-role: Orders",
 ""]
--- response_headers_like eval
["X-Operation: DescribeTable\nX-Tables: orders\nX-End-User: AKIDCLIENTKEY0000", ""]
--- response_body_like eval
[qr/^\{\}$/, qr/\["CONTENT-TYPE", "application\/x-amz-json-1.0"\].*\["X-Amz-Date", "\d{8}T\d{6}Z"\], \["Authorization", "AWS4-HMAC-SHA256 Credential=ASIA[A-Z0-9]{16}\/\d{8}\/us-east-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}"\], \["X-Amz-Security-Token", "IQoJb3JpZ2luX2VjE[^"]+"\]\].*"authorization_matches": true/s]
--- response_body_unlike eval
["", qr/cyral|AKIDCLIENTKEY|client-session-token|dynamo-role|20260101T000000Z/i]



=== TEST 19: two roles in turn, signed within a second: each as botocore signs it
A worker keeps the hashed start of the last canonical request (up to the
session token) and the last key's HMAC pads.  Alice twice (kept, then
used), Bob twice (replaced, used), Alice again: the echo upstream
recomputes every Authorization with botocore.
--- pass_location
http://127.0.0.1:$TEST_NGINX_ECHO_PORT
--- request eval
[(map { qq{POST /\n{"TableName": "t$_"}} } 1 .. 5),
 "GET /emu/requests?service=echo"]
--- more_headers eval
[(map { "cyral.token: $::tok{$_}\nX-Amz-Target: DynamoDB_20120810.DescribeTable\nContent-Type: application/x-amz-json-1.0" } qw(alice alice bob bob alice)),
 ""]
--- error_code eval
[200, 200, 200, 200, 200, 200]
--- response_headers_like eval
["X-Role: .*/Orders", "X-Role: .*/Orders", "X-Role: .*/Reports",
 "X-Role: .*/Reports", "X-Role: .*/Orders", ""]
--- response_body_like eval
[qr/^\{\}$/, qr/^\{\}$/, qr/^\{\}$/, qr/^\{\}$/, qr/^\{\}$/,
 qr/^(?!.*"authorization_matches": false)(?:.*?"authorization_matches": true){5}(?!.*"authorization_matches")/s]
