package Test::Nginx::Fallback::Client;

# The HTTP/1.x client of the fallback Test::Nginx::Socket runner.
#
# It turns the "--- request" grammar into bytes (request line, the
# automatic Host / Connection / Content-Length headers, more_headers),
# sends them over a raw TCP socket (several packets with delays in
# between, pipelining, half-close), and parses what comes back: status
# line, headers, and a body delimited by Content-Length, chunked encoding
# or the end of the connection.  Nothing here knows about test blocks.

use strict;
use warnings;

use Exporter 'import';
use IO::Select ();
use IO::Socket::INET ();
use Time::HiRes qw(sleep time);

our @EXPORT_OK = qw(
    parse_more_headers
    build_request
    send_request
    parse_response
);


# "--- more_headers" text -> ("Key: value\r\n"..., is_chunked).
# Lines starting with "#" are comments.

sub parse_more_headers {
    my ($text) = @_;

    my $out = '';
    my $chunked = 0;

    for my $line (split /\n+/, defined $text ? $text : '') {
        next if $line =~ /^\s*#/ || $line !~ /\S/;

        my ($key, $val) = split /:\s*/, $line, 2;
        $val = '' unless defined $val;

        if (lc $key eq 'transfer-encoding' && $val eq 'chunked') {
            $chunked = 1;
        }

        $out .= "$key: $val\r\n";
    }

    return ($out, $chunked);
}


# Builds the bytes of one request from its packets, keeping the packet
# boundaries where the caller put them.
#
#   packets    [ { value => '...', delay_before => secs }, ... ]
#   headers    output of parse_more_headers()
#   chunked    true when more_headers asked for chunked encoding
#   connection value of the automatic Connection header
#   host       value of the automatic Host header
#
# Returns (\@packets) or (undef, $error).

