#!/bin/bash
# The netlink spec Documentation/netlink/specs/apsm.yaml:
#   1. parses as YAML (and carries the SPDX line the kernel's tools need);
#   2. validates against the kernel's genetlink-legacy JSON schema when a
#      kernel tree that ships one is at hand (APSM_NETLINK_SCHEMA, or the
#      unpacked source tree in $APSM_CACHE; 6.1 predates it, so this step
#      is usually skipped and said so);
#   3. matches uapi/linux/apsm.h exactly: C names are derived from the spec
#      with the netlink-spec naming rules (name-prefix, enum-name,
#      enum-cnt-name, max-by-define, c-define-name, ...), a C program built
#      against the header prints every derived name's value, and every enum
#      member and #define of the header must be in the spec with the same
#      value (and vice versa); attribute types, lengths, enums, repetition
#      and nesting, admin flags and dumps must match the header's top
#      comment; the ops registered in src/**/*.c must match flags and dump.
# Then it proves it can fail: a copy of the header with one attribute added,
# and one with two attributes swapped, must both be rejected.
#
#   tests/host/yaml-spec.sh [SPEC [HEADER]]   (with arguments: no self-test)
set -eu
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lib.sh
. tests/lib.sh
ROOT=$PWD

SPEC=${1:-$ROOT/Documentation/netlink/specs/apsm.yaml}
HDR=${2:-$ROOT/uapi/linux/apsm.h}
PY=/usr/bin/python3
CC=${CC:-cc}

SCHEMA=""
for s in "${APSM_NETLINK_SCHEMA:-}" \
	"${APSM_CACHE:-$HOME/.cache/apsm}/linux-source-6.1/Documentation/netlink/genetlink-legacy.yaml"; do
	if [ -f "$s" ]; then
		SCHEMA=$s
		break
	fi
done
[ -n "$SCHEMA" ] || { echo "note: no genetlink-legacy.yaml schema at hand: schema validation skipped"; SCHEMA=none; }
"$PY" -c 'import yaml, jsonschema' 2>/dev/null ||
	fail "$PY lacks python3-yaml / python3-jsonschema (run scripts/deps.sh)"
command -v "$CC" >/dev/null || fail "no C compiler ($CC)"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cat >"$TMP/check.py" <<'EOF'
import os
import re
import subprocess
import sys

import jsonschema
import yaml

spec_path, hdr_path, schema_path, root, cc, tmp = sys.argv[1:7]
errors = []


def fail(msg):
    errors.append(msg)
    print('FAIL: ' + msg)


def note(msg):
    print('note: ' + msg)


def cu(s):
    return s.upper().replace('-', '_')


def cl(s):
    return s.lower().replace('-', '_')


# ---- 1. parse ---------------------------------------------------------------
with open(spec_path, encoding='utf-8') as f:
    first = f.readline()
    f.seek(0)
    spec = yaml.safe_load(f)
if not first.startswith('# SPDX-License-Identifier: '):
    fail('spec: first line must be the SPDX license tag')
if not isinstance(spec, dict):
    print('FAIL: spec is not a YAML mapping')
    sys.exit(1)
print('ok: spec parses')

# ---- 2. schema --------------------------------------------------------------
schema_errs = []
if schema_path != 'none':
    with open(schema_path, encoding='utf-8') as f:
        schema = yaml.safe_load(f)
    cls = jsonschema.Draft7Validator     # the schema's $schema: draft-07
    cls.check_schema(schema)
    schema_errs = sorted(cls(schema).iter_errors(spec),
                         key=lambda e: list(e.path))
for e in schema_errs:
    fail('schema: %s: %s' % ('/'.join(str(p) for p in e.path), e.message))
if spec.get('protocol') != 'genetlink-legacy':
    fail('spec: protocol must be genetlink-legacy')
if schema_path != 'none' and not schema_errs:
    print('ok: spec validates against %s' % schema_path)

# ---- 3a. the C names and values the spec defines -----------------------------
F = spec['name']
# enums: tag -> {'members': {name: value}, 'optional': {name: value}}
enums = {}
# defines: name -> value (int or str); optional defines likewise
defines = {}
opt_defines = {}
max_by_define = spec.get('max-by-define', False)


