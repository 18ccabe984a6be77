# The Debian package: "make deb" builds libnginx-mod-http-dynamo with
# Debian's nginx module helper; installed into this machine's nginx, its
# snippet in modules-enabled loads the module, so that a configuration
# using the module passes "nginx -t" with no load_module line of its own;
# removed, the module and its link are gone and the same configuration
# fails again.  Needs root (dpkg); it leaves the machine as it found it.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use File::Temp qw(tempdir);

my $pkg = 'libnginx-mod-http-dynamo';
my $so = '/usr/lib/nginx/modules/ngx_http_dynamo_module.so';
my $available = '/usr/share/nginx/modules-available/mod-http-dynamo.conf';
my $enabled = '/etc/nginx/modules-enabled/50-mod-http-dynamo.conf';
my $abi_file = '/usr/share/nginx/src/debian/libnginx-mod.abisubstvars';

plan skip_all => 'installing a package needs root' if $> != 0;
plan skip_all => 'no dpkg-buildpackage (util/setup installs it)'
    unless -x '/usr/bin/dpkg-buildpackage';
plan skip_all => 'the package is built and installed once, not per variant'
    if ($ENV{VARIANT} // 'default') ne 'default'
       || $ENV{TEST_NGINX_USE_VALGRIND};

sub installed {
    my $status = `dpkg-query -W -f='\${Status}' $pkg 2>/dev/null`;
    return $status =~ /install ok installed/;
}

sub nginx_t {
    my ($conf) = @_;
    # Debian's prefix, against which the snippets name their modules
    my $out = `/usr/sbin/nginx -t -p /usr/share/nginx/ -c $conf/nginx.conf 2>&1`;
    return ($? >> 8, $out);
}

# a package left by an interrupted run would hide what this one installs
system("dpkg -r $pkg > /dev/null 2>&1") if installed();

my $deb = `util/deb 2>/dev/null`;
chomp $deb;
ok($? == 0 && -f $deb, 'make deb built the package') or diag($deb);

# the control fields: nginx's module ABI of the nginx it was built
# against, and the libraries dpkg-shlibdeps found in the .so

my ($abi) = `cat $abi_file` =~ /^nginx:abi=(\S+)/m;
ok($abi, "nginx-dev names its module ABI") or diag($abi_file);

my $depends = `dpkg-deb -f $deb Depends`;
like($depends, qr/(^|, )\Q$abi\E(,|$)/m, "depends on $abi");
like($depends, qr/\blibjansson4\b/, 'depends on jansson (computed)');
like($depends, qr/\blibssl3\b/, 'depends on libssl3 (computed)');
like($depends, qr/\blibexpat1\b/, 'depends on expat (computed)');
is(`dpkg-deb -f $deb Package`, "$pkg\n", 'package name');

my $contents = `dpkg-deb -c $deb`;
like($contents, qr{\./usr/lib/nginx/modules/ngx_http_dynamo_module\.so$}m,
     'the module under /usr/lib/nginx/modules');
like($contents, qr{\./usr/share/nginx/modules-available/mod-http-dynamo\.conf$}m,
     'the load snippet under modules-available');

# a configuration that uses the module and loads nothing itself: only
# the machine's modules-enabled can make the directives known

my $conf = tempdir(CLEANUP => 1);
mkdir "$conf/logs";
system("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
       . "-out $conf/idp.key 2>/dev/null && openssl pkey -in $conf/idp.key "
       . "-pubout -out $conf/idp.pem 2>/dev/null") == 0
    or die "openssl failed\n";

open my $fh, '>', "$conf/nginx.conf" or die $!;
print $fh <<"CONF";
include /etc/nginx/modules-enabled/*.conf;
error_log $conf/logs/error.log;
pid $conf/logs/nginx.pid;
env AWS_ACCESS_KEY_ID;
env AWS_SECRET_ACCESS_KEY;
env AWS_SESSION_TOKEN;
events {}
http {
    dynamo_zone dynamo:1m;
    dynamo_base_credentials env;
    server {
        listen 127.0.0.1:1;
        ignore_invalid_headers off;
        dynamo_jwt_key $conf/idp.pem;
        dynamo_service_account drsa/sa/default/app
            arn:aws:iam::111122223333:role/App;
        dynamo_sts /_sts;
        dynamo_sts_region us-east-1;
        location = /_sts {
            internal;
            proxy_pass http://127.0.0.1:2/;
        }
        location / {
            dynamo_pass http://127.0.0.1:3;
            dynamo_region us-east-1;
        }
    }
}
CONF
close $fh;

my ($rc, $out) = nginx_t($conf);
isnt($rc, 0, 'before the install nginx -t fails');
like($out, qr/unknown directive "dynamo_zone"/, 'on the first directive')
    or diag($out);

my $log = `dpkg -i $deb 2>&1`;
is($? >> 8, 0, 'dpkg -i installs it') or diag($log);

ok(-f $so, 'the module is installed');
ok(-f $available, 'the snippet is installed');
is(readlink($enabled), $available, 'the snippet is enabled in modules-enabled');

($rc, $out) = nginx_t($conf);
is($rc, 0, 'nginx -t passes with the module from modules-enabled')
    or diag($out);
like($out, qr/test is successful/, 'nginx says so') or diag($out);

$log = `dpkg -r $pkg 2>&1`;
is($? >> 8, 0, 'dpkg -r removes it') or diag($log);
ok(!installed(), 'no longer installed');
ok(!-e $so, 'the module is gone');
ok(!-e $enabled && !-l $enabled, 'the link is gone');

($rc, $out) = nginx_t($conf);
isnt($rc, 0, 'after the removal nginx -t fails again');

done_testing();
