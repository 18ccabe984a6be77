package Dynamo::Emulator;

# Perl client of the AWS emulator test fixture (t/lib/aws_emulator.py).
#
#   use lib 't/lib';
#   use Dynamo::Emulator;
#
#   my $emu = Dynamo::Emulator->start(
#       base_port => $ENV{TEST_NGINX_AWS_PORT} // 19900,
#       dynalite  => 'node_modules/.bin/dynalite',
#   );
#   $emu->config({ credential_lifetime => 20 });
#   $emu->fault({ service => 'sts', mode => 'error', status => 500,
#                 count => 1 });
#   ... run nginx against $emu->port('sts') / $emu->port('dynamodb') ...
#   my $calls = $emu->requests('sts');         # array ref of hashes
#   is $emu->count(sts => 'AssumeRole'), 1;
#   $emu->stop;                                # also done by DESTROY/END
#
# Core Perl only: HTTP::Tiny, JSON::PP, IO::Socket::INET, POSIX,
# Time::HiRes.

use strict;
use warnings;

use Carp qw(croak);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Spec;
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(WNOHANG);
use Scalar::Util qw(weaken);
use Time::HiRes qw(sleep time);

our $VERSION = '0.01';

my %OFFSET = (sts => 0, dynamodb => 1, imds => 2, ecs => 3, echo => 4,
              dynalite => 5);

my $SCRIPT = File::Spec->catfile(dirname(dirname(abs_path(__FILE__))),
                                 'aws_emulator.py');

my @LIVE;


sub start {
    my ($class, %opt) = @_;

    my $base = $opt{base_port} // $ENV{TEST_NGINX_AWS_PORT} // 19900;
    my $self = bless {
        base_port => $base,
        owner     => $$,
        pid       => undef,
        owned     => 0,
        log_file  => $opt{log_file}
                     // File::Spec->catfile(File::Spec->tmpdir,
                                            "ngx_dynamo_emulator.$base.log"),
        http      => HTTP::Tiny->new(timeout => $opt{timeout} // 30,
                                     keep_alive => 1),
        json      => JSON::PP->new->utf8->canonical->allow_nonref,
    }, $class;

    my $health = $self->health;
    if ($health) {
        croak "an AWS emulator already answers on port $base "
              . "(pass reuse => 1 to use it)" unless $opt{reuse};
        $self->{pid} = $health->{pid};
        $self->reset(config => 1) if $opt{reset};
        return $self;
    }

    for my $svc (sort keys %OFFSET) {
        next if $svc eq 'dynalite' && !$opt{dynalite};
        my $port = $base + $OFFSET{$svc};
        croak "port $port ($svc) is already in use" if _port_open($port);
    }

    my @cmd = ($opt{python} // '/usr/bin/python3', $opt{script} // $SCRIPT,
               '--base-port', $base, '--watch-pid', $$,
               '--log-file', $self->{log_file});
    push @cmd, '--dynalite', $opt{dynalite} if $opt{dynalite};
    push @cmd, '--pid-file', $opt{pid_file} if $opt{pid_file};
    push @cmd, '--config', $opt{config_file} if $opt{config_file};
    push @cmd, '--verbose' if $opt{verbose};
    push @cmd, @{ $opt{args} } if $opt{args};

    my $pid = fork;
    croak "fork() failed: $!" unless defined $pid;

    if ($pid == 0) {
        # the child: never run the parent's END blocks or destructors
        open STDIN, '<', File::Spec->devnull;
        open STDOUT, '>>', File::Spec->devnull;
        open STDERR, '>>', $self->{log_file}
            or open STDERR, '>>', File::Spec->devnull;
        { no warnings 'exec'; exec { $cmd[0] } @cmd; }
        POSIX::_exit(127);
    }

    $self->{pid} = $pid;
    $self->{owned} = 1;
    push @LIVE, $self;
    weaken($LIVE[-1]);

    my $deadline = time + ($opt{startup_timeout} // 15);
    while (time < $deadline) {
        my $h = $self->health;
        return $self if $h && $h->{ok};
        if (waitpid($pid, WNOHANG) == $pid) {
            my $status = $?;
            $self->{owned} = 0;
            croak "the AWS emulator exited at startup (status $status): "
                  . $self->_log_tail;
        }
        sleep 0.05;
    }

    $self->stop;
    croak "the AWS emulator did not become ready on port $base: "
          . $self->_log_tail;
}