def add_enum(tag, members, optional, what):
    if tag in enums:
        fail('spec: two enums render as enum %s (%s)' % (tag, what))
    enums[tag] = {'members': members, 'optional': optional, 'what': what}


def add_define(name, value, optional=False):
    (opt_defines if optional else defines)[name] = value


add_define(cu(spec.get('c-family-name', F + '_FAMILY_NAME')), F)
add_define(cu(spec.get('c-version-name', F + '_FAMILY_VERSION')),
           spec.get('version', 1))

consts = {}     # spec const name -> value
enum_defs = {}  # spec enum name -> C tag
for d in spec.get('definitions', []):
    if d.get('header'):
        continue
    name = d['name']
    if d['type'] == 'const':
        consts[name] = d['value']
        add_define(cu(F + '-' + name), d['value'])
        continue
    if d['type'] not in ('enum', 'flags'):
        fail('spec: definition %s: type %s not checked' % (name, d['type']))
        continue
    if 'enum-name' in d:
        tag = cl(d['enum-name']) if d['enum-name'] else '<anon %s>' % name
    else:
        tag = cl(F + '-' + name)
    enum_defs[name] = tag
    pfx = d.get('name-prefix', F + '-' + name + '-')
    start = d.get('value-start', 0)
    if not isinstance(start, int):
        fail('spec: %s: non-literal value-start not supported' % name)
        start = 0
    members, optional = {}, {}
    val, last, mask = start, None, 0
    for e in d['entries']:
        if isinstance(e, str):
            e = {'name': e}
        val = e.get('value', val)
        v = (1 << val) if d['type'] == 'flags' else val
        members[cu(pfx + e['name'])] = v
        mask |= v
        last = val
        val += 1
    if d.get('render-max'):
        if d['type'] == 'flags':
            members[cu(pfx + 'mask')] = mask
        else:
            cnt = cu(d.get('enum-cnt-name', '__' + pfx + 'max'))
            members[cnt] = (last if last is not None else start - 1) + 1
            # The generator also renders PFX_MAX = cnt - 1; hand-written
            # uapi headers may leave it out.
            optional[cu(pfx + 'max')] = members[cnt] - 1
    add_enum(tag, members, optional, 'definition ' + name)

sets = {}      # set name -> {attr name: attr dict}
set_tags = {}  # set name -> C tag
cattr = {}     # C attr name -> (set name, attr dict)
for s in spec['attribute-sets']:
    if s.get('subset-of'):
        continue
    name = s['name']
    if 'enum-name' in s:
        tag = cl(s['enum-name']) if s['enum-name'] else '<anon set %s>' % name
    else:
        tag = '<anon set %s>' % name
    set_tags[name] = tag
    pfx = s.get('name-prefix', F + '-a-' if name == F else F + '-a-' + name + '-')
    members = {}
    val = 1
    sets[name] = {}
    for a in s['attributes']:
        val = a.get('value', val)
        cname = cu(pfx + a['name'])
        members[cname] = val
        sets[name][a['name']] = a
        cattr[cname] = (name, a)
        val += 1
    cnt = cu(s.get('attr-cnt-name', '__' + pfx + 'max'))
    mx = cu(s.get('attr-max-name', pfx + 'max'))
    members[cnt] = val
    if max_by_define:
        add_define(mx, val - 1)
    else:
        members[mx] = val - 1
    add_enum(tag, members, {}, 'attribute-set ' + name)

ops_y = spec['operations']
if ops_y.get('enum-model', 'unified') != 'unified':
    fail('spec: only the unified enum-model is checked')
op_pfx = ops_y.get('name-prefix', F + '-cmd-')
if 'enum-name' in ops_y:
    op_tag = cl(ops_y['enum-name']) if ops_y['enum-name'] else '<anon ops>'
else:
    op_tag = '<anon ops>'
members = {}
ops = {}    # C cmd name -> op dict
val = 1
for o in ops_y['list']:
    val = o.get('value', val)
    members[cu(op_pfx + o['name'])] = val
    ops[cu(op_pfx + o['name'])] = o
    val += 1
cnt = cu(spec.get('cmd-cnt-name', '__' + op_pfx + 'max'))
mx = cu(spec.get('cmd-max-name', op_pfx + 'max'))
members[cnt] = val
if max_by_define:
    add_define(mx, val - 1)
