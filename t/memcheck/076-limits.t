# t/076-limits.t with nginx under valgrind memcheck (t/lib/Dynamo/Memcheck.pm)
use lib 't/lib';
use Dynamo::Memcheck;
Dynamo::Memcheck::run('t/076-limits.t');
