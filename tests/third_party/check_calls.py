#!/usr/bin/env python3
"""Checks scheduler calls recorded by record_calls.py against an independent
copy of the Mesos v1 protos: mesos-go's (Debian's
golang-github-mesos-mesos-go-dev, mesos-go 0.0.6, Mesos 1.4 protos), decoded
by protoc, never by our own generated code.

    check_calls.py [--protos ROOT] [--ours PROTO_DIR] [--require TYPE]... RUN_DIR...
    check_calls.py [--protos ROOT] --self-test

ROOT (default /usr/share/gocode/src) holds
github.com/mesos/mesos-go/api/v1/lib/{mesos.proto,scheduler/scheduler.proto}
and github.com/gogo/protobuf/gogoproto/gogo.proto; $PROTOC names protoc.

Each RUN_DIR holds one mesos-launch run (one subscription): call-NNNN.bin,
.request and .response. Every call must:
  - decode as mesos.scheduler.Call (protoc exits 0), with no "missing
    required fields" warning and nothing else on protoc's stderr;
  - hold no field that mesos-go's protos do not know (protoc prints such a
    field as its bare number: `15 {`, `2: 22`), except those in ALLOWED;
  - have been sent as Content-Type application/x-protobuf, and answered
    2xx (a 3xx would send the scheduler past this proxy);
  - with --ours (our proto/ directory), decode to the very same text with
    our own protos: every field we send has the number mesos-go gives the
    field of that name (calls holding a field mesos-go lacks excepted).
The run starts with its only SUBSCRIBE, which carries no Mesos-Stream-Id and
no framework id and is answered with a Mesos-Stream-Id; every other call
carries that Mesos-Stream-Id and the run's one framework_id. Each --require
TYPE must have been sent in some run.

Every failure names the call file, and the decoded line when there is one.
Exit 0 when all hold, 1 otherwise.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

MESOS_GO = "github.com/mesos/mesos-go/api/v1/lib"
SCHEDULER_PROTO = MESOS_GO + "/scheduler/scheduler.proto"
GOGO_PROTO = "github.com/gogo/protobuf/gogoproto/gogo.proto"
CALL = "mesos.scheduler.Call"
OUR_SCHEDULER_PROTO = "mesos/v1/scheduler/scheduler.proto"  # under our proto/
OUR_CALL = "mesos.v1.scheduler.Call"

# Fields newer than the Mesos 1.4 protos that mesos-launch legitimately
# sends: (message, field number) -> (upstream name, the Mesos version that
# added it, why we send it). A field listed here is accepted wherever that
# message occurs; any other unknown field fails the check.
#
# Empty: none of mesos-launch's calls use a field newer than Mesos 1.4 (the
# runs of specs/webserver.yaml, primary-replicas.yaml and command.yaml
# decode with no unknown field). Newer fields our proto/ declares (for the
# embedded master), and that the launcher does not set: TaskInfo.
# max_completion_time = 14 (Mesos 1.6), TaskInfo.limits = 15 (1.10),
# FrameworkInfo.offer_filters = 13, Resource.provider_id = 12 (1.5), the
# UPDATE_FRAMEWORK call (Call.Type 17, Call.update_framework = 19; 1.9).
# Should the launcher start sending one, it goes here with its reason, e.g.
#   ("mesos.TaskInfo", 15): ("TaskInfo.limits", "1.10", "tasks may burst above their share"),
ALLOWED = {}


class Failures:
    def __init__(self):
        self.messages = []

    def add(self, where, message, line=None):
        text = "%s: %s" % (where, message)
        if line is not None:
            text += "\n    offending line %d: %s" % (line[0], line[1].strip())
        self.messages.append(text)


# ---------------------------------------------------------------------------
# The message types of the mesos-go protos, from protoc's descriptor set,
# read with a minimal protobuf wire decoder (so no Python protobuf module is
# needed): type name -> {field name: (number, message type name or None)}.

def _varint(data, pos):
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def _fields(data):
    """(number, value) of each field of one message; length-delimited values
    are bytes, varints ints (other wire types skipped)."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            size, pos = _varint(data, pos)
            value, pos = data[pos:pos + size], pos + size
        elif wire == 1:
            value, pos = None, pos + 8
        elif wire == 5:
            value, pos = None, pos + 4
        else:
            raise ValueError("unexpected wire type %d in the descriptor set" % wire)
        yield number, value