else:
    members[mx] = val - 1
add_enum(op_tag, members, {}, 'operations')

mcgrps = {}
for g in spec.get('mcast-groups', {}).get('list', []):
    mcgrps[g['name']] = g
    add_define(cu(g.get('c-define-name', F + '-mcgrp-' + g['name'])), g['name'])

# ---- 3b. internal references of the spec -------------------------------------
limit_re = re.compile(r'^[su](8|16|32|64)-(min|max)$')
for sname, attrs in sets.items():
    for aname, a in attrs.items():
        where = 'spec: %s.%s' % (sname, aname)
        if 'enum' in a and a['enum'] not in enum_defs:
            fail('%s: unknown enum %s' % (where, a['enum']))
        if a['type'] == 'nest':
            if a.get('nested-attributes') not in sets:
                fail('%s: nest without a known nested-attributes' % where)
        elif 'nested-attributes' in a:
            fail('%s: nested-attributes on a %s' % (where, a['type']))
        for k, v in a.get('checks', {}).items():
            if isinstance(v, int) or k == 'unterminated-ok':
                continue
            base = v[:-4] if v.endswith(' - 1') else v
            if base not in consts and not limit_re.match(base):
                fail('%s: check %s: %s is no const of the spec' % (where, k, v))
for cname, o in ops.items():
    where = 'spec: op %s' % o['name']
    if 'attribute-set' in o and o['attribute-set'] not in sets:
        fail('%s: unknown attribute-set' % where)
    aset = sets.get(o.get('attribute-set'), {})
    for mode in ('do', 'dump'):
        for part in ('request', 'reply'):
            for an in (o.get(mode) or {}).get(part, {}).get('attributes', []):
                if an not in aset:
                    fail('%s: %s %s: no attribute %s' % (where, mode, part, an))
    for an in o.get('event', {}).get('attributes', []):
        if an not in aset:
            fail('%s: event: no attribute %s' % (where, an))
    if 'mcgrp' in o and o['mcgrp'] not in mcgrps:
        fail('%s: unknown mcgrp %s' % (where, o['mcgrp']))

# ---- 3c. the header: enums and defines ---------------------------------------
with open(hdr_path, encoding='utf-8') as f:
    hraw = f.read()
hsrc = re.sub(r'/\*.*?\*/', ' ', hraw, flags=re.S)
hsrc = re.sub(r'//[^\n]*', ' ', hsrc)
h_enums = {}
for m in re.finditer(r'\benum\s+(\w*)\s*\{(.*?)\}\s*;', hsrc, re.S):
    tag = m.group(1) or '<anon header enum %d>' % len(h_enums)
    names = [p.split('=')[0].strip() for p in m.group(2).split(',')]
    h_enums[tag] = [n for n in names if n]
h_defines = {}
for m in re.finditer(r'^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]*(.*)$', hsrc, re.M):
    if m.group(2).strip() == '' and m.group(1).startswith('_'):
        continue        # the include guard
    h_defines[m.group(1)] = m.group(2).strip()

for tag, names in h_enums.items():
    if tag not in enums:
        fail('header: enum %s (%s) is not in the spec' % (tag, ', '.join(names)))
        continue
    y = enums[tag]
    for n in names:
        if n not in y['members'] and n not in y['optional']:
            fail('header: enum %s member %s is missing from the spec (%s)'
                 % (tag, n, y['what']))
    for n in y['members']:
        if n not in names:
            fail('spec: %s renders %s, enum %s in the header lacks it'
                 % (y['what'], n, tag))
for tag, y in enums.items():
    if tag not in h_enums:
        fail('spec: %s renders enum %s, the header has none' % (y['what'], tag))
for n in h_defines:
    if n not in defines and n not in opt_defines:
        fail('header: #define %s is missing from the spec' % n)
for n in defines:
    if n not in h_defines:
        fail('spec: renders #define %s, the header lacks it' % n)

# ---- 3d. values, from a C program built against the header -------------------
want = {}
for tag, y in enums.items():
    for n, v in list(y['members'].items()) + list(y['optional'].items()):
        if n in h_enums.get(tag, []):
            want[n] = v
for d in (defines, opt_defines):
    for n, v in d.items():
        if n in h_defines:
            want[n] = v
