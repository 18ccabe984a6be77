# The gateway's own credentials, which sign its calls to STS: each source
# a deployment uses (environment, credentials file, EC2 IMDSv2, container
# credentials, EKS web identity with token rotation), role chaining, and
# no secret of any of them in the debug log.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;
use Digest::SHA qw(sha256_hex);

our (%tok, %wi, %sha);

emulator();

$tok{alice} = mint_token(key => 'rsa1', alg => 'RS256', kid => 'rsa1',
                         claims => {azp => 'drsa/sa/default/alice'},
                         exp_in => 3600);

# the web identity tokens kubelet would project, one after the other
@wi{qw(one two)} = mint_tokens(
    map { { key => 'rsa2', alg => 'RS256', kid => 'k8s',
            claims => {iss => 'https://oidc.eks.example.com/id/CLUSTER',
                       sub => "system:serviceaccount:gw:$_",
                       aud => 'sts.amazonaws.com'}, exp_in => 3600 } }
        qw(one two));
%sha = map { $_ => sha256_hex($wi{$_}) } keys %wi;

$ENV{TEST_NGINX_DATA} = "$ENV{TEST_NGINX_TOP}/t/data";

sub write_wi_token {
    my ($which) = @_;
    my $file = "$ENV{TEST_NGINX_SERVROOT}/html/wi-token";
    open my $fh, '>', "$file.tmp" or die "$file: $!";
    print $fh $wi{$which}, "\n";
    close $fh;
    rename "$file.tmp", $file or die "rename: $!";
}

add_block_preprocessor(sub {
    my $block = shift;

    if (defined $block->gw_location) {
        $block->set_value("config", <<'CONF' . ($block->config // ''));
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::111122223333:role/TableWriter;
        dynamo_sts /_sts;
        add_header X-Key $dynamo_access_key_id;
    }
    location /_imds/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_IMDS_PORT/;
    }
    location /_ecs/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_ECS_PORT/;
    }
CONF
    }

    aws_block_preprocessor($block);
});

no_shuffle();
check_accum_error_log();
run_tests();

__DATA__

=== TEST 1: env: the worker reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
--- gw_location
--- request eval
["GET /t", "GET /emu/requests?service=sts"]
--- more_headers eval
["cyral.token: $::tok{alice}", ""]
--- response_headers_like eval
["X-Key: ASIA[A-Z0-9]{16}", ""]
--- response_body_like eval
[qr/^ok$/, qr/"signature_ok": true.*"access_key_id": "AKIAIOSFODNN7EXAMPLE"/s]



=== TEST 2: env without "env" lines in the main configuration fails at start
--- main_config
--- gw_location
--- must_die
--- error_log
dynamo_base_credentials env reads AWS_ACCESS_KEY_ID, which nginx removes from the workers' environment: add "env AWS_ACCESS_KEY_ID;" to the main configuration



=== TEST 3: file=: the default profile of a shared credentials file
--- main_config
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials file=$TEST_NGINX_DATA/aws-credentials;
--- gw_location
--- request eval
["GET /t", "GET /emu/requests?service=sts"]
--- more_headers eval
["cyral.token: $::tok{alice}", ""]
--- response_body_like eval
[qr/^ok$/, qr/"signature_ok": true.*"access_key_id": "AKIAIOSFODNN7EXAMPLE"/s]



=== TEST 4: file= with a profile the emulator does not know: STS refuses, and says why
--- main_config
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials file=$TEST_NGINX_DATA/aws-credentials profile=stale;
--- gw_location
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}"
--- error_code: 400
--- response_body_like chomp
AccessDeniedException","message":"STS refused role \\"arn:aws:iam::111122223333:role/TableWriter\\": InvalidClientTokenId:



=== TEST 5: file= with a profile without keys fails at start
--- main_config
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials file=$TEST_NGINX_DATA/aws-credentials profile=empty;
--- gw_location
--- must_die
--- error_log eval
qr/no aws_access_key_id and aws_secret_access_key in profile "empty" of ".*aws-credentials"/



=== TEST 6: imds: token, role name, credentials, then AssumeRole signed with them
--- main_config
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials imds uri=/_imds;
--- gw_location
--- request eval
["GET /t", "GET /emu/requests?service=imds", "GET /emu/requests?service=sts"]
--- more_headers eval
["cyral.token: $::tok{alice}", "", ""]
--- response_headers_like eval
["X-Key: ASIA[A-Z0-9]{16}", "", ""]
--- response_body_like eval
[qr/^ok$/,
 qr/"method": "PUT", "path": "\/latest\/api\/token".*"method": "GET", "path": "\/latest\/meta-data\/iam\/security-credentials\/".*"method": "GET", "path": "\/latest\/meta-data\/iam\/security-credentials\/emulator-instance-role"/s,
 qr/"signature_ok": true.*"signed_headers": \["content-type", "host", "x-amz-date", "x-amz-security-token"\].*"caller_source": "imds"/s]



=== TEST 7: the gateway's own credentials are cached too: a second role makes no IMDS call
--- main_config
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials imds uri=/_imds;
--- gw_location
--- config
    location = /other {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::111122223333:role/Reader;
        dynamo_sts /_sts;
        alias html/t;
    }
--- request eval
["GET /t", "GET /other", "GET /emu/counters"]
--- more_headers eval
["cyral.token: $::tok{alice}", "cyral.token: $::tok{alice}", ""]
--- response_body_like eval
[qr/^ok$/, qr/^ok$/, qr/"imds": \{"token": 1, "role-list": 1, "credentials": 1\}, "sts": \{"AssumeRole": 2\}/]



