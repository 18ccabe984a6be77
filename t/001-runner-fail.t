use strict;
use warnings;
use lib 't/lib';
BEGIN { push @INC, 't/lib/fallback' }   # ours, only when no Test::Nginx is installed
use Test::Nginx::Socket;      # planned below: skipped under the real one

# The fallback runner must be able to fail: t/runner/must-fail.pl is run
# as a subprocess and each of its blocks has to fail exactly the tests
# listed here (and no other), with a non-zero exit status.  Also checked
# here: "--- ONLY", the valgrind check (a leak must fail it), and that no
# nginx is left running afterwards.

use File::Temp qw(tempdir);

if ($INC{'Test/Nginx/Socket.pm'} !~ m{/fallback/}) {
    plan skip_all => 'tests the fallback runner, not the real Test::Nginx';
}
plan 'no_plan';

# the subprocesses get their own port and server root, so that they do
# not disturb a test running next to this one
my $port = ($ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984)
           + 1;

sub run_script {
    my ($script, %env) = @_;

    my $dir = tempdir('runner-fail-XXXXXX', TMPDIR => 1, CLEANUP => 1);

    local %ENV = %ENV;
    delete @ENV{qw(TEST_NGINX_SERVER_PORT TEST_NGINX_CLIENT_PORT
                   TEST_NGINX_RANDOMIZE TEST_NGINX_NO_CLEAN)};
    $ENV{TEST_NGINX_PORT} = $port;
    $ENV{TEST_NGINX_SERVROOT} = "$dir/servroot";
    @ENV{keys %env} = values %env;

    my $out = `\Q$^X\E \Q$script\E 2>\Q$dir/stderr\E`;
    my $status = $? >> 8;

    my $err = '';
    if (open my $in, '<', "$dir/stderr") {
        local $/;
        $err = <$in>;
        close $in;
    }

    return {
        out    => $out,
        err    => $err,
        status => $status,
        tap    => [ grep { /^(?:not )?ok \d+/ } split /\n/, $out ],
        left   => [ processes_using($dir) ],
    };
}


# processes whose command line mentions $dir (nginx started with -p)

sub processes_using {
    my ($dir) = @_;

    my @pids;

    for my $proc (glob '/proc/[0-9]*') {
        open my $in, '<', "$proc/cmdline" or next;
        my $cmd = do { local $/; <$in> };
        close $in;
        next unless defined $cmd && index($cmd, $dir) >= 0;
        (my $pid = $proc) =~ s{.*/}{};
        push @pids, $pid;
    }

    return @pids;
}


sub show {
    my ($r) = @_;
    diag("output:\n$r->{out}\nstderr:\n$r->{err}");
}


# --- blocks that must fail ------------------------------------------

my $name = 't/runner/must-fail.pl';

# [ block title, the failing test's name after "<title> - " ]
my @must_fail = map { qr/\Q$_->[0] - $_->[1]\E/ } (
    ['TEST 1: wrong body', 'response_body - response is expected'],
    ['TEST 2: wrong status', 'status code ok'],
    ['TEST 3: missing error_log line',
     'pattern "this line is never logged" should match a line in '
     . 'error.log'],
    ['TEST 4: unexpected error_log line',
     'pattern "[error]" should not match any line in error.log'],
    ['TEST 5: response_body_like mismatch',
     'response_body_like - response is expected'],
    ['TEST 6: wrong header value', 'header X-Runner ok'],
    ['TEST 7: a header that must be absent is present',
     'header Server not present in the raw headers'],
    ['TEST 9: must_die, but the configuration is fine', 'die as expected'],
    ['TEST 10: nginx cannot start and the block does not expect it',
     'failed to start nginx'],
    ['TEST 11: grep_error_log_out mismatch', 'grep_error_log_out'],
    ['TEST 12: missing access_log line',
     'pattern "GET /never-requested" should match a line in access.log'],
    ['TEST 13: must_die with another exit code',
     'die with the expected exit code'],
    ['TEST 14: the second of two requests has the wrong status',
     'status code ok'],
    ['TEST 15: access_log with ignore_response is refused',
     'access_log checks with ignore_response are not made by the real '
     . 'Test::Nginx: check the log another way'],
);

# the client time-out test is named differently, as in the real runner
push @must_fail, qr/ERROR: client socket timed out - \Q$name\E TEST 8: /;

my $r = run_script($name);

my @failed = grep { /^not ok / } @{ $r->{tap} };

isnt($r->{status}, 0, "$name exits with a non-zero status");
unlike($r->{out}, qr/^Bail out!/m, "$name does not bail out");

for my $re (@must_fail) {
    ok(scalar(grep { $_ =~ $re } @failed), "a test fails: $re")
        or show($r);
}

is(scalar @failed, scalar @must_fail, "$name fails nothing else")
    or diag(join "\n", @failed);

