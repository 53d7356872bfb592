#!/bin/sh
# yaml_interop.sh: runs yaml_interop.py (PyYAML, Debian's python3-yaml, as
# the other side of brine's yaml plugin) with a Python that has the module:
# $PYTHON3 from configure, else python3, else /usr/bin/python3. Skips (77)
# only when none has it.
srcdir=${BRINE_TEST_SRCDIR:-$(dirname "$0")}
for py in "$PYTHON3" python3 /usr/bin/python3; do
    [ -n "$py" ] || continue
    if "$py" -c 'import yaml' 2>/dev/null; then
        exec "$py" "$srcdir/yaml_interop.py"
    fi
done
echo "yaml_interop: SKIP: no python3 with the yaml module (apt-get install python3-yaml)"
exit 77