prog = ['#include <stdio.h>', '#include <linux/apsm.h>', '',
        'int main(void)', '{']
for n, v in sorted(want.items()):
    if isinstance(v, str):
        prog.append('\tprintf("%%s=s:%%s\\n", "%s", %s);' % (n, n))
    else:
        prog.append('\tprintf("%%s=i:%%lld\\n", "%s", (long long)(%s));'
                    % (n, n))
prog += ['\treturn 0;', '}', '']
csrc, cbin = os.path.join(tmp, 'names.c'), os.path.join(tmp, 'names')
with open(csrc, 'w') as f:
    f.write('\n'.join(prog))
incdir = os.path.join(tmp, 'inc')
os.makedirs(os.path.join(incdir, 'linux'), exist_ok=True)
hcopy = os.path.join(incdir, 'linux', 'apsm.h')
with open(hcopy, 'w') as f:
    f.write(hraw)
r = subprocess.run([cc, '-std=gnu11', '-Wall', '-Werror', '-I', incdir,
                    '-o', cbin, csrc], capture_output=True, text=True)
if r.returncode:
    fail('cc: the derived names do not compile against the header:\n'
         + r.stderr)
else:
    out = subprocess.run([cbin], capture_output=True, text=True,
                         check=True).stdout
    got = {}
    for line in out.splitlines():
        n, tv = line.split('=', 1)
        got[n] = tv[2:] if tv.startswith('s:') else int(tv[2:])
    bad = 0
    for n, v in sorted(want.items()):
        if got.get(n) != v:
            fail('value: %s is %r in the header, %r in the spec'
                 % (n, got.get(n), v))
            bad += 1
    if not bad:
        print('ok: %d names have the same value in spec and header'
              % len(want))

# ---- 3e. the header's top comment: types, nesting, admin, dumps ---------------
doc = re.search(r'/\*(.*?)\*/', re.sub(r'^/\* SPDX[^\n]*\n', '', hraw),
                re.S).group(1)
lines = [re.sub(r'^\s?\*', '', l) for l in doc.split('\n')]
doc_flat = ' '.join(l.strip() for l in lines)
attr_line = re.compile(
    r'^(\s*)(APSM_\w+(?:,\s*(?:APSM_\w+|_\w+))*):\s+'
    r'(u8|u16|u32|u64|string|binary|NESTED)\b(\(([^)]*)\))?(.*)$')
documented = set()


def check_attr(cname, typ, arg, rest, parent_set):
    if cname not in cattr:
        fail('header comment: documents %s, no attribute of the spec' % cname)
        return None
    sname, a = cattr[cname]
    documented.add(cname)
    where = 'spec: %s (%s.%s)' % (cname, sname, a['name'])
    want_t = 'nest' if typ == 'NESTED' else typ
    if a['type'] != want_t:
        fail('%s: type %s, the header says %s' % (where, a['type'], typ))
    chk = a.get('checks', {})
    if typ == 'binary' and arg:
        if re.fullmatch(r'\d+', arg):
            if chk.get('exact-len') != int(arg):
                fail('%s: header says binary(%s), want exact-len' % (where, arg))
        elif re.fullmatch(r'\d+\|\d+', arg):
            lo, hi = (int(x) for x in arg.split('|'))
            if chk.get('min-len') != lo or chk.get('max-len') != hi:
                fail('%s: header says binary(%s), want min-len %d, max-len %d'
                     % (where, arg, lo, hi))
        elif re.fullmatch(r'(u8|u16|u32|u64)\[\]', arg):
            if a.get('sub-type') != arg[:-2]:
                fail('%s: header says binary(%s), want sub-type %s'
                     % (where, arg, arg[:-2]))
        else:
            fail('header comment: %s: unknown binary(%s)' % (cname, arg))
    m = re.search(r'\benum (apsm_\w+)', rest)
    if m:
        if enum_defs.get(a.get('enum')) != m.group(1):
            fail('%s: enum %s, the header says enum %s'
                 % (where, a.get('enum'), m.group(1)))
    elif 'enum' in a:
        fail('%s: enum %s, the header names none' % (where, a['enum']))
    if bool(re.search(r'\brepeated\b', rest)) != bool(a.get('multi-attr')):
        fail('%s: multi-attr %s, but the header %s "repeated"'
             % (where, bool(a.get('multi-attr')),
                'says' if 'repeated' in rest else 'does not say'))
    if parent_set is not None and sname != parent_set:
        fail('%s: documented inside a nest of set %s, but is in set %s'
             % (cname, parent_set, sname))
    return a


