package Dynamo::Test;

# Helpers shared by the test files: the signing keys (generated once into
# t/data/keys, which git ignores), identity tokens minted with PyJWT, and
# the environment the configurations refer to ($TEST_NGINX_KEYS, ...).

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use IPC::Open2 qw(open2);
use JSON::PP ();

use Exporter 'import';
our @EXPORT = qw(keys_dir mint_token mint_tokens debian_python json_encode
                 json_decode);

my $top = abs_path(dirname(__FILE__) . '/../../..');
my $python = '/usr/bin/python3';     # Debian's, with botocore and PyJWT
my $json = JSON::PP->new->canonical(1);

sub debian_python { $python }
sub json_encode { $json->encode($_[0]) }
sub json_decode { $json->decode($_[0]) }

sub keys_dir {
    my $dir = "$top/t/data/keys";
    if (!-f "$dir/stamp") {
        system($python, "$top/t/lib/make_keys.py", $dir) == 0
            or die "make_keys.py failed\n";
    }
    return $dir;
}

# mint_tokens({key => 'rsa1', alg => 'RS256', claims => {...}, ...}, ...)
# "key" and "secret" name files in the keys directory.

sub mint_tokens {
    my @specs = @_;
    my $dir = keys_dir();

    my ($out, $in);
    my $pid = open2($out, $in, $python, "$top/t/lib/mint_token.py");

    for my $spec (@specs) {
        my %s = %$spec;
        $s{key} = "$dir/$s{key}.key" if defined $s{key} && $s{key} !~ m{/};
        $s{secret_file} = "$dir/$s{secret}.secret", delete $s{secret}
            if defined $s{secret};
        $s{hmac_key_file} = "$dir/$s{hmac_key}" if defined $s{hmac_key};
        delete $s{hmac_key};
        print $in $json->encode(\%s), "\n";
    }
    close $in;

    my @tokens = map { chomp; $_ } <$out>;
    waitpid($pid, 0);
    die "mint_token.py failed\n" if $? != 0 || @tokens != @specs;

    return wantarray ? @tokens : $tokens[0];
}

sub mint_token { return scalar mint_tokens({@_}) }

$ENV{TEST_NGINX_KEYS} = keys_dir();
$ENV{TEST_NGINX_TOP} = $top;

1;
