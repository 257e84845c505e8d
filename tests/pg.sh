#!/bin/sh
# A private, throw-away PostgreSQL cluster for the tests.
#
#   tests/pg.sh init DIR     make a cluster in DIR (empty or missing) and start it;
#                            prints its URL, postgresql://rtstage@127.0.0.1:PORT
#   tests/pg.sh start DIR    start it again        tests/pg.sh stop DIR   stop it (fast)
#   tests/pg.sh kill DIR     stop it abruptly (immediate: as in a crash)
#   tests/pg.sh remove DIR   stop it and delete DIR
#
# The cluster listens on a free loopback port and keeps its socket in DIR.
# Tests run it with fsync off (a crash of rtstage, not of the machine, is
# what they simulate); RTSTAGE_PG_FSYNC=on makes it durable (make bench).
# PostgreSQL refuses to run as root, so as root the cluster belongs to
# 'nobody'. It trusts loopback connections: it holds nothing but test data.
set -eu

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 init|start|stop|kill|remove DIR" >&2; exit 2; }

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "rtstage: PostgreSQL server binaries not found (Debian package postgresql)" >&2; exit 1; }

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

start() {
	port=$(cat "$dir/port")
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 -s \
		-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=${RTSTAGE_PG_FSYNC:-off}" start
}

case "$cmd" in
init)
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown nobody "$dir"
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	echo "$port" >"$dir/port"
	as_owner "$bin/initdb" -D "$dir/data" -U rtstage -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	start
	echo "postgresql://rtstage@127.0.0.1:$port"
	;;
start) start ;;
stop) as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -s stop ;;
kill) as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -s stop ;;
remove)
	[ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -s stop || true
	rm -rf "$dir"
	;;
*) echo "usage: $0 init|start|stop|kill|remove DIR" >&2; exit 2 ;;
esac
