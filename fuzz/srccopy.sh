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
elif [ -e "$srcdir/.git" ] && command -v git >/dev/null 2>&1; then
    # (.git is a file in a git worktree, a directory in a clone.)
    # Only files whose content changed are copied, and they get the time of
    # the copy: make then rebuilds exactly what changed, even when a file
    # goes back to an older version (which tar would restore with its older
    # time, leaving stale objects behind).
    stage=$dest.new
    rm -rf "$stage"
    mkdir -p "$stage" "$dest"
    (cd "$srcdir" && git ls-files -z -co --exclude-standard |
        xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\0" "$f"; done; true' sh |
        tar --null -T - -cf -) | (cd "$stage" && tar -xf -)
    (cd "$stage" && find . -type f) | while IFS= read -r f; do
        if ! cmp -s "$stage/$f" "$dest/$f"; then
            mkdir -p "$(dirname "$dest/$f")"
            cp "$stage/$f" "$dest/$f"
        fi
    done
    rm -rf "$stage"
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
