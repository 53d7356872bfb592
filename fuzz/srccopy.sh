#!/bin/sh
# fuzz/srccopy.sh: prints the source directory a second configuration of
# brine can be built from, copying the tree to DEST when it must. Used by
# build.sh and coverage.sh: the tree may be configured in place (README's
# Quick start does that), and automake then refuses any other build of it.
# Usage: fuzz/srccopy.sh SRCDIR DEST. The copy holds the files git knows,
# tracked or new (not ignored), so uncommitted work is built too; configure is
# made again there. FUZZ_NO_COPY=1 reuses an earlier copy as it is, to try a
# fix in it first.
set -eu
srcdir=$1 dest=$2

if [ -n "${FUZZ_NO_COPY:-}" ] && [ -x "$dest/configure" ]; then
    echo "$dest"
elif [ -d "$srcdir/.git" ] && command -v git >/dev/null 2>&1; then
    mkdir -p "$dest"
    (cd "$srcdir" && git ls-files -z -co --exclude-standard |
        xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\0" "$f"; done; true' sh |
        tar --null -T - -cf -) | (cd "$dest" && tar -xf -)
    if [ ! -x "$dest/configure" ] || [ "$dest/configure.ac" -nt "$dest/configure" ]; then
        (cd "$dest" && autoreconf -fi >/dev/null 2>&1) || {
            echo "fuzz/srccopy.sh: autoreconf failed in $dest" >&2
            exit 1
        }
    fi
    echo "$dest"
elif [ ! -f "$srcdir/config.status" ]; then
    echo "$srcdir"
else
    echo "fuzz/srccopy.sh: $srcdir is configured in place and is not a git checkout:" \
        "run make distclean there or build from a clean tree" >&2
    exit 1
fi
