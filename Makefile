# pollkit's front door: make build | test | soak | run | install | example | bindings | native | jni | bench | profile | clean.
# Finds a JDK 22+ by itself (scripts/find-jdk: JAVA_HOME when new enough, else the usual JVM folders).
# Three Maven projects, built in this order (docs/DESIGN.md says why they are not one reactor): the library
# (pom.xml, src/), the servers and CLI (servers/, into target/pollkit.jar), the benchmarks (bench/). The later
# ones take the library by its coordinates from the local Maven repository, where `make build` installs it.
SHELL := /bin/bash
JDK := $(shell scripts/find-jdk 2>/dev/null)
JDK_RELEASE := $(shell sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' $(JDK)/release 2>/dev/null)
# Maven's own guava calls sun.misc.Unsafe, which JDK 24+ warns about; that is Maven's, not pollkit's.
MAVEN_OPTS += $(if $(filter-out 22 23,$(JDK_RELEASE)),--sun-misc-unsafe-memory-access=allow)
export MAVEN_OPTS
# MVN_ARGS passes flags to every Maven run, e.g. MVN_ARGS=-Dmaven.repo.local=/tmp/m2 for a private repository.
MVN_ARGS ?=
MVN := JAVA_HOME=$(JDK) mvn -B -ntp $(MVN_ARGS)
NATIVE_OUT := $(CURDIR)/target/native

.PHONY: build install example test soak run bindings native kqueue-double jni bench bench-full bench-smoke bench-jar profile async-profiler wrk clean jdk

# The library into the local Maven repository (with its -sources and -javadoc jars), then target/pollkit.jar.
build: install
	$(MVN) -q -f servers/pom.xml -DskipTests package

# io.pollkit:pollkit (jar, -sources, -javadoc) into the local Maven repository, for programs that depend on it.
install: jdk
	$(MVN) -q -DskipTests install

# examples/echo built outside the repository against the installed library, its echo server run on the module path
# and the class path, over FFM and JNI, each checked over a socket (scripts/example-test).
EXAMPLE_TEST = JAVA_HOME=$(JDK) MVN_ARGS="$(MVN_ARGS)" scripts/example-test
example: install
	$(EXAMPLE_TEST)

# The C test double's and the C baselines' checks (the double's also under ASan and UBSan), every library test (the
# kqueue ones through the double) and the poller tests again over the JNI twin (pom.xml: conformance-over-jni), the
# JNI transport's tests with the twin and the double under ASan and UBSan (jni-under-asan) and under -Xcheck:jni
# (jni-under-xcheck), the JNI loading tests on the packaged jar (JniLoadingIT, XcheckJniIT), then the library is installed, the example consumer runs against it, the servers' tests run
# against it, then the bench module's own tests.
test: jdk kqueue-double
	$(MAKE) -C native/kqueue-double OUT=$(NATIVE_OUT) check
	$(MAKE) -C native/kqueue-double OUT=$(NATIVE_OUT) check-asan
	$(MAKE) -C native/baselines OUT=$(NATIVE_OUT) check
	$(MVN) install
	$(EXAMPLE_TEST)
	$(MVN) -f servers/pom.xml verify
	$(MVN) -f bench/pom.xml test

# The chaos test's long run (servers' ChaosTest; `make test` runs it for 3 s a backend): tick, echo and http in a child
# JVM under many misbehaving clients for DURATION on each backend and on io_uring's completion model in turn (so about
# 6 x DURATION in all), then the
# same checks: still serving, fds back to where they were, heap and malloc'd memory bounded, every log line well formed.
# BACKENDS=epoll,poll,completion picks them; SEED=S replays a run's random choices. The test bounds itself, so JUnit's own
# timeouts are off.
DURATION ?= 10m
BACKENDS ?= select,poll,epoll,kqueue,io_uring,completion
SEED ?=
soak: install kqueue-double
	$(MVN) -f servers/pom.xml test-compile surefire:test@default-test -Dtest=ChaosTest -Dpollkit.chaos.duration=$(DURATION) -Dpollkit.chaos.backends=$(BACKENDS) \
		$(if $(SEED),-Dpollkit.chaos.seed=$(SEED)) -Djunit.jupiter.execution.timeout.mode=disabled

# The main job: the tick server with its defaults (127.0.0.1:8080, epoll on Linux); ARGS="..." passes flags,
# for example make run ARGS="--backend=poll --port=9000", or ARGS="echo --port=0" for another server.
ARGS ?=
SERVER := $(if $(filter tick echo http raw-tick backends,$(firstword $(ARGS))),,tick)
run: build
	JAVA_HOME=$(JDK) $(JDK)/bin/java -jar target/pollkit.jar $(SERVER) $(ARGS)

# Regenerates bindings/answers and bindings/java from the headers (see bindings/README.md): every target whose
# compiler is present; the darwin ones need zig (scripts/install-zig installs it outside the tree).
bindings:
	bindings/mkbindings all

native: kqueue-double jni
	$(MAKE) -C native/baselines OUT=$(NATIVE_OUT)

# The JNI twin of the hot downcalls alone, into target/native (a shortcut: the library's Maven build builds it too and
# packs it into the jar; native/jni/README.md).
jni: jdk
	$(MAKE) -C native/jni OUT=$(NATIVE_OUT) JDK=$(JDK)

kqueue-double:
	$(MAKE) -C native/kqueue-double OUT=$(NATIVE_OUT)

# Benchmarks W1..W4 (bench/README.md): JMH beside the C baselines, wrk against the http servers (W2), N clients on
# the tick servers (W3), in the same run, into bench/results/<timestamp>/ (results.md, results.json, charts/); W1, W2
# and W4 in interleaved rounds, reported as the median of the per-round ratios to C with their spread.
# Not part of `make test` (the bench module's own tests are). What they measure: docs/WORKLOADS.md. bench: about
# 15 minutes; bench-full: every parameter of docs/WORKLOADS.md, about 1 h 45 min (it prints its estimate at the start);
# bench-smoke: one case of each workload, proves the pipeline. Runs go to bench/results/, which git ignores.
# Linux has no kqueue: the kqueue figures go through the C test double (epoll underneath) unless
# POLLKIT_KQUEUE_LIB names another library; `make bench POLLKIT_KQUEUE_LIB=` leaves kqueue out.
# BENCH_ARGS passes flags to bench/run, e.g. BENCH_ARGS="--filter=epoll" (bench/run --help).
POLLKIT_KQUEUE_LIB ?= $(NATIVE_OUT)/libkqueue-double.so
BENCH_ARGS ?=
BENCH_RUN = POLLKIT_KQUEUE_LIB=$(POLLKIT_KQUEUE_LIB) JAVA_HOME=$(JDK) bench/run

bench: build native bench-jar wrk
	$(BENCH_RUN) --profile=quick $(BENCH_ARGS)

bench-full: build native bench-jar wrk
	$(BENCH_RUN) --profile=full $(BENCH_ARGS)

bench-smoke: build native bench-jar wrk
	$(BENCH_RUN) --profile=smoke $(BENCH_ARGS)

# Where W2's CPU per request goes, pollkit's http server beside C's: per-thread CPU, JFR's hot methods, async-profiler's
# split of the CPU (itimer mode), perf's split by code for both servers (software cpu-clock: no hardware counters
# needed), GC and safepoints, syscalls per request under strace (bench/profile --help). strace and perf are installed
# when missing if this runs as root with apt-get; a missing perf only skips its step. PROFILE_ARGS passes flags, e.g.
# "--c=500".
profile: build native wrk async-profiler
	@command -v strace >/dev/null || { [[ $$(id -u) == 0 ]] && command -v apt-get >/dev/null && apt-get install -y -qq strace >/dev/null; } || true
	@command -v perf >/dev/null || { [[ $$(id -u) == 0 ]] && command -v apt-get >/dev/null && apt-get install -y -qq linux-perf >/dev/null; } || true
	bench/profile $(PROFILE_ARGS)

# async-profiler's agent for `make profile`, from its Maven Central jar (tools.profiler:async-profiler), which carries
# the native library for each platform. A failed download only costs that step: bench/profile says it skipped it.
ASYNC_PROFILER_VERSION := 4.0
ASYNC_PROFILER_DIR := target/async-profiler
ASYNC_PROFILER_PLATFORM := linux-$(subst x86_64,x64,$(subst aarch64,arm64,$(shell uname -m)))
async-profiler: jdk
	@[[ -f $(ASYNC_PROFILER_DIR)/libasyncProfiler.so ]] || { \
		$(MVN) -q dependency:copy -Dartifact=tools.profiler:async-profiler:$(ASYNC_PROFILER_VERSION) \
			-DoutputDirectory=$(ASYNC_PROFILER_DIR) -Dmdep.stripVersion=true \
		&& cd $(ASYNC_PROFILER_DIR) && $(JDK)/bin/jar xf async-profiler.jar $(ASYNC_PROFILER_PLATFORM)/libasyncProfiler.so \
		&& mv $(ASYNC_PROFILER_PLATFORM)/libasyncProfiler.so . && rmdir $(ASYNC_PROFILER_PLATFORM); \
	} || echo "make: async-profiler not fetched; bench/profile will skip its step" >&2

# W2's load generator, Debian's wrk: installed when missing if this runs as root with apt-get; otherwise the
# runner skips W2 and says why. Never fails the build.
wrk:
	@if command -v wrk >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing wrk for W2 (apt-get install -y wrk)"; \
		apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q wrk >/dev/null 2>&1; } \
			|| echo "wrk: apt-get could not install it; W2 will be skipped"; \
	else echo "wrk is missing and cannot be installed here (needs root and apt-get): W2 will be skipped"; fi

# bench/target/benchmarks.jar, after the bench module's own tests (the W1 schedule, fd layout, report).
bench-jar: build
	$(MVN) -q -f bench/pom.xml package

clean:
	rm -rf target servers/target bench/target examples/echo/target

jdk:
	@test -n "$(JDK)" || { scripts/find-jdk; exit 1; }
	@echo "using JDK $(JDK) (release $(JDK_RELEASE))"
