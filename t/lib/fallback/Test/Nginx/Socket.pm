package Test::Nginx::Socket;

# A fallback implementation of openresty's Test::Nginx::Socket, used by
# this project's t/*.t files only when the real Test::Nginx is not
# installed (t/lib/fallback is pushed at the END of @INC).  It reads the
# same block format (=== TEST n, --- config, --- request, ...), exports
# the same functions and names its tests the same way, so a test file
# runs unchanged under either.
#
# For each block: a fresh server root (conf, html, logs), a generated
# nginx.conf, nginx started in the foreground as our child (optionally
# under valgrind), the requests sent over raw sockets, the checks, then
# nginx stopped with QUIT (KILL after a timeout).  See the POD at the end.

use strict;
use warnings;

use Test::Base -base;

use Cwd ();
use File::Path qw(make_path remove_tree);
use File::Spec ();
use IO::Socket::INET ();
use List::Util qw(shuffle);
use POSIX qw(WNOHANG);
use Scalar::Util qw(looks_like_number);
use Time::HiRes qw(sleep time);
use Time::Local qw(timegm);

use Test::Nginx::Fallback::Client qw(
    parse_more_headers build_request send_request parse_response
);
use Test::Nginx::Fallback::Valgrind qw(
    valgrind_command check_valgrind_logs
);
use Test::Nginx::Fallback::Mock ();

our $VERSION = '0.29';

# exactly the real module's list: anything else exported into the test
# script would also hijack Test::Base filters of the same name (trim...)
our @EXPORT = qw(
    env_to_nginx is_str plan run_tests run_test
    repeat_each config_preamble worker_connections
    master_process_enabled
    no_long_string workers master_on master_off
    log_level no_shuffle no_root_location use_hup
    server_name
    server_addr server_root html_dir server_port server_port_for_client
    timeout no_nginx_manager check_accum_error_log
    add_block_preprocessor bail_out add_cleanup_handler
    add_test_cleanup_handler add_response_body_check
);


# ---------------------------------------------------------------------
# settings (environment first, then the exported setters)

our $Verbose        = $ENV{TEST_NGINX_VERBOSE};
our $NginxBinary    = $ENV{TEST_NGINX_BINARY} || 'nginx';
our $Workers        = 1;
our $WorkerConnections = 64;
our $LogLevel       = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $ServerAddr     = '127.0.0.1';
our $ServerName     = 'localhost';
our $ServerPort     = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
                      || 1984;
our $Randomize      = $ENV{TEST_NGINX_RANDOMIZE};
our $Timeout        = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $TestNginxSleep = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $NoClean        = $ENV{TEST_NGINX_NO_CLEAN};
our $LoadModules    = $ENV{TEST_NGINX_LOAD_MODULES};
our $UseValgrind    = $ENV{TEST_NGINX_USE_VALGRIND};
our $WorkerUser     = $ENV{TEST_NGINX_WORKER_USER};
our $CheckAccumErrLog = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $NoShuffle      = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $RepeatEach     = 1;
our $NoRootLocation = 0;
our $NoLongString;
our $ConfigPreamble = '';
our $FilterHttpConfig;
our $ValgrindSuppress = $ENV{TEST_NGINX_VALGRIND_SUPPRESS}
                        || 't/valgrind.suppress';

# under valgrind everything is slower: client timeouts and log waits are
# multiplied by this, start-up and shut-down get a fixed generous limit
# with a sanitizer build (ASan, UBSan) each block gets one more test,
# "sanitizers clean", failed on any report in what nginx printed
our $CheckSanitizers = $ENV{TEST_NGINX_CHECK_SANITIZERS};

our $Scale = $UseValgrind ? ($ENV{TEST_NGINX_VALGRIND_SCALE} || 3) : 1;
our $StartTimeout = $UseValgrind ? 60 : 10;
our $StopTimeout = $UseValgrind ? 60 : 10;

if ($Randomize) {
    $ServerPort = gen_rand_port(1000, {})
        or die "Cannot find an available listening port number\n";
}

our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;

our $ServRoot = File::Spec->rel2abs(
    $Randomize ? "t/servroot_$ServerPort"
               : ($ENV{TEST_NGINX_SERVROOT} || 't/servroot'));
our $ServerRoot;
*ServerRoot = \$ServRoot;

our $LogDir     = "$ServRoot/logs";
our $ErrLogFile = "$LogDir/error.log";
our $AccLogFile = "$LogDir/access.log";
our $StderrFile = "$LogDir/nginx.stderr";
our $HtmlDir    = "$ServRoot/html";
our $ConfDir    = "$ServRoot/conf";
our $ConfFile   = "$ConfDir/nginx.conf";
our $PidFile    = "$LogDir/nginx.pid";

$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

our @EnvToNginx;
our @BlockPreprocessors;
our @CleanupHandlers;
our @TestCleanupHandlers;
our @ResponseBodyChecks;

our ($NginxVersion, $NginxRawVersion, $OpenSSLVersion);


# ---------------------------------------------------------------------
# run-time state

our $MainPid = $$;
our $Nginx;                 # { pid, name, vg_before } of the running nginx
our $PrevConfig;            # config sections of the previous block
our $ErrLogFilePos = 0;     # error.log offset already checked
our $LastReadEnd = 0;       # error.log offset of the last read
our $BlockErrLogStart = 0;  # error.log offset when the block started
our $BlockAccLogStart = 0;
our @StartupLines;          # nginx's stderr, checked with must_die blocks
our $InMustDie;             # its [emerg] lines are expected, not warned of
our $FirstStart = 1;


# ---------------------------------------------------------------------
# the exported setters, as in the real Test::Nginx

sub no_long_string () { $NoLongString = 1 }

sub no_shuffle () { $NoShuffle = 1 }

sub no_root_location () { $NoRootLocation = 1 }

sub check_accum_error_log () { $CheckAccumErrLog = 1 }

sub master_on () { $MasterProcessEnabled = 'on' }

sub master_off () { $MasterProcessEnabled = 'off' }

sub config_preamble ($) { $ConfigPreamble = shift }

sub set_http_config_filter ($) { $FilterHttpConfig = shift }

sub add_block_preprocessor (&) { unshift @BlockPreprocessors, shift }

sub add_cleanup_handler ($) { unshift @CleanupHandlers, shift }

# called with the block after each block, as the real module does (here
# its nginx has stopped by then, its logs complete)
sub add_test_cleanup_handler ($) { unshift @TestCleanupHandlers, shift }

sub add_response_body_check ($) { push @ResponseBodyChecks, shift }

sub html_dir () { $HtmlDir }


# "--- init" is evaluated as the real runner evaluates it: under strict,
# in the package Test::Nginx::Util, where only the runner's own exported
# helpers are known.  A bare "is" (Test::More's) or a helper of the test
# file there fails in both runners alike: it would abort the real one.

sub run_init {
    my ($code) = @_;

    no strict 'refs';
    for my $name (@EXPORT) {
        *{"Test::Nginx::Util::$name"} = \&{"Test::Nginx::Socket::$name"}
            if defined &{"Test::Nginx::Socket::$name"};
    }

    return eval "package Test::Nginx::Util; use strict; use warnings;\n"
                . "#line 1 \"--- init\"\n$code\n; 1";
}

sub server_root () { $ServRoot }

sub verbose { $Verbose }

sub sleep_time { $TestNginxSleep }

sub no_nginx_manager () {
    warn "no_nginx_manager() is not supported by the fallback "
         . "Test::Nginx::Socket; ignored\n";
}

sub use_hup () {
    warn "use_hup() is not supported by the fallback Test::Nginx::Socket; "
         . "every block starts a fresh nginx\n";
}

sub master_process_enabled (@) {
    return $MasterProcessEnabled unless @_;
    $MasterProcessEnabled = shift() ? 'on' : 'off';
}

sub repeat_each (@) {
    $RepeatEach = shift if @_;
    return $RepeatEach;
}

sub workers (@) {
    return $Workers unless @_;
    $Workers = shift;
}

sub worker_connections (@) {
    return $WorkerConnections unless @_;
    $WorkerConnections = shift;
}

sub log_level (@) {
    return $LogLevel unless @_;
    $LogLevel = shift;
}

sub timeout (@) {
    return $Timeout unless @_;
    $Timeout = shift;
}

sub server_addr (@) {
    return $ServerAddr unless @_;
    $ServerAddr = shift;
}

sub server_name (@) {
    return $ServerName unless @_;
    $ServerName = shift;
}

sub server_port (@) {
    return $ServerPort unless @_;
    $ServerPort = shift;
}

sub server_port_for_client (@) {
    return $ServerPortForClient unless @_;
    $ServerPortForClient = shift;
}

