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
use Test::More ();

use Exporter 'import';
our @EXPORT = qw(keys_dir mint_token mint_tokens debian_python json_encode
                 json_decode emulator aws_block_preprocessor
                 concurrent_requests nginx_get slot_tokens
                 slot_answers_right check_records pids_in_log
                 reload_nginx);

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

# The AWS emulator, started once per test file that asks for it.  The
# gateway's own credentials are the ones the emulator knows by default
# (AWS's documentation example), passed through the environment.

my $emulator;
our @block_state;

sub emulator {
    return $emulator if $emulator;

    require Dynamo::Emulator;

    my $port = $ENV{TEST_NGINX_AWS_PORT} // 19900;
    my $dynalite = "$top/node_modules/.bin/dynalite";

    $emulator = Dynamo::Emulator->start(
        base_port => $port,
        (-x $dynalite ? (dynalite => $dynalite) : ()),
    );

    $ENV{TEST_NGINX_STS_PORT} = $emulator->port('sts');
    $ENV{TEST_NGINX_DDB_PORT} = $emulator->port('dynamodb');
    $ENV{TEST_NGINX_IMDS_PORT} = $emulator->port('imds');
    $ENV{TEST_NGINX_ECS_PORT} = $emulator->port('ecs');
    $ENV{TEST_NGINX_ECHO_PORT} = $emulator->port('echo');
    $ENV{TEST_NGINX_DYNALITE_PORT} = $emulator->port('dynalite');

    return $emulator;
}

$ENV{AWS_ACCESS_KEY_ID} = 'AKIAIOSFODNN7EXAMPLE';
$ENV{AWS_SECRET_ACCESS_KEY} = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
delete $ENV{AWS_SESSION_TOKEN};

# Fills what blocks talking to the emulator share: the zone and base
# credentials, the STS location, a location reading the emulator's
# records (/emu/...), a static file, and the emulator's state: reset,
# then the block's "--- emu_config" and "--- emu_faults" (JSON).

sub aws_block_preprocessor {
    my $block = shift;

    if (!defined $block->main_config) {
        $block->set_value("main_config",
                          "env AWS_ACCESS_KEY_ID;\n"
                          . "env AWS_SECRET_ACCESS_KEY;\n"
                          . "env AWS_SESSION_TOKEN;\n");
    }

    if (!defined $block->http_config) {
        $block->set_value("http_config",
                          "dynamo_zone dynamo:1m;\n"
                          . "dynamo_base_credentials env;\n");
    }

    my $config = $block->config // '';

    if ($config !~ m{location = /_sts }) {
        $config .= <<'CONF';
    location = /_sts {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/;
        proxy_set_header Host sts.us-east-1.amazonaws.com;
        proxy_connect_timeout 1s;
        proxy_read_timeout 2s;
    }
CONF
    }

    if ($config !~ m{location /emu/}) {
        $config .= <<'CONF';
    location /emu/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/_emu/;
    }
CONF
    }

    $block->set_value("config", $config);

    if (!defined $block->user_files) {
        $block->set_value("user_files", ">>> t\nok\n");
    }

    # the runners eval "--- init" as text: the block's state is kept here
    push @block_state, { config => scalar $block->emu_config,
                         faults => scalar $block->emu_faults,
                         init => scalar $block->init };

    $block->set_value("init", "Dynamo::Test::block_init($#block_state);");
}

sub block_init {
    my ($i) = @_;
    my $state = $block_state[$i];
    my $emu = emulator();

    $emu->reset(config => 1);
    $emu->config(json_decode($state->{config})) if $state->{config};
    $emu->fault(json_decode($state->{faults})) if $state->{faults};

    if (defined $state->{init} && $state->{init} ne '') {
        package main;
        eval $state->{init};
        die $@ if $@;
    }
}

# A request to the nginx under test from "--- init" code: the status.

sub nginx_get {
    my ($path, %headers) = @_;

    require HTTP::Tiny;

    my $port = $ENV{TEST_NGINX_SERVER_PORT} // $ENV{TEST_NGINX_PORT} // 1984;
    my $res = HTTP::Tiny->new(timeout => 30)->get(
        "http://127.0.0.1:$port$path", { headers => \%headers });

    return $res->{status};
}

# More HS256 tokens than a worker has token slots (256), each with an
# identity and a jti of its own, for the tests of those slots.

