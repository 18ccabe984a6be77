package Test::Nginx::Fallback::Valgrind;

# Valgrind support of the fallback Test::Nginx::Socket runner: the
# command line that wraps nginx, and the reading of the per-process logs
# valgrind leaves behind (one per pid, workers included) once nginx has
# exited gracefully.

use strict;
use warnings;

use Exporter 'import';

our @EXPORT_OK = qw(valgrind_command check_valgrind_logs);

# memcheck errors worth failing a test for, as valgrind titles them
my $ERROR_RE = qr{
    Invalid\ (?:read|write|free|realloc)
  | Conditional\ jump\ or\ move\ depends\ on\ uninitialised
  | Use\ of\ uninitialised\ value
  | uninitialised\ byte
  | Syscall\ param\ .*\ (?:uninitialised|unaddressable)
  | Mismatched\ free
  | Source\ and\ destination\ overlap
  | Argument\ .*\ of\ function\ .*\ has\ a\ fishy
  | Invalid\ alignment
  | bytes\ in\ \d+\ blocks\ are\ definitely\ lost
  | Process\ terminating\ with\ default\ action
}x;


# The words to put before the nginx command line.
#
#   setting     value of TEST_NGINX_USE_VALGRIND: a number selects the
#               default memcheck options, anything else is used as the
#               options themselves
#   log_dir     where valgrind.<pid>.log files go
#   suppress    suppressions file, used when it exists

sub valgrind_command {
    my (%a) = @_;

    my @cmd = ('valgrind');

    if ($a{setting} =~ /^\d+$/) {
        push @cmd, qw(
            --tool=memcheck
            --leak-check=full
            --show-possibly-lost=no
            --errors-for-leak-kinds=definite
            --num-callers=30
            --error-exitcode=99
            --gen-suppressions=all
        );

    } else {
        push @cmd, split ' ', $a{setting};
    }

    push @cmd, "--log-file=$a{log_dir}/valgrind.%p.log";

    if (defined $a{suppress} && -f $a{suppress}) {
        push @cmd, "--suppressions=$a{suppress}";
    }

    return @cmd;
}


# Reads the given valgrind log files.  Returns a list of problems, each
# { file, reason, excerpt }; an empty list means every process was clean.

sub check_valgrind_logs {
    my (@files) = @_;

    my @problems;

    for my $file (@files) {
        open my $in, '<', $file or do {
            push @problems, { file => $file, reason => "cannot open: $!",
                              excerpt => '' };
            next;
        };

        my @lines = <$in>;
        close $in;

        my $text = join '', @lines;
        my @reasons;

        if ($text =~ /ERROR SUMMARY: ([\d,]+) errors?/) {
            (my $n = $1) =~ tr/,//d;
            push @reasons, "$n memcheck error(s)" if $n > 0;

        } else {
            push @reasons, "no ERROR SUMMARY: the process did not exit "
                           . "normally under valgrind (killed?)";
        }

        if ($text =~ /definitely lost: ([\d,]+) bytes/) {
            (my $n = $1) =~ tr/,//d;
            push @reasons, "$n bytes definitely lost" if $n > 0;
        }

        next unless @reasons;

        push @problems, {
            file    => $file,
            reason  => join('; ', @reasons),
            excerpt => excerpt(\@lines),
        };
    }

    return @problems;
}


# The error records of a log (each from its title to the blank line that
# ends it, suppression templates included), at most 80 lines; the tail of
# the log when no record is found.

sub excerpt {
    my ($lines) = @_;

    my @out;
    my $in_record = 0;
    my $in_template = 0;

    for my $line (@$lines) {
        if (!$in_record && !$in_template
            && $line =~ /^==\d+==\s+.*?(?:$ERROR_RE)/)
        {
            $in_record = 1;
        }

        if ($in_record) {
            push @out, $line;
            $in_record = 0 if $line =~ /^==\d+==\s*$/;
            next;
        }

        # --gen-suppressions=all templates follow their record
        $in_template = 1 if $line =~ /^\{\s*$/ && @out;

        if ($in_template) {
            push @out, $line;
            $in_template = 0 if $line =~ /^\}\s*$/;
        }
    }

    if (!@out) {
        my $from = @$lines > 40 ? @$lines - 40 : 0;
        @out = @$lines[$from .. $#$lines];
    }

    if (@out > 80) {
        @out = (@out[0 .. 79], "... (" . (@out - 80) . " more lines)\n");
    }

    return join '', @out;
}

1;

