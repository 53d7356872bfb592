#!/usr/bin/env python3
# gen_errors.py: writes errors.tsv beside it, the broken documents of
# tests/test_json.c. Python's json module gives the message and position
# where it agrees with RFC 8259 (each such row is checked against it here);
# brine-only rows (what Python accepts, or reads as text first) are written
# by hand with their byte offset. Run: python3 data/json/gen_errors.py
import json, os

def esc(b):
    out = []
    for c in b:
        if c == 0x5c: out.append('\\\\')
        elif c == 0x0a: out.append('\\n')
        elif c == 0x09: out.append('\\t')
        elif c < 0x20 or c >= 0x7f: out.append('\\x%02x' % c)
        else: out.append(chr(c))
    return ''.join(out)

def pos_of(b, off):
    # characters = bytes that are not UTF-8 continuation bytes
    chars = sum(1 for c in b[:off] if (c & 0xc0) != 0x80)
    line = b[:off].count(b'\n') + 1
    last = b.rfind(b'\n', 0, off)
    col = sum(1 for c in b[last + 1:off] if (c & 0xc0) != 0x80) + 1
    return chars, line, col

rows = []
def py(doc, code, path):
    b = doc.encode() if isinstance(doc, str) else doc
    try:
        json.loads(b.decode())
        raise SystemExit('python accepts %r' % doc)
    except json.JSONDecodeError as e:
        off = len(b.decode()[:e.pos].encode())
        chars, line, col = pos_of(b, off)
        assert (chars, line, col) == (e.pos, e.lineno, e.colno), (doc, chars, line, col, e)
        rows.append((b, code, off, line, col, path, str(e)))

def ours(doc, code, off, path, msg):
    b = doc.encode() if isinstance(doc, str) else doc
    chars, line, col = pos_of(b, off)
    rows.append((b, code, off, line, col, path, '%s: line %d column %d (char %d)' % (msg, line, col, chars)))

