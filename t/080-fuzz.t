# The libFuzzer harnesses of fuzz/, each run for a short time from its
# seed corpus (fuzz/corpus/<target>/): FUZZ_SECONDS each, 10 by default,
# one at a time.  A crash, a leak, a sanitizer report or a failed check of
# a harness fails the target's test, with the reproducer's path and the
# report.  The long runs, ten minutes each: "fuzz/run -j 1 all 600" (the
# comment at the top of fuzz/run tells more).
#
# Needs clang with its libFuzzer runtime; skipped only when there is no
# clang at all (or when asked to, with FUZZ_SECONDS=0).

use strict;
use warnings;
use Test::More;
use FindBin;
use File::Spec;

my $top = File::Spec->rel2abs("$FindBin::Bin/..");
my $run = "$top/fuzz/run";
my $seconds = $ENV{FUZZ_SECONDS} // 10;

# a directory of its own, not to disturb the long runs in build/fuzz

my $out = $ENV{FUZZ_OUT} // "$top/build/fuzz-test";
$ENV{FUZZ_OUT} = $out;

if ($seconds !~ /^\d+$/) {
    plan skip_all => "FUZZ_SECONDS=$seconds is not a number of seconds";
}

if ($seconds == 0) {
    plan skip_all => 'FUZZ_SECONDS=0';
}

if (system('command -v clang > /dev/null 2>&1') != 0) {
    plan skip_all => 'no clang: the fuzz harnesses need clang and its '
                     . 'libFuzzer runtime (apt-get install clang)';
}

my @targets = split /\n/, `$run list`;

BAIL_OUT("fuzz/run list failed") if $? != 0 || !@targets;

plan tests => 1 + @targets;

# a report that fails a target even if libFuzzer exited 0

my $report = qr/ERROR: (?:AddressSanitizer|LeakSanitizer|libFuzzer)
               |runtime\ error:
               |==ngx_fuzz==\ .*check\ failed
               |SUMMARY:\ (?:AddressSanitizer|UndefinedBehaviorSanitizer)/x;

my $build = `$run build 2>&1`;
my $built = $? == 0;

ok($built, 'the fuzz targets build') or diag($build);

for my $t (@targets) {
    if (!$built) {
        fail("$t: not built");
        next;
    }

    my $output = `$run $t $seconds 2>&1`;
    my $rc = $? >> 8;
    my $log = "$out/logs/$t.log";

    my $summary = slurp("$out/logs/$t.summary") // '';
    chomp $summary;
    $summary =~ s/^\S+\s+//;
    $summary =~ s/\s+/ /g;

    my $text = slurp($log) // '';
    my $clean = $rc == 0 && $summary =~ /^ok\b/ && $text !~ $report;

    ok($clean, "$t: " . ($summary || "no summary (exit $rc)"))
        or diag(failure($text, $output));
}


sub slurp {
    my ($file) = @_;

    open my $fh, '<', $file or return undef;
    local $/;
    my $s = <$fh>;
    close $fh;

    return $s;
}


# the report, without libFuzzer's progress lines, at most 60 lines

sub failure {
    my ($text, $output) = @_;

    my @lines = grep { !/^#\d+\s/ && !/^INFO: / } split /\n/, $text;

    @lines = @lines[-60 .. -1] if @lines > 60;

    return join("\n", $output, @lines);
}
