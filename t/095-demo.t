# "make demo" hands over: util/demo, on the test's ports and in a
# directory of its own (so that it never meets a demo someone left
# running), leaves the gateway running with the sample table, and the
# commands it prints for the aws CLI, boto3 and curl work as printed, run
# by a shell with an empty home and nothing of AWS in its environment. A
# second start says the demo runs; "token" mints another that works;
# "stop" stops it.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use File::Temp qw(tempdir);
use Cwd qw(abs_path);
use IO::Socket::INET;
use Dynamo::Test;

my ($module) = split ' ', ($ENV{TEST_NGINX_LOAD_MODULES} // '');
plan skip_all => 'TEST_NGINX_LOAD_MODULES names no module' unless $module;

my $port = $ENV{TEST_NGINX_PORT} // 1984;
my $aws_port = $ENV{TEST_NGINX_AWS_PORT} // 19900;
my $dir = tempdir(CLEANUP => 1);

$ENV{DEMO_PORT} = $port;
$ENV{DEMO_AWS_PORT} = $aws_port;
$ENV{DEMO_DIR} = "$dir/demo";
$ENV{DEMO_MODULE} = abs_path($module);
$ENV{DEMO_NGINX} = $ENV{TEST_NGINX_BINARY} // '/usr/sbin/nginx';

sub demo {
    my $out = `util/demo @_ 2>&1`;
    return ($? >> 8, $out);
}

END { system('util/demo stop >/dev/null 2>&1') if $ENV{DEMO_DIR} }

sub listening {
    return IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                 Proto => 'tcp', Timeout => 2) ? 1 : 0;
}

# the printed block, cut at its comments into one command each, named by
# the comment's first word
sub commands {
    my ($out) = @_;
    my ($block) = $out =~ /Paste these into a shell:\n(.*?)\ndemo: another/s
        or return;
    $block =~ s/^\s+//;
    my %cmd;
    my ($export) = $block =~ /^(export DYNAMO_TOKEN=\S+)$/m;
    for my $part (split /\n\n(?=# )/, $block) {
        my ($title) = $part =~ /^# (\w+)/;
        $cmd{$title} = $part;
    }
    $cmd{export} = $export;
    return \%cmd;
}

# a shell with an empty home, no AWS variables, only the system's paths
sub paste {
    my ($export, $command) = @_;
    my $home = tempdir(CLEANUP => 1);
    open my $sh, '>', "$home/paste.sh" or die "$home/paste.sh: $!";
    print $sh "$export\n$command\n";
    close $sh;
    my $path = '/usr/local/bin:/usr/bin:/bin';
    my $out = `env -i HOME=$home PATH=$path bash $home/paste.sh 2>&1`;
    my $rc = $? >> 8;
    opendir my $dh, $home or die;
    my @left = grep { !/^\.\.?$/ && $_ ne 'paste.sh' } readdir $dh;
    return ($rc, $out, \@left);
}

ok(!listening(), "nothing listens on port $port before the demo");
my ($rc, $out) = demo();
is($rc, 0, 'util/demo starts and exits') or diag($out);
like($out, qr/"Count": 3/, 'the sample table has its three items');
like($out, qr/MissingAuthenticationTokenException/,
     'the call without a token is refused');
unlike($out, qr/signature_ok=False/, 'DynamoDB accepted every signature');

like($out, qr/^demo: another token: DEMO_PORT=$port .*make demo-token$/m,
     'how to mint another token for this demo, on its ports');
like($out, qr/^demo: stop it: +DEMO_PORT=$port .*make demo-stop$/m,
     'how to stop it');

my $cmd = commands($out) // {};
ok($cmd->{export}, 'a token to export is printed') or diag($out);
like($cmd->{a} // '',
     qr/^# a token for .* valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC/,
     'its expiry is printed');
is_deeply([sort grep { $_ ne 'export' } keys %$cmd],
          [sort qw(a aws boto3 curl its what)],
          'commands for the aws CLI, boto3, curl, the log and the status')
    or diag(explain([keys %$cmd]));
my @urls = join("\n", values %$cmd) =~ m{(https?://[^\s"/]+)}g;
is_deeply([grep { $_ ne "http://127.0.0.1:$port" } @urls], [],
          'every command talks to the gateway on the loopback only');

my ($prc, $pout, $left) = paste($cmd->{export}, $cmd->{aws} // 'false');
is($prc, 0, 'the aws CLI command works as printed') or diag($pout);
my $scan = eval { json_decode($pout) } // {};
is($scan->{Count}, 3, 'and scans the three items') or diag($pout);
is_deeply($left, [], 'with nothing written to the empty home');

($prc, $pout) = paste($cmd->{export}, $cmd->{'boto3'} // 'false');
is($prc, 0, 'the boto3 command works as printed') or diag($pout);
like($pout, qr/'id': \{'S': 'order-1'\}/, 'and gets the item') or diag($pout);

($prc, $pout) = paste($cmd->{export}, $cmd->{'curl'} // 'false');
is($prc, 0, 'the curl command works as printed') or diag($pout);
my $query = eval { json_decode($pout) } // {};
is_deeply($query->{Items}, [{id => {S => 'order-2'}, total => {N => '7'},
                             note => {S => 'gift'}}],
          'and queries the item') or diag($pout);

my $tail = $cmd->{what} // 'false';
$tail =~ s/tail -f/tail -n 3/;
($prc, $pout) = paste($cmd->{export}, $tail);
my @records = map { eval { json_decode($_) } // {} } split /\n/, $pout;
is_deeply([map { $_->{client}{applicationName} =~ /^(\w+)/ ? $1 : '?' }
           @records], [qw(aws Boto3 curl)],
          'the activity log printed records the three calls')
    or diag($pout);
is_deeply([map { $_->{response}{records} } @records], [3, 1, 1],
          'with the items each returned') or diag($pout);

($prc, $pout) = paste($cmd->{export}, $cmd->{its} // 'false');
my $status = eval { json_decode($pout) } // {};
ok(($status->{requests}{allowed} // 0) >= 3,
   'the status URL printed answers with the counters') or diag($pout);

($rc, $out) = demo();
is($rc, 0, 'a second util/demo exits without error') or diag($out);
like($out, qr/^demo: already running on http:\/\/127\.0\.0\.1:$port/m,
     'and says the demo runs');
my $again = commands($out) // {};
isnt($again->{export} // '', $cmd->{export}, 'with a fresh token');

($rc, $out) = demo('token');
is($rc, 0, 'util/demo token mints a token') or diag($out);
my ($export) = $out =~ /^(export DYNAMO_TOKEN=\S+)$/m;
($prc, $pout) = paste($export // 'false', $cmd->{'curl'} // 'false');
$query = eval { json_decode($pout) } // {};
is($query->{Count}, 1, 'which the gateway accepts') or diag($pout);

($rc, $out) = demo('stop');
is($rc, 0, 'util/demo stop') or diag($out);
ok(!listening(), 'the gateway is gone');
($rc, $out) = demo('token');
isnt($rc, 0, 'util/demo token, once stopped, refuses');
like($out, qr/not running/, 'and says why');

done_testing();