TYPE_MESSAGE, TYPE_GROUP = 11, 10


def message_types(protoc, root):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "set.pb")
        subprocess.run([protoc, "-I" + root, "--include_imports", "--descriptor_set_out=" + out,
                        os.path.join(root, SCHEDULER_PROTO)], check=True)
        with open(out, "rb") as f:
            data = f.read()
    types = {}

    def message(prefix, blob):
        name, fields, nested = None, {}, []
        for number, value in _fields(blob):
            if number == 1:
                name = value.decode()
            elif number == 2:  # FieldDescriptorProto
                f = dict(_fields(value))
                kind = f.get(5)
                target = f[6].decode().lstrip(".") if kind in (TYPE_MESSAGE, TYPE_GROUP) else None
                fields[f[1].decode()] = (f[3], target)
            elif number == 3:
                nested.append(value)
        full = prefix + name
        types[full] = fields
        for n in nested:
            message(full + ".", n)

    for number, file_blob in _fields(data):
        if number != 1:
            continue
        package, messages = "", []
        for n, value in _fields(file_blob):
            if n == 2:
                package = value.decode()
            elif n == 4:
                messages.append(value)
        for m in messages:
            message(package + "." if package else "", m)
    return types


# ---------------------------------------------------------------------------

UNKNOWN = object()  # the type inside a field the protos do not know
NUMBERED = re.compile(r"^(\d+)(?:: | \{$)")
OPEN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*) \{$")
SCALAR = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*): ")


def walk(decoded, types):
    """Yields (line number, line, message type, path, unknown field number)
    for each field of `decoded` (protoc's text) that the protos do not know,
    outside the fields already reported; and ("error", ...) when the text
    cannot be followed."""
    stack = [(CALL, "")]
    for number, line in enumerate(decoded.splitlines(), 1):
        text = line.strip()
        if not text:
            continue
        kind, path = stack[-1]
        if text == "}":
            if len(stack) == 1:
                yield number, line, None, path, "unbalanced '}'"
                return
            stack.pop()
            continue
        numbered = NUMBERED.match(text)
        if numbered:
            if kind is not UNKNOWN:
                yield number, line, kind, path, int(numbered.group(1))
            if text.endswith("{"):
                stack.append((UNKNOWN, path))
            continue
        opened = OPEN.match(text)
        if opened:
            name = opened.group(1)
            sub = UNKNOWN
            if kind is not UNKNOWN:
                field = types.get(kind, {}).get(name)
                if field is None or field[1] is None:
                    yield number, line, kind, path, "no message field '%s' in %s" % (name, kind)
                else:
                    sub = field[1]
            stack.append((sub, (path + "." if path else "") + name))
            continue
        if not SCALAR.match(text):
            yield number, line, kind, path, "a line protoc's text format does not make"


def top_level_message(decoded, name):
    """The lines of the top-level field `name { ... }` of a decoded call, or None."""
    lines = decoded.splitlines()
    for i, line in enumerate(lines):
        if line == name + " {":
            body = []
            for inner in lines[i + 1:]:
                if inner == "}":
                    return body
                body.append(inner)
    return None


def read_head(path):
    """(first line, {lower-case header: value}) of a saved HTTP head, or None."""
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        lines = f.read().decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    return lines[0], headers


