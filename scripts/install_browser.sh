#!/bin/sh
# The browser the tests in tests/browser drive: the system's Chromium, never a downloaded one.
# Idempotent: does nothing when a Chromium is already on PATH (or GRADER_CHROMIUM names one).
# As root with apt-get (Debian, Ubuntu, CI images) it installs the `chromium` package; otherwise
# it says what to run. It never fails the build: without a browser those tests skip, saying why.
set -eu

for name in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$name" >/dev/null 2>&1; then
        echo "browser tests: using $(command -v "$name")"
        exit 0
    fi
done
if [ -n "${GRADER_CHROMIUM:-}" ] && [ -x "$GRADER_CHROMIUM" ]; then
    echo "browser tests: using $GRADER_CHROMIUM (GRADER_CHROMIUM)"
    exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "browser tests: installing Debian's chromium package"
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || {
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }; then
        echo "browser tests: using $(command -v chromium)"
        exit 0
    fi
    echo "browser tests: installing chromium failed; the tests in tests/browser will skip." >&2
    exit 0
fi

echo "browser tests: no Chromium found. Install it (e.g. 'sudo apt-get install chromium'," >&2
echo "or your system's Chromium/Chrome package), or set GRADER_CHROMIUM to its path;" >&2
echo "until then the tests in tests/browser skip." >&2
exit 0
