# t/074-nginx-errors.t with nginx under valgrind memcheck (t/lib/Dynamo/Memcheck.pm)
use lib 't/lib';
use Dynamo::Memcheck;
Dynamo::Memcheck::run('t/074-nginx-errors.t');
