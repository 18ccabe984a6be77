# Identity to IAM role: exact bindings, the service accounts file, regex
# rules with captures, the default role and X-Dynamo-Role.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;
use File::Temp ();

our %tok;

my %claims = (sub => 'u-1', iss => 'https://cp.example.com/auth');
# the last three: case matters, and the longest identity there may be
my @ids = ('drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b',
           'drsa/sa/default/billing', 'team-42/orders', 'nobody',
           'team-7/a b', 'Team-42/Orders', 'TEAM-42/ORDERS',
           'svc/' . ('l' x 252));

# 2000 service accounts and the long identity, for TEST 14

{
    my $dir = File::Temp::tempdir('dynamo-role-XXXXXX', TMPDIR => 1,
                                  CLEANUP => 1);
    my $file = "$dir/accounts.json";

    open my $out, '>', $file or die "$file: $!";
    print $out "[\n", join(",\n",
        (map { qq({"clientId": "svc/$_", )
               . qq("name": "arn:aws:iam::123456789012:role/R$_"}) }
             1 .. 2000),
        qq({"clientId": "$ids[-1]", )
        . qq("name": "arn:aws:iam::123456789012:role/Long"})), "\n]\n";
    close $out;

    $ENV{TEST_NGINX_ACCOUNTS} = $file;
}

@tok{qw(alice billing team nobody team_bad team_mixed team_upper long)}
    = mint_tokens(
    map { { key => 'rsa1', alg => 'RS256', kid => 'rsa1',
            claims => {%claims, azp => $_}, exp_in => 3600 } } @ids);

$ENV{TEST_NGINX_DATA} = "$ENV{TEST_NGINX_TOP}/t/data";

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("http_config", "dynamo_zone dynamo:1m;\n")
        unless defined $block->http_config;
    $block->set_value("user_files", ">>> t\nok\n")
        unless defined $block->user_files;
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: exact bindings: the first role is the default
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Writer;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Reader;
        dynamo_service_account drsa/sa/default/billing
                               arn:aws:iam::123456789012:role/Billing;
        add_header X-Role $dynamo_role_arn;
    }
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{alice}", "cyral.token: $::tok{billing}"]
--- response_headers eval
["X-Role: arn:aws:iam::123456789012:role/Writer",
 "X-Role: arn:aws:iam::123456789012:role/Billing"]



=== TEST 2: X-Dynamo-Role picks another of the identity's roles, by ARN or by name
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Writer;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/team/Reader;
        add_header X-Role $dynamo_role_arn;
    }
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{alice}\nX-Dynamo-Role: arn:aws:iam::123456789012:role/team/Reader",
 "cyral.token: $::tok{alice}\nX-Dynamo-Role: Reader"]
--- response_headers eval
["X-Role: arn:aws:iam::123456789012:role/team/Reader",
 "X-Role: arn:aws:iam::123456789012:role/team/Reader"]



=== TEST 3: X-Dynamo-Role naming a role the identity is not bound to is refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Writer;
        dynamo_service_account drsa/sa/default/billing
                               arn:aws:iam::123456789012:role/Billing;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{alice}\nX-Dynamo-Role: Billing"
--- error_code: 400
--- response_headers
Content-Type: application/x-amz-json-1.0
--- response_body chomp
{"__type":"com.amazon.coral.service#AccessDeniedException","message":"role \"Billing\" is not bound to identity \"drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b\""}
--- error_log
dynamo: access denied for identity "drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b": role "Billing" is not bound



=== TEST 4: an identity bound to no role is refused
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/billing
                               arn:aws:iam::123456789012:role/Billing;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{nobody}"
--- error_code: 400
--- response_body chomp
{"__type":"com.amazon.coral.service#AccessDeniedException","message":"no role for identity \"nobody\""}



=== TEST 5: bindings from a service accounts file, clientId or clientID
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_accounts $TEST_NGINX_DATA/service-accounts.json;
        add_header X-Role $dynamo_role_arn;
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{alice}", "cyral.token: $::tok{alice}\nX-Dynamo-Role: DynamoReadOnly",
 "cyral.token: $::tok{billing}"]
--- response_headers eval
["X-Role: arn:aws:iam::123456789012:role/DynamoRoleWithAccessToDynamo",
 "X-Role: arn:aws:iam::123456789012:role/DynamoReadOnly",
 "X-Role: arn:aws-cn:iam::210987654321:role/path/to/Billing"]



=== TEST 6: a malformed service accounts file fails at start, naming where
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_accounts $TEST_NGINX_DATA/service-accounts-broken.json;
    }
--- must_die
--- error_log eval
qr/cannot read service accounts from ".*service-accounts-broken.json": .* \(line 3, column \d+\)/