sub env_to_nginx (@) {
    Carp::croak("env_to_nginx: no arguments specified") unless @_;

    for my $v (@_) {
        if ($v !~ /^[A-Za-z_]/ || $v =~ /\n/) {
            Carp::croak("env_to_nginx: bad argument value: $v\n");
        }
        push @EnvToNginx, $v;
    }
}

sub bail_out (@) {
    cleanup();
    Test::More::BAIL_OUT(join '', @_);
}


# ---------------------------------------------------------------------
# under valgrind the runner adds one test per block ("valgrind clean"),
# so a fixed plan ("tests => N") becomes no_plan

if ($UseValgrind || $CheckSanitizers) {
    no warnings 'redefine';
    my $plan = \&Test::Builder::plan;

    *Test::Builder::plan = sub {
        if (defined $_[1] && $_[1] eq 'tests') {
            @_ = ($_[0], 'no_plan');
        }
        goto &$plan;
    };
}


# ---------------------------------------------------------------------
# the main loop

sub run_tests () {
    $NginxVersion = get_nginx_version();

    $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort
        unless defined $ENV{TEST_NGINX_SERVER_PORT};
    $ENV{TEST_NGINX_HTML_DIR} = $HtmlDir
        unless defined $ENV{TEST_NGINX_HTML_DIR};

    for my $sig (qw(INT TERM HUP)) {
        $SIG{$sig} = sub {
            cleanup();
            $SIG{$sig} = 'DEFAULT';
            kill $sig, $$;
        };
    }

    my @blocks = Test::Base::blocks();
    @blocks = shuffle @blocks unless $NoShuffle;

    for my $block (@blocks) {
        $_->($block) for @BlockPreprocessors;

        $block->set_value('name', "$0 " . $block->name);
        run_test($block);

        $_->($block) for @TestCleanupHandlers;
    }

    cleanup();
}


sub run_test ($) {
    my ($block) = @_;

    return if defined $block->SKIP;

    my $name = $block->name;

    expand_block($block, $name);

    local $LogLevel = $block->log_level || $LogLevel;

    my $skip = skip_spec($block, $name);

    if ($skip) {
        for (1 .. $RepeatEach) {
            if ($skip->{todo}) {
                TODO: {
                    Test::More::todo_skip("$name - $skip->{reason}",
                                          $skip->{count});
                }

            } else {
                SKIP: {
                    Test::More::skip("$name - $skip->{reason}",
                                     $skip->{count});
                }
            }
        }
        return;
    }

    if (defined $block->must_die) {
        run_must_die($block, $name);
        return;
    }

    start_block_nginx($block, $name, $UseValgrind) or return;

    if (defined(my $code = $block->init)) {
        run_init($code);
        bail_out("$name - init failed: $@") if $@;
    }

    $ErrLogFilePos = $BlockErrLogStart;

    for my $i (0 .. $RepeatEach - 1) {
        write_user_files($block, $name) if $i > 0;

        my $mocks = Test::Nginx::Fallback::Mock->start($block, $name);

        run_test_helper($block, $i);

        $mocks->finish($block, $name) if $mocks;
    }

    if ($NoClean && !$UseValgrind) {
        # left running for inspection; the next block stops it
        return;
    }

    my $stopped = stop_nginx($name);

    check_shutdown_error_log($block, $name);

    if ($UseValgrind) {
        check_valgrind($name, $stopped);
    }

    if ($CheckSanitizers) {
        check_sanitizers($name);
    }
}


# ---------------------------------------------------------------------
# skip_nginx, skip_nginx2, skip_openssl, skip_eval, todo

sub skip_spec {
    my ($block, $name) = @_;

    my ($count, $reason, $should);

    if (defined(my $spec = $block->skip_eval)) {
        if ($spec =~ /^\s*(\d+)\s*:\s*(.*)/s) {
            ($count, $reason) = ($1, 'skip_eval');
            my $code = $2;
            $should = eval $code;
            bail_out("$name - skip_eval - failed to eval the Perl code "
                     . "\"$code\": $@") if $@;
        }
    }

    if (defined(my $spec = $block->skip_nginx)) {
        $spec =~ m{^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)
                   (?:\s*:\s*(.*))?\s*$}x
            or bail_out("$name - Invalid --- skip_nginx spec: $spec");

        $count = $1;
        $reason = $6 || "nginx version $2 $3.$4.$5";
        $should = 1 if version_op($NginxVersion, $2,
                                  canon_version($3, $4, $5));

    } elsif (defined(my $spec2 = $block->skip_nginx2)) {
        $spec2 =~ m{^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)
                    \s*(or|and)\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)
                    (?:\s*:\s*(.*))?\s*$}x
            or bail_out("$name - Invalid --- skip_nginx2 spec: $spec2");

        $count = $1;
        $reason = $11;
        my $a = version_op($NginxVersion, $2, canon_version($3, $4, $5));
        my $b = version_op($NginxVersion, $7, canon_version($8, $9, $10));
        $should = 1 if $6 eq 'or' ? ($a || $b) : ($a && $b);
    }

    if (defined(my $spec = $block->skip_openssl)) {
        $spec =~ m{^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)([a-z])?
                   (?:\s*:\s*(.*))?\s*$}x
            or bail_out("$name - Invalid --- skip_openssl spec: $spec");

        $count = $1;
        $reason = $7 || (defined $OpenSSLVersion
                         ? "OpenSSL version $2 $3.$4.$5" . ($6 || '')
                         : "Not built with OpenSSL");
        $should = 1 if !defined $OpenSSLVersion
                       || version_op($OpenSSLVersion, $2,
                                     canon_version($3, $4, $5, $6));
    }

    if ($should && defined $count) {
        return { count => $count, reason => $reason || 'various reasons' };
    }

    if (defined(my $spec = $block->todo)) {
        $spec =~ /^\s*(\d+)\s*:\s*(.*)/s
            or bail_out("$name - Invalid --- todo spec: $spec");
        return { todo => 1, count => $1, reason => $2 || 'various reasons' };
    }

    if (defined(my $spec = $block->todo_nginx)) {
        $spec =~ m{^\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)(?:\s*:\s*(.*))?\s*$}
            or bail_out("$name - Invalid --- todo_nginx spec: $spec");

        if (version_op($NginxVersion, $1, canon_version($2, $3, $4))) {
            # the real runner needs a count from "--- todo" here too
            return { todo => 1, count => 1,
                     reason => $5 || 'various reasons' };
        }
    }

    return undef;
}


sub canon_version {
    my ($maj, $min, $patch, $letter) = @_;

    my $v = sprintf "%d.%03d%03d", $maj, $min, $patch;
    $v .= sprintf "%03d", ord($letter) - ord('a') if defined $letter;
    return $v;
}


sub version_op {
    my ($have, $op, $want) = @_;

    return $op =~ /^</ ? 1 : 0 unless defined $have;

    return $have < $want  if $op eq '<';
    return $have <= $want if $op eq '<=';
    return $have > $want  if $op eq '>';
    return $have >= $want if $op eq '>=';
    return 0;
}


sub get_nginx_version {
    my $bin = can_run($NginxBinary)
        or bail_out("Cannot find the nginx executable \"$NginxBinary\" "
                    . "(set TEST_NGINX_BINARY or PATH)");

    my $out = `\Q$bin\E -V 2>&1`;
    if (!defined $out || $? != 0) {
        bail_out("Failed to get the version of the Nginx in PATH: "
                 . (defined $out ? $out : ''));
    }

    if ($out =~ /built with OpenSSL (\d+)\.(\d+)\.(\d+)([a-z])?/) {
        $OpenSSLVersion = canon_version($1, $2, $3, $4);
    }

    if ($out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)}s
        || $out =~ m{\w+/(\d+)\.(\d+)\.(\d+)}s)
    {
        $NginxRawVersion = "$1.$2.$3";
        return canon_version($1, $2, $3);
    }

    bail_out("Failed to parse the output of \"nginx -V\": $out\n");
}


sub can_run {
    my ($cmd) = @_;

    if ($cmd =~ m{/}) {
        return -f $cmd && -x _ ? $cmd : undef;
    }

    for my $dir (split(/:/, $ENV{PATH} || ''), '.') {
        next if $dir eq '';
        my $path = "$dir/$cmd";
        return $path if -f $path && -x _;
    }

    return undef;
}


# ---------------------------------------------------------------------
# $TEST_NGINX_* expansion, in every section of the block

my %NO_EXPAND = map { $_ => 1 } qw(
    name description seq_num is_filtered blocks_object original_values
    init skip_eval ONLY SKIP LAST
);

