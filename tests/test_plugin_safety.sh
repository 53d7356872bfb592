#!/bin/bash
# test_plugin_safety.sh: the brine command facing plugin files that are
# hostile or broken (issue #16, Plugins): a sniff function that crashes, a
# plugin that shadows the built-in json, a FIFO named like a plugin, plugin
# files and directories anyone may write to, a file that is not a library,
# and memory running out (ulimit -v) while the plugins load. Each case
# checks exit statuses and the exact reasons brine gives.
set -u

. "${BRINE_TEST_SRCDIR:?BRINE_TEST_SRCDIR must name tests/ in the source tree}/shtest.sh" plugin-safety
: "${BRINE_TEST_BUILDDIR:?BRINE_TEST_BUILDDIR must name tests/ in the build tree}"
LIBS=$BRINE_TEST_BUILDDIR/.libs

# check DESC WANT CMD... [-- TEST...]: runs CMD (stdout in $T/out, stderr in
# $T/err, at most 20 s); it must exit with WANT and each TEST (a shell
# snippet) must hold.
check() {
    local desc=$1 want=$2
    shift 2
    local cmd=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        cmd+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    timeout 20 "${cmd[@]}" >"$T/out" 2>"$T/err"
    local status=$?
    if grep -q -e 'Sanitizer' -e 'runtime error:' "$T/err"; then
        fail "$desc" "sanitizer report: $(head -c 800 "$T/err")"
        return
    fi
    if [ "$status" -ne "$want" ]; then
        fail "$desc" "exit status $status, wanted $want" "stderr: $(head -c 800 "$T/err")"
        return
    fi
    for t in "$@"; do
        if ! eval "$t"; then
            fail "$desc" "does not hold: $t" "stdout: $(head -c 800 "$T/out")" "stderr: $(head -c 800 "$T/err")"
            return
        fi
    done
    pass "$desc"
}

for m in crashsniff evjson; do
    [ -f "$LIBS/$m.so" ] || { echo "SKIP: $LIBS/$m.so was not built"; exit 77; }
done
printf '{"a": [1, 2]}\n' >"$T/data.json"
cp "$T/data.json" "$T/noext"

# ---- a plugin whose sniff function crashes ------------------------------
# A plugin runs in-process; brine calls sniff only when neither -f nor the
# input's extension decides, so the other commands never meet the crash.
mkdir "$T/crash" && cp "$LIBS/crashsniff.so" "$T/crash/"
export BRINE_PLUGIN_PATH=$T/crash
check "formats lists a plugin whose sniff crashes, and survives" 0 "$BRINE" formats --names \
    -- 'grep -qx crashsniff "$T/out"' 'grep -qx json "$T/out"'
check "a .json file is read without sniffing" 0 "$BRINE" show "$T/data.json" \
    -- 'grep -qxF "{'"'"'a'"'"': [1, 2]}" "$T/out"'
check "-f json reads a file without an extension without sniffing" 0 "$BRINE" show -f json "$T/noext" \
    -- 'grep -qxF "{'"'"'a'"'"': [1, 2]}" "$T/out"'
check "convert to msgpack by -t, from .json, survives" 0 "$BRINE" convert "$T/data.json" -t msgpack -o "$T/data.mp" \
    -- '[ -s "$T/data.mp" ]'
# Only sniffing reaches the crash: the signal is the plugin's (SIGSEGV: 139,
# or a sanitizer's report of it, which exits 86 or aborts).
timeout 20 "$BRINE" show "$T/noext" >"$T/out" 2>"$T/err"
status=$?
if [ "$status" -eq 139 ] || { { [ "$status" -eq 86 ] || [ "$status" -eq 134 ]; } && grep -q "SEGV" "$T/err"; }; then
    pass "sniffing an input without an extension calls the crashing plugin"
else
    fail "sniffing an input without an extension calls the crashing plugin" "exit status $status, wanted 139"
fi
unset BRINE_PLUGIN_PATH

# ---- a plugin named json that shadows the built-in ----------------------
mkdir "$T/shadow" && cp "$LIBS/evjson.so" "$T/shadow/"
printf '[2 i1 i2 ]' >"$T/tokens.json"
export BRINE_PLUGIN_PATH=$T/shadow
check "formats shows which json file wins and which is shadowed" 0 "$BRINE" formats \
    -- 'grep -qxF "  file:        $T/shadow/evjson.so" "$T/out"' \
    'grep -q "^  shadows:     .*/json\.\(la\|so\) (a later plugin of the same name, not used)$" "$T/out"'
check "formats --json has the shadowed file" 0 "$BRINE" formats --json \
    -- 'grep -q "\"file\": \"$T/shadow/evjson.so\", \"shadows\": \".*/json\.\(la\|so\)\"" "$T/out"'