stack = []      # (indent, nested set)
for l in lines:
    m = attr_line.match(l)
    if not m:
        continue
    indent = len(m.group(1))
    while stack and stack[-1][0] >= indent:
        stack.pop()
    parent = stack[-1][1] if stack else None
    names = [n.strip() for n in m.group(2).split(',')]
    base = re.match(r'(APSM_(?:\w+?_)?A)_', names[0])
    full = []
    for n in names:
        if n.startswith('_') and base:
            n = base.group(1) + n
        full.append(n)
    nested = None
    for n in full:
        a = check_attr(n, m.group(3), m.group(5), m.group(6), parent)
        if a is not None and a['type'] == 'nest':
            nested = a.get('nested-attributes')
    if m.group(3) == 'NESTED' and nested:
        stack.append((indent, nested))

# "APSM_A_X: NESTED of u64 counters ... see enum apsm_y"
for m in re.finditer(r'(APSM_\w+):\s+NESTED of (u8|u16|u32|u64) counters.*?'
                     r'see enum (apsm_\w+)', doc_flat):
    a = check_attr(m.group(1), 'NESTED', None, '', None)
    sname = a.get('nested-attributes') if a else None
    if sname and set_tags.get(sname) != m.group(3):
        fail('spec: %s nests set %s, the header says enum %s'
             % (m.group(1), sname, m.group(3)))
    for an, at in sets.get(sname, {}).items():
        if at['type'] in ('unused', 'pad'):
            continue
        documented.add([c for c, v in cattr.items() if v[1] is at][0])
        if at['type'] != m.group(2):
            fail('spec: %s.%s: type %s, the header says %s counters'
                 % (sname, an, at['type'], m.group(2)))
# "APSM_X (u8, enum apsm_y) in each nest as APSM_FLOW_A_Z"
for m in re.finditer(r'\((u8|u16|u32|u64), (enum apsm_\w+)\) in each nest '
                     r'as (APSM_\w+)', doc_flat):
    check_attr(m.group(3), m.group(1), None, m.group(2), None)
undoc = [c for c, (s, a) in cattr.items()
         if a['type'] not in ('unused', 'pad') and c not in documented]
if undoc:
    note('attributes the header comment does not type: ' + ', '.join(undoc))

cmd_doc = {}
for m in re.finditer(r'(APSM_CMD_\w+)\s*\(([^)]*)\)', doc_flat):
    cmd_doc[m.group(1)] = m.group(2).strip()
for m in re.finditer(r'Multicast group "(\w+)":\s*(APSM_CMD_\w+)', doc_flat):
    o = ops.get(m.group(2))
    if not o or 'event' not in o or o.get('mcgrp') != m.group(1):
        fail('spec: %s must be an event on mcgrp %s' % (m.group(2), m.group(1)))
for cname, o in ops.items():
    if o['name'] == 'unspec':
        if 'do' in o or 'dump' in o or 'event' in o:
            fail('spec: op unspec must stay reserved')
        continue
    d = cmd_doc.get(cname, '')
    admin = d.startswith('admin')
    flags = set(o.get('flags', []))
    if admin and flags != {'uns-admin-perm'}:
        fail('spec: %s is admin (GENL_UNS_ADMIN_PERM) in the header, flags %s'
             % (cname, sorted(flags)))
    if not admin and flags:
        fail('spec: %s is open to all in the header, flags %s'
             % (cname, sorted(flags)))
    dump_only = re.sub(r'^admin:?\s*', '', d).startswith('dump only')
    if ('or dump' in d or dump_only) != ('dump' in o):
        fail('spec: %s: dump %s, the header says "%s"'
             % (cname, 'dump' in o, d))
    if dump_only and 'do' in o:
        fail('spec: %s has a do, the header says "%s"' % (cname, d))
    if 'event' not in o and 'do' not in o and not dump_only:
        fail('spec: %s has no do' % cname)