=== TEST 7: a role ARN that is not one fails at start
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_accounts $TEST_NGINX_DATA/service-accounts-bad-arn.json;
    }
--- must_die
--- error_log
invalid role ARN "arn:aws:iam::12345:role/Short" in



=== TEST 8: the same for an exact binding and for a rule without variables
--- config
    location = /t {
        dynamo_service_account x arn:aws:s3:::bucket;
    }
--- must_die
--- error_log
invalid role ARN "arn:aws:s3:::bucket"



=== TEST 9: a regex rule with numbered and named captures
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_role_rule $dynamo_identity ^team-(\d+)/(?<svc>[a-z]+)$
                         arn:aws:iam::123456789012:role/team$1-$svc;
        add_header X-Role $dynamo_role_arn;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{team}"
--- response_headers
X-Role: arn:aws:iam::123456789012:role/team42-orders



=== TEST 10: rules come after exact bindings, and add roles X-Dynamo-Role may pick
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account team-42/orders arn:aws:iam::123456789012:role/Exact;
        dynamo_role_rule $dynamo_identity ^team-(\d+)/ arn:aws:iam::123456789012:role/team$1;
        add_header X-Role $dynamo_role_arn;
    }
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{team}", "cyral.token: $::tok{team}\nX-Dynamo-Role: team42"]
--- response_headers eval
["X-Role: arn:aws:iam::123456789012:role/Exact",
 "X-Role: arn:aws:iam::123456789012:role/team42"]



=== TEST 11: a rule that renders an invalid ARN gives no role, and says why
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_role_rule $dynamo_identity ^team-(\d+)/(.*)$
                         arn:aws:iam::123456789012:role/$2;
    }
--- request
GET /t
--- more_headers eval
"cyral.token: $::tok{team_bad}"
--- error_code: 400
--- response_body chomp
{"__type":"com.amazon.coral.service#AccessDeniedException","message":"no role for identity \"team-7/a b\""}
--- error_log
made an invalid role ARN "arn:aws:iam::123456789012:role/a b"



=== TEST 12: a location's own bindings replace the server's
--- config
    ignore_invalid_headers off;
    dynamo_service_account drsa/sa/default/billing arn:aws:iam::123456789012:role/Billing;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        add_header X-Role $dynamo_role_arn;
    }
    location = /other {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/c33c6462-b3e5-4c81-96cf-86fef55c881b
                               arn:aws:iam::123456789012:role/Writer;
        alias html/t;
    }
--- request eval
["GET /t", "GET /other"]
--- more_headers eval
["cyral.token: $::tok{billing}", "cyral.token: $::tok{billing}"]
--- error_code eval
[200, 400]
--- response_headers eval
["X-Role: arn:aws:iam::123456789012:role/Billing", ""]



=== TEST 13: identities are matched byte for byte: Team-42/Orders and team-42/orders are two accounts
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account Team-42/Orders arn:aws:iam::123456789012:role/Mixed;
        dynamo_service_account team-42/orders arn:aws:iam::123456789012:role/Lower;
        dynamo_service_account Team-42/Orders arn:aws:iam::123456789012:role/Mixed2;
        add_header X-Role $dynamo_role_arn;
    }
--- request eval
["GET /t", "GET /t", "GET /t", "GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{team_mixed}",
 "cyral.token: $::tok{team}",
 "cyral.token: $::tok{team_mixed}\nX-Dynamo-Role: Mixed2",
 "cyral.token: $::tok{team}\nX-Dynamo-Role: Mixed2",
 "cyral.token: $::tok{team_upper}"]
--- error_code eval
[200, 200, 200, 400, 400]
--- response_headers eval
["X-Role: arn:aws:iam::123456789012:role/Mixed",
 "X-Role: arn:aws:iam::123456789012:role/Lower",
 "X-Role: arn:aws:iam::123456789012:role/Mixed2",
 "", ""]
--- response_body_like eval
["^ok", "^ok", "^ok",
 qr/"role \\"Mixed2\\" is not bound to identity \\"team-42\/orders\\""/,
 qr/"no role for identity \\"TEAM-42\/ORDERS\\""/]



=== TEST 14: an identity of 256 bytes, the longest allowed, among many bindings
--- config
    ignore_invalid_headers off;
    location = /t {
        dynamo_access on;
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_accounts $TEST_NGINX_ACCOUNTS;
        dynamo_service_account team-42/orders arn:aws:iam::123456789012:role/Orders;
        add_header X-Role $dynamo_role_arn;
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- more_headers eval
["cyral.token: $::tok{long}", "cyral.token: $::tok{team}",
 "cyral.token: $::tok{nobody}"]
--- error_code eval
[200, 200, 400]
--- response_headers eval
["X-Role: arn:aws:iam::123456789012:role/Long",
 "X-Role: arn:aws:iam::123456789012:role/Orders", ""]
