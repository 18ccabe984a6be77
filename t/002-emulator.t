# The AWS emulator's own tests (boto3 and botocore as its clients), so
# that the fixture the other tests trust is itself checked.

use strict;
use warnings;
use Test::More;

my $out = `/usr/bin/python3 t/lib/test_emulator.py 2>&1`;
is($?, 0, "the AWS emulator passes its own tests") or diag($out);
like($out, qr/^OK/m, "unittest reports OK");

done_testing();