ok(scalar(grep { /^ok \d+ - \Q$name\E TEST 1: wrong body - status code ok/ }
           @{ $r->{tap} }),
   'the checks that hold in a failing block still pass');

like($r->{err}, qr/diff \(- expected, \+ got\):\n#\s+\@\@/,
     'a wrong body is shown as a diff');

is_deeply($r->{left}, [], "no process left running by $name");


# --- ONLY -----------------------------------------------------------

my $only = run_script('t/runner/only.pl');

is($only->{status}, 0, 't/runner/only.pl passes') or show($only);
ok(@{ $only->{tap} } >= 2, 't/runner/only.pl ran tests');
is_deeply([ grep { !/TEST 2: the only block run/ } @{ $only->{tap} } ], [],
          'only the ONLY block ran');


# --- init, in the runner's package ----------------------------------

# blocks run one by one through ONLY-free copies: the first two must bail
# out as the real runner does, the third must pass

for my $case ([1, qr/Undefined subroutine &Test::Nginx::Util::is called/],
              [2, qr/Undefined subroutine &Test::Nginx::Util::helper_of/])
{
    my ($n, $why) = @$case;
    my $init = run_script('t/runner/init-package.pl',
                          TEST_NGINX_INIT_BLOCK => $n);

    isnt($init->{status}, 0, "init TEST $n: the run fails") or show($init);
    like($init->{out} . $init->{err}, qr/init failed/,
         "init TEST $n: the runner bails out") or show($init);
    like($init->{out} . $init->{err}, $why, "init TEST $n: saying why")
        or show($init);
}

{
    my $init = run_script('t/runner/init-package.pl',
                          TEST_NGINX_INIT_BLOCK => 3);

    is($init->{status}, 0, 'init TEST 3: qualified names pass')
        or show($init);
    ok(scalar(grep { /^ok \d+ - TEST 3: qualified names work in init/ }
              @{ $init->{tap} }),
       'init TEST 3: the init code ran') or show($init);
}


# --- valgrind -------------------------------------------------------

SKIP: {
    my $have_valgrind = grep { -x "$_/valgrind" } split /:/, $ENV{PATH};
    skip 'valgrind is not installed', 4 unless $have_valgrind;
    skip 'valgrind does not run a sanitizer build', 4
        if $ENV{TEST_NGINX_CHECK_SANITIZERS};

    # without suppressions, stock nginx's never-freed arrays show up
    my $vg = run_script('t/runner/valgrind-leak.pl',
                        TEST_NGINX_USE_VALGRIND => 1,
                        TEST_NGINX_VALGRIND_SUPPRESS => '/nonexistent');

    isnt($vg->{status}, 0, 'a leak under valgrind fails the run')
        or show($vg);
    my $leak_test = qr{^not\ ok\ \d+\ -\ valgrind\ clean
                       \x20\(t/runner/valgrind-leak\.pl\ TEST\ 1:}x;
    ok(scalar(grep { $_ =~ $leak_test } @{ $vg->{tap} }),
       'the "valgrind clean" test fails');
    like($vg->{err}, qr/definitely lost/, 'the leak is shown');
    is_deeply($vg->{left}, [], 'no nginx or valgrind left running');
}


# --- the valgrind log reader on its own ----------------------------

{
    require Test::Nginx::Fallback::Valgrind;

    my $dir = tempdir('runner-vg-XXXXXX', TMPDIR => 1, CLEANUP => 1);

    my %logs = (
        clean => "==1== HEAP SUMMARY:\n==1== LEAK SUMMARY:\n"
                 . "==1==    definitely lost: 0 bytes in 0 blocks\n"
                 . "==1== ERROR SUMMARY: 0 errors from 0 contexts "
                 . "(suppressed: 2 from 2)\n",
        invalid => "==2== Invalid read of size 4\n"
                   . "==2==    at 0x1: ngx_http_foo (foo.c:1)\n==2== \n"
                   . "==2== ERROR SUMMARY: 1 errors from 1 contexts "
                   . "(suppressed: 0 from 0)\n",
        killed => "==3== Memcheck, a memory error detector\n",
    );

    my %problems;

    for my $k (keys %logs) {
        open my $out, '>', "$dir/$k.log" or die $!;
        print $out $logs{$k};
        close $out;

        my @p = Test::Nginx::Fallback::Valgrind::check_valgrind_logs(
                    "$dir/$k.log");
        $problems{$k} = \@p;
    }

    is(scalar @{ $problems{clean} }, 0, 'a clean valgrind log passes');
    like($problems{invalid}[0]{excerpt}, qr/Invalid read of size 4/,
         'an invalid read fails, with its record');
    like($problems{killed}[0]{reason}, qr/no ERROR SUMMARY/,
         'a log without summary fails');
}