T, S, U = 'TRUNCATED', 'SYNTAX', 'UTF8'
py('', T, '$'); py('   ', T, '$'); py('[1,', T, '$[1]'); py('[', T, '$[0]'); py('{', T, '$')
py('[1', T, '$[0]'); py('{"a":1,}', S, '$.a'); py('[1,]', S, '$[1]'); py('1.', S, '$')
py('01', S, '$'); py('[01]', S, '$[0]'); py('-', T, '$'); py('-x', S, '$'); py('"abc', T, '$')
py('["ok", "abc', T, '$[1]'); py('"a\x01"', S, '$'); py('"a\nb"', S, '$'); py('"\\x"', S, '$')
py('"\\u12"', S, '$'); py('"\\u12', T, '$'); py('[1] x', S, '$'); py('nan', S, '$'); py('.5', S, '$')
py('+1', S, '$'); py('{"a" 1}', S, '$'); py('{1:2}', S, '$'); py("{'a':1}", S, '$'); py('[1 2]', S, '$[0]')
py('[tru', T, '$[0]'); py('[trux]', S, '$[0]'); py('{"a":[1,{"b":x}]}', S, '$.a[1].b')
py('{\n  "a": [\n    1,\n    x\n  ]\n}', S, '$.a[1]'); py('{"a b":[}', S, '$["a b"][0]')
py('[1]]', S, '$'); py('{"a":1}}', S, '$'); py('["é", x]', S, '$[1]'); py('\ufeff[]', S, '$')
py('{"a":1 "b":2}', S, '$.a'); py('1e', S, '$'); py('1e+', S, '$'); py('[1.e5]', S, '$[0]')
py('[-01]', S, '$[0]'); py('"\\u00zz"', S, '$'); py('[1,,2]', S, '$[1]'); py('{"a":}', S, '$.a')
py('{,}', S, '$'); py('[] []', S, '$')
# brine's own: what Python accepts or reads as text first.
rows.append(None)
ours('NaN', S, 0, '$', 'Expecting value'); ours('[Infinity]', S, 1, '$[0]', 'Expecting value')
ours(b'"\xff"', U, 1, '$', 'Invalid UTF-8 byte 0xff in string')
ours(b'["a", "b\xc3"]', U, 8, '$[1]', 'Invalid UTF-8 byte 0xc3 in string')
ours(b'"\xed\xa0\x80"', U, 1, '$', 'Invalid UTF-8 byte 0xed in string')
ours(b'"\xc0\xaf"', U, 1, '$', 'Invalid UTF-8 byte 0xc0 in string')
ours(b'{"k\xf4\x90\x80\x80": 1}', U, 3, '$', 'Invalid UTF-8 byte 0xf4 in string')
# A str value's UTF-8 is checked by core; the first fault in the input still wins.
ours(b'{"a": [1, {"b": "x\xe3\x81"}]}', U, 18, '$.a[1].b', 'Invalid UTF-8 byte 0xe3 in string')
ours(b'["ok\xff\x01"]', U, 4, '$[0]', 'Invalid UTF-8 byte 0xff in string')
ours(b'["a\xfe\\n"]', U, 3, '$[0]', 'Invalid UTF-8 byte 0xfe in string')
ours(b'["\xc3', U, 2, '$[0]', 'Invalid UTF-8 byte 0xc3 in string')
ours(b'[\n "\xe6\x97\xa5\xe6\x97"]', U, 7, '$[0]', 'Invalid UTF-8 byte 0xe6 in string')
ours(b'{"k": "\\n\xe6\x97"}', U, 9, '$.k', 'Invalid UTF-8 byte 0xe6 in string')
ours(b'["x\xe6\x97\xa5", "\xf5"]', U, 10, '$[1]', 'Invalid UTF-8 byte 0xf5 in string')
ours('"\\ud800"', U, 1, '$', 'Lone surrogate \\ud800 in string')
ours('"\\udc00"', U, 1, '$', 'Lone surrogate \\udc00 in string')
ours('["\\ud83d\\u0041"]', U, 2, '$[0]', 'Lone surrogate \\ud83d in string')
ours('"x\\ud83dx"', U, 2, '$', 'Lone surrogate \\ud83d in string')
ours('{"$tuple": [1], "x": 2}', S, 14, '$', "Expecting '}' to close the $tuple tag")
ours('{"$bytes": "AA!="}', S, 11, '$', 'Invalid base64 in the $bytes tag')
ours('{"$bytes": "AAE"}', S, 11, '$', 'Invalid base64 in the $bytes tag')
ours('{"$float": "nope"}', S, 11, '$', 'Invalid $float value')
ours('{"$int": "12"}', S, 9, '$', 'Invalid $int value: expecting hex digits like "-0x1f"')
ours('{"$model": "M", "state": 1}', S, 16, '$', 'Expecting "args" in the $model tag')
ours('{"$model": "M", "args": 5, "state": 1}', S, 24, '$.args', 'Expecting an array for the args of a $model tag')
ours('{"$model": "M", "args": [], "x": 1}', S, 28, '$.state', 'Expecting "state" in the $model tag')
ours('{"$model": "M", "args": [], "state": 1, "x": 2}', S, 38, '$.state', "Expecting '}' to close the $model tag")
ours('{"$complex": [1]}', S, 15, '$', "Expecting ',' delimiter")
ours('{"$complex": [1, "x"]}', S, 17, '$', 'Expecting a number in the $complex tag')
ours('{"$complex": [1, 2, 3]}', S, 18, '$', "Expecting ']' to close the $complex pair")
ours('{"$anchor": 1, "$list": []}', 'UNSUPPORTED', 0, '$', 'The document uses references ($anchor): decode it with the refs option')
ours('[{"$alias": 1}]', 'UNSUPPORTED', 1, '$[0]', 'The document uses references ($alias): decode it with the refs option')

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'errors.tsv'), 'w') as f:
    f.write('# Broken JSON documents and the error each must give (tests/test_json.c).\n')
    f.write('# Columns, tab-separated: document (\\\\ \\n \\t \\xHH escapes), brine_status name,\n')
    f.write('# byte offset, line, column, path, message. Written by gen_errors.py.\n')
    f.write('# Python 3.11 json.loads gives the same message and position:\n')
    for row in rows:
        if row is None:
            f.write('# brine only: what Python accepts, or reads as text first:\n')
            continue
        b, code, off, line, col, path, msg = row
        f.write('\t'.join([esc(b), code, str(off), str(line), str(col), path, msg]) + '\n')
print(sum(1 for r in rows if r), 'rows')
