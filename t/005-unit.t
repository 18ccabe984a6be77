# The module's leaf parsers and encoders, tested on their own: each
# t/unit/test_*.c is built against the nginx tree the module was built
# with (util/build) and the shim of the few nginx functions they use, run,
# and must exit 0.  test_sigv4 checks every signature against botocore.

use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);

my $top = '.';
my $nginx = "$top/build/" . ($ENV{VARIANT} // 'default') . "/nginx";

if (!-d "$nginx/objs") {
    plan skip_all => "no nginx build tree at $nginx: run util/build";
}

my @inc = map { "-I$nginx/$_" }
          qw(objs src/core src/event src/event/modules src/os/unix
             src/http src/http/modules src/http/v2);
push @inc, "-I$top/src";

my @san = ($ENV{VARIANT} // '') eq 'asan'
          ? ('-fsanitize=address,undefined', '-fno-sanitize-recover=all')
          : ();

my %tests = (
    test_json       => [qw(ngx_http_dynamo_json.c)],
    test_ddb        => [qw(ngx_http_dynamo_json.c ngx_http_dynamo_ddb.c)],
    test_sigv4      => [qw(ngx_http_dynamo_sigv4.c ngx_http_dynamo_time.c)],
    test_sts_answer => [qw(ngx_http_dynamo_sts_answer.c
                           ngx_http_dynamo_time.c)],
);

my $dir = tempdir(CLEANUP => 1);

for my $t (sort keys %tests) {
    my @src = ((map { "$top/src/$_" } @{ $tests{$t} }),
               "$top/t/unit/ngx_unit_shim.c", "$top/t/unit/$t.c");

    my $out = `gcc -g -O1 -Wall -Wextra -Werror @san @inc @src -lcrypto -ljansson -lexpat -o $dir/$t 2>&1`;
    is($?, 0, "$t builds") or diag($out);
    next if $?;

    $out = `cd $top && $dir/$t 2>&1`;
    is($?, 0, "$t passes") or diag($out);
    note($out);
}

done_testing();
