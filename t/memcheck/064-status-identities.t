# t/064-status-identities.t with nginx under valgrind memcheck (t/lib/Dynamo/Memcheck.pm)
use lib 't/lib';
use Dynamo::Memcheck;
Dynamo::Memcheck::run('t/064-status-identities.t');