class Checker:
    def __init__(self, protoc, root, allowed, ours=None):
        self.protoc = protoc
        self.root = root
        self.allowed = allowed
        self.ours = ours  # our proto/ directory: the names must agree too
        self.compared = 0
        self.types = message_types(protoc, root)
        self.failures = Failures()
        self.call_types = {}     # call type -> count, over every run
        self.allowed_seen = {}   # (message, number) -> count

    def decode(self, path, root=None, proto=SCHEDULER_PROTO, message=CALL):
        with open(path, "rb") as f:
            body = f.read()
        root = root or self.root
        run = subprocess.run([self.protoc, "-I" + root, "--decode=" + message,
                              os.path.join(root, proto)],
                             input=body, capture_output=True)
        return run.returncode, run.stdout.decode("utf-8", "replace"), \
            run.stderr.decode("utf-8", "replace")

    def check_call(self, path):
        """Checks one call file; returns (call type, framework id, decoded) or None."""
        fail = self.failures.add
        rc, decoded, stderr = self.decode(path)
        if rc != 0:
            fail(path, "protoc --decode=%s exits %d: %s" % (CALL, rc, stderr.strip() or "(no message)"))
            return None
        for line in stderr.splitlines():
            if "missing required fields" in line:
                fail(path, "missing required fields (protoc: %s)" % line.strip())
            elif line.strip():
                fail(path, "protoc says: %s" % line.strip())
        lines = decoded.splitlines()
        unknown = False  # any field mesos-go's protos lack
        for number, line, kind, where, field in walk(decoded, self.types):
            if isinstance(field, str):
                fail(path, field, (number, line))
                continue
            key = (kind, field)
            unknown = True
            if key in self.allowed:
                self.allowed_seen[key] = self.allowed_seen.get(key, 0) + 1
                continue
            fail(path, "field %d of %s (at %s) is unknown to the Mesos 1.4 protos of mesos-go "
                 "and not in the allowlist" % (field, kind, where or "the Call"), (number, line))
        call_type = next((l[len("type: "):] for l in lines if l.startswith("type: ")), None)
        if call_type is None:
            fail(path, "no Call.type")
        # The same bytes decoded with our own protos print the same text:
        # each field number we send is the field mesos-go names alike (a
        # wrong number that hits another 1.4 field would decode without an
        # unknown field, under another name). Calls with unknown fields
        # (reported above, or allowlisted) print those by name with ours, by
        # number with mesos-go's: not compared.
        if self.ours is not None and not unknown:
            rc, ours, _ = self.decode(path, self.ours, OUR_SCHEDULER_PROTO, OUR_CALL)
            if rc != 0:
                fail(path, "our own protos cannot decode it (protoc exits %d)" % rc)
            else:
                self.compared += 1
                theirs_lines, our_lines = lines, ours.splitlines()
                for i in range(max(len(theirs_lines), len(our_lines))):
                    theirs = theirs_lines[i] if i < len(theirs_lines) else "(end)"
                    mine = our_lines[i] if i < len(our_lines) else "(end)"
                    if theirs != mine:
                        fail(path, "our protos decode line %d as '%s', mesos-go's as" %
                             (i + 1, mine.strip()), (i + 1, theirs))
                        break
        framework = top_level_message(decoded, "framework_id")
        framework_id = None
        if framework is not None:  # its value (what follows `value: `); "" if none
            framework_id = next((l.strip()[len("value: "):] for l in framework
                                 if l.startswith("  value: ")), "")
        return call_type, framework_id, decoded

    def check_run(self, run_dir):
        fail = self.failures.add
        calls = sorted(glob.glob(os.path.join(run_dir, "call-*.bin")))
        if not calls:
            fail(run_dir, "no call was recorded")
            return []
        stream_id = None
        framework_ids = {}
        seen = []
        for index, path in enumerate(calls):
            checked = self.check_call(path)
            request = read_head(path[:-len(".bin")] + ".request")
            response = read_head(path[:-len(".bin")] + ".response")
            if request is None:
                fail(path, "no request headers were saved")
                continue
            headers = request[1]
            content_type = headers.get("content-type", "")
            if content_type.split(";")[0].strip() != "application/x-protobuf":
                fail(path, "Content-Type is '%s', not application/x-protobuf" % content_type)
            status = None
            if response is None:
                fail(path, "the master never answered this call")
            else:
                try:
                    status = int(response[0].split(" ")[1])
                except (IndexError, ValueError):
                    fail(path, "unreadable response line '%s'" % response[0])
                if status is not None and not 200 <= status < 300:
                    fail(path, "the master answered '%s'%s" % (
                        response[0], " (a redirect: the calls would bypass the proxy)"
                        if 300 <= status < 400 else ""))
            if checked is None:
                continue
            call_type, framework_id, decoded = checked
            seen.append(call_type)
            self.call_types[call_type] = self.call_types.get(call_type, 0) + 1
            if call_type == "SUBSCRIBE":
                if index != 0:
                    fail(path, "a SUBSCRIBE after the run's first call (a resubscription: "
                         "the run was not expected to reconnect)")
                if "mesos-stream-id" in headers:
                    fail(path, "SUBSCRIBE carries a Mesos-Stream-Id header (%s)" %
                         headers["mesos-stream-id"])
                if framework_id is not None:
                    fail(path, "SUBSCRIBE carries a framework_id: " + framework_id)
                if "\n    id {\n" in decoded:  # subscribe.framework_info.id
                    fail(path, "SUBSCRIBE carries a framework_info.id (a resubscription)")
                if response is not None:
                    stream_id = response[1].get("mesos-stream-id")
                    if not stream_id:
                        fail(path, "the SUBSCRIBE response has no Mesos-Stream-Id")
                continue
            if index == 0:
                fail(path, "the run's first call is %s, not SUBSCRIBE" % call_type)
            sent = headers.get("mesos-stream-id")
            if not sent:
                fail(path, "%s carries no Mesos-Stream-Id header" % call_type)
            elif stream_id is not None and sent != stream_id:
                fail(path, "%s carries Mesos-Stream-Id %s, the subscription's is %s" %
                     (call_type, sent, stream_id))
            if framework_id is None:
                fail(path, "%s carries no framework_id" % call_type)
            else:
                framework_ids.setdefault(framework_id, path)
        if len(framework_ids) > 1:
            fail(run_dir, "calls carry different framework ids: " + "; ".join(
                "%s in %s" % (fid, os.path.basename(p)) for fid, p in framework_ids.items()))
        return seen


