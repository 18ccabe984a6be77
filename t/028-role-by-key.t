# dynamo_role_from_access_key: the access key id an unmodified client signs
# with (its AWS_ACCESS_KEY_ID) names one of the identity's roles.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;

our %tok;

my %claims = (sub => 'u-1', iss => 'https://cp.example.com/auth');

@tok{qw(alice billing)} = mint_tokens(
    map { { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
            claims => {%claims, azp => $_}, exp_in => 3600 } }
        'svc/alice', 'svc/billing');

our $sig = ', SignedHeaders=host;x-amz-date, Signature=' . ('0' x 64);

sub auth { "Authorization: AWS4-HMAC-SHA256 Credential=$_[0]"
           . "/20260101/us-east-1/dynamodb/aws4_request$sig" }

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("http_config", "dynamo_zone dynamo:1m;\n")
        unless defined $block->http_config;
    $block->set_value("user_files", ">>> t\nok\n>>> off\nok\n")
        unless defined $block->user_files;
    $block->set_value("config", <<'CONF') unless defined $block->config;
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_role_from_access_key on;
        dynamo_service_account svc/alice
                               arn:aws:iam::123456789012:role/Writer;
        dynamo_service_account svc/alice
                               arn:aws:iam::123456789012:role/team/Analytics;
        dynamo_service_account svc/billing
                               arn:aws:iam::123456789012:role/Billing;
        add_header X-Role $dynamo_role_arn;
        add_header X-End-User $dynamo_end_user;
    }
CONF
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: the access key id names one of the identity's roles, path excluded
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{alice}\n" . ::auth('Analytics'),
 "cyral.token: $::tok{billing}\n" . ::auth('Billing')]
--- response_headers eval
["X-Role: arn:aws:iam::123456789012:role/team/Analytics\nX-End-User: Analytics",
 "X-Role: arn:aws:iam::123456789012:role/Billing\nX-End-User: Billing"]



=== TEST 2: a key id that names no role, or no Authorization, gives the default role
--- request eval
["GET /t", "GET /t", "GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{alice}\n" . ::auth('AKIAIOSFODNN7EXAMPLE'),
 "cyral.token: $::tok{alice}\n" . ::auth('analytics'),
 "cyral.token: $::tok{alice}\n" . ::auth('team'),
 "cyral.token: $::tok{alice}"]
--- response_headers eval
["X-Role: arn:aws:iam::123456789012:role/Writer",
 "X-Role: arn:aws:iam::123456789012:role/Writer",
 "X-Role: arn:aws:iam::123456789012:role/Writer",
 "X-Role: arn:aws:iam::123456789012:role/Writer"]



=== TEST 3: a key id naming another identity's role is refused like X-Dynamo-Role
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}\n" . ::auth('Billing')
--- error_code: 400
--- response_headers
Content-Type: application/x-amz-json-1.0
--- response_body chomp
{"__type":"com.amazon.coral.service#AccessDeniedException","message":"role \"Billing\" is not bound to identity \"svc/alice\""}
--- error_log
dynamo: access denied for identity "svc/alice": role "Billing" is not bound



=== TEST 4: X-Dynamo-Role wins over the access key id
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Dynamo-Role: Writer\n" . ::auth('Analytics'),
 "cyral.token: $::tok{alice}\nX-Dynamo-Role: Analytics\n" . ::auth('Billing')]
--- response_headers eval
["X-Role: arn:aws:iam::123456789012:role/Writer",
 "X-Role: arn:aws:iam::123456789012:role/team/Analytics"]



=== TEST 5: off by default: the key id is only the end user
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account svc/alice
                               arn:aws:iam::123456789012:role/Writer;
        dynamo_service_account svc/alice
                               arn:aws:iam::123456789012:role/team/Analytics;
        dynamo_service_account svc/billing
                               arn:aws:iam::123456789012:role/Billing;
        add_header X-Role $dynamo_role_arn;
    }
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{alice}\n" . ::auth('Analytics'),
 "cyral.token: $::tok{alice}\n" . ::auth('Billing')]
--- response_headers eval
["X-Role: arn:aws:iam::123456789012:role/Writer",
 "X-Role: arn:aws:iam::123456789012:role/Writer"]



=== TEST 6: set in http, off in a location, and a rule's fixed role is another's too
--- http_config
    dynamo_zone dynamo:1m;
    dynamo_role_from_access_key on;
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account svc/alice
                               arn:aws:iam::123456789012:role/Writer;
        dynamo_role_rule $dynamo_identity ^svc/billing$
                         arn:aws:iam::123456789012:role/Ledger;
        add_header X-Role $dynamo_role_arn;
    }
    location = /off {
        dynamo_access on;
        dynamo_role_from_access_key off;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account svc/alice
                               arn:aws:iam::123456789012:role/Writer;
        dynamo_role_rule $dynamo_identity ^svc/billing$
                         arn:aws:iam::123456789012:role/Ledger;
        add_header X-Role $dynamo_role_arn;
    }
--- request eval
["GET /t", "GET /off", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{billing}\n" . ::auth('Ledger'),
 "cyral.token: $::tok{alice}\n" . ::auth('Ledger'),
 "cyral.token: $::tok{alice}\n" . ::auth('Ledger')]
--- error_code eval
[200, 200, 400]
--- response_headers eval
["X-Role: arn:aws:iam::123456789012:role/Ledger",
 "X-Role: arn:aws:iam::123456789012:role/Writer",
 ""]



=== TEST 7: the activity record names the role the key id picked, and the key id as end user
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_role_from_access_key on;
        dynamo_service_account svc/alice
                               arn:aws:iam::123456789012:role/Writer;
        dynamo_service_account svc/alice
                               arn:aws:iam::123456789012:role/team/Analytics;
        dynamo_activity_log logs/role-activity.log;
    }
    location = /activity {
        default_type text/plain;
        alias logs/role-activity.log;
    }
--- request eval
["GET /t", "GET /t", "GET /activity"]
--- more_headers eval
["cyral.token: $::tok{alice}\n" . ::auth('Analytics'),
 "cyral.token: $::tok{alice}\n" . ::auth('AKIAIOSFODNN7EXAMPLE'), ""]
--- response_body_like eval
[qr/^ok$/, qr/^ok$/,
 qr/\A[^\n]*"endUser":"Analytics","repoUser":"Analytics","dbRole":"arn:aws:iam::123456789012:role\/team\/Analytics"[^\n]*\n[^\n]*"endUser":"AKIAIOSFODNN7EXAMPLE","repoUser":"AKIAIOSFODNN7EXAMPLE","dbRole":"arn:aws:iam::123456789012:role\/Writer"[^\n]*\n\z/]
