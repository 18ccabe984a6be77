package Test::Nginx::Fallback::Mock;

# The embedded one-shot TCP and UDP servers of the fallback
# Test::Nginx::Socket runner (sections tcp_listen, tcp_reply,
# tcp_reply_delay, tcp_query, tcp_query_len, tcp_no_close, tcp_shutdown,
# tcp_shutdown_delay, udp_listen, udp_reply, udp_reply_delay, udp_query).
#
# Each server is a forked child that serves one connection (or one
# datagram): it records what it received in a temporary file, waits the
# reply delay, sends the reply and exits.  The parent checks the recorded
# query once the block's requests are done.

use strict;
use warnings;

use File::Temp qw(tempfile);
use IO::Socket::INET ();
use IO::Socket::UNIX ();
use POSIX qw(WNOHANG);
use Socket qw(SOCK_STREAM SOCK_DGRAM);
use Time::HiRes qw(sleep time);

my %Running;        # pid => 1, for the final cleanup


# Starts the servers a block asks for.  Returns an object (or undef when
# the block has none).

sub start {
    my ($class, $block, $name) = @_;

    return undef unless defined $block->tcp_listen
                        || defined $block->udp_listen;

    my $self = bless { servers => [] }, $class;

    if (defined $block->tcp_listen) {
        push @{ $self->{servers} }, start_tcp($block, $name);
    }

    if (defined $block->udp_listen) {
        push @{ $self->{servers} }, start_udp($block, $name);
    }

    return $self;
}


# Checks the recorded queries and stops the servers.

sub finish {
    my ($self, $block, $name) = @_;

    for my $srv (@{ $self->{servers} }) {
        my $query = '';

        if ($srv->{query_file} && open my $in, '<', $srv->{query_file}) {
            binmode $in;
            local $/;
            $query = <$in>;
            $query = '' unless defined $query;
            close $in;
        }

        if ($srv->{type} eq 'tcp') {
            if (defined $block->tcp_query) {
                Test::Nginx::Socket::is_str($query, scalar $block->tcp_query,
                                            "$name - tcp_query ok");
            }

            if (defined $block->tcp_query_len) {
                Test::More::is(length $query, scalar $block->tcp_query_len,
                               "$name - TCP query length ok");
            }

        } elsif (defined $block->udp_query) {
            Test::Nginx::Socket::is_str($query, scalar $block->udp_query,
                                        "$name - udp_query ok");
        }

        stop_child($srv->{pid});
        close $srv->{sock};
        unlink $srv->{query_file} if $srv->{query_file};
        unlink $srv->{unix_path} if $srv->{unix_path};
    }

    $self->{servers} = [];
}


sub stop_all {
    stop_child($_) for keys %Running;
}


sub stop_child {
    my ($pid) = @_;

    return unless $Running{$pid};
    delete $Running{$pid};

    kill 'TERM', $pid;

    my $deadline = time + 1;
    while (time < $deadline) {
        return if waitpid($pid, WNOHANG) != 0;
        sleep 0.01;
    }

    kill 'KILL', $pid;
    waitpid $pid, 0;
}


sub listen_socket {
    my ($type, $target, $name) = @_;

    my $stream = $type eq 'tcp';
    my $err;

    for my $try (1 .. 30) {
        my $sock;

        if ($target =~ /^\d+$/) {
            $sock = IO::Socket::INET->new(
                LocalAddr => '127.0.0.1',
                LocalPort => $target,
                Proto     => $type,
                ReuseAddr => 1,
                ($stream ? (Listen => 5) : ()),
            );

        } elsif ($target =~ /\S+\.sock$/) {
            unlink $target if -e $target;
            $sock = IO::Socket::UNIX->new(
                Local => $target,
                Type  => $stream ? SOCK_STREAM : SOCK_DGRAM,
                ($stream ? (Listen => 5) : ()),
            );

        } else {
            Test::Nginx::Socket::bail_out("$name - bad ${type}_listen "
                                          . "target: $target");
        }

        return $sock if $sock;

        $err = $@ || "$!";
        last unless $err =~ /in use/i;
        sleep 0.2;
    }

    Test::Nginx::Socket::bail_out("$name - failed to create the $type "
                                  . "listening socket on $target: $err");
}