=== TEST 8: role chaining is capped at one hour, and the log says so once
--- main_config
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials imds uri=/_imds;
--- gw_location
--- config
    dynamo_assume_role_duration 4h;
    location = /other {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::111122223333:role/Reader;
        dynamo_sts /_sts;
        alias html/t;
    }
--- request eval
["GET /t", "GET /other", "GET /emu/requests?service=sts"]
--- more_headers eval
["cyral.token: $::tok{alice}", "cyral.token: $::tok{alice}", ""]
--- response_body_like eval
[qr/^ok$/, qr/^ok$/, qr/"DurationSeconds": "3600".*"DurationSeconds": "3600"/s]
--- grep_error_log eval
qr/role chaining to one hour: dynamo_assume_role_duration \d+ is lowered/
--- grep_error_log_out
role chaining to one hour: dynamo_assume_role_duration 14400 is lowered



=== TEST 9: IMDS down: 503, the client can retry
--- main_config
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials imds uri=/_imds;
--- gw_location
--- emu_faults
{"service": "imds", "mode": "error", "status": 500}
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}"
--- error_code: 503
--- response_body_like chomp
InternalServerError","message":"the gateway's instance credentials are unavailable: IMDS answered 500"



=== TEST 10: ecs: container credentials with an authorization token
--- main_config
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials ecs uri=/_ecs path=/v2/credentials/3f1b token=ecs-auth-7;
--- gw_location
--- emu_config
{"ecs": {"auth_token": "ecs-auth-7"}}
--- request eval
["GET /t", "GET /emu/requests?service=ecs", "GET /emu/requests?service=sts"]
--- more_headers eval
["cyral.token: $::tok{alice}", "", ""]
--- response_body_like eval
[qr/^ok$/, qr/"path": "\/v2\/credentials\/3f1b".*\["Authorization", "ecs-auth-7"\]/s,
 qr/"signature_ok": true.*"caller_source": "ecs"/s]



=== TEST 11: ecs: a wrong authorization token: the gateway cannot get credentials
--- main_config
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials ecs uri=/_ecs path=/v2/credentials/3f1b token=wrong;
--- gw_location
--- emu_config
{"ecs": {"auth_token": "ecs-auth-7"}}
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}"
--- error_code: 503
--- response_body_like chomp
InternalServerError","message":"credentials for \\"/_ecs\\" are unavailable: ECS answered AccessDenied"



=== TEST 12: web_identity: AssumeRoleWithWebIdentity (unsigned), then AssumeRole across accounts
--- main_config
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials web_identity
        role_arn=arn:aws:iam::444455556666:role/gateway-irsa
        token_file=$TEST_NGINX_SERVROOT/html/wi-token;
--- gw_location
--- init
main::write_wi_token('one');
--- request eval
["GET /t", "GET /emu/requests?service=sts"]
--- more_headers eval
["cyral.token: $::tok{alice}", ""]
--- response_headers_like eval
["X-Key: ASIA[A-Z0-9]{16}", ""]
--- response_body_like eval
[qr/^ok$/, qr/"action": "AssumeRoleWithWebIdentity", "params": \{"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", "RoleArn": "arn:aws:iam::444455556666:role\/gateway-irsa", "RoleSessionName": "ngx-dynamo"\}.*"web_identity_token": \{"sha256": "$::sha{one}".*"action": "AssumeRole".*"RoleArn": "arn:aws:iam::111122223333:role\/TableWriter".*"signature_ok": true.*"caller_source": "web_identity"/s]



=== TEST 13: web_identity: the token file is read afresh, so a rotated token is used
Both credentials live 10 s and are refreshed 7 s ahead: 4 s after the
first request (token "one"), the token file holds "two", and the next
request refreshes the role's credentials and the gateway's own with it.
--- main_config
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials web_identity
        role_arn=arn:aws:iam::444455556666:role/gateway-irsa
        token_file=$TEST_NGINX_SERVROOT/html/wi-token;
--- gw_location
--- config
    dynamo_credentials_refresh 7s;
--- emu_config
{"credential_lifetime": 10}
--- init
main::write_wi_token('one');
Dynamo::Test::nginx_get("/t", "cyral.token" => $::tok{alice}) == 200 or die "first request failed\n";
main::write_wi_token('two');
sleep 4;
--- request eval
["GET /t", "GET /emu/requests?service=sts&action=AssumeRoleWithWebIdentity"]
--- more_headers eval
["cyral.token: $::tok{alice}", ""]
--- response_body_like eval
[qr/^ok$/, qr/"sha256": "$::sha{one}".*"sha256": "$::sha{two}"/s]
--- timeout: 10



=== TEST 14: web_identity without a role or a token file, and without env lines, fails at start
--- main_config
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials web_identity;
--- gw_location
--- must_die
--- error_log
dynamo_base_credentials web_identity reads AWS_ROLE_ARN, which nginx removes from the workers' environment: add "env AWS_ROLE_ARN;" to the main configuration, or give role_arn= on the directive



=== TEST 15: the gateway's temporary credentials never reach the debug log
--- main_config
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_base_credentials imds uri=/_imds;
--- gw_location
--- emu_config
{"secret_prefix": "SECRETMARKER"}
--- request eval
["GET /t", "GET /t", "GET /emu/credentials"]
--- more_headers eval
["cyral.token: $::tok{alice}", "cyral.token: $::tok{alice}", ""]
--- response_body_like eval
[qr/^ok$/, qr/^ok$/, qr/SECRETMARKER.*IQoJb3JpZ2luX2VjE/s]
--- no_error_log eval
["SECRETMARKER", "IQoJb3JpZ2luX2VjE"]
--- error_log
dynamo: PUT "/_imds/latest/api/token", its debug log is held back
