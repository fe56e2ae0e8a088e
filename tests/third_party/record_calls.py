#!/usr/bin/env python3
"""A recording HTTP proxy in front of a Mesos master (python3 stdlib only).

    record_calls.py --upstream HOST:PORT --out DIR

Listens on 127.0.0.1, on a port the system picks, and prints
"record_calls listening on 127.0.0.1:PORT" once it accepts connections.
Each client connection gets its own connection to the master; every byte
is passed on unchanged in both directions, as it comes (the SUBSCRIBE
response is a chunked RecordIO stream that never ends while the framework
is subscribed). The proxy only reads the HTTP framing to know where each
request and response ends.

For every POST to /api/v1/scheduler it writes, numbered in the order the
requests arrive (0001, 0002, ...):

    DIR/call-NNNN.bin       the request body, as sent (a serialized Call)
    DIR/call-NNNN.request   the request line and headers, as sent
    DIR/call-NNNN.response  the master's status line and headers
                            (Mesos-Stream-Id on SUBSCRIBE), once they come

SIGTERM or SIGINT stops it.
"""

import argparse
import os
import signal
import socket
import sys
import threading

SCHEDULER_PATH = "/api/v1/scheduler"
MAX_HEAD = 64 * 1024


class Closed(Exception):
    pass


class Reader:
    """Buffered reads from a socket; everything read is also copied to `sink`
    (the other side) at once, so bytes flow as they come."""

    def __init__(self, sock, sink):
        self.sock = sock
        self.sink = sink
        self.buffer = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise Closed()
        self.buffer += data

    def _take(self, n):
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        if self.sink is not None and data:
            self.sink.sendall(data)
        return data

    def head(self):
        """The request or status line and headers, up to the blank line."""
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > MAX_HEAD:
                raise Closed()
            self._fill()
        return self._take(self.buffer.index(b"\r\n\r\n") + 4)

    def line(self):
        while b"\r\n" not in self.buffer:
            if len(self.buffer) > MAX_HEAD:
                raise Closed()
            self._fill()
        return self._take(self.buffer.index(b"\r\n") + 2)

    def exactly(self, n):
        """n bytes, passed on as they arrive; returns them."""
        parts = []
        while n > 0:
            if not self.buffer:
                self._fill()
            part = self._take(min(n, len(self.buffer)))
            parts.append(part)
            n -= len(part)
        return b"".join(parts)

    def rest(self):
        """Everything until the peer closes."""
        try:
            while True:
                if not self.buffer:
                    self._fill()
                self._take(len(self.buffer))
        except Closed:
            return

    def body(self, headers):
        """A message body framed by `headers` (chunked or Content-Length);
        returns the decoded body."""
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parts = []
            while True:
                size = int(self.line().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.line() != b"\r\n":  # trailers
                        pass
                    return b"".join(parts)
                parts.append(self.exactly(size))
                self.line()
        return self.exactly(int(headers.get("content-length", "0")))


def parse_head(raw):
    lines = raw.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return lines[0], headers


class Proxy:
    def __init__(self, upstream, out):
        self.upstream = upstream
        self.out = out
        self.lock = threading.Lock()
        self.count = 0

    def number(self):
        with self.lock:
            self.count += 1
            return self.count

    def write(self, number, suffix, data):
        path = os.path.join(self.out, "call-%04d.%s" % (number, suffix))
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.replace(path + ".tmp", path)

    def serve(self, client):
        try:
            master = socket.create_connection(self.upstream)
        except OSError as error:
            print("record_calls: cannot reach the master: %s" % error, file=sys.stderr)
            client.close()
            return
        # Per request, in order: (method, call number or None); the
        # response side pops them (HTTP/1.1 answers in request order).
        pending = []
        ready = threading.Condition()
        done = threading.Event()

        def close_both():
            done.set()
            with ready:
                ready.notify_all()
            for s in (client, master):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        def requests():
            reader = Reader(client, master)
            try:
                while True:
                    raw = reader.head()  # passed on at once: `Expect: 100-continue` waits on it
                    request_line, headers = parse_head(raw)
                    method, target = (request_line.split(" ") + ["", ""])[:2]
                    recorded = method == "POST" and target.split("?")[0] == SCHEDULER_PATH
                    number = self.number() if recorded else None
                    with ready:
                        pending.append((method, number))
                        ready.notify_all()
                    body = reader.body(headers)
                    if recorded:
                        self.write(number, "bin", body)
                        self.write(number, "request", raw)
            except (Closed, OSError, ValueError):
                pass
            finally:
                close_both()

        def responses():
            reader = Reader(master, client)
            try:
                while True:
                    raw = reader.head()
                    status_line, headers = parse_head(raw)
                    status = int(status_line.split(" ")[1])
                    if 100 <= status < 200:  # interim (100 Continue): the request's answer follows
                        continue
                    with ready:
                        while not pending and not done.is_set():
                            ready.wait()
                        if not pending:
                            return
                        method, number = pending.pop(0)
                    if number is not None:
                        self.write(number, "response", raw)
                    if method == "HEAD" or status in (204, 304):
                        continue
                    if ("transfer-encoding" in headers or "content-length" in headers):
                        reader.body(headers)
                    else:
                        reader.rest()
                        return
            except (Closed, OSError, ValueError, IndexError):
                pass
            finally:
                close_both()

        threads = [threading.Thread(target=f, daemon=True) for f in (requests, responses)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        client.close()
        master.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the master")
    parser.add_argument("--out", required=True, help="directory for the recorded calls")
    args = parser.parse_args()
    host, _, port = args.upstream.rpartition(":")
    os.makedirs(args.out, exist_ok=True)
    proxy = Proxy((host, int(port)), args.out)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)

    def stop(signum, frame):
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("record_calls listening on 127.0.0.1:%d" % listener.getsockname()[1], flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=proxy.serve, args=(client,), daemon=True).start()


if __name__ == "__main__":
    main()
