# ngx_dynamo: the two commands README opens with, and the rest.
#
#   make demo     set up, build, and run the gateway locally with real clients
#   make test     set up, build, and run the whole test suite

SHELL := /bin/bash

.PHONY: all module setup test demo demo-stop valgrind asan bench clean

all: module

setup:
	util/setup

module:
	util/build

test:
	util/test

valgrind:
	TEST_NGINX_USE_VALGRIND=1 util/test

asan:
	VARIANT=asan util/test

demo:
	util/demo

demo-stop:
	util/demo stop

bench:
	bench/run

clean:
	rm -rf build t/servroot* t/data/keys