sub expand_block {
    my ($block, $name) = @_;

    my $rand_ports = {};

    for my $key (sort keys %$block) {
        next if $key =~ /^_/ || $NO_EXPAND{$key};

        my $values = $block->{$key};
        next unless ref $values eq 'ARRAY';

        $block->set_value($key, map { expand_value($_, $name, $rand_ports) }
                                    @$values);
    }
}


sub expand_value {
    my ($v, $name, $rand_ports) = @_;

    return $v unless defined $v;

    my $ref = ref $v;

    return expand_env_in_text($v, $name, $rand_ports) unless $ref;

    if ($ref eq 'ARRAY') {
        return [ map { expand_value($_, $name, $rand_ports) } @$v ];
    }

    if ($ref eq 'HASH') {
        return { map { ($_ => expand_value($v->{$_}, $name, $rand_ports)) }
                 keys %$v };
    }

    if ($ref eq 'Regexp') {
        my $re = "$v";
        return $v unless $re =~ /(?<!\\)\$TEST_NGINX_/;
        $re =~ s/(?<!\\)\$(TEST_NGINX_[_A-Z0-9]+)/
                 env_value($1, $name, $rand_ports)/ge;
        return qr/$re/;
    }

    return $v;
}


sub expand_env_in_text {
    my ($text, $name, $rand_ports) = @_;

    return undef unless defined $text;

    $text =~ s/\$(TEST_NGINX_[_A-Z0-9]+)/
               env_value($1, $name, $rand_ports)/ge;

    return $text;
}


sub env_value {
    my ($var, $name, $rand_ports) = @_;

    if ($var =~ /^TEST_NGINX_RAND_PORT_[0-9]+$/) {
        if (!defined $rand_ports->{$var}) {
            my %used = ($ServerPort => 1, map { $_ => 1 } values %$rand_ports);
            $rand_ports->{$var} = gen_rand_port(1000, \%used)
                or bail_out("$name - Cannot find an available listening "
                            . "port number for $var.\n");
        }
        return $rand_ports->{$var};
    }

    if (!defined $ENV{$var}) {
        bail_out("$name - No environment $var defined.\n");
    }

    return $ENV{$var};
}


sub gen_rand_port {
    my ($tries, $used) = @_;

    for (1 .. $tries) {
        my $port = int(rand 63550) + 1985;
        next if $used->{$port};

        my $sock = IO::Socket::INET->new(
            LocalAddr => $ServerAddr,
            LocalPort => $port,
            Proto     => 'tcp',
        );

        if ($sock) {
            close $sock;
            return $port;
        }
    }

    return undef;
}


# ---------------------------------------------------------------------
# the server root: conf/, html/, logs/ and the temp directories

sub setup_server_root {
    if (-d $ServRoot && !$NoClean) {
        # only what the runner itself creates, never the directory as such
        remove_tree($ConfDir, $HtmlDir, $LogDir,
                    glob("$ServRoot/*_temp"), glob("$ServRoot/*_cache"));
    }

    for my $dir ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        next if -d $dir;
        make_path($dir) or bail_out("Failed to do mkdir $dir: $!\n");
    }

    write_file("$HtmlDir/index.html",
               '<html><head><title>It works!</title></head>'
               . '<body>It works!</body></html>');
}


sub write_file {
    my ($path, $data) = @_;

    open my $out, '>', $path
        or bail_out("Can't open $path for writing: $!\n");
    binmode $out;
    print $out $data;
    close $out or bail_out("Can't write $path: $!\n");
}


sub write_user_files {
    my ($block, $name) = @_;

    my $files = $block->user_files;
    return unless $files;

    if (!ref $files) {
        my @list;

        for my $line (split /^/, $files) {
            if ($line =~ /^>>> (\S+)(?:\s+(.+))?/) {
                push @list, [$1, undef, $2];

            } elsif (@list) {
                $list[-1][1] .= $line;
            }
        }

        $files = \@list;

    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - wrong value type: " . ref($files)
                 . ", only scalar or ARRAY are accepted");
    }

    for my $file (@$files) {
        my ($fname, $body, $date) = @$file;

        $body = '' unless defined $body;

        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";

        if ($path =~ m{(.*)/}) {
            make_path($1) unless -d $1;
        }

        write_file($path, $body);

        if (defined $date && $date ne '') {
            my $t = parse_touch_time($date)
                or bail_out("$name - bad user_files time stamp: $date");
            utime $t, $t, $path;
        }
    }
}


# "[[CC]YY]MMDDhhmm[.ss]" in GMT, as taken by "touch -t"

sub parse_touch_time {
    my ($s) = @_;

    my ($digits, $sec) = $s =~ /^(\d+)(?:\.(\d\d))?$/ or return undef;
    $sec = 0 unless defined $sec;

    my ($year, $rest);

    if (length $digits == 12) {
        ($year, $rest) = (substr($digits, 0, 4), substr($digits, 4));

    } elsif (length $digits == 10) {
        my $yy = substr $digits, 0, 2;
        ($year, $rest) = ($yy < 69 ? 2000 + $yy : 1900 + $yy,
                          substr($digits, 2));

    } elsif (length $digits == 8) {
        ($year, $rest) = ((gmtime)[5] + 1900, $digits);

    } else {
        return undef;
    }

    my ($mon, $mday, $hour, $min) = $rest =~ /^(\d\d)(\d\d)(\d\d)(\d\d)$/;

    return timegm($sec, $min, $hour, $mday, $mon - 1, $year);
}


# ---------------------------------------------------------------------
# nginx.conf

my @TEMP_PATHS = qw(client_body proxy fastcgi uwsgi scgi);

sub write_config_file {
    my ($block, $config) = @_;

    my $http_config = $block->http_config;
    my $main_config = $block->main_config;
    my $post_main_config = $block->post_main_config;
    my $err_log_file = $block->error_log_file || $ErrLogFile;
    my $server_name = $block->server_name;

    if (!defined $config) {
        $config = $PrevConfig ? $PrevConfig->{config} : '';
        $http_config = $PrevConfig->{http_config}
            if !defined $http_config && $PrevConfig;
        $main_config = $PrevConfig->{main_config}
            if !defined $main_config && $PrevConfig;
    }

    $PrevConfig = { config => $config, http_config => $http_config,
                    main_config => $main_config };

    $_ = defined $_ ? $_ : ''
        for $http_config, $main_config, $post_main_config;

    $http_config = $FilterHttpConfig->($http_config) if $FilterHttpConfig;

    $server_name = $ServerName unless defined $server_name;
    (my $quoted_server_name = $server_name) =~ s/\\/\\\\/g;
    $quoted_server_name =~ s/'/\\'/g;

    my $conf = "# generated by the fallback Test::Nginx::Socket runner\n";

    for my $module (grep { length } split ' ', $LoadModules || '') {
        $conf .= "load_module $module;\n";
    }

    $conf .= <<"_EOC_";
worker_processes  $Workers;
daemon off;
master_process $MasterProcessEnabled;
error_log $err_log_file $LogLevel;
pid       $PidFile;
_EOC_

    if (defined $WorkerUser) {
        $conf .= "user $WorkerUser;\n";

    } elsif ($> == 0) {
        $conf .= "user root;\n";
    }

    for my $v (qw(MOCKEAGAIN_VERBOSE MOCKEAGAIN
                  MOCKEAGAIN_WRITE_TIMEOUT_PATTERN LD_PRELOAD
                  LD_LIBRARY_PATH ASAN_OPTIONS UBSAN_OPTIONS
                  LSAN_OPTIONS MOCKNOEAGAIN_VERBOSE MOCKNOEAGAIN),
               @EnvToNginx)
    {
        my $quoted = $v =~ /\s/ ? "'$v'" : $v;
        $conf .= "env $quoted;\n";
    }

    # the binary may have compiled-in temp paths outside the server root
    my $temp_paths = '';
    my $all_config = "$http_config\n$config";

    for my $t (@TEMP_PATHS) {
        next if $all_config =~ /\b${t}_temp_path\b/;
        $temp_paths .= "    ${t}_temp_path $ServRoot/${t}_temp;\n";
    }

    my $listen = "$ServerAddr:$ServerPort";

    $conf .= <<"_EOC_";

$main_config

http {
    access_log $AccLogFile;

    default_type text/plain;
    keepalive_timeout  68;

$temp_paths
$http_config

    server {
        listen          $listen;
        server_name     '$quoted_server_name';

        client_max_body_size 30M;

        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

_EOC_

    if (!$NoRootLocation) {
        $conf .= <<"_EOC_";
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_
    }

    $conf .= <<"_EOC_";
    }
}

$post_main_config

events {
    accept_mutex off;

    worker_connections  $WorkerConnections;
}
_EOC_

    write_file($ConfFile, $conf);

    warn "nginx.conf:\n$conf" if $Verbose;
}


