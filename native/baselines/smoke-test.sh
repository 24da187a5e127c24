#!/usr/bin/env bash
# smoke-test.sh: a short check of the built baselines, run by `make check` (which sets OUT, and
# KQUEUE_LIB to native/kqueue-double's library, a kqueue test double over epoll). Loopback only; every wait is bounded by `timeout`
# or a counted loop. Ends with "N passed, M failed" and exits non-zero if anything failed.
set -u
OUT=${OUT:?OUT must name the directory holding the built programs}
KQUEUE_LIB=${KQUEUE_LIB:-}
tmp=$(mktemp -d)
passed=0
failed=0
servers=()

cleanup() {
	for pid in "${servers[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+ ($2)}"; failed=$((failed + 1)); }
# check NAME COMMAND...: passes when COMMAND succeeds.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# --- flags, shared by every program -----------------------------------------------------------
for prog in w1-dispatch w4-downcall http-hello http-hello-uring tick-server; do
	timeout 5 "$OUT/$prog" --help >"$tmp/help" 2>&1
	check "$prog --help exits 0 with a usage" test $? -eq 0 -a -n "$(grep '^usage:' "$tmp/help")"
	timeout 5 "$OUT/$prog" --no-such-flag >"$tmp/out" 2>"$tmp/err"
	check "$prog refuses a bad flag: exit 2, one line" \
		test $? -eq 2 -a "$(wc -l <"$tmp/err")" -eq 1 -a ! -s "$tmp/out"
done
timeout 5 "$OUT/w1-dispatch" --n=abc 2>/dev/null
check "w1-dispatch refuses --n=abc with exit 2" test $? -eq 2
timeout 5 "$OUT/http-hello-uring" --taskrun=sometimes 2>"$tmp/err" >/dev/null
check "http-hello-uring refuses --taskrun=sometimes with exit 2, naming the choices" \
	test $? -eq 2 -a -n "$(grep 'defer|coop|signal' "$tmp/err")"

# --- W1 -----------------------------------------------------------------------------------------
# w1_ok BACKEND N K LINE: LINE is w1-dispatch's JSON for that run.
w1_ok() {
	local re='^\{"workload":"W1","impl":"c","backend":"'$1'","n":'$2',"k":'$3',"rounds":[0-9]+,"samples":[0-9]+,"ns_per_round":\{"median":[0-9.]+,"min":[0-9.]+,"max":[0-9.]+\}\}$'
	[[ $4 =~ $re ]]
}
for backend in select poll epoll; do
	line=$(timeout 30 "$OUT/w1-dispatch" --backend=$backend --n=50 --k=5 --rounds=200 --samples=3 --warmup=50)
	check "w1-dispatch $backend n=50 k=5 prints its JSON line" w1_ok $backend 50 5 "$line"
done
line=$(timeout 30 "$OUT/w1-dispatch" --backend=select --n=1000 --k=10 --rounds=20 --samples=2 --warmup=0)
check "w1-dispatch select fits n=1000 under FD_SETSIZE" w1_ok select 1000 10 "$line"
timeout 30 "$OUT/w1-dispatch" --backend=select --n=1100 --rounds=1 --samples=1 2>"$tmp/err" >/dev/null
check "w1-dispatch refuses select with fds >= FD_SETSIZE (exit 2)" \
	test $? -eq 2 -a -n "$(grep FD_SETSIZE "$tmp/err")"
env -u POLLKIT_KQUEUE_LIB timeout 5 "$OUT/w1-dispatch" --backend=kqueue 2>"$tmp/err" >/dev/null
check "w1-dispatch kqueue without POLLKIT_KQUEUE_LIB exits 3" \
	test $? -eq 3 -a -n "$(grep POLLKIT_KQUEUE_LIB "$tmp/err")"
