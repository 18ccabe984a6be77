# ngx_dynamo: the two commands README opens with, and the rest.
#
#   make demo     set up, build, and leave the gateway running locally, with
#                 a sample table, a token and commands to paste (demo-token:
#                 another token; demo-stop: stop it)
#   make test     set up, build, and run the whole test suite
#
#   make valgrind | asan | bench | faults | fuzz [FUZZ_SECONDS=600]
#   make deb      the Debian package, libnginx-mod-http-dynamo, in build/deb
#   make test-real TEST_NGINX_REAL=<dir>   the suite under openresty's
#                 Test::Nginx (a checkout of it) instead of our runner
#   make fuzz-<target>

SHELL := /bin/bash

.PHONY: all module setup test demo demo-stop valgrind asan bench faults fuzz \
        deb test-real clean

all: module

setup:
	util/setup

module:
	util/build

test:
	util/test

test-real:
	@test -n "$(TEST_NGINX_REAL)" \
	    || { echo "make test-real TEST_NGINX_REAL=<dir>" >&2; exit 2; }
	TEST_NGINX_REAL="$(TEST_NGINX_REAL)" util/test

valgrind:
	TEST_NGINX_USE_VALGRIND=1 util/test

asan:
	VARIANT=asan util/test

deb:
	util/deb

demo:
	util/demo

# only the token, so that eval "$$(make -s demo-token)" sets it
.PHONY: demo-token
demo-token:
	@util/demo token

demo-stop:
	util/demo stop

bench:
	bench/run

faults: setup
	bench/faults

# every harness, one after the other (60 s each unless FUZZ_SECONDS), or
# one: make fuzz-jwt_verify; fuzz/run list names them
fuzz: setup
	fuzz/run all $(FUZZ_SECONDS)

fuzz-%: setup
	fuzz/run $* $(FUZZ_SECONDS)

clean:
	rm -rf build t/servroot* t/data/keys
