# bench/fleet, the model of a fleet's STS calls: tiny runs whose outcome
# the test works out on its own from the parameters, so that the model
# keeps doing what the module does (lazy refresh dynamo_credentials_refresh
# before expiry, a fresh fetch once credentials are within 5 s of it) and
# what its options claim (jitter, the per-gateway cap, the seed).

use strict;
use warnings;
use Test::More;
use JSON::PP;

my $python = -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';

sub fleet {
    my @args = @_;
    my $out = qx{$python bench/fleet --json @args};
    die "bench/fleet @args failed\n" if $? != 0;
    return [map { decode_json($_) } grep { /\S/ } split /\n/, $out];
}

ok(-x 'bench/fleet', 'bench/fleet is executable');
like(scalar qx{$python bench/fleet --help}, qr/dynamo_sts_rate/,
     '--help says what it models');

# one gateway, one role, a request every millisecond: a fetch at the
# first request, then one refresh each (duration - refresh) seconds

my ($duration, $refresh, $horizon) = (3600, 300, 10000);
my $period = $duration - $refresh;
my $expected = 0;
$expected++ while $expected * $period < $horizon;

my $run = fleet('-g 1 -r 1 --rate 1000 --duration', $duration,
                '--refresh', $refresh, '--hours', $horizon / 3600,
                '--quota 0 --dump')->[0];

is($run->{calls}, $expected, "$expected STS calls in $horizon s");
is($run->{kinds}{first}, 1, 'one first fetch');
is($run->{kinds}{miss}, 0, 'no miss under steady traffic');
my @iv = @{$run->{intervals}[0]};
is(scalar(grep { $_ < $period || $_ > $period + 0.5 } @iv), 0,
   "refreshed every $period s") or diag("@iv");

# sparse traffic: refreshes are lazy, never before the window, and a
# request that comes after expiry - 5 s fetches anew (a miss)

$run = fleet('-g 1 -r 1 --rate 0.002 --duration 900 --refresh 300',
             '--hours 24 --quota 0 --dump --seed 7')->[0];
@iv = @{$run->{intervals}[0]};
is(scalar(grep { $_ < 600 } @iv), 0, 'never refreshed early');
ok($run->{kinds}{miss} > 0, 'sparse traffic misses')
    or diag(encode_json($run->{kinds}));

# jitter: each refresh up to --jitter earlier, never more

$run = fleet('-g 1 -r 1 --rate 1000 --duration 3600 --refresh 300',
             '--jitter 600 --hours 24 --quota 0 --dump')->[0];
@iv = @{$run->{intervals}[0]};
is(scalar(grep { $_ < 3300 - 600 || $_ > 3300 + 0.5 } @iv), 0,
   'jittered refreshes within the jitter');
ok(scalar(grep { $_ < 3300 - 60 } @iv) > 0, 'jitter moves refreshes');

# the cap: no gateway calls STS more than rate + burst times in any
# second, however many roles want credentials at once; without it they
# all call at once

my ($cap, $burst) = (2, 1);
my $capped = fleet('-g 3 -r 50 --rate 500 --hours 0.05 --quota 0',
                   "--cap $cap --burst $burst --dump")->[0];
my $worst = 0;
for my $times (@{$capped->{call_times}}) {
    my $j = 0;
    for my $i (0 .. $#$times) {
        $j++ while $times->[$j] <= $times->[$i] - 1;
        $worst = $i - $j + 1 if $i - $j + 1 > $worst;
    }
}
ok($worst <= $cap + $burst, "capped: at most $worst calls in a second")
    or diag($worst);
ok($capped->{max_delay} > 10, 'calls waited for the cap');

my $free = fleet('-g 3 -r 50 --rate 500 --hours 0.05 --quota 0')->[0];
ok($free->{gateway_peak} > $cap + $burst,
   "uncapped: $free->{gateway_peak} calls in a second");
is($free->{max_delay}, 0, 'uncapped: no call waits');

# STS's quota: a fleet asking more than it in a second gets throttled

$run = fleet('-g 20 -r 50 --rate 500 --hours 0.2 --quota 100')->[0];
ok($run->{restart_throttled} > 0, 'over the quota: throttled calls');
ok($run->{refused_requests} > 0, 'and refused requests');

# the seed decides the run

my $json = JSON::PP->new->canonical;
my ($one, $two, $other) = map { $json->encode(fleet('-g 2 -r 20 --hours 1.5',
                                                    "--seed $_")) } 3, 3, 4;
is($one, $two, 'same seed, same run');
isnt($one, $other, 'another seed, another run');

done_testing();