sub query_file {
    my ($fh, $file) = tempfile('test-nginx-query-XXXXXX', TMPDIR => 1);
    close $fh;
    return $file;
}


sub fork_server {
    my ($name, $code) = @_;

    my $pid = fork;
    Test::Nginx::Socket::bail_out("$name - fork() failed: $!")
        unless defined $pid;

    if ($pid == 0) {
        # a child: no test output, no END blocks
        Test::More->builder->no_ending(1);
        eval { $code->() };
        warn "$name - embedded server: $@" if $@;
        POSIX::_exit(0);
    }

    $Running{$pid} = 1;
    return $pid;
}


sub reply_list {
    my ($reply, $query, $name, $type) = @_;

    if (ref $reply eq 'CODE') {
        $reply = $reply->($query);
    }

    return () unless defined $reply;
    return @$reply if ref $reply eq 'ARRAY';

    if (ref $reply) {
        Test::Nginx::Socket::bail_out("$name - bad --- ${type}_reply value");
    }

    return ($reply);
}


sub record {
    my ($file, $data) = @_;

    return unless $file;
    open my $out, '>', $file or return;
    binmode $out;
    print $out $data;
    close $out;
}


sub start_tcp {
    my ($block, $name) = @_;

    my $target = $block->tcp_listen;
    my $reply = $block->tcp_reply;

    if (!defined $reply && !defined $block->tcp_shutdown) {
        Test::Nginx::Socket::bail_out("$name - no --- tcp_reply specified "
                                      . "but --- tcp_listen is specified");
    }

    my $req_len = $block->tcp_query_len;
    my $file;

    if (defined $block->tcp_query || defined $req_len) {
        $req_len = length $block->tcp_query unless defined $req_len;
        $file = query_file();
    }

    my $sock = listen_socket('tcp', $target, $name);

    my $pid = fork_server($name, sub {
        local $SIG{PIPE} = 'IGNORE';

        my $client;
        until ($client = $sock->accept) {
            sleep 0.01;
        }

        my ($no_read, $no_write);

        if (defined(my $how = $block->tcp_shutdown)) {
            sleep $block->tcp_shutdown_delay if $block->tcp_shutdown_delay;
            shutdown $client, $how;

            if ($how == 0 || $how == 2) {
                $no_read = 1;
            } else {
                $no_write = 1;
            }
        }

        my $buf = '';

        unless ($no_read) {
            while (1) {
                my $n = sysread $client, my $chunk, 4096;
                last unless $n;
                $buf .= $chunk;
                record($file, $buf);
                last if !$req_len || length $buf >= $req_len;
            }
        }

        my $delay = Test::Nginx::Socket::parse_time(
            scalar $block->tcp_reply_delay);
        sleep $delay if $delay;

        unless ($no_write) {
            for my $r (reply_list($reply, $buf, $name, 'tcp')) {
                syswrite $client, $r;
            }
        }

        if (defined $block->tcp_no_close) {
            sleep 1 while 1;
        }

        close $client;
    });

    return { type => 'tcp', pid => $pid, sock => $sock, query_file => $file,
             unix_path => ($target =~ /\.sock$/ ? $target : undef) };
}


sub start_udp {
    my ($block, $name) = @_;

    my $target = $block->udp_listen;
    my $reply = $block->udp_reply;

    if (!defined $reply) {
        Test::Nginx::Socket::bail_out("$name - no --- udp_reply specified "
                                      . "but --- udp_listen is specified");
    }

    my $file = defined $block->udp_query ? query_file() : undef;
    my $sock = listen_socket('udp', $target, $name);

    my $pid = fork_server($name, sub {
        my $peer = $sock->recv(my $buf, 65536);
        die "udp recv failed: $!\n" unless defined $peer;

        record($file, $buf);

        my $delay = Test::Nginx::Socket::parse_time(
            scalar $block->udp_reply_delay);
        sleep $delay if $delay;

        for my $r (reply_list($reply, $buf, $name, 'udp')) {
            $sock->send($r, 0, $peer);
        }
    });

    return { type => 'udp', pid => $pid, sock => $sock, query_file => $file,
             unix_path => ($target =~ /\.sock$/ ? $target : undef) };
}

1;