# ---------------------------------------------------------------------
# starting and stopping nginx

# Prepares the server root and starts nginx for a block; fails the block
# (one failed test) when nginx does not come up.  Returns true when nginx
# is running.

sub start_block_nginx {
    my ($block, $name, $valgrind) = @_;

    my $r = start_nginx($block, $name, $valgrind);

    return 1 if $r->{pid} && !$r->{error};

    my $why = $r->{exited} ? "nginx exited with status "
                             . status_text($r->{status})
                           : $r->{error};

    Test::More::fail("$name - failed to start nginx: $why");

    my $output = startup_output();
    Test::More::diag($output);

    # under valgrind the reason of a crash is in valgrind's own log
    if ($valgrind && $r->{exited}) {
        for my $log (grep { !$r->{vg_before}{$_} }
                     glob("$LogDir/valgrind.*.log"))
        {
            open my $in, '<', $log or next;
            my @lines = <$in>;
            close $in;
            splice @lines, 0, @lines - 60 if @lines > 60;
            Test::More::diag("$log:\n", @lines);
        }
    }

    if ($output =~ /duplicate location "\/"/) {
        Test::More::diag("the runner adds its own \"location /\": call "
                         . "no_root_location() before run_tests()");
    }

    stop_nginx($name) if $r->{pid};
    return 0;
}


# Returns { pid } once nginx is ready, { exited => 1, status } if it
# exited, or { error, pid? } on a time-out or another failure.

sub start_nginx {
    my ($block, $name, $valgrind) = @_;

    stop_nginx($name) if $Nginx;
    stop_stale_nginx() if $FirstStart;
    undef $FirstStart;

    setup_server_root();
    write_user_files($block, $name);
    write_config_file($block, scalar $block->config);

    $BlockErrLogStart = -s $ErrLogFile || 0;
    $BlockAccLogStart = -s $AccLogFile || 0;
    $ErrLogFilePos = $LastReadEnd = $BlockErrLogStart;

    open my $truncate, '>', $StderrFile
        or bail_out("Can't open $StderrFile for writing: $!");
    close $truncate;
    unlink $PidFile;

    if (!wait_for_free_port()) {
        return { error => "port $ServerAddr:$ServerPort is in use by "
                          . "another process" };
    }

    my @cmd = ($NginxBinary, '-p', "$ServRoot/", '-c', $ConfFile);
    my %vg_before;

    if ($valgrind) {
        %vg_before = map { $_ => 1 } glob("$LogDir/valgrind.*.log");
        unshift @cmd, valgrind_command(setting  => $valgrind,
                                       log_dir  => $LogDir,
                                       suppress => $ValgrindSuppress);
    }

    warn "$name - starting: @cmd\n" if $Verbose;

    my $pid = fork;
    bail_out("$name - fork() failed: $!") unless defined $pid;

    if ($pid == 0) {
        exec_child(\@cmd, $StderrFile);
    }

    $Nginx = { pid => $pid, name => $name, vg_before => \%vg_before };

    my $deadline = time + $StartTimeout;

    while (1) {
        if (waitpid($pid, WNOHANG) == $pid) {
            my $status = $?;
            undef $Nginx;
            return { exited => 1, status => $status,
                     vg_before => \%vg_before };
        }

        my $in_file = read_pid_file();
        return { pid => $pid } if defined $in_file && $in_file == $pid;

        if (time > $deadline) {
            return { pid => $pid,
                     error => "nginx not ready after ${StartTimeout}s" };
        }

        sleep $TestNginxSleep;
    }
}


# in the forked child: own process group (so that workers can be killed
# together), output to the stderr file, then exec

sub exec_child {
    my ($cmd, $out_file) = @_;

    setpgrp(0, 0);

    open STDIN, '<', '/dev/null';
    open STDOUT, '>>', $out_file or POSIX::_exit(126);
    open STDERR, '>&', \*STDOUT or POSIX::_exit(126);

    {
        no warnings 'exec';
        exec { $cmd->[0] } @$cmd;
    }

    print STDERR "failed to execute $cmd->[0]: $!\n";
    POSIX::_exit(127);
}


sub read_pid_file {
    open my $in, '<', $PidFile or return undef;
    my $pid = <$in>;
    close $in;
    return undef unless defined $pid && $pid =~ /^\s*(\d+)\s*$/;
    return $1;
}


sub get_pid_from_pidfile ($) {
    my ($name) = @_;

    my $pid = read_pid_file();
    bail_out("$name - Failed to read the pid file $PidFile")
        unless defined $pid;
    return $pid;
}


sub is_running ($) {
    my ($pid) = @_;
    return kill 0, $pid;
}


sub wait_for_free_port {
    my $deadline = time + 5 * $Scale;

    while (1) {
        my $sock = IO::Socket::INET->new(
            LocalAddr => $ServerAddr,
            LocalPort => $ServerPort,
            Proto     => 'tcp',
            ReuseAddr => 1,
            Listen    => 1,
        );

        if ($sock) {
            close $sock;
            return 1;
        }

        return 0 if time > $deadline;
        sleep 0.1;
    }
}


# an nginx of ours left running by an earlier TEST_NGINX_NO_CLEAN run

sub stop_stale_nginx {
    my $pid = read_pid_file();
    return unless $pid && $pid != $$ && kill 0, $pid;

    open my $in, '<', "/proc/$pid/cmdline" or return;
    my $cmdline = do { local $/; <$in> };
    close $in;

    return unless defined $cmdline && $cmdline =~ /nginx/
                  && $cmdline =~ /\Q$ServRoot\E/;

    warn "stopping nginx $pid left running in $ServRoot\n";

    kill 'QUIT', $pid;
    my $deadline = time + 5;
    sleep 0.05 while kill(0, $pid) && time < $deadline;
    kill 'KILL', $pid if kill 0, $pid;
}


# Stops the running nginx: QUIT, then KILL to the whole process group
# after $StopTimeout.  Returns { killed, status }.

sub stop_nginx {
    my ($name) = @_;

    my $srv = $Nginx or return undef;
    undef $Nginx;

    my $pid = $srv->{pid};
    my ($killed, $status) = (0, undef);

    warn "$name - stopping nginx $pid\n" if $Verbose;

    kill 'QUIT', $pid;

    my $deadline = time + $StopTimeout;

    while (1) {
        my $w = waitpid $pid, WNOHANG;

        if ($w == $pid) {
            $status = $?;
            last;
        }

        last if $w == -1;

        if (time > $deadline) {
            warn "$name - nginx $pid did not exit ${StopTimeout}s after "
                 . "QUIT; killing it\n";
            kill 'KILL', -$pid;
            kill 'KILL', $pid;
            waitpid $pid, 0;
            $status = $?;
            $killed = 1;
            last;
        }

        sleep 0.02;
    }

    # workers outliving their master
    if (kill 0, -$pid) {
        my $grace = time + 2;
        sleep 0.05 while kill(0, -$pid) && time < $grace;

        if (kill 0, -$pid) {
            warn "$name - killing processes left in nginx's group $pid\n";
            kill 'KILL', -$pid;
            $killed = 1;
        }
    }

    return { killed => $killed, status => $status, srv => $srv };
}


sub status_text {
    my ($status) = @_;

    return 'unknown' unless defined $status;
    return "signal " . ($status & 127) . (($status & 128) ? ' (core dumped)'
                                                          : '')
        if $status & 127;
    return $status >> 8;
}


# what nginx printed while starting, for diagnostics

sub startup_output {
    my $out = '';

    if (open my $in, '<', $StderrFile) {
        local $/;
        my $s = <$in>;
        $out .= "nginx stderr:\n$s" if defined $s && $s ne '';
    }

    my $lines = read_lines_from($ErrLogFile, $BlockErrLogStart);
    my @tail = grep { !/\[debug\]/ } @$lines;
    @tail = @tail[-20 .. -1] if @tail > 20;
    $out .= "error.log (without debug lines):\n" . join '', @tail if @tail;

    return $out eq '' ? 'nginx printed nothing' : $out;
}


sub cleanup {
    return unless $$ == $MainPid;

    for my $handler (@CleanupHandlers) {
        eval { $handler->() };
        warn "cleanup handler failed: $@" if $@;
    }

    Test::Nginx::Fallback::Mock->stop_all;

    if ($Nginx && !($NoClean && !$UseValgrind)) {
        stop_nginx('cleanup');
    }
}


