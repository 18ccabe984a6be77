# Every configuration in conf-examples/ loads: "nginx -t" on a copy, with
# the files it names made for the test (keys, certificates, service
# accounts) and the AWS host names it would resolve at start pointed at
# the loopback, since the test ground has no DNS.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use File::Temp qw(tempdir);
use File::Copy qw(copy);
use Cwd qw(abs_path);
use Dynamo::Test;

my $binary = $ENV{TEST_NGINX_BINARY} // 'nginx';
my ($module) = split ' ', ($ENV{TEST_NGINX_LOAD_MODULES} // '');

plan skip_all => 'TEST_NGINX_LOAD_MODULES names no module' unless $module;

my @examples = sort glob('conf-examples/*.conf');
ok(scalar @examples >= 4, "there are examples") or diag("@examples");

my $keys = keys_dir();

for my $example (@examples) {
    my $prefix = tempdir(CLEANUP => 1);
    mkdir "$prefix/$_" for qw(conf conf/dynamo logs modules temp);
    symlink abs_path($module), "$prefix/modules/ngx_http_dynamo_module.so"
        or die "symlink: $!";

    copy("$keys/jwks.json", "$prefix/conf/dynamo/jwks.json") or die $!;
    copy('t/data/service-accounts.json',
         "$prefix/conf/dynamo/service-accounts.json") or die $!;
    # the files that go with the examples, such as session policies
    for my $file (glob('conf-examples/*.json')) {
        (my $name = $file) =~ s{.*/}{};
        copy($file, "$prefix/conf/dynamo/$name") or die $!;
    }
    system("openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
           . "-subj /CN=gateway -keyout $prefix/conf/dynamo/gateway.key "
           . "-out $prefix/conf/dynamo/gateway.pem 2>/dev/null") == 0
        or die "openssl failed\n";

    open my $in, '<', $example or die "$example: $!";
    my $conf = do { local $/; <$in> };
    close $in;

    # no DNS here: servers of upstream groups go to the loopback, and a
    # URL naming an AWS host gets an upstream group of that name, so the
    # names (and the regions they tell) stay as they are; logs go to the
    # prefix
    $conf =~ s{(\bserver\s+)[a-z0-9.-]+\.amazonaws\.com(:\d+)?}{${1}127.0.0.1$2}g;
    my %hosts = map { $_ => 1 }
                $conf =~ m{(?:proxy_pass|dynamo_pass)\s+https?://([a-z0-9.-]+\.amazonaws\.com)}g;
    my $groups = join '', map { "    upstream $_ { server 127.0.0.1:443; }\n" }
                          sort keys %hosts;
    $conf =~ s/^http \{\n/http {\n$groups/m;
    $conf =~ s{169\.254\.169\.254}{127.0.0.1}g;
    $conf =~ s{/var/log/nginx/}{logs/}g;

    open my $out, '>', "$prefix/conf/nginx.conf" or die $!;
    print $out $conf;
    close $out;

    local $ENV{AWS_ROLE_ARN} = 'arn:aws:iam::444455556666:role/gateway';
    local $ENV{AWS_WEB_IDENTITY_TOKEN_FILE} = "$prefix/conf/dynamo/token";

    my $res = `$binary -p $prefix/ -c conf/nginx.conf -t 2>&1`;
    is($?, 0, "$example loads with nginx -t") or diag($res);
}

done_testing();