sub stop {
    my ($self, %opt) = @_;

    local ($?, $!, $@);

    if (!$self->{owned}) {
        $self->_request('POST', '/_emu/shutdown') if $opt{force};
        return;
    }
    return unless $$ == $self->{owner};

    my $pid = $self->{pid};
    $self->{owned} = 0;
    return unless $pid;

    kill 'TERM', $pid;
    my $deadline = time + 5;
    while (time < $deadline) {
        return 1 if waitpid($pid, WNOHANG) == $pid;
        sleep 0.02;
    }
    kill 'KILL', $pid;
    waitpid($pid, 0);
    return 1;
}


sub DESTROY {
    my $self = shift;
    $self->stop if $self->{owned} && $$ == $self->{owner};
}


END {
    for my $emu (@LIVE) {
        $emu->stop if $emu && $emu->{owned} && $$ == $emu->{owner};
    }
}


sub port {
    my ($self, $name) = @_;
    croak "unknown emulator service '" . ($name // '') . "'"
        unless defined $name && exists $OFFSET{$name};
    return $self->{base_port} + $OFFSET{$name};
}


sub url {
    my ($self, $name) = @_;
    return 'http://127.0.0.1:' . $self->port($name);
}


sub base_port { $_[0]{base_port} }
sub pid       { $_[0]{pid} }
sub log_file  { $_[0]{log_file} }


sub health {
    my $self = shift;
    my $res = $self->{http}->request('GET',
                                     $self->url('sts') . '/_emu/health');
    return undef unless $res->{success} || $res->{status} == 503;
    my $doc = eval { $self->{json}->decode($res->{content}) };
    return $doc;
}


sub config {
    my ($self, $update) = @_;
    return $self->_call('GET', '/_emu/config') unless $update;
    return $self->_call('POST', '/_emu/config', $update);
}


sub fault {
    my ($self, $fault) = @_;
    return $self->_call('POST', '/_emu/faults', $fault);
}


sub faults {
    my $self = shift;
    return $self->_call('GET', '/_emu/faults');
}


sub clear_faults {
    my ($self, $service) = @_;
    return $self->_call('POST', '/_emu/faults/clear',
                        $service ? { service => $service } : {});
}


sub reset {
    my ($self, %opt) = @_;
    return $self->_call('POST', '/_emu/reset',
                        { config => $opt{config} ? JSON::PP::true
                                                 : JSON::PP::false });
}


sub requests {
    my ($self, $service, %filter) = @_;
    my %q = %filter;
    $q{service} = $service if defined $service;
    my $qs = join '&', map { "$_=" . _uri_escape($q{$_}) } sort keys %q;
    return $self->_call('GET', '/_emu/requests' . ($qs ? "?$qs" : ''));
}


sub clear_requests {
    my $self = shift;
    return $self->_call('POST', '/_emu/requests/clear');
}


sub counters {
    my $self = shift;
    return $self->_call('GET', '/_emu/counters');
}


sub count {
    my ($self, $service, $action) = @_;
    my $c = $self->counters;
    return $c->{$service}{$action} // 0 if defined $action;
    return $c->{_requests}{$service} // 0;
}


# an identity provider's key set, served at /jwks/<name> on every port:
# $emu->jwks(name => 'idp', keys => [...], max_age => 60)
# or a raw answer: $emu->jwks(name => 'idp', body => '...', status => 200)
sub jwks {
    my ($self, %spec) = @_;
    return $self->_call('POST', '/_emu/jwks', \%spec);
}


sub credentials {
    my $self = shift;
    return $self->_call('GET', '/_emu/credentials');
}


sub expire_credentials {
    my ($self, $filter) = @_;
    return $self->_call('POST', '/_emu/credentials/expire',
                        $filter || {})->{expired};
}


sub issue_credentials {
    my ($self, $spec) = @_;
    return $self->_call('POST', '/_emu/credentials/issue', $spec || {});
}


sub _call {
    my ($self, $method, $path, $doc) = @_;
    my $res = $self->_request($method, $path, $doc);
    croak "emulator $method $path failed: $res->{status} $res->{reason} "
          . ($res->{content} // '')
        unless $res->{success};
    return $self->{json}->decode($res->{content});
}


sub _request {
    my ($self, $method, $path, $doc) = @_;
    my %args = (headers => { 'Content-Type' => 'application/json' });
    $args{content} = $self->{json}->encode($doc) if defined $doc;
    return $self->{http}->request($method, $self->url('sts') . $path,
                                  \%args);
}


sub _uri_escape {
    my $s = shift // '';
    $s =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}


sub _port_open {
    my $port = shift;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Proto => 'tcp',
                                     Timeout => 1);
    return 0 unless $sock;
    close $sock;
    return 1;
}


sub _log_tail {
    my $self = shift;
    open my $fh, '<', $self->{log_file} or return "(no log)";
    my @lines = <$fh>;
    close $fh;
    @lines = @lines[-10 .. -1] if @lines > 10;
    return join '', @lines;
}


1;
