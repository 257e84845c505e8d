#!/bin/sh
# Installs the Debian packages a make target needs, when they are missing.
#
# Usage: tools/deps.sh build|test|bench|bench-media|fuzz
# As root it runs apt-get; as another user it names what is missing and
# fails, so that nothing half-works.
set -eu

build="gcc make pkg-config python3 libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev libssl-dev libpcre2-dev libsrtp2-dev libcurl4-openssl-dev nodejs"
test="$build libcmocka-dev awscli python3-boto3 python3-pytest python3-cryptography python3-websockets python3-aiortc curl postgresql chromium firefox-esr"
bench="$build wrk nginx-light python3-botocore postgresql"
fuzz="$build clang libclang-rt-14-dev"
bench_media="$build python3-boto3 iproute2 janus linux-perf nodejs chromium"

case "${1:-}" in
build) want=$build ;;
test) want=$test ;;
bench) want=$bench ;;
bench-media) want=$bench_media ;;
fuzz) want=$fuzz ;;
*) echo "usage: $0 build|test|bench|bench-media|fuzz" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
# The console's bundler runs under npm (Debian's own package, or the one a
# nodejs from elsewhere ships).
case " $want " in *" nodejs "*) command -v npm >/dev/null 2>&1 || missing="$missing npm" ;; esac
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "rtstage: missing Debian packages:$missing" >&2
	echo "rtstage: install them with: sudo apt-get install$missing" >&2
	exit 1
fi
echo "rtstage: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
