package Dynamo::Memcheck;

# Runs a test file of t/ again with nginx under valgrind memcheck, for the
# files in t/memcheck/: each of them names one file, and this replaces the
# process with that file's run, TEST_NGINX_USE_VALGRIND set, the module
# and nginx built for valgrind (util/test builds them:
# TEST_NGINX_MEMCHECK_MODULE, TEST_NGINX_MEMCHECK_BINARY).
# Every block then gets one more test, "valgrind clean", failed by any
# memcheck error or definite leak.
#
# Skipped when the whole suite already runs under valgrind (the file runs
# there anyway) or against a sanitizer build, which valgrind cannot run.

use strict;
use warnings;

# a Test::Nginx found on @INC before ours (t/lib/fallback comes last)

sub real_runner {
    for my $dir (@INC) {
        next if ref $dir;
        return $dir !~ m{(^|/)t/lib/fallback/?$}
            if -f "$dir/Test/Nginx/Socket.pm";
    }

    return 0;
}

sub run {
    my ($file) = @_;

    my $skip;

    if ($ENV{TEST_NGINX_USE_VALGRIND}) {
        $skip = 'the whole suite runs under valgrind';

    } elsif ($ENV{TEST_NGINX_CHECK_SANITIZERS}) {
        $skip = 'valgrind does not run a sanitizer build';

    } elsif (!grep { -x "$_/valgrind" } split /:/, $ENV{PATH} // '') {
        $skip = 'valgrind is not installed';

    } elsif (!$ENV{TEST_NGINX_MEMCHECK_MODULE}) {
        $skip = 'no module built for valgrind (run through util/test)';

    } elsif (real_runner()) {
        $skip = 'the real Test::Nginx does not fail a block on a memcheck '
                . 'report: t/memcheck runs with our runner';
    }

    if ($skip) {
        print "1..0 # SKIP $skip\n";
        exit 0;
    }

    $ENV{TEST_NGINX_USE_VALGRIND} = 1;
    $ENV{TEST_NGINX_LOAD_MODULES} = $ENV{TEST_NGINX_MEMCHECK_MODULE};
    $ENV{TEST_NGINX_BINARY} = $ENV{TEST_NGINX_MEMCHECK_BINARY}
        if $ENV{TEST_NGINX_MEMCHECK_BINARY};

    exec $^X, $file or die "cannot run $file: $!\n";
}

1;