def main_check(args):
    checker = Checker(args.protoc, args.protos, ALLOWED, args.ours)
    for run_dir in args.runs:
        seen = checker.check_run(run_dir)
        counts = {}
        for t in seen:
            counts[t] = counts.get(t, 0) + 1
        print("%s: %d calls decoded: %s" % (run_dir, len(seen),
                                    ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
    for required in args.require:
        if required not in checker.call_types:
            checker.failures.add("all runs", "no %s call was recorded" % required)
    if args.ours:
        print("%d calls decode to the same text with our protos (%s)" % (checker.compared, args.ours))
    if checker.allowed_seen:
        print("newer fields sent (allowlisted): " + ", ".join(
            "%s (%s %d, Mesos %s) x%d" % (ALLOWED[k][0], k[0], k[1], ALLOWED[k][1], n)
            for k, n in sorted(checker.allowed_seen.items())))
    else:
        print("newer fields sent (allowlisted): none")
    for message in checker.failures.messages:
        print("FAIL: " + message, file=sys.stderr)
    if checker.failures.messages:
        print("FAIL: %d problem(s) in the recorded calls" % len(checker.failures.messages),
              file=sys.stderr)
        return 1
    print("PASS: every call decodes with mesos-go's Mesos 1.4 protos, with no unknown field")
    return 0


# ---------------------------------------------------------------------------
# --self-test: calls made here (with protoc --encode and the same protos,
# plus raw bytes for what the protos cannot say), each run must pass or
# fail with the expected messages.

def self_test(args):
    protoc, root = args.protoc, args.protos

    def encode(text):
        return subprocess.run([protoc, "-I" + root, "--encode=" + CALL,
                               os.path.join(root, SCHEDULER_PROTO)],
                              input=text.encode(), capture_output=True, check=True).stdout

    subscribe = encode('type: SUBSCRIBE subscribe { framework_info { user: "u" name: "n" } }')
    teardown = encode('framework_id { value: "f-0000" } type: TEARDOWN')
    kill = encode('framework_id { value: "f-0000" } type: KILL kill { task_id { value: "t" } }')
    request = ("POST /api/v1/scheduler HTTP/1.1\r\nContent-Type: application/x-protobuf\r\n"
               "%sContent-Length: 1\r\n\r\n")
    stream = "Mesos-Stream-Id: s-1\r\n"
    ok_subscribed = "HTTP/1.1 200 OK\r\nMesos-Stream-Id: s-1\r\n\r\n"
    accepted = "HTTP/1.1 202 Accepted\r\n\r\n"
    good = [(subscribe, request % "", ok_subscribed), (kill, request % stream, accepted),
            (teardown, request % stream, accepted)]

    def replace(index, call):
        calls = list(good)
        calls[index] = call
        return calls

    # Our proto/ (the project's own copy), and one that names Call field 1
    # `framework` instead of `framework_id`.
    ours = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto")
    misnamed = tempfile.mkdtemp()
    os.makedirs(os.path.join(misnamed, os.path.dirname(OUR_SCHEDULER_PROTO)))
    with open(os.path.join(misnamed, OUR_SCHEDULER_PROTO), "w") as f:
        f.write('syntax = "proto2";\npackage mesos.v1.scheduler;\nmessage Call {\n'
                '  message FrameworkID { required string value = 1; }\n'
                '  optional FrameworkID framework = 1;\n'
                '  enum Type { UNKNOWN = 0; SUBSCRIBE = 1; TEARDOWN = 2; KILL = 6; }\n'
                '  optional Type type = 2;\n'
                '  message Subscribe { optional bytes framework_info = 1; }\n'
                '  optional Subscribe subscribe = 3;\n'
                '  message Kill { optional bytes task_id = 1; }\n'
                '  optional Kill kill = 6;\n}\n')

    # (name, calls, allowlist, expected failure texts: [] means it passes
    # [, our proto/ to compare names with])
    cases = [
        ("a good run", good, {}, []),
        ("a good run, the same with our protos", good, {}, [], ours),
        ("a field our protos name otherwise", good, {},
         ["call-0002.bin: our protos decode line 1 as 'framework {', mesos-go's as",
          "offending line 1: framework_id {"], misnamed),
        ("corrupt bytes", replace(2, (b"\x0a\xff", request % stream, accepted)), {},
         ["call-0003.bin: protoc --decode=mesos.scheduler.Call exits 1"]),
        ("a missing required field",
         replace(0, (encode("type: SUBSCRIBE subscribe { }"), request % "", ok_subscribed)), {},
         ["call-0001.bin: missing required fields"]),
        ("an unknown field in the Call", replace(2, (teardown + b"\x98\x06\x01", request % stream,
                                                     accepted)), {},
         ["call-0003.bin: field 99 of mesos.scheduler.Call", "offending line 5: 99: 1"]),
        ("an unknown enum value (a call type Mesos 1.4 lacks)",
         replace(2, (encode('framework_id { value: "f-0000" }') + b"\x10\x16", request % stream,
                     accepted)), {},
         ["call-0003.bin: field 2 of mesos.scheduler.Call", "offending line 4: 2: 22",
          "call-0003.bin: no Call.type"]),
        # framework_id { value: "f-0000" 7: 1 }: the type is followed into the message.
        ("an unknown field in a nested message",
         replace(2, (b"\x0a\x0a\x0a\x06f-0000\x38\x01" + teardown[teardown.index(b"\x10"):],
                     request % stream, accepted)), {},
         ["call-0003.bin: field 7 of mesos.FrameworkID (at framework_id)",
          "offending line 3: 7: 1"]),
        ("an allowlisted newer field",
         replace(2, (b"\x0a\x0a\x0a\x06f-0000\x38\x01" + teardown[teardown.index(b"\x10"):],
                     request % stream, accepted)),
         {("mesos.FrameworkID", 7): ("FrameworkID.test", "9.9", "self-test")}, []),
        ("no Mesos-Stream-Id", replace(1, (kill, request % "", accepted)), {},
         ["call-0002.bin: KILL carries no Mesos-Stream-Id header"]),
        ("another Mesos-Stream-Id",
         replace(1, (kill, request % "Mesos-Stream-Id: s-2\r\n", accepted)), {},
         ["call-0002.bin: KILL carries Mesos-Stream-Id s-2, the subscription's is s-1"]),
        ("no framework_id", replace(2, (encode("type: TEARDOWN"), request % stream, accepted)),
         {}, ["call-0003.bin: TEARDOWN carries no framework_id"]),
        ("SUBSCRIBE with a stream id", replace(0, (subscribe, request % stream, ok_subscribed)),
         {}, ["call-0001.bin: SUBSCRIBE carries a Mesos-Stream-Id header"]),
        ("SUBSCRIBE with a framework id",
         replace(0, (encode('framework_id { value: "f-0000" } type: SUBSCRIBE subscribe { '
                            'framework_info { user: "u" name: "n" } }'), request % "",
                     ok_subscribed)), {},
         ["call-0001.bin: SUBSCRIBE carries a framework_id"]),
        ("SUBSCRIBE with a framework_info.id",
         replace(0, (encode('type: SUBSCRIBE subscribe { framework_info { user: "u" name: "n" '
                            'id { value: "f-0000" } } }'), request % "", ok_subscribed)), {},
         ["call-0001.bin: SUBSCRIBE carries a framework_info.id"]),
        ("two framework ids",
         replace(2, (encode('framework_id { value: "g-0001" } type: TEARDOWN'), request % stream,
                     accepted)), {},
         ['calls carry different framework ids: "f-0000" in call-0002.bin; "g-0001" in '
          'call-0003.bin']),
        ("SUBSCRIBE not first", [good[1], good[0], good[2]], {},
         ["call-0001.bin: the run's first call is KILL, not SUBSCRIBE",
          "call-0002.bin: a SUBSCRIBE after the run's first call"]),
        ("JSON instead of protobuf",
         replace(1, (kill, request.replace("x-protobuf", "json") % stream, accepted)), {},
         ["call-0002.bin: Content-Type is 'application/json'"]),
        ("a redirect", replace(1, (kill, request % stream,
                                   "HTTP/1.1 307 Temporary Redirect\r\n\r\n")), {},
         ["call-0002.bin: the master answered 'HTTP/1.1 307 Temporary Redirect' (a redirect"]),
    ]
    problems = 0
    for name, calls, allowed, expected, *compare in cases:
        with tempfile.TemporaryDirectory() as run:
            for i, (body, req, resp) in enumerate(calls, 1):
                base = os.path.join(run, "call-%04d" % i)
                for suffix, data in ((".bin", body), (".request", req.encode()),
                                     (".response", resp.encode())):
                    with open(base + suffix, "wb") as f:
                        f.write(data)
            checker = Checker(protoc, root, allowed, compare[0] if compare else None)
            checker.check_run(run)
            got = "\n".join(checker.failures.messages).replace(run + "/", "")
        missing = [e for e in expected if e not in got]
        if missing or (not expected and got):
            problems += 1
            print("FAIL: self-test '%s': expected %s; got:\n%s" % (
                name, missing if expected else "no failure", got or "(no failure)"), file=sys.stderr)
        else:
            print("ok: %s%s" % (name, " -> " + got.splitlines()[0] if got else ""))
    shutil.rmtree(misnamed)
    if problems:
        print("FAIL: %d self-test case(s)" % problems, file=sys.stderr)
        return 1
    print("PASS: the checker catches each bad call it was given")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--protos", default="/usr/share/gocode/src",
                        help="include root of the mesos-go and gogo protos")
    parser.add_argument("--protoc", default=os.environ.get("PROTOC", "protoc"))
    parser.add_argument("--ours", help="our proto/ directory: also decode each call with it, "
                        "and require the same text (same field names)")
    parser.add_argument("--require", action="append", default=[],
                        help="a call type that some run must have sent (repeatable)")
    parser.add_argument("--self-test", action="store_true")
    parser.add_argument("runs", nargs="*")
    args = parser.parse_args()
    if args.self_test:
        return self_test(args)
    if not args.runs:
        parser.error("no RUN_DIR")
    return main_check(args)


if __name__ == "__main__":
    sys.exit(main())
