#!/bin/sh
# Runs every test tier against each build directory named (default: build)
# and ends with the one summary line "N passed, M failed".
#   unit  cmocka binaries (build/tests/*); those that read RTSTAGE_UNIT_DB
#         once more on an empty database of the private cluster
#   fuzz  each libFuzzer target's corpus, replayed
#   e2e   pytest (boto3, AWS CLI) and node --test (AWS SDK for JavaScript)
#         against real build/rtstage processes, once on SQLite and once on
#         a private PostgreSQL cluster (tests/pg.sh)
#   browser  the IVS Web Broadcast SDK in Debian's Chromium (tests/browser,
#         playwright-core), and the web console there and in Debian's
#         Firefox ESR (puppeteer-core), against a real rtstage on SQLite
# The builds run side by side, each in a stream of its own with its own
# PostgreSQL cluster (tests stop and kill their cluster on purpose); each
# stream's output is printed whole when it ends, in the order named.
set -u
[ $# -gt 0 ] || set -- build
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
LOG=$(mktemp -d)
pass=0
fail=0

count() {	# count TIER PASSED FAILED
	pass=$((pass + $2))
	fail=$((fail + $3))
	echo "== $1: $2 passed, $3 failed"
}

e2e() {	# e2e BUILD BACKEND: both end-to-end suites against one back-end
	/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e/py >"$LOG/py" 2>&1
	cat "$LOG/py"
	p=$(grep -Eo '[0-9]+ passed' "$LOG/py" | tail -1 | grep -Eo '[0-9]+')
	f=$(grep -Eo '[0-9]+ (failed|error)' "$LOG/py" | awk '{s+=$1} END {print s+0}')
	[ -z "$p" ] && [ "$f" = 0 ] && f=1	# pytest did not run
	count "$1 e2e python (boto3, aws cli) on $2" "${p:-0}" "$f"

	node_tier "$1 e2e javascript (aws-sdk v3) on $2" tests/e2e/js/
}

node_tier() {	# node_tier TIER DIR: node's test runner on DIR, counted
	node --test --test-reporter=tap "$2" >"$LOG/node" 2>&1
	grep -E '^(not ok|# (pass|fail))' "$LOG/node" || true
	if grep -q '^not ok' "$LOG/node"; then cat "$LOG/node"; fi
	p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$LOG/node")
	f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$LOG/node")
	[ -z "$p" ] && [ -z "$f" ] && f=1
	count "$1" "${p:-0}" "${f:-0}"
}

for dir in tests/e2e/js tests/browser; do
	(cd "$dir" && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; }) >"$LOG/npm" 2>&1 ||
		cat "$LOG/npm"
done

unit() {	# unit TIER BINARY: one cmocka binary, counted
	"$2" >"$LOG/unit" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$LOG/unit")
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$LOG/unit")
	if [ "$rc" != 0 ] || [ -n "$f" ]; then cat "$LOG/unit"; fi
	[ "$rc" != 0 ] && [ -z "$f" ] && f=1	# crashed, or a sanitizer report after the summary
	count "$1" "${p:-0}" "${f:-0}"
}

# Unit tests that read RTSTAGE_UNIT_DB run a second time on the cluster,
# each on an empty database of its own.
UNIT_DB=$(grep -l RTSTAGE_UNIT_DB tests/unit/*.c | sed 's|.*/||; s|\.c$||')

stream() {	# stream BUILD: every tier on one build; writes "PASSED FAILED" to $LOG/total
	BUILD=$1
	# A private PostgreSQL cluster for the second run of the end-to-end
	# suites, removed at the end. Without one, that run counts as a failure.
	PG_DIR=$(mktemp -d)
	trap 'tests/pg.sh remove "$PG_DIR" >/dev/null 2>&1; rm -rf "$PG_DIR"' EXIT
	PG_URL=$(tests/pg.sh init "$PG_DIR" 2>"$LOG/pg.err") || {
		cat "$LOG/pg.err"
		PG_URL=""
		count "$BUILD postgresql cluster" 0 1
	}
	unit_db=0
	for t in "$BUILD"/tests/test_*; do
		case "$t" in *.d) continue ;; esac
		name=$(basename "$t")
		unit "$BUILD unit $name" "$t"
		case " $(echo $UNIT_DB) " in *" $name "*) ;; *) continue ;; esac
		[ -n "$PG_URL" ] || continue
		unit_db=$((unit_db + 1))
		if psql "$PG_URL/postgres" -qc "CREATE DATABASE unit_$unit_db" >"$LOG/unit" 2>&1; then
			RTSTAGE_UNIT_DB="$PG_URL/unit_$unit_db" unit "$BUILD unit $name on postgres" "$t"
		else
			cat "$LOG/unit"
			count "$BUILD unit $name on postgres" 0 1
		fi
	done

	for t in "$BUILD"/fuzz/replay_*; do
		case "$t" in *.d) continue ;; esac
		name=${t##*/replay_}
		if "$t" "tests/fuzz/corpus/$name" >"$LOG/fuzz" 2>&1; then
			count "$BUILD fuzz corpus $name ($(cat "$LOG/fuzz"))" 1 0
		else
			cat "$LOG/fuzz"
			count "$BUILD fuzz corpus $name" 0 1
		fi
	done

	export RTSTAGE_BIN="$ROOT/$BUILD/rtstage"
	e2e "$BUILD" sqlite

	node_tier "$BUILD browser (IVS Web Broadcast SDK in Chromium, console in Firefox)" tests/browser/

	if [ -n "$PG_URL" ]; then
		export RTSTAGE_TEST_PG="$PG_URL" RTSTAGE_TEST_PG_DIR="$PG_DIR"
		e2e "$BUILD" postgres
		unset RTSTAGE_TEST_PG RTSTAGE_TEST_PG_DIR
	fi
	echo "$pass $fail" >"$LOG/total"
}

STREAMS=$(mktemp -d)
trap 'rm -rf "$LOG" "$STREAMS"' EXIT
i=0
for BUILD in "$@"; do
	i=$((i + 1))
	mkdir -p "$STREAMS/$i"
	(LOG="$STREAMS/$i"; pass=0; fail=0; stream "$BUILD") >"$STREAMS/$i/out" 2>&1 &
done
wait
i=0
for BUILD in "$@"; do
	i=$((i + 1))
	cat "$STREAMS/$i/out"
	if [ -f "$STREAMS/$i/total" ]; then
		read -r p f <"$STREAMS/$i/total"
	else
		p=0 f=1
		echo "== $BUILD: the stream did not finish"
	fi
	pass=$((pass + p))
	fail=$((fail + f))
done

rm -rf "$LOG"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
