# The error log cannot be forged: an identity claim, a table name, the
# X-Dynamo-Role header and the text of an STS error answer holding LF, CR,
# ESC, quotes and a fake log prefix leave one line per event, escaped.
#
# Each block greps every line that holds "forged", debug lines included,
# a genuine prefix and nginx's context cut off, and compares them whole:
# a line forged by a raw LF would show as a line of its own starting with
# "forged", a raw CR or ESC as itself.  No line anywhere holds a raw ESC
# or starts with the fake prefix.

use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket 'no_plan';
use Dynamo::Test;

our (%tok, $forge, $grep, @never);

emulator();

$forge = "\n2026/12/07 00:00:00 [emerg] 1#1: forged";

@tok{qw(alice evil)} = mint_tokens(
    { key => 'rsa1', alg => 'RS256', kid => 'rsa1', exp_in => 3600,
      claims => {azp => 'drsa/sa/default/alice'} },
    { key => 'rsa1', alg => 'RS256', kid => 'rsa1', exp_in => 3600,
      claims => {azp => "evil${forge}-identity\r\e[31mred\e[0m \"q\" \\b"} });

# any line but a debug one holding "forged", less a genuine prefix

$grep = qr/^(?:\S+ \S+ \[\w+\] \d+#\d+: (?:\*\d+ )?)?\K.*forged.*?(?= while |, client: |$)/;

@never = (qr/\e/,
          qr{^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[emerg\] 1#1: forged});

sub ddb {
    my ($token, $op, $body, $extra) = @_;
    return ["POST /\n$body",
            "cyral.token: $token\nX-Amz-Target: DynamoDB_20120810.$op"
            . ($extra ? "\n$extra" : "")];
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("config", <<'CONF');
    ignore_invalid_headers off;
    location = / {
        dynamo_jwt_key $TEST_NGINX_KEYS/jwks.json;
        dynamo_service_account drsa/sa/default/alice
                               arn:aws:iam::123456789012:role/Writer;
        dynamo_sts /_sts;
        dynamo_region us-east-1;
        dynamo_pass http://127.0.0.1:$TEST_NGINX_ECHO_PORT;
        dynamo_policy allow table=orders;
    }
CONF

    $block->set_value("grep_error_log", $grep)
        unless defined $block->grep_error_log;
    $block->set_value("no_error_log", [@never])
        unless defined $block->no_error_log;

    aws_block_preprocessor($block);
});

no_shuffle();
no_root_location();
run_tests();

__DATA__

=== TEST 1: an identity claim with LF, CR, ESC, quotes and a fake prefix: one escaped line an event
The debug line of the verified token, then the refusal, which quotes it
twice: as the identity, and in its message.
--- request eval
::ddb($::tok{evil}, 'GetItem', '{"TableName": "orders"}')->[0]
--- more_headers eval
"cyral.token: $::tok{evil}\nX-Amz-Target: DynamoDB_20120810.GetItem"
--- error_code: 400
--- response_body_like chomp
AccessDeniedException","message":"no role for identity \\"evil\\\\x0a2026/12/07 00:00:00 \[emerg\] 1#1: forged-identity\\\\x0d\\\\x1b\[31m
--- grep_error_log_out
dynamo: token verified, identity "evil\x0a2026/12/07 00:00:00 [emerg] 1#1: forged-identity\x0d\x1b[31mred\x1b[0m \"q\" \\b"
dynamo: access denied for identity "evil\x0a2026/12/07 00:00:00 [emerg] 1#1: forged-identity\x0d\x1b[31mred\x1b[0m \"q\" \\b": no role for identity "evil\x0a2026/12/07 00:00:00 [emerg] 1#1: forged-identity\x0d\x1b[31mred\x1b[0m \"q\" \\b"



=== TEST 2: a table name with LF, CR, ESC and a fake prefix: one escaped line an event
The debug line of the table read, then the refusal.
--- request eval
::ddb($::tok{alice}, 'GetItem', '{"TableName": "orders\n2026/12/07 00:00:00 [emerg] 1#1: forged-table\r\u001b[31m\"x\"\\\\"}')->[0]
--- more_headers eval
::ddb($::tok{alice}, 'GetItem', '')->[1]
--- error_code: 400
--- response_body_like chomp
AccessDeniedException","message":"policy refuses GetItem on table
--- grep_error_log_out
dynamo: table "orders\x0a2026/12/07 00:00:00 [emerg] 1#1: forged-table\x0d\x1b[31m\"x\"\\"
dynamo: access denied for identity "drsa/sa/default/alice": policy refuses GetItem on table "orders\x0a2026/12/07 00:00:00 [emerg] 1#1: forged-table\x0d\x1b[31m\"x\"\\" for role "arn:aws:iam::123456789012:role/Writer": no rule allows it



=== TEST 3: X-Dynamo-Role with ESC, quotes, a byte above 0x7f and a fake prefix
The log level is "info": nginx's own debug line of each request header
is written raw, and is not the module's.
--- log_level: info
--- request eval
::ddb($::tok{alice}, 'GetItem', '{"TableName": "orders"}')->[0]
--- more_headers eval
::ddb($::tok{alice}, 'GetItem', '',
      "X-Dynamo-Role: Writer\e[2K\" 2026/12/07 00:00:00 [emerg] 1#1: forged-role \xff\\")->[1]
--- error_code: 400
--- grep_error_log_out
dynamo: access denied for identity "drsa/sa/default/alice": role "Writer\x1b[2K\" 2026/12/07 00:00:00 [emerg] 1#1: forged-role \xff\\" is not bound to identity "drsa/sa/default/alice"



=== TEST 4: X-Amz-Target with ESC and quotes
--- log_level: info
--- grep_error_log eval
qr/^(?:\S+ \S+ \[\w+\] \d+#\d+: (?:\*\d+ )?)?\K.*unknown operation.*?(?= while |, client: |$)/
--- request eval
::ddb($::tok{alice}, 'GetItem', '{"TableName": "orders"}')->[0]
--- more_headers eval
"cyral.token: $::tok{alice}\nX-Amz-Target: DynamoDB_20120810.Get\e[31mItem\"\\"
--- error_code: 400
--- grep_error_log_out
dynamo: invalid request for identity "drsa/sa/default/alice": unknown operation "DynamoDB_20120810.Get\x1b[31mItem\"\\" in X-Amz-Target



=== TEST 5: an STS error answer whose message holds LF, quotes and a fake prefix
Two events, two lines: STS's refusal (error), the request's (info).
--- emu_faults
{"service": "sts", "mode": "error", "status": 403, "code": "AccessDenied", "message": "no\n2026/12/07 00:00:00 [emerg] 1#1: forged-sts \"x\" \\ \u202e"}
--- request eval
::ddb($::tok{alice}, 'GetItem', '{"TableName": "orders"}')->[0]
--- more_headers eval
::ddb($::tok{alice}, 'GetItem', '')->[1]
--- error_code: 400
--- response_body_like chomp
AccessDeniedException","message":"STS refused role
--- grep_error_log_out
dynamo: STS refused "arn:aws:iam::123456789012:role/Writer": 403 AccessDenied: no 2026/12/07 00:00:00 [emerg] 1#1: forged-sts \"x\" \\ \xe2\x80\xae
dynamo: access denied for identity "drsa/sa/default/alice": STS refused role "arn:aws:iam::123456789012:role/Writer": AccessDenied: no 2026/12/07 00:00:00 [emerg] 1#1: forged-sts \"x\" \\ \xe2\x80\xae