END {
    if ($$ == $MainPid) {
        local $?;

        cleanup();

        if ($Nginx) {
            warn "nginx $Nginx->{pid} left running (TEST_NGINX_NO_CLEAN); "
                 . "server root: $ServRoot\n";
        }

        if ($Randomize && !$NoClean && $ServRoot =~ m{/t/servroot_\d+$}) {
            remove_tree($ServRoot);
        }
    }
}


# ---------------------------------------------------------------------
# must_die: nginx has to refuse the configuration

sub run_must_die {
    my ($block, $name) = @_;

    my $must_die = $block->must_die;

    local $InMustDie = 1;

    for my $i (0 .. $RepeatEach - 1) {
        my $r = start_nginx($block, $name, 0);

        my ($status, $exit_code) = (0, 0);

        if ($r->{exited}) {
            $status = $r->{status};
            $exit_code = $status >> 8;
        }

        if ($r->{exited} && ($status & 128)) {
            Test::More::fail("$name - nginx core dumped");

        } elsif (looks_like_number($must_die)) {
            Test::More::is($exit_code, $must_die,
                           "$name - die with the expected exit code");

        } else {
            Test::More::isnt($status, 0, "$name - die as expected");
        }

        if (!$r->{exited}) {
            Test::More::diag("$name - nginx must die but it does not"
                             . ($r->{error} ? " ($r->{error})" : ''));
        }

        # what nginx said at start-up goes first: with a binary whose
        # default error log is stderr, the configuration errors are there
        if (open my $in, '<', $StderrFile) {
            @StartupLines = <$in>;
            close $in;
        }

        check_error_log($block, $i, 0);
        @StartupLines = ();

        stop_nginx($name) if $Nginx;
    }
}


# ---------------------------------------------------------------------
# requests

sub get_req_from_block {
    my ($block) = @_;

    my $name = $block->name;

    if (defined(my $raw = $block->raw_request)) {
        if (ref $raw eq 'ARRAY') {
            # the packets of one request, sent as they are
            return [[ map { ref $_ eq 'HASH' ? {%$_} : { value => $_ } }
                      @$raw ]];
        }

        return [[ { value => $raw } ]];
    }

    my $request;

    if (defined $block->request_eval) {
        Test::More::diag("$name - request_eval DEPRECATED. "
                         . "Use request eval instead.");
        $request = eval $block->request_eval;
        warn $@ if $@;

    } else {
        $request = $block->request;

        if (defined $request && !ref $request) {
            1 while $request =~ s/^\s*\#[^\n]+\s+|^\s+//gs;
        }
    }

    my $more_headers = $block->more_headers;
    $more_headers = '' unless defined $more_headers;

    my $headers_for = sub {
        my ($i) = @_;

        return parse_more_headers($more_headers)
            unless ref $more_headers eq 'ARRAY';

        my $h = $more_headers->[$i];
        bail_out("--- more_headers lacks data for the ${i}th request")
            unless defined $h;
        return parse_more_headers($h);
    };

    my $build = sub {
        my ($packets, $i, $connection) = @_;

        my ($headers, $chunked) = $headers_for->($i);

        my ($req, $err) = build_request(
            packets    => $packets,
            headers    => $headers,
            chunked    => $chunked,
            connection => $connection,
            host       => $ServerName,
        );

        bail_out("$name - $err") unless $req;
        return $req;
    };

    if (my $reqs = $block->pipelined_requests) {
        if (ref $reqs ne 'ARRAY') {
            bail_out("$name - invalid entries in --- pipelined_requests");
        }

        my $data = '';

        for my $i (0 .. $#$reqs) {
            my $conn = $i == $#$reqs ? 'close' : 'keep-alive';
            $data .= $build->([{ value => $reqs->[$i] }], $i, $conn)
                     ->[0]{value};
        }

        return [[ { value => $data } ]];
    }

    if (!defined $request || (!ref $request && $request eq '')) {
        bail_out("$name - Request line should be non-empty");
    }

    if (!ref $request) {
        return [ $build->([{ value => $request }], 0, 'close') ];
    }

    if (ref $request ne 'ARRAY') {
        bail_out("$name - invalid ---request : MUST be string or array "
                 . "of requests");
    }

    my @list;

    for my $i (0 .. $#$request) {
        my $one = $request->[$i];

        if (!ref $one) {
            push @list, $build->([{ value => $one }], $i, 'close');

        } elsif (ref $one eq 'ARRAY') {
            my @packets;

            for my $p (@$one) {
                if (!ref $p) {
                    push @packets, { value => $p };

                } elsif (ref $p eq 'HASH') {
                    push @packets, {%$p};

                } else {
                    bail_out("$name - Invalid syntax. $p should be a "
                             . "string or hash with value.");
                }
            }

            push @list, $build->(\@packets, $i, 'close');

        } else {
            bail_out("$name - Invalid syntax. $one should be a string "
                     . "or an array of packets.");
        }
    }

    return \@list;
}


sub run_test_helper ($$) {
    my ($block, $rep) = @_;

    my $name = $block->name;
    my $reqs = get_req_from_block($block);

    my $timeout = parse_time(scalar $block->timeout);
    $timeout = $Timeout unless defined $timeout;

    # an abort block's timeout is when the client gives up, part of
    # what the block tests, so valgrind does not stretch it
    $timeout *= $Scale unless defined $block->abort;

    my $pipelined = $block->pipelined_requests;
    my $need_array = $pipelined ? 1 : @$reqs > 1;
    my $req_idx = 0;

    for my $k (0 .. $#$reqs) {
        my $packets = $reqs->[$k];
        my $all = join '', map { $_->{value} } @$packets;
        my $head_req = $all =~ /^\s*HEAD\s+/ ? 1 : 0;

        warn "$name - request:\n$all\n" if $Verbose;

        my $shutdown = $block->shutdown;
        $shutdown = 1 if defined $shutdown && $shutdown eq '';

        my $r = send_request(
            addr            => $block->server_addr_for_client
                               || $ServerAddr,
            port            => $ServerPortForClient,
            packets         => $packets,
            timeout         => $timeout,
            connect_timeout => 1 * $Scale,
            middle_delay    => scalar $block->raw_request_middle_delay,
            shutdown        => $shutdown,
        );

        if ($r->{timed_out} && !defined $block->abort) {
            Test::More::fail("ERROR: client socket timed out - $name\n");
        }

        if ($r->{error} && $r->{resp} eq '') {
            if ($r->{error} =~ /^Can't connect/) {
                Test::More::fail("$name - $r->{error} (aborted)\n");
                Test::More::diag("nginx "
                                 . (kill(0, $Nginx->{pid}) ? 'is running'
                                                           : 'is gone')
                                 . "\n" . startup_output())
                    if $Nginx;

            } else {
                warn "WARNING: $name - $r->{error}\n";
            }
        }

        my $raw = $r->{resp};
        my $pending = $pipelined ? scalar @$pipelined : 0;

        warn "$name - response:\n$raw\n" if $Verbose;

        while (1) {
            my ($res, $left);

            if (!defined $block->ignore_response) {
                if (defined $block->http09) {
                    $res = Test::Nginx::Fallback::Response->new;
                    @$res{qw(code content)} = (200, $raw);

                } else {
                    my $err;
                    ($res, $left, $err) = parse_response($raw, $head_req);

                    Test::More::fail("$name - $err") if $err;

                    if ($res->{truncated} && !$head_req
                        && !$r->{timed_out})
                    {
                        warn "WARNING: $name - response body truncated: "
                             . $res->header('Content-Length')
                             . " expected, but got "
                             . length($res->content) . "\n";
                    }
                }
            }

            if (!$pending) {
                if (defined $left) {
                    (my $shown = $left) =~
                        s/([\0-\037\200-\377])/sprintf('\x{%02x}', ord $1)/eg;
                    warn "WARNING: $name - unexpected extra bytes after "
                         . "last chunk in response: \"$shown\"\n";
                }

            } else {
                $raw = defined $left ? $left : '';
                $pending--;
            }

            if (!defined $block->ignore_response) {
                check_error_code($block, $res, $req_idx, $need_array);
                check_raw_response_headers($block, $res, $req_idx,
                                           $need_array);
                check_response_headers($block, $res, $req_idx, $need_array);
                transform_response_body($block, $res, $req_idx);
                check_response_body($block, $res, $req_idx, $rep,
                                    $need_array);
            }

            if ($pending || $k < $#$reqs) {
                sleep $block->wait if $block->wait;
                check_error_log($block, $rep, $need_array);
                check_access_log($block, $rep);
            }

            $req_idx++;
            last unless $pending;
        }
    }

    sleep $block->wait if $block->wait;

    check_error_log($block, $rep, $need_array);
    check_access_log($block, $rep);
}


# ---------------------------------------------------------------------
# response checks