# ---- 3f. the ops the kernel registers (src/*.c) ------------------------------
seen = set()
srcdir = os.path.join(root, 'src')
csrcs = sorted(os.path.relpath(os.path.join(d, n), srcdir)
               for d, _, names in os.walk(srcdir) for n in names
               if n.endswith('.c'))
for fn in csrcs:
    with open(os.path.join(srcdir, fn), encoding='utf-8') as f:
        csrc_txt = re.sub(r'/\*.*?\*/', ' ', f.read(), flags=re.S)
    for arr in re.finditer(r'struct\s+genl_(?:small_|split_)?ops\s+\w+\s*'
                           r'\[[^\]]*\]\s*=\s*\{(.*?)\n\}\s*;', csrc_txt, re.S):
        for blk in re.findall(r'\{([^{}]*)\}', arr.group(1)):
            m = re.search(r'\.cmd\s*=\s*(\w+)', blk)
            if not m:
                continue
            cname = m.group(1)
            seen.add(cname)
            o = ops.get(cname)
            if o is None:
                fail('src/%s: registers %s, not in the spec' % (fn, cname))
                continue
            kflags = set()
            if re.search(r'\bGENL_UNS_ADMIN_PERM\b', blk):
                kflags.add('uns-admin-perm')
            if re.search(r'\bGENL_ADMIN_PERM\b', blk):
                kflags.add('admin-perm')
            if kflags != set(o.get('flags', [])):
                fail('src/%s: %s has flags %s, the spec %s'
                     % (fn, cname, sorted(kflags), sorted(o.get('flags', []))))
            if bool(re.search(r'\.dumpit\b', blk)) != ('dump' in o):
                fail('src/%s: %s: .dumpit %s, spec dump %s'
                     % (fn, cname, bool(re.search(r'\.dumpit\b', blk)),
                        'dump' in o))
            if bool(re.search(r'\.doit\b', blk)) != ('do' in o):
                fail('src/%s: %s: .doit %s, spec do %s'
                     % (fn, cname, bool(re.search(r'\.doit\b', blk)),
                        'do' in o))
pending = [c for c, o in ops.items() if ('do' in o or 'dump' in o)
           and c not in seen]
print('ok: %d registered ops agree with the spec' % len(seen))
if pending:
    note('ops in the spec not registered by src/*.c yet: ' + ', '.join(pending))

if errors:
    print('%d mismatch(es)' % len(errors))
    sys.exit(1)
print('ok: spec and header agree')
EOF

check() {	# check SPEC HEADER
	mkdir -p "$TMP/work"
	"$PY" "$TMP/check.py" "$1" "$2" "$SCHEMA" "$ROOT" "$CC" "$TMP/work"
}

log "checking $SPEC against $HDR"
check "$SPEC" "$HDR" || fail "spec and header disagree (see above)"

# Self-test of the checker, on mutated copies of the header.
if [ $# -eq 0 ]; then
	sed 's/^\t__APSM_NODE_A_MAX$/\tAPSM_NODE_A_SELFTEST,\n&/' "$HDR" \
		>"$TMP/added.h"
	grep -q APSM_NODE_A_SELFTEST "$TMP/added.h" ||
		fail "self-test: could not add an attribute to the header"
	out=$(check "$SPEC" "$TMP/added.h" 2>&1) &&
		fail "self-test: an attribute added to the header went unnoticed"
	assert_match "$out" "APSM_NODE_A_SELFTEST is missing from the spec" \
		"self-test: added attribute"

	awk '/^\tAPSM_STATS_A_RDS_HITS,$/ { held = $0; next }
	     { print } held != "" && /^\tAPSM_STATS_A_RDS_MISSES,$/ { print held; held = "" }' \
		"$HDR" >"$TMP/swapped.h"
	cmp -s "$HDR" "$TMP/swapped.h" &&
		fail "self-test: could not swap two attributes in the header"
	out=$(check "$SPEC" "$TMP/swapped.h" 2>&1) &&
		fail "self-test: two swapped attributes went unnoticed"
	assert_match "$out" "value: APSM_STATS_A_RDS_HITS is 4 in the header, 3" \
		"self-test: swapped attributes"
	log "self-test: the checker rejects an added and a swapped attribute"
fi
echo "ok: yaml-spec"
