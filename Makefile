# pollkit's front door. Finds a JDK 22+ by itself (scripts/find-jdk).
SHELL := /bin/bash
JDK := $(shell scripts/find-jdk 2>/dev/null)
JDK_RELEASE := $(shell sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' $(JDK)/release 2>/dev/null)
# Maven's own guava calls sun.misc.Unsafe, which JDK 24+ warns about; that is Maven's, not pollkit's.
MAVEN_OPTS += $(if $(filter-out 22 23,$(JDK_RELEASE)),--sun-misc-unsafe-memory-access=allow)
export MAVEN_OPTS
MVN := JAVA_HOME=$(JDK) mvn -B -ntp

.PHONY: build test bindings clean jdk run

build: jdk
	$(MVN) -q -DskipTests package

test: jdk
	$(MVN) verify

bindings:
	bindings/mkbindings all

run:
	@echo "make run arrives with the servers (issue 3); for now, 'make test' is the command that does something." >&2; exit 2

clean:
	rm -rf target

jdk:
	@test -n "$(JDK)" || { scripts/find-jdk; exit 1; }
	@echo "using JDK $(JDK)"