sub build_request {
    my (%a) = @_;

    my @packets = @{ $a{packets} };
    my $orig = join '', map { $_->{value} } @packets;

    my ($first, $content) = $orig =~ /\A([^\n]*\n?)(.*)\z/s;

    my @m = $first =~ /^(\s*)(\S+)( *)(?:(\S+)( *))?(?:(\S+)( *))?(\s*)$/;
    if (!@m) {
        return (undef, "Request line is not valid. Should be "
                       . "'meth [url [version]]' but got \"$first\".");
    }

    my ($lead, $meth, $ws1, $url, $ws2, $ver, $ws3, $eol)
        = map { defined $_ ? $_ : '' } @m;

    my $more = $a{headers};
    my $len_header = '';
    my $skipped = 0;        # leading body bytes removed by trimming

    if (!$a{chunked} && $content ne ''
        && $more !~ /(?:^|\n)Content-Length:/)
    {
        (my $lead_ws) = $content =~ /\A(\s*)/;
        $skipped = length $lead_ws;
        $content =~ s/^\s+|\s+$//gs;
        $len_header = "Content-Length: " . length($content) . "\r\n";
    }

    my $head = '';
    $head .= "Host: $a{host}\r\n" if $more !~ /(?:^|\n)Host:/msi;
    $head .= "Connection: $a{connection}\r\n"
        if $more !~ /(?:^|\n)Connection/msi;
    $head .= "$more$len_header\r\n";

    # the request line and header block, segment by segment, as they were
    # written and as they are sent, so that packet boundaries falling in
    # the request line can be moved to the matching place

    my @orig_seg = ($lead, $meth, $ws1, $url, $ws2, $ver, $ws3 . $eol);
    my @new_seg = ('', $meth, ' ', $url eq '' ? '/' : $url, ' ',
                   $ver eq '' ? 'HTTP/1.1' : $ver, "\r\n" . $head);

    my $new_first = join '', @new_seg;
    my $out = $new_first . $content;

    my @cuts;
    my $pos = 0;

    for my $p (@packets[0 .. $#packets - 1]) {
        $pos += length $p->{value};
        push @cuts, map_offset($pos, length $first, length $new_first,
                               $skipped, length $content,
                               \@orig_seg, \@new_seg);
    }

    my @result;
    my $prev = 0;

    for my $i (0 .. $#packets) {
        my $end = $i < $#packets ? $cuts[$i] : length $out;
        $end = $prev if $end < $prev;
        push @result, { %{ $packets[$i] },
                        value => substr($out, $prev, $end - $prev) };
        $prev = $end;
    }

    return \@result;
}


sub map_offset {
    my ($off, $first_len, $new_first_len, $skipped, $content_len,
        $orig_seg, $new_seg) = @_;

    if ($off >= $first_len) {
        my $in_body = $off - $first_len - $skipped;
        $in_body = 0 if $in_body < 0;
        $in_body = $content_len if $in_body > $content_len;
        return $new_first_len + $in_body;
    }

    my ($acc, $new_acc) = (0, 0);

    for my $i (0 .. $#$orig_seg) {
        my $ol = length $orig_seg->[$i];
        my $nl = length $new_seg->[$i];

        if ($off < $acc + $ol) {
            my $inner = $off - $acc;
            return $new_acc + ($inner < $nl ? $inner : $nl);
        }

        $acc += $ol;
        $new_acc += $nl;
    }

    return $new_acc;
}


# Sends the packets of one request over a fresh connection and reads until
# the server closes it.
#
#   addr, port      where to connect
#   packets         [ { value, delay_before }, ... ]
#   timeout         seconds allowed between two I/O events
#   connect_timeout seconds to keep retrying a refused connection
#   middle_delay    delay between packets without their own delay_before
#   shutdown        shutdown($sock, N) once everything is written
#
# Returns { resp => bytes, timed_out => bool, error => message }.

sub send_request {
    my (%a) = @_;

    local $SIG{PIPE} = 'IGNORE';

    my $sock;
    my $deadline = time + ($a{connect_timeout} || 1);

    while (1) {
        $sock = IO::Socket::INET->new(
            PeerAddr => $a{addr},
            PeerPort => $a{port},
            Proto    => 'tcp',
            Timeout  => $a{timeout},
        );

        last if $sock;

        my $err = $@ || "$!";
        if (time >= $deadline) {
            return { resp => '', error => "Can't connect to "
                                          . "$a{addr}:$a{port}: $err" };
        }

        sleep 0.05;
    }

    $sock->blocking(0);
    binmode $sock;

    my @queue = @{ $a{packets} };
    my $buf = @queue ? (shift @queue)->{value} : '';
    my $off = 0;
    my $writing = 1;
    my $resp = '';
    my ($timed_out, $error);
    my $sel = IO::Select->new($sock);

    while (1) {
        if ($writing && $off >= length $buf) {
            if (@queue) {
                my $p = shift @queue;
                my $delay = defined $p->{delay_before} ? $p->{delay_before}
                                                       : $a{middle_delay};
                sleep $delay if $delay;
                ($buf, $off) = ($p->{value}, 0);
                next;
            }

            $writing = 0;

            if (defined $a{shutdown}) {
                shutdown $sock, $a{shutdown};
            }
        }

        my ($r, $w) = IO::Select->select($sel, $writing ? $sel : undef,
                                         undef, $a{timeout});

        if (!$r && !$w) {
            next if $!{EINTR};
            $timed_out = 1;
            last;
        }

        if ($r && @$r) {
            my $n = sysread $sock, my $chunk, 65536;

            if (defined $n) {
                last if $n == 0;
                $resp .= $chunk;

            } elsif (!$!{EAGAIN} && !$!{EWOULDBLOCK} && !$!{EINTR}) {
                # a reset after a complete answer is still an answer
                $error = "read failed: $!" if $resp eq '';
                last;
            }
        }

        if ($w && @$w && $writing) {
            my $n = syswrite $sock, $buf, length($buf) - $off, $off;

            if (defined $n) {
                $off += $n;

            } elsif (!$!{EAGAIN} && !$!{EWOULDBLOCK} && !$!{EINTR}) {
                # the server may have answered and closed early: read it
                $error = "write failed: $!";
                $writing = 0;
            }
        }
    }

    close $sock;

    return { resp => $resp, timed_out => $timed_out, error => $error };
}


# Parses one response off the front of $raw.
#
# Returns ($response, $left, $error): $left is what follows this response
# (the next pipelined one), $error a chunked-encoding problem.

sub parse_response {
    my ($raw, $head_req) = @_;

    my $res = Test::Nginx::Fallback::Response->new;

    if ($raw !~ m{\AHTTP/\d+\.\d+[ \t]+\d}) {
        # not a status line at all (HTTP/0.9, garbage, nothing)
        $res->{content} = $raw;
        return ($res, undef, undef);
    }

    my ($head, $body);

    if ($raw =~ /\A(.*?\r?\n)\r?\n(.*)\z/s) {
        ($head, $body) = ($1, $2);

    } else {
        ($head, $body) = ($raw, '');
    }

    $res->{raw_headers} = $head;

    my @lines = split /\r?\n/, $head;
    my $status = shift @lines;

    if ($status =~ m{^(HTTP/\d+\.\d+)[ \t]+(\d+)(?:[ \t]+(.*))?$}) {
        @$res{qw(protocol code message)} = ($1, $2, defined $3 ? $3 : '');
    }

    for my $line (@lines) {
        if ($line =~ /^[ \t]+(.*)$/ && @{ $res->{headers} }) {
            $res->{headers}[-1][1] .= " $1";
            next;
        }

        my ($k, $v) = split /[ \t]*:[ \t]*/, $line, 2;
        next unless defined $k && $k ne '';
        $v = '' unless defined $v;
        $v =~ s/[ \t]+$//;
        push @{ $res->{headers} }, [$k, $v];
    }

    my $code = $res->{code} || 0;

    if ($code == 101) {
        $res->{content} = $body;
        return ($res, undef, undef);
    }

    if ($head_req || $code == 204 || $code == 304
        || ($code >= 100 && $code < 200))
    {
        $res->{content} = '';
        return ($res, ($body eq '' ? undef : $body), undef);
    }

    my $te = $res->header('Transfer-Encoding');
    my $len = $res->header('Content-Length');

    if (defined $te && $te =~ /\bchunked\b/i) {
        my ($decoded, $left, $err) = decode_chunked($body);
        $res->{content} = $decoded;
        return ($res, $left, $err);
    }

    if (defined $len && $len =~ /^\s*(\d+)\s*$/) {
        $len = $1;

        if (length $body > $len) {
            $res->{content} = substr $body, 0, $len;
            return ($res, substr($body, $len), undef);
        }

        $res->{content} = $body;
        $res->{truncated} = length $body < $len;
        return ($res, undef, undef);
    }

    $res->{content} = $body;
    return ($res, undef, undef);
}


sub decode_chunked {
    my ($raw) = @_;

    my $decoded = '';
    pos($raw) = 0;

    while (1) {
        if ($raw !~ /\G[ \t]*([0-9A-Fa-f]+)[ \t]*(?:;[^\r\n]*)?\r\n/gc) {
            my $rest = substr $raw, pos($raw) || 0;
            return ($decoded, undef,
                    $rest eq '' ? "no last chunk found"
                                : "invalid chunked body received: "
                                  . printable(substr $rest, 0, 60));
        }

        my $size = hex $1;

        if ($size == 0) {
            # optional trailer fields, then the final CRLF
            while ($raw =~ /\G([^\r\n]+)\r\n/gc) { }

            if ($raw !~ /\G\r\n/gc) {
                return ($decoded, undef,
                        "invalid chunked data received (no final CRLF)");
            }

            my $left = substr $raw, pos $raw;
            return ($decoded, ($left eq '' ? undef : $left), undef);
        }

        my $start = pos $raw;

        if (length($raw) - $start < $size) {
            return ($decoded . substr($raw, $start), undef,
                    "invalid chunked data received "
                    . "(not enough octets for the data section)");
        }

        $decoded .= substr $raw, $start, $size;
        pos($raw) = $start + $size;

        if ($raw !~ /\G\r\n/gc) {
            return ($decoded, undef,
                    "invalid chunked data received (expected CRLF)");
        }
    }
}


sub printable {
    my ($s) = @_;
    $s =~ s/([\0-\037\177-\377])/sprintf('\x{%02x}', ord $1)/eg;
    return $s;
}


# A minimal response object, enough for the checks of the runner and for
# callbacks written against HTTP::Response (code, message, header,
# content).

package Test::Nginx::Fallback::Response;

sub new {
    my ($class) = @_;
    return bless { headers => [], raw_headers => '', content => undef },
                 $class;
}

sub code { $_[0]{code} }

sub message { $_[0]{message} }

sub protocol { $_[0]{protocol} }

sub raw_headers { $_[0]{raw_headers} }

sub content {
    my $self = shift;
    $self->{content} = shift if @_;
    return $self->{content};
}

sub decoded_content { $_[0]{content} }

# all values of a header, case-insensitively; joined by ", " in scalar
# context like HTTP::Headers does

sub header {
    my ($self, $name) = @_;

    my @v = map { $_->[1] } grep { lc $_->[0] eq lc $name }
            @{ $self->{headers} };

    return @v if wantarray;
    return @v ? join(', ', @v) : undef;
}

sub header_field_names {
    my ($self) = @_;
    my %seen;
    return grep { !$seen{lc $_}++ } map { $_->[0] } @{ $self->{headers} };
}

1;