sub get_indexed_value {
    my ($name, $value, $req_idx, $need_array) = @_;

    if ($need_array) {
        return $value->[$req_idx] if ref $value eq 'ARRAY';
        bail_out("$name - You asked for many requests, the expected "
                 . "results should be arrays as well.");
    }

    return $value->[0] if ref $value eq 'ARRAY';
    return $value;
}


sub check_error_code {
    my ($block, $res, $req_idx, $need_array) = @_;

    my $name = $block->name;
    my $code = ($res && $res->code) || '';

    if (defined $block->error_code_like) {
        my $val = get_indexed_value($name,
                                    scalar $block->error_code_like,
                                    $req_idx, $need_array);
        Test::More::like($code, qr/$val/sm, "$name - status code ok");

    } elsif (defined $block->error_code) {
        my $val = get_indexed_value($name, scalar $block->error_code,
                                    $req_idx, $need_array);
        Test::More::is($code, $val, "$name - status code ok");

    } else {
        Test::More::is($code, 200, "$name - status code ok");
    }
}


sub check_raw_response_headers {
    my ($block, $res, $req_idx, $need_array) = @_;

    my $name = $block->name;
    my $raw = $res ? $res->raw_headers : '';

    if (defined $block->raw_response_headers_like) {
        my $re = get_indexed_value($name,
                                   scalar $block->raw_response_headers_like,
                                   $req_idx, $need_array);
        Test::More::like($raw, qr/$re/s, "$name - raw resp headers like");
    }

    if (defined $block->raw_response_headers_unlike) {
        my $re = get_indexed_value($name,
                                   scalar $block->raw_response_headers_unlike,
                                   $req_idx, $need_array);
        Test::More::unlike($raw, qr/$re/s,
                           "$name - raw resp headers unlike");
    }
}


sub check_response_headers {
    my ($block, $res, $req_idx, $need_array) = @_;

    my $name = $block->name;

    if (defined $block->response_headers) {
        my $spec = get_indexed_value($name,
                                     scalar $block->response_headers,
                                     $req_idx, $need_array);

        for my $h (parse_header_list($spec)) {
            my ($key, $val) = @$h;

            if (!defined $val) {
                Test::More::unlike($res ? $res->raw_headers : '',
                                   qr/^\s*\Q$key\E\s*:/ms,
                                   "$name - header $key not present in "
                                   . "the raw headers");
                next;
            }

            $val = subst_server_port($val);

            my $actual = $res ? $res->header($key) : undef;
            $actual = '' unless defined $actual;

            Test::More::is($actual, $val, "$name - header $key ok");
        }

    } elsif (defined $block->response_headers_like) {
        my $spec = get_indexed_value($name,
                                     scalar $block->response_headers_like,
                                     $req_idx, $need_array);

        for my $h (parse_header_list($spec)) {
            my ($key, $val) = @$h;

            my $actual = $res ? $res->header($key) : undef;
            $actual = '' unless defined $actual;
            $val = '' unless defined $val;

            Test::More::like($actual, qr/^$val$/,
                             "$name - header $key like ok");
        }
    }
}


# "Key: value" lines; "! Key" means the header must be absent.  Returns
# [key, value] pairs in order (value undef for absent headers).

sub parse_header_list {
    my ($s) = @_;

    my @list;

    for my $line (split /\n/, defined $s ? $s : '') {
        $line =~ s/^\s+|\s+$//g;
        next if $line eq '';

        if ($line =~ s/^!\s*//) {
            push @list, [$line, undef];
            next;
        }

        my ($key, $val) = split /\s*:\s*/, $line, 2;
        push @list, [$key, defined $val ? $val : ''];
    }

    return @list;
}


# the real runner's hash form of the same

sub parse_headers ($) {
    my ($s) = @_;
    return { map { @$_ } parse_header_list($s) };
}


sub subst_server_port {
    my ($s) = @_;

    $s =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
    $s =~ s/\$ServerPort\b/$ServerPort/g;
    return $s;
}


my %BODY_FILTERS = (
    md5_hex  => sub { require Digest::MD5; Digest::MD5::md5_hex($_[0]) },
    sha1_hex => sub { require Digest::SHA; Digest::SHA::sha1_hex($_[0]) },
    uc       => sub { uc $_[0] },
    lc       => sub { lc $_[0] },
    ucfirst  => sub { ucfirst $_[0] },
    lcfirst  => sub { lcfirst $_[0] },
    length   => sub { length $_[0] },
);

sub transform_response_body {
    my ($block, $res, $req_idx) = @_;

    my $filters = $block->response_body_filters;
    return unless defined $filters && $res && defined $res->content;

    my $name = $block->name;

    if (!ref $filters) {
        $filters =~ s/^\s+|\s+$//gs;
        $filters = [split /\s+/, $filters];

    } elsif (ref $filters ne 'ARRAY') {
        $filters = [$filters];
    }

    if (ref $filters->[0] eq 'ARRAY') {
        $filters = $filters->[$req_idx];
        bail_out("$name - the ---response_body_filters two-dimensional "
                 . "array unmatch the specified request($req_idx)")
            unless defined $filters;
    }

    my $content = $res->content;

    for my $f (@$filters) {
        if (ref $f eq 'CODE') {
            $content = $f->($content);

        } elsif (!ref $f && $BODY_FILTERS{$f}) {
            $content = $BODY_FILTERS{$f}->($content);

        } else {
            bail_out("$name - unknown filter, \"$f\", specified in the "
                     . "--- response_body_filters section");
        }
    }

    $res->content($content);
}


sub check_response_body {
    my ($block, $res, $req_idx, $rep, $need_array) = @_;

    my $name = $block->name;
    my $content = $res ? $res->content : undef;

    if (defined $block->response_body || defined $block->response_body_eval) {
        my $expected;

        if (defined $block->response_body_eval) {
            Test::More::diag("$name - response_body_eval is DEPRECATED. "
                             . "Use response_body eval instead.");
            my $code = get_indexed_value($name,
                                         scalar $block->response_body_eval,
                                         $req_idx, $need_array);
            $expected = eval $code;
            warn $@ if $@;

        } else {
            $expected = get_indexed_value($name,
                                          scalar $block->response_body,
                                          $req_idx, $need_array);
        }

        if ($block->charset) {
            require Encode;
            Encode::from_to($expected, 'UTF-8', $block->charset);
        }

        $expected = subst_server_port($expected)
            if defined $expected && !ref $expected;

        if (ref $expected) {
            Test::More::like($content, $expected,
                             "$name - response_body - like (repeated req "
                             . "$rep, req $req_idx)");
        } else {
            is_str($content, $expected,
                   "$name - response_body - response is expected "
                   . "(repeated req $rep, req $req_idx)");
        }

    } elsif (defined $block->response_body_like
             || defined $block->response_body_unlike)
    {
        my $type = defined $block->response_body_like ? 'like' : 'unlike';
        my $patterns = $type eq 'like' ? $block->response_body_like
                                       : $block->response_body_unlike;

        my $pat = get_indexed_value($name, $patterns, $req_idx, $need_array);
        $pat = subst_server_port($pat) unless ref $pat;

        my $summary = trim($content);
        $summary = '' unless defined $summary;
        $summary = substr($summary, 0, 100) . '...' if length $summary > 103;

        my $test_name = "$name - response_body_$type - response is "
                        . "expected ($summary)";

        if ($type eq 'like') {
            Test::More::like($content, qr/$pat/s, $test_name);
        } else {
            Test::More::unlike($content, qr/$pat/s, $test_name);
        }
    }

    for my $check (@ResponseBodyChecks) {
        $check->($block, $content, $req_idx, $rep, 0);
    }
}


# ---------------------------------------------------------------------
# error.log and access.log

# Lines of $file from byte $from to the last complete line; sets
# $LastReadEnd.

sub read_lines_from {
    my ($file, $from) = @_;

    $LastReadEnd = $from;

    open my $in, '<', $file or return [];
    binmode $in;

    if ($from > 0 && !seek $in, $from, 0) {
        close $in;
        return [];
    }

    my $data = do { local $/; <$in> };
    close $in;

    return [] unless defined $data && $data ne '';

    my $cut = rindex($data, "\n") + 1;      # keep a partial line for later
    $LastReadEnd = $from + $cut;

    return [ split /^/, substr($data, 0, $cut) ];
}


# The error.log lines written since the last check (since the block
# started with check_accum_error_log), after a short pause for what is
# logged after the response (log phase).

sub error_log_data () {
    sleep $TestNginxSleep * 3 * $Scale;

    my $from = $CheckAccumErrLog ? $BlockErrLogStart : $ErrLogFilePos;
    my $lines = read_lines_from($ErrLogFile, $from);

    $ErrLogFilePos = $LastReadEnd unless $CheckAccumErrLog;

    unshift @$lines, @StartupLines;
    return $lines;
}


