#!/usr/bin/env python3
"""A service outside the JVM on the daemon's TCP event-bus bridge (docs/event-bus.md), standard library only.

Usage: bridge_client.py HOST PORT TOKEN
Creates a sandbox, subscribes to its events, runs an exec in it, removes it; prints one JSON line per step
("step": ...) and exits 0, or prints the failure and exits 1. The frames: a 4-byte big-endian length, then a
JSON document {type, address, headers, body, replyAddress}.
"""
import json
import socket
import struct
import sys
import time


class Bridge:
    def __init__(self, host, port, token):
        self.sock = socket.create_connection((host, port), timeout=60)
        self.token = token
        self.next_reply = 0
        self.inbox = []  # frames that arrived while waiting for another

    def frame(self, doc):
        data = json.dumps(doc).encode("utf-8")
        self.sock.sendall(struct.pack(">I", len(data)) + data)

    def read(self):
        header = self._exact(4)
        (length,) = struct.unpack(">I", header)
        return json.loads(self._exact(length).decode("utf-8"))

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise RuntimeError("the bridge closed the connection")
            buf += chunk
        return buf

    def request(self, address, body):
        self.next_reply += 1
        reply = "py.reply.%d" % self.next_reply
        self.frame({"type": "send", "address": address, "replyAddress": reply,
                    "headers": {"token": self.token}, "body": body})
        while True:
            f = self.read()
            if f.get("type") == "err":
                raise RuntimeError("%s: %s" % (address, json.dumps(f)))
            if f.get("address") == reply:
                return f["body"]
            self.inbox.append(f)

    def register(self, address):
        self.frame({"type": "register", "address": address, "headers": {"token": self.token}})

    def next_event(self, address, predicate, seconds):
        end = time.time() + seconds
        while time.time() < end:
            while self.inbox:
                f = self.inbox.pop(0)
                if f.get("address") == address and predicate(f["body"]):
                    return f["body"]
            f = self.read()
            if f.get("type") == "err":
                raise RuntimeError("bridge error: " + json.dumps(f))
            self.inbox.append(f)
        raise RuntimeError("no matching event on %s within %d s" % (address, seconds))


def step(name, **values):
    print(json.dumps(dict(step=name, **values)), flush=True)


def main():
    host, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    bus = Bridge(host, port, token)
    # A frame without the token, and an address outside the permitted ones, are refused.
    bus.frame({"type": "send", "address": "paddock.bridge.sandboxes.list", "replyAddress": "py.denied", "body": {}})
    denied = bus.read()
    step("no-token", frame=denied)
    bus.frame({"type": "send", "address": "paddock.sandboxes.list", "replyAddress": "py.denied",
               "headers": {"token": token}, "body": {}})
    step("internal-address", frame=bus.read())

    created = bus.request("paddock.bridge.sandboxes.create", {"name": "py-bridge"})
    sid = created["id"]
    step("created", id=sid, state=created["state"])
    events = "paddock.bridge.sandbox.%s.events" % sid
    bus.register(events)
    time.sleep(0.3)  # a register frame has no reply; give the consumer a moment to be in place
    result = bus.request("paddock.bridge.sandboxes.exec",
                         {"sandbox": sid, "argv": ["sh", "-c", "read l; echo out:$l; echo err >&2; exit 3"],
                          "stdin": "from-python\n"})
    step("exec", **result)
    bus.request("paddock.bridge.sandboxes.stop", {"sandbox": sid})
    stopped = bus.next_event(events, lambda e: e.get("type") == "state" and e.get("to") == "stopped", 30)
    step("event", **stopped)
    listed = bus.request("paddock.bridge.sandboxes.list", {})
    step("listed", ids=[s["id"] for s in listed["sandboxes"]])
    bus.request("paddock.bridge.sandboxes.remove", {"sandbox": sid})
    step("removed", id=sid)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the test reads the message
        print(json.dumps({"step": "failed", "error": str(e)}), flush=True)
        sys.exit(1)