sub slot_tokens {
    return mint_tokens(map {
        { secret => 'hs256', alg => 'HS256', exp_in => 3600,
          claims => {azp => "drsa/sa/default/many-$_", jti => "jti-$_"} }
    } 1 .. 300);
}

# Sends each of those tokens twice to /t, which answers with
# X-Identity: "$dynamo_identity $dynamo_claim_jti", and counts the
# answers that name the identity of the token they were sent with.

sub slot_answers_right {
    my @tokens = @_;

    require HTTP::Tiny;

    my $port = $ENV{TEST_NGINX_SERVER_PORT} // $ENV{TEST_NGINX_PORT} // 1984;
    my $http = HTTP::Tiny->new(timeout => 30);
    my $right = 0;

    for my $i (0 .. 2 * @tokens - 1) {
        my $n = $i % @tokens + 1;
        my $res = $http->get("http://127.0.0.1:$port/t",
            { headers => {'cyral.token' => $tokens[$n - 1]} });

        $right++ if $res->{status} == 200
            && ($res->{headers}{'x-identity'} // '')
               eq "drsa/sa/default/many-$n jti-$n";
    }

    return $right;
}

# Sends $n requests at once (one connection each) and returns the status
# codes, in order.

sub concurrent_requests {
    my (%opt) = @_;

    require IO::Socket::INET;
    require IO::Select;

    my $n = $opt{n};
    my $port = $opt{port} // $ENV{TEST_NGINX_SERVER_PORT}
               // $ENV{TEST_NGINX_PORT} // 1984;
    my $req = $opt{request};
    my (@socks, %buf, %idx);

    for my $i (0 .. $n - 1) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port, Proto => 'tcp')
            or die "connect: $!\n";
        $s->autoflush(1);
        push @socks, $s;
        $idx{fileno $s} = $i;
        $buf{fileno $s} = '';
    }

    print {$_} $req for @socks;

    my $sel = IO::Select->new(@socks);
    my $deadline = time + ($opt{timeout} // 30);

    while ($sel->count && time < $deadline) {
        for my $s ($sel->can_read(1)) {
            my $n = sysread($s, my $chunk, 65536);
            if (!$n) {
                $sel->remove($s);
                close $s;
                next;
            }
            $buf{fileno $s} .= $chunk;
        }
    }

    # each answer's status, and with "types" the name of its error type
    # after it ("400 ThrottlingException"), or nothing ("200 ")

    my @codes;
    for my $fd (keys %buf) {
        my ($code) = $buf{$fd} =~ m{^HTTP/1\.\d (\d{3})};
        $codes[$idx{$fd}] = $code // 0;

        if ($opt{types}) {
            my ($type) = $buf{$fd} =~ m{"__type":"[^"#]*#([^"]+)"};
            $codes[$idx{$fd}] .= ' ' . ($type // '');
        }
    }

    return @codes;
}

# Every activity record written by any block of any test file is read
# back: after each block, the lines its nginx added to the activity logs
# the block's configuration names (files only: syslog, "off" and what is
# not a regular file, /dev/full, are left out) are copied aside, and when
# the file's blocks are done t/lib/check_activity.py reads them all (strict
# UTF-8, strict JSON, the schema in t/data).  A record it refuses fails one
# more test, "activity records are strict JSON", naming the block.  Under
# a runner that keeps nginx running after a block, only whole lines are
# taken, and records still in a buffer when the logs are removed are not
# seen.

my (%log_seen, @record_files, $records_dir, $records_checked);

sub activity_log_paths {
    my ($block) = @_;

    my $root = $ENV{TEST_NGINX_SERVER_ROOT} // '';
    my $conf = join "\n", grep { defined } $block->main_config,
                                            $block->http_config,
                                            $block->config;
    my (%seen, @paths);

    while ($conf =~ /^\s*dynamo_activity_log\s+([^\s;]+)/mg) {
        my $path = $1;

        next if $path eq 'off' || $path =~ /^syslog:/;

        $path =~ s/\\?\$(TEST_NGINX_\w+)/$ENV{$1} \/\/ ''/ge;
        $path = "$root/$path" if $path !~ m{^/};

        push @paths, $path if !$seen{$path}++;
    }

    return @paths;
}

sub collect_records {
    my ($block) = @_;

    for my $path (activity_log_paths($block)) {
        next if !-f $path;

        open my $in, '<:raw', $path or next;
        my ($dev, $ino, $size) = (stat $in)[0, 1, 7];
        my $data = do { local $/; <$in> } // '';
        close $in;

        # what an earlier block saw of the same file is not read again
        my $head = substr($data, 0, 128);
        my $seen = $log_seen{$path};
        my $from = ($seen && $seen->{dev} == $dev && $seen->{ino} == $ino
                    && $seen->{head} eq $head && $seen->{end} <= $size)
                   ? $seen->{end} : 0;

        my $end = rindex($data, "\n") + 1;
        $end = $from if $end < $from;

        $log_seen{$path} = { dev => $dev, ino => $ino, head => $head,
                             end => $end };

        next if $end == $from;

        if (!defined $records_dir) {
            require File::Temp;
            $records_dir = File::Temp::tempdir('records-XXXXXX',
                                               TMPDIR => 1, CLEANUP => 1);
        }

        my $copy = sprintf "%s/%03d.log", $records_dir, scalar @record_files;
        open my $out, '>:raw', $copy or die "$copy: $!\n";
        print $out substr($data, $from, $end - $from);
        close $out;

        push @record_files, { file => $copy, block => $block->name,
                              log => $path };
    }
}

# check_activity.py on a list of logs: its exit status (0 when every
# record is good) and what it printed, stderr included

sub check_records {
    my (@logs) = @_;

    my @cmd = ($python, "$top/t/lib/check_activity.py",
               '--schema', "$top/t/data/activity-record.schema.json",
               map { ('--log', $_) } @logs);

    my $pid = open(my $out, '-|') // die "fork: $!\n";

    if ($pid == 0) {
        open STDERR, '>&', \*STDOUT or die "stderr: $!\n";
        exec @cmd or die "cannot run $cmd[0]: $!\n";
    }

    my $text = do { local $/; <$out> } // '';
    close $out;

    return ($?, $text);
}

sub check_collected_records {
    return if $records_checked++ || !@record_files;

    my ($status, $text) = check_records(map { $_->{file} } @record_files);

    my %block = map { ($_->{file} => "$_->{block} ($_->{log})") }
                @record_files;
    $text =~ s{(\S+/\d{3}\.log)}{$block{$1} // $1}ge;

    my $name = "$0: activity records are strict JSON, valid against the "
               . "schema";
    my $tb = Test::More->builder;

    if ($status != 0) {
        $tb->ok(0, $name);
        $tb->diag($text);

    } elsif (($tb->has_plan // 'no_plan') eq 'no_plan') {
        $tb->ok(1, "$name: " . ($text =~ /^(\d+ records)/ ? $1 : $text));
    }
}

if (my $add = Test::Nginx::Socket->can('add_test_cleanup_handler')) {
    $add->(\&collect_records);
    Test::Nginx::Socket::add_cleanup_handler(\&check_collected_records);
}

$ENV{TEST_NGINX_KEYS} = keys_dir();
$ENV{TEST_NGINX_TOP} = $top;


# How many worker processes answered 200, from a log of "$pid $status"
# lines (logs/pid.log), for the tests that need both workers to serve.

sub pids_in_log {
    my %pids;
    open my $fh, '<', "$ENV{TEST_NGINX_SERVROOT}/logs/pid.log" or return 0;
    while (<$fh>) {
        $pids{$1}++ if /^(\d+) 200$/;
    }
    return scalar keys %pids;
}

# "nginx -s reload" from a test, returning once the old workers are gone
# (the log says so)

sub reload_nginx {
    my $pidfile = "$ENV{TEST_NGINX_SERVROOT}/logs/nginx.pid";
    open my $fh, '<', $pidfile or die "$pidfile: $!";
    chomp(my $pid = <$fh>);
    my $log = "$ENV{TEST_NGINX_SERVROOT}/logs/error.log";
    kill 'HUP', $pid or die "kill HUP $pid: $!";

    for (1 .. 100) {
        select undef, undef, undef, 0.1;
        open my $in, '<', $log or next;
        my $exits = grep { /worker process \d+ exited/ } <$in>;
        return if $exits >= 2;
    }
    die "the reload did not finish\n";
}

1;