sub access_log_data () {
    sleep $TestNginxSleep * 3 * $Scale;
    return read_lines_from($AccLogFile, $BlockAccLogStart);
}


# patterns of an error_log-like section: lines of text, a qr//, or an
# array of both

sub pattern_list {
    my ($pats) = @_;

    if (!ref $pats) {
        chomp $pats;
        return grep { $_ ne '' } split /\n+/, $pats;
    }

    return ($pats) if ref $pats eq 'Regexp';
    return grep { defined } @$pats;
}


sub line_matches {
    my ($line, $pat) = @_;
    return ref $pat ? $line =~ $pat : index($line, $pat) >= 0;
}


sub value_contains {
    my ($val, $pat) = @_;

    return 0 unless defined $val;
    return index("$val", $pat) >= 0 unless ref $val eq 'ARRAY';

    for my $v (@$val) {
        return 1 if value_contains($v, $pat);
    }

    return 0;
}


sub check_error_log {
    my ($block, $rep, $need_array) = @_;

    my $name = $block->name;
    my $lines;
    my $scanned = 0;

    # the lines read so far, and a way to wait for more: what is expected
    # may still be on its way to the log (log phase, valgrind)
    my $load = sub { $lines ||= error_log_data() };
    my $more = sub {
        sleep 0.05;
        my $from = $LastReadEnd;
        my $new = read_lines_from($ErrLogFile, $from);
        $ErrLogFilePos = $LastReadEnd unless $CheckAccumErrLog;
        push @$lines, @$new;
        return scalar @$new;
    };
    my $deadline;
    my $may_wait = sub {
        $deadline ||= time + 0.5 * $Scale;
        return time < $deadline;
    };

    my $grep_pat = $block->grep_error_log;

    if (ref $grep_pat eq 'ARRAY') {
        $grep_pat = $grep_pat->[$rep];
    }

    if (!defined $block->grep_error_log
        && defined $block->grep_error_log_out)
    {
        bail_out("$name - No --- grep_error_log defined but "
                 . "--- grep_error_log_out is defined");
    }

    if (defined $grep_pat) {
        my $expected = $block->grep_error_log_out;

        bail_out("$name - No --- grep_error_log_out defined but "
                 . "--- grep_error_log is defined")
            unless defined $expected;

        $expected = $expected->[$rep] if ref $expected eq 'ARRAY';

        $load->();

        my $grep = sub {
            my $out = '';
            for my $line (@$lines) {
                if (ref $grep_pat ? $line =~ $grep_pat
                                  : $line =~ /\Q$grep_pat\E/)
                {
                    $out .= "$&\n" if $& !~ /\n/;
                }
            }
            return $out;
        };

        my $matched = $grep->();

        while (!(ref $expected eq 'Regexp' ? $matched =~ $expected
                                           : $matched eq $expected)
               && $may_wait->())
        {
            $more->();
            $matched = $grep->();
        }

        is_str($matched, $expected,
               "$name - grep_error_log_out (req $rep)");
    }

    if (defined $block->error_log) {
        my @pats = pattern_list($block->error_log);
        my @found;

        $load->();

        while (1) {
            for my $i ($scanned .. $#$lines) {
                for my $j (0 .. $#pats) {
                    $found[$j] ||= line_matches($lines->[$i], $pats[$j]);
                }
            }
            $scanned = @$lines;

            last if @pats == grep { $_ } @found[0 .. $#pats];
            last unless $may_wait->();
            $more->();
        }

        for my $j (0 .. $#pats) {
            my $p = $pats[$j];

            if ($found[$j]) {
                Test::More::pass("$name - pattern \"$p\" matches a line "
                                 . "in error.log (req $rep)");
            } else {
                Test::More::fail("$name - pattern \"$p\" should match a "
                                 . "line in error.log (req $rep)");
                Test::More::diag(scalar(@$lines) . " line(s) searched, "
                                 . "see $ErrLogFile");
            }
        }
    }

    if (defined $block->no_error_log) {
        $load->();

        for my $p (pattern_list($block->no_error_log)) {
            my $at;

            for my $i (0 .. $#$lines) {
                if (line_matches($lines->[$i], $p)) {
                    $at = $i;
                    last;
                }
            }

            my $ps = fmt_str($p);

            if (!defined $at) {
                Test::More::pass("$name - pattern \"$ps\" does not match a "
                                 . "line in error.log (req $rep)");
                next;
            }

            Test::More::fail("$name - pattern \"$ps\" should not match any "
                             . "line in error.log but matches line \""
                             . fmt_str($lines->[$at]) . "\" (req $rep)");

            my $last = $at + 10 < $#$lines ? $at + 10 : $#$lines;
            Test::More::diag(join '', "context:\n",
                             @$lines[$at .. $last]);
        }
    }

    # like the real runner: loud messages nobody asked about are shown,
    # and a failed assertion fails the test
    my %asked;
    for my $level (qw(alert crit emerg)) {
        $asked{$level} =
            value_contains(scalar $block->error_log, "[$level")
            || value_contains(scalar $block->no_error_log, "[$level");
    }

    $load->();

    for my $line (@$lines) {
        for my $level (qw(alert crit emerg)) {
            next if $level eq 'emerg' && $InMustDie;

            if (!$asked{$level} && $line =~ /\[$level\]/) {
                warn "WARNING: $name - " . fmt_str($line) . "\n";
            }
        }

        if ($line =~ /\bAssertion .*?failed\b/) {
            chomp(my $l = $line);
            Test::More::fail("$name - $l\n");
        }
    }
}


sub check_access_log {
    my ($block, $rep) = @_;

    my $name = $block->name;
    my $lines;

    # the real runner skips both checks when the response is ignored:
    # a block relying on them would pass there without being checked

    if (defined $block->ignore_response
        && (defined $block->access_log || defined $block->no_access_log))
    {
        Test::More::fail("$name - access_log checks with ignore_response "
                         . "are not made by the real Test::Nginx: check "
                         . "the log another way");
        return;
    }

    if (defined $block->access_log) {
        $lines ||= access_log_data();

        for my $p (pattern_list($block->access_log)) {
            if (grep { line_matches($_, $p) } @$lines) {
                Test::More::pass("$name - pattern \"$p\" matches a line in "
                                 . "access.log (req $rep)");
            } else {
                Test::More::fail("$name - pattern \"$p\" should match a "
                                 . "line in access.log (req $rep)");
            }
        }
    }

    if (defined $block->no_access_log) {
        $lines ||= access_log_data();

        for my $p (pattern_list($block->no_access_log)) {
            my ($line) = grep { line_matches($_, $p) } @$lines;
            my $ps = fmt_str($p);

            if (!defined $line) {
                Test::More::pass("$name - pattern \"$ps\" does not match a "
                                 . "line in access.log (req $rep)");
            } else {
                Test::More::fail("$name - pattern \"$ps\" should not match "
                                 . "any line in access.log but matches line "
                                 . "\"" . fmt_str($line) . "\" (req $rep)");
            }
        }
    }
}


# shutdown_error_log / no_shutdown_error_log: what nginx logged from the
# last check until it exited

sub check_shutdown_error_log {
    my ($block, $name) = @_;

    return unless defined $block->shutdown_error_log
                  || defined $block->no_shutdown_error_log;

    my $lines = read_lines_from($ErrLogFile, $ErrLogFilePos);
    $ErrLogFilePos = $LastReadEnd;

    if (defined $block->no_shutdown_error_log) {
        for my $p (pattern_list($block->no_shutdown_error_log)) {
            my ($line) = grep { line_matches($_, $p) } @$lines;
            my $ps = fmt_str($p);

            if (defined $line) {
                Test::More::fail("$name - pattern \"$ps\" should not match "
                                 . "any line in error.log but matches line "
                                 . "\"" . fmt_str($line) . "\"");
            } else {
                Test::More::pass("$name - pattern \"$ps\" does not match a "
                                 . "line in error.log");
            }
        }
    }

    if (defined $block->shutdown_error_log) {
        for my $p (pattern_list($block->shutdown_error_log)) {
            if (grep { line_matches($_, $p) } @$lines) {
                Test::More::pass("$name - pattern \"$p\" matches a line in "
                                 . "error.log");
            } else {
                Test::More::fail("$name - pattern \"$p\" should match a "
                                 . "line in error.log");
            }
        }
    }
}


# ---------------------------------------------------------------------
# sanitizers: their reports go to nginx's stderr, which nginx points at
# its error log once the configuration is read

sub check_sanitizers {
    my ($name) = @_;

    my $test = "sanitizers clean ($name)";
    my @reports;

    my @files = ([$StderrFile, 0], [$ErrLogFile, $BlockErrLogStart]);

    for my $f (@files) {
        my ($file, $from) = @$f;

        open my $in, '<', $file or next;
        seek $in, $from, 0;
        my @lines = <$in>;
        close $in;

        for my $i (0 .. $#lines) {
            next unless $lines[$i] =~ /ERROR: \w+Sanitizer|runtime error:/;
            my $end = $i + 30 > $#lines ? $#lines : $i + 30;
            push @reports, join '', @lines[$i .. $end];
        }
    }

    if (!@reports) {
        Test::More::pass($test);
        return;
    }

    Test::More::fail($test);
    Test::More::diag($_) for @reports;
}


# valgrind

sub check_valgrind {
    my ($name, $stopped) = @_;

    my $test = "valgrind clean ($name)";

    if (!$stopped) {
        Test::More::fail($test);
        Test::More::diag("nginx was not running at the end of the block");
        return;
    }

    my $before = $stopped->{srv}{vg_before} || {};
    my @logs = grep { !$before->{$_} } glob("$LogDir/valgrind.*.log");

    if (!@logs) {
        Test::More::fail($test);
        Test::More::diag("no valgrind log found in $LogDir");
        return;
    }

    my @problems = check_valgrind_logs(@logs);

    if ($stopped->{killed}) {
        unshift @problems, { file => '(nginx)', excerpt => '',
                             reason => 'nginx had to be killed: it did not '
                                       . 'exit gracefully on QUIT' };
    }

    if (!@problems) {
        Test::More::pass($test);
        return;
    }

    Test::More::fail($test);

    for my $p (@problems) {
        Test::More::diag("$p->{file}: $p->{reason}\n$p->{excerpt}");
    }
}


# ---------------------------------------------------------------------
# helpers

# like the real is_str(): a qr// expected value means like(); long or
# multi-line strings get a readable diff on failure

sub is_str (@) {
    my ($got, $expected, $desc) = @_;

    local $Test::Builder::Level = $Test::Builder::Level + 1;

    if (ref $expected && ref $expected eq 'Regexp') {
        return Test::More::like($got, $expected, $desc);
    }

    if ($NoLongString || !defined $got || !defined $expected) {
        return Test::More::is($got, $expected, $desc);
    }

    my $ok = Test::More::ok($got eq $expected, $desc);
    Test::More::diag(string_diff($got, $expected)) unless $ok;
    return $ok;
}


sub string_diff {
    my ($got, $expected) = @_;

    my $pos = 0;
    my $max = length $got < length $expected ? length $got
                                             : length $expected;
    $pos++ while $pos < $max
                 && substr($got, $pos, 1) eq substr($expected, $pos, 1);

    my $from = $pos > 20 ? $pos - 20 : 0;

    my $out = sprintf "         got: \"%s\"\n    expected: \"%s\"\n"
                      . "      length: %d (got) vs %d (expected)\n"
                      . "  first difference at offset %d\n",
                      show_all_chars(substr $got, $from, 60),
                      show_all_chars(substr $expected, $from, 60),
                      length $got, length $expected, $pos;

    if ("$got$expected" =~ /\n./) {
        $out .= "diff (- expected, + got):\n" . line_diff($expected, $got);
    }

    return $out;
}


sub line_diff {
    my ($a, $b) = @_;

    if (eval { require Text::Diff; 1 }) {
        return Text::Diff::diff(\$a, \$b, { STYLE => 'Unified' });
    }

    # without Text::Diff: common head and tail, then the differing middle
    my @a = split /^/, $a;
    my @b = split /^/, $b;

    my $head = 0;
    $head++ while $head < @a && $head < @b && $a[$head] eq $b[$head];

    my $tail = 0;
    $tail++ while $tail < @a - $head && $tail < @b - $head
                  && $a[-1 - $tail] eq $b[-1 - $tail];

    my $out = "@@ line " . ($head + 1) . " @@\n";
    $out .= "-$_" for @a[$head .. $#a - $tail];
    $out .= "+$_" for @b[$head .. $#b - $tail];
    $out .= "\n" unless $out =~ /\n\z/;
    return $out;
}


sub fmt_str {
    my ($s) = @_;

    chomp $s;
    $s =~ s/"/\\"/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\n/\\n/g;
    return $s;
}


sub show_all_chars ($) {
    my ($s) = @_;

    $s =~ s/\n/\\n/gs;
    $s =~ s/\r/\\r/gs;
    $s =~ s/\t/\\t/gs;
    return $s;
}


sub trim ($) {
    my ($s) = @_;

    return undef unless defined $s;
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\n/ /gs;
    $s =~ s/\s{2,}/ /gs;
    return $s;
}


sub parse_time ($) {
    my ($tm) = @_;

    return undef unless defined $tm;

    if ($tm =~ s/([^_a-zA-Z])ms$/$1/) {
        return $tm / 1000;
    }

    $tm =~ s/([^_a-zA-Z])s$/$1/;
    return $tm;
}

1;

__END__

=head1 NAME

Test::Nginx::Socket - the project's fallback for openresty's test scaffold

=head1 SYNOPSIS

    use strict;
    use warnings;
    use lib 't/lib';
    BEGIN { push @INC, 't/lib/fallback' }
    use Test::Nginx::Socket 'no_plan';

    run_tests();

    __DATA__

    === TEST 1: hello
    --- config
        location = /t { return 200 "hello\n"; }
    --- request
    GET /t
    --- response_body
    hello
    --- no_error_log
    [error]

=head1 DESCRIPTION

Used only when the real Test::Nginx is not installed: C<t/lib/fallback> is
pushed at the end of C<@INC>.  It implements the block format, the
exported functions and the test names of the real
L<Test::Nginx::Socket>, on top of L<Test::Base>.  Each block gets a fresh
nginx (started in the foreground as a child of the test, in its own
process group) and a fresh server root; repeated requests
(C<repeat_each>) go to the same nginx, as with the real one.

As with the real module: C<repeat_each> repeats the requests on the
same nginx; a C<raw_request> array holds the packets of one request (a
C<request> array holds several requests); the runner always adds its own
C<location /> unless C<no_root_location()> was called; only the functions
of the real C<@EXPORT> are exported (no C<$ServerPort>: use
C<server_port()>, C<server_root()>, C<$ENV{TEST_NGINX_SERVER_PORT}> or
C<$Test::Nginx::Socket::ServerPort>, which work with both).

Differences from the real module: nginx is always started with
C<daemon off> in the foreground (as the real one does under valgrind);
it listens on C<127.0.0.1> only; nginx is stopped at the end of each block
rather than at the start of the next one; what nginx prints on stderr is
kept in F<logs/nginx.stderr> and, for C<must_die> blocks, checked by
C<error_log> / C<no_error_log> too (a binary whose default error log is
stderr reports configuration errors there); a block whose nginx fails to
start is one failed test, not a bail-out; C<$TEST_NGINX_*> variables are
expanded in every section, not only in the configuration ones;
C<error_log> and C<grep_error_log> checks wait up to half a second (times
the valgrind scale) for lines still on their way; a C<no_error_log>
pattern gives one test however many lines it matches; a block without
C<--- config> reuses the previous block's configuration sections (the real
one reuses the running nginx); HUP reloading, HTTP/2, HTTP/3, stap,
C<curl>, the "check leak" and benchmark modes are not implemented.

Environment: TEST_NGINX_BINARY, TEST_NGINX_PORT (TEST_NGINX_SERVER_PORT),
TEST_NGINX_CLIENT_PORT, TEST_NGINX_SERVROOT, TEST_NGINX_RANDOMIZE,
TEST_NGINX_LOG_LEVEL, TEST_NGINX_MASTER_PROCESS, TEST_NGINX_TIMEOUT,
TEST_NGINX_SLEEP, TEST_NGINX_NO_CLEAN, TEST_NGINX_NO_SHUFFLE,
TEST_NGINX_LOAD_MODULES, TEST_NGINX_WORKER_USER,
TEST_NGINX_CHECK_ACCUM_ERR_LOG, TEST_NGINX_VERBOSE,
TEST_NGINX_USE_VALGRIND, TEST_NGINX_VALGRIND_SCALE,
TEST_NGINX_VALGRIND_SUPPRESS.

With TEST_NGINX_USE_VALGRIND=1 nginx runs under memcheck with one log
per process in the server's logs directory and the suppressions of
F<t/valgrind.suppress>; after nginx exits on QUIT every log is read and
one more test per block, "valgrind clean (...)", fails on any memcheck
error or definitely lost bytes.  A fixed plan becomes no_plan then.

=cut
