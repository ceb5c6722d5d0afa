#!/bin/sh
# From a fresh Debian 12 checkout to a running server or a tested build.
#
#   packaging/bootstrap.sh serve   install what building and the walkthrough need,
#                                  build, and serve zones/ on 127.0.0.1:5353 (as
#                                  the system user switchboard, created if missing)
#   packaging/bootstrap.sh test    install what building and testing need, then
#                                  build and run every test three times: a normal
#                                  build (build/), an ASan/UBSan build
#                                  (build-asan/) and a TSan build (build-tsan/);
#                                  then fuzz every parser for a bounded time
#                                  with libFuzzer (build-fuzz/, clang)
#
# Run as root (or with sudo available). Everything comes from Debian's archive.
set -eu
cd "$(dirname "$0")/.."

BUILD_DEPS="build-essential cmake pkg-config libldns-dev libuv1-dev libcurl4-openssl-dev
            libc-ares-dev libsodium-dev libjansson-dev liburcu-dev
            libmicrohttpd-dev libcap-dev libnats-dev libmaxminddb-dev libsystemd-dev
            pandoc ca-certificates"
WALKTHROUGH_DEPS="bind9-dnsutils python3"
TEST_DEPS="libcmocka-dev python3 python3-dnspython clang-format unbound openssl
           libcap2-bin strace systemd nsd nats-server clang libclang-rt-14-dev
           python3-maxminddb mmdb-bin man-db debhelper lintian
           chromium python3-websocket"

say() { printf '\n==> %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else echo "bootstrap: run as root (or install sudo) to install packages" >&2; exit 1
    fi
}

install() {
    say "installing Debian packages: $*"
    as_root apt-get update -q
    # shellcheck disable=SC2086
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# The tests start NSD and unbound themselves, on loopback ports of their
# own; installing them must not start their system services (on port 53,
# where they could also clash with each other). policy-rc.d is Debian's way
# to say so, for the length of the install only.
install_without_services() {
    if [ -e /usr/sbin/policy-rc.d ]; then
        install "$@"
        return
    fi
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod 755 /usr/sbin/policy-rc.d
    status=0
    install "$@" || status=$?
    as_root rm -f /usr/sbin/policy-rc.d
    return $status
}

# The system user the server runs as once its sockets are open, as the
# systemd unit and packaging/switchboard.sysusers make it.
ensure_user() {
    if ! getent passwd switchboard >/dev/null; then
        say "creating the system user switchboard"
        as_root useradd --system --user-group --no-create-home --home-dir /var/lib/switchboard \
            --shell /usr/sbin/nologin --comment "Switchboard DNS traffic manager" switchboard
    fi
}

build() { # build DIR [cmake options...]
    dir=$1
    shift
    say "building in $dir"
    cmake -S . -B "$dir" "$@"
    cmake --build "$dir" -j "$(nproc)"
}

run_tests() { # run_tests DIR [ctest options]: a build without tests is a failure, not a pass
    dir=$1
    shift
    ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$(nproc)" "$@"
}

case "${1:-}" in
serve)
    # shellcheck disable=SC2086
    install $BUILD_DEPS $WALKTHROUGH_DEPS
    build build -DSB_BUILD_TESTS=OFF
    ensure_user
    say "serving zones/ on 127.0.0.1:5353 as user switchboard (Ctrl-C stops it)"
    exec ./build/switchboard serve --zones zones --geo-database build/demo-geo.mmdb \
        --listen 127.0.0.1:5353 --user switchboard
    ;;
test)
    # shellcheck disable=SC2086
    install_without_services $BUILD_DEPS $TEST_DEPS
    # Tests on explicitly: `serve` configures build/ without them, and
    # CMake's cache would otherwise keep that.
    build build -DSB_BUILD_TESTS=ON
    say "running the tests (build/)"
    run_tests build
    build build-asan -DCMAKE_BUILD_TYPE=Debug -DSB_SANITIZE=address,undefined
    say "running the tests under ASan and UBSan (build-asan/)"
    run_tests build-asan
    build build-tsan -DCMAKE_BUILD_TYPE=Debug -DSB_SANITIZE=thread
    say "running the tests under ThreadSanitizer (build-tsan/)"
    run_tests build-tsan
    say "building the fuzzers (build-fuzz/)"
    CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSB_FUZZ=ON -DSB_BUILD_TESTS=ON
    cmake --build build-fuzz -j "$(nproc)" --target fuzzers
    say "fuzzing each parser for a bounded time (build-fuzz/)"
    run_tests build-fuzz -L fuzz
    say "all tests passed"
    ;;
*)
    echo "usage: packaging/bootstrap.sh serve|test" >&2
    exit 2
    ;;
esac