check "a command using the shadowing json says so on stderr" 0 "$BRINE" show "$T/tokens.json" \
    -- 'grep -qxF "[1, 2]" "$T/out"' \
    'grep -q "^brine: warning: format '"'"'json'"'"' comes from $T/shadow/evjson.so, which shadows .*/json\.\(la\|so\) (the earlier in the plugin search path wins)$" "$T/err"'
check "the warning is given once per run" 0 "$BRINE" convert -f json -t json "$T/tokens.json" -o "$T/back.json" \
    -- '[ "$(grep -c "warning: format '"'"'json'"'"'" "$T/err")" -eq 1 ]'
check "-q silences the warning" 0 "$BRINE" show -q "$T/tokens.json" -- '[ ! -s "$T/err" ]'
check "a command not using json does not warn" 0 "$BRINE" convert "$T/data.mp" -t native -o "$T/data.nat" \
    -- '[ ! -s "$T/err" ]' '[ -s "$T/data.nat" ]'
unset BRINE_PLUGIN_PATH

# ---- files that must not be opened or are not libraries -----------------
mkdir "$T/odd"
mkfifo "$T/odd/x.so"
printf 'not a library\n' >"$T/odd/garbage.so"
export BRINE_PLUGIN_PATH=$T/odd
check "a FIFO named x.so does not hang formats" 0 "$BRINE" formats \
    -- 'grep -qxF "  $T/odd/x.so: not a regular file" "$T/out"' \
    'grep -qxF "  $T/odd/garbage.so: not a shared library" "$T/out"'
check "a FIFO named x.so does not hang a conversion" 0 "$BRINE" show "$T/data.json"
unset BRINE_PLUGIN_PATH

mkdir "$T/open" && cp "$LIBS/crashsniff.so" "$T/open/" && chmod 0777 "$T/open"
mkdir "$T/sticky" && cp "$LIBS/crashsniff.so" "$T/sticky/" && chmod 1777 "$T/sticky"
mkdir "$T/file" && cp "$LIBS/crashsniff.so" "$T/file/" && chmod 0666 "$T/file/crashsniff.so"
for d in open sticky file; do
    case $d in
    open) why="refused: anyone may write to its directory $T/open (mode 0777)" ;;
    sticky) why="refused: anyone may write to its directory $T/sticky (mode 1777)" ;;
    file) why="refused: anyone may write to the file (mode 0666)" ;;
    esac
    check "a plugin in a world-writable place is refused ($d)" 0 env BRINE_PLUGIN_PATH="$T/$d" "$BRINE" formats \
        -- '! grep -q "^crashsniff " "$T/out"' 'grep -qxF "  $T/'"$d"'/crashsniff.so: '"$why"'" "$T/out"'
done
chmod 0755 "$T/open" "$T/sticky"

# ---- memory running out while the plugins load --------------------------
# Under ulimit -v, mapping a plugin fails; libltdl called that "file not
# found", and brine went on without the format: "unknown output format
# 'native'" (exit 2), or a .json file sniffed as another format. Each limit
# in the sweep must give the right output, "out of memory", or a program
# that cannot start at all (127). The libtool wrapper script is bypassed:
# bash itself would run out of memory first.
real=$(dirname "$BRINE")/.libs/brine
[ -x "$real" ] || real=$BRINE
export LD_LIBRARY_PATH=$(cd "$(dirname "$BRINE")/../core/.libs" 2>/dev/null && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if ! (ulimit -v 200000 && "$real" formats --names >/dev/null 2>&1); then
    echo "ok - # SKIP memory sweep: brine does not run under ulimit -v (a sanitizer build)"
elif grep -q -a __gcov_exit "$real"; then
    # make coverage: libgcov writes its counters at exit and crashes there
    # when memory has run out (after brine said "out of memory").
    echo "ok - # SKIP memory sweep: a coverage build (libgcov's exit handler needs memory)"
else
    bad="" oom=0
    for kb in $(seq 1500 50 9000); do
        (ulimit -v "$kb" && exec "$real" convert "$T/data.json" -t native -o "$T/sweep.nat") >"$T/out" 2>"$T/err"
        status=$?
        if [ "$status" -eq 0 ] || [ "$status" -eq 127 ]; then
            continue
        elif [ "$status" -eq 1 ] && grep -q "out of memory" "$T/err"; then
            oom=$((oom + 1))
        else
            bad="ulimit -v $kb: exit $status: $(head -c 300 "$T/err")"
            break
        fi
    done
    if [ -n "$bad" ]; then
        fail "memory running out while loading plugins is reported as out of memory" "$bad"
    elif [ "$oom" -eq 0 ]; then
        echo "ok - # SKIP memory sweep: no limit in 1500..9000 KiB ran out of memory here"
    else
        pass "memory running out while loading plugins is reported as out of memory ($oom limits)"
    fi
fi

shtest_done