if [[ -n $KQUEUE_LIB ]]; then
	line=$(POLLKIT_KQUEUE_LIB=$KQUEUE_LIB timeout 30 "$OUT/w1-dispatch" --backend=kqueue --n=50 --k=5 --rounds=200 --samples=3 --warmup=50)
	check "w1-dispatch kqueue through the kqueue test double prints its JSON line" w1_ok kqueue 50 5 "$line"
fi

# --- W4 -----------------------------------------------------------------------------------------
for call in getpid poll; do
	line=$(timeout 30 "$OUT/w4-downcall" --call=$call --iterations=20000 --samples=3)
	re='^\{"workload":"W4","impl":"c","call":"'$call'","iterations":20000,"samples":3,"ns_per_call":\{"median":[0-9.]+,"min":[0-9.]+,"max":[0-9.]+\}\}$'
	check "w4-downcall $call prints its JSON line" test -n "$([[ $line =~ $re ]] && echo y)"
done

# --- servers ------------------------------------------------------------------------------------
# start_server NAME BACKEND PROGRAM ARGS...: starts it with its output in $tmp/NAME.{out,err};
# sets server_pid and port from the "listening on" line, waiting at most 5 s for it.
start_server() {
	local name=$1 backend=$2
	shift 2
	: >"$tmp/$name.out"
	"$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	server_pid=$!
	servers+=("$server_pid")
	port=
	for _ in $(seq 50); do
		if [[ $(head -n 1 "$tmp/$name.out") =~ ^listening\ on\ 127\.0\.0\.1:([0-9]+)\ backend=$backend$ ]]; then
			port=${BASH_REMATCH[1]}
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# stop_server PID SIGNAL: sends SIGNAL, waits at most 5 s, returns the exit code (137 if killed).
stop_server() {
	kill -"$2" "$1"
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1"
}

# cpu_ticks PID: user + system CPU time of PID, in clock ticks.
cpu_ticks() {
	local stat
	read -r -a stat <"/proc/$1/stat"
	echo $((stat[13] + stat[14]))
}

ok_response=$'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n'
printf '%s' "$ok_response" >"$tmp/ok1"
printf '%s%s' "$ok_response" "$ok_response" >"$tmp/ok2"
printf 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' >"$tmp/400"
printf 'HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' >"$tmp/431"
many=200000
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n%.0s' $(seq $many) >"$tmp/many.req"
printf -- "$ok_response%.0s" $(seq $many) >"$tmp/many.resp"

# http_until_close REQUEST_FILE: sends it on a new connection, prints all the server sends until
# it closes; fails when it has not closed within 2 s.
http_until_close() {
	local fd
	exec {fd}<>"/dev/tcp/127.0.0.1/$port"
	cat "$1" >&$fd
	timeout 2 cat <&$fd
	local status=$?
	exec {fd}>&-
	return $status
}

# http-hello on epoll and poll, and http-hello-uring (io_uring completions): the same answers.
for backend in epoll poll io_uring; do
	hh="http-hello $backend"
	prog=("$OUT/http-hello" --backend=$backend)
	[[ $backend == io_uring ]] && prog=("$OUT/http-hello-uring")
	if ! start_server "hh-$backend" $backend "${prog[@]}" --port=0; then
		fail "$hh starts and prints its listening line"
		continue
	fi
	pass "$hh starts and prints its listening line"

	exec {fd}<>"/dev/tcp/127.0.0.1/$port"
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n' >&$fd
	timeout 2 head -c "$(wc -c <"$tmp/ok2")" <&$fd >"$tmp/got"
	check "$hh answers two pipelined requests" cmp -s "$tmp/got" "$tmp/ok2"
	printf 'GET / HT' >&$fd
	sleep 0.2
	printf 'TP/1.1\r\nHost: x\r\n\r\n' >&$fd
	timeout 2 head -c "$(wc -c <"$tmp/ok1")" <&$fd >"$tmp/got"
	check "$hh answers a request split over two writes, same connection" cmp -s "$tmp/got" "$tmp/ok1"
	exec {fd}>&-

	printf 'BAD\r\n\r\n' >"$tmp/req"
	http_until_close "$tmp/req" >"$tmp/got"
	check "$hh answers a malformed request line with 400 and closes" cmp -s "$tmp/got" "$tmp/400"
	printf 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$tmp/req"
	http_until_close "$tmp/req" >"$tmp/got"
	check "$hh closes after a Connection: close request" cmp -s "$tmp/got" "$tmp/ok1"
	printf 'GET / HTTP/1.1\r\nX-Big: %09000d\r\n\r\n' 0 >"$tmp/req"
	http_until_close "$tmp/req" >"$tmp/got"
	check "$hh answers a 9 KB head with 431 and closes" cmp -s "$tmp/got" "$tmp/431"

	# The client sends 5 MB of requests and reads nothing for 0.5 s: the responses (14 MB) fill
	# the socket, so the server meets partial writes, waits for writable and stops reading.
	exec {fd}<>"/dev/tcp/127.0.0.1/$port"
	timeout 10 cat "$tmp/many.req" >&$fd &
	writer=$!
	sleep 0.5
	timeout 10 head -c "$(wc -c <"$tmp/many.resp")" <&$fd >"$tmp/got"
	wait $writer
	exec {fd}>&-
	check "$hh answers $many pipelined requests in order" cmp -s "$tmp/got" "$tmp/many.resp"

	stop_server "$server_pid" TERM
	check "$hh exits 0 on SIGTERM" test $? -eq 0
done

# Out of fds: with RLIMIT_NOFILE 16 the server holds ~9 connections; the others must be closed
# at once instead of leaving the listener readable and the loop spinning.
if start_server hh-emfile epoll bash -c "ulimit -n 16 && exec '$OUT/http-hello' --port=0"; then
	conns=()
	for _ in $(seq 20); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$port" && conns+=("$fd")
	done
	sleep 0.3
	before=$(cpu_ticks "$server_pid")
	sleep 1
	after=$(cpu_ticks "$server_pid")
	check "http-hello out of fds does not spin (cpu ticks $before -> $after)" test $((after - before)) -le 10
	check "http-hello out of fds logs the refusals" grep -q 'out of file descriptors' "$tmp/hh-emfile.err"
	for fd in "${conns[@]}"; do
		exec {fd}>&-
	done
	sleep 0.2
	printf 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n' >"$tmp/req"
	http_until_close "$tmp/req" >"$tmp/got"
	check "http-hello serves again once fds are free" cmp -s "$tmp/got" "$tmp/ok1"
	stop_server "$server_pid" TERM
else
	fail "http-hello starts under RLIMIT_NOFILE 16"
fi

# --workers=2: two forked workers, each with its own SO_REUSEPORT listener on the one port.
# children PID: the pids of PID's child processes.
children() {
	cat /proc/"$1"/task/*/children 2>/dev/null
}
# sockets PID: how many sockets PID has open.
sockets() {
	find /proc/"$1"/fd -lname 'socket:*' 2>/dev/null | wc -l
}
if start_server hh-workers epoll "$OUT/http-hello" --workers=2 --port=0; then
	pass "http-hello --workers=2 starts and prints its listening line"
	workers=($(children "$server_pid"))
	check "http-hello --workers=2 runs two worker processes (${workers[*]})" test "${#workers[@]}" -eq 2
	conns=()
	for _ in $(seq 24); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$port" && conns+=("$fd")
		printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' >&$fd
		timeout 2 head -c "$(wc -c <"$tmp/ok1")" <&$fd >"$tmp/got"
		cmp -s "$tmp/got" "$tmp/ok1" || break
	done
	check "http-hello --workers=2 answers 24 connections" cmp -s "$tmp/got" "$tmp/ok1"
	# Each worker holds its listener and the connections the kernel gave it: 24 all on one is a 2^-23 chance.
	a=$(sockets "${workers[0]}") b=$(sockets "${workers[1]}")
	check "http-hello --workers=2: both workers hold connections ($a and $b sockets)" test "$a" -gt 1 -a "$b" -gt 1 -a $((a + b)) -eq 26
	for fd in "${conns[@]}"; do
		exec {fd}>&-
	done
	stop_server "$server_pid" TERM
	check "http-hello --workers=2 exits 0 on SIGTERM" test $? -eq 0
	sleep 0.2
	check "http-hello --workers=2 leaves no worker behind" test -z "$(ps -o pid= -p "${workers[0]},${workers[1]}")"
else
	fail "http-hello --workers=2 starts and prints its listening line"
fi
# A worker that dies makes the parent stop the other one and exit 1.
if start_server hh-workers-kill epoll "$OUT/http-hello" --workers=2 --port=0; then
	workers=($(children "$server_pid"))
	kill -KILL "${workers[0]}"
	for _ in $(seq 50); do
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.1
	done
	wait "$server_pid"
	check "http-hello --workers=2 exits 1 when a worker dies" test $? -eq 1
	check "http-hello --workers=2 says which worker died" grep -q 'worker 1 (pid [0-9]*) was killed by signal 9; stopping the others' "$tmp/hh-workers-kill.err"
	sleep 0.2
	check "http-hello --workers=2 stops the other worker" test -z "$(ps -o pid= -p "${workers[1]}")"
else
	fail "http-hello --workers=2 starts (kill case)"
fi
timeout 5 "$OUT/http-hello" --workers=0 2>/dev/null
check "http-hello refuses --workers=0 with exit 2" test $? -eq 2

# count_ticks FD SECONDS: how many tick lines arrive on FD within SECONDS.
count_ticks() {
	timeout "$2" cat <&"$1" | grep -c '^tick$'
}

for backend in epoll poll; do
	ts="tick-server $backend"
	if ! start_server "ts-$backend" $backend "$OUT/tick-server" --backend=$backend --port=0 --interval=100 --max-clients=2; then
		fail "$ts starts and prints its listening line"
		continue
	fi
	pass "$ts starts and prints its listening line"

	exec {a}<>"/dev/tcp/127.0.0.1/$port"
	check "$ts sends a tick line within 1 s" test "$(timeout 1 head -n 1 <&$a)" = tick
	echo 'hello there' >&$a
	for _ in $(seq 20); do
		grep -q '^client said: hello there$' "$tmp/ts-$backend.err" && break
		sleep 0.05
	done
	check "$ts logs a client's line" grep -q '^client said: hello there$' "$tmp/ts-$backend.err"

	# A line every 30 ms (more often than the 100 ms interval) must not hold the ticks back.
	(for i in $(seq 40); do echo "chatter $i"; sleep 0.03; done >&$a) &
	talker=$!
	# 20 ticks are due in 2 s; a loop starved by the traffic sends none. The bound is loose because a loaded
	# machine delays ticks: this checks that they keep coming, not how punctually (that is make bench).
	ticks=$(count_ticks $a 2)
	wait $talker
	check "$ts keeps ticking under client traffic ($ticks ticks in 2 s)" test "$ticks" -ge 5

	exec {b}<>"/dev/tcp/127.0.0.1/$port"
	timeout 1 head -n 1 <&$b >/dev/null
	exec {c}<>"/dev/tcp/127.0.0.1/$port"
	timeout 1 cat <&$c >"$tmp/got"
	check "$ts closes the client beyond --max-clients at once" test $? -eq 0 -a ! -s "$tmp/got"
	exec {c}>&-

	head -c 2000 /dev/zero | tr '\0' x >&$b
	timeout 2 cat <&$b >/dev/null 2>&1
	check "$ts disconnects a client sending a line over 1024 bytes" test $? -ne 124
	exec {b}>&- {a}>&-

	stop_server "$server_pid" INT
	check "$ts exits 0 on SIGINT" test $? -eq 0
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
