#!/usr/bin/env bash
# Builds upstream MicroPython's unix port with natmod/ as a user C module (the
# sim port inside) and python/ frozen through our manifest.py, then runs the
# API scenarios on that firmware with nothing but the scenarios on the path.
#
#   tools/packaging/usermod_check.sh [MPY_SRC]      (default /tmp/mpsrc)
#
# MPY_SRC is copied to $MPY_BUILD (default /tmp/mpbuild) first; the source
# tree is never written.  Needs only gcc and make: btree and ssl (their
# submodules) are left out; asyncio (extmod) is frozen beside our package.
set -euo pipefail
SRC=${1:-/tmp/mpsrc}
BUILD=${MPY_BUILD:-/tmp/mpbuild}
JOBS=${JOBS:-2}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
[ -f "$SRC/py/mpconfig.h" ] || { echo "usermod-check: no MicroPython source tree at $SRC" >&2; exit 2; }
[ "$(cd "$SRC" && pwd)" != "$(mkdir -p "$BUILD" && cd "$BUILD" && pwd)" ] || {
    echo "usermod-check: MPY_BUILD must differ from the source tree" >&2; exit 2; }

start=$(date +%s)
echo "usermod-check: copying $SRC to $BUILD"
(cd "$SRC" && tar --exclude=./.git --exclude='./ports/*/build*' --exclude='./mpy-cross/build' -cf - \
    py extmod shared lib/libm lib/libm_dbl lib/littlefs lib/oofatfs lib/re1.5 lib/uzlib \
    lib/crypto-algorithms lib/mbedtls_errors mpy-cross ports/unix tools drivers) | (cd "$BUILD" && tar -xf -)

cat > "$BUILD/i2ct_manifest.py" <<MANIFEST
include("\$(MPY_DIR)/extmod/asyncio")
include("$REPO/manifest.py", sim=True)
MANIFEST

# The frozen-content rule insists on a micropython-lib checkout (README.md);
# our manifest needs nothing from it, so an empty stand-in does (no network).
mkdir -p "$BUILD/no-micropython-lib" && echo "empty stand-in" > "$BUILD/no-micropython-lib/README.md"

echo "usermod-check: mpy-cross"
make -s -C "$BUILD/mpy-cross" -j"$JOBS" >/dev/null
echo "usermod-check: unix port (USER_C_MODULES=$REPO/natmod)"
make -s -C "$BUILD/ports/unix" -j"$JOBS" VARIANT=standard \
    USER_C_MODULES="$REPO/natmod" FROZEN_MANIFEST="$BUILD/i2ct_manifest.py" \
    MPY_LIB_DIR="$BUILD/no-micropython-lib" MICROPY_PY_BTREE=0 MICROPY_PY_SSL=0 2>&1 | grep -v '^Including User C Module' || true
FW="$BUILD/ports/unix/build-standard/micropython"
[ -x "$FW" ] || { echo "usermod-check: build failed (no $FW)" >&2; exit 1; }
built=$(date +%s)
echo "usermod-check: built $FW in $((built - start)) s"

# Nothing of ours on the path: the module and the package must be built in.
cd "$REPO/tests/scenarios"
export MICROPYPATH="$REPO/tests/scenarios:.frozen"
"$FW" -c "
import sys, _i2ct, i2cperipheral
print('_i2ct', type(_i2ct).__name__, 'built in' if not hasattr(_i2ct, '__file__') else _i2ct.__file__)
print('i2cperipheral', i2cperipheral.__file__)
b = i2cperipheral._backend()
print('backend', type(b.lib).__name__, 'port', b.port, 'abi', b.lib.abi_version())
# guard(): refused on a closed target, taken on an open one, dropped by close()
assert _i2ct.guard(0, object()) == -24 and _i2ct.guard(5, None) == -23
assert _i2ct.open(0, 5, 4, b'\\x40', 0) == 0 and _i2ct.guard(0, object()) == 0
assert _i2ct.close(0) == 0 and _i2ct.is_open(0) == 0 and _i2ct.guard(0, None) == 0
print('guard ok')
"
"$FW" run.py
echo "usermod-check: ok ($(( $(date +%s) - start )) s)"
