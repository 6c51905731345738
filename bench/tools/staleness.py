#!/usr/bin/env python3
"""Cross-process staleness: how long after a write answered by process A does process B
(another Presale process on the same database) answer with what it wrote?

    staleness.py A_URL B_URL TOKEN EVENT_PATH TRIES

Each try renames the event through A, then asks B for it over a keep-alive connection, as
fast as it answers, until B shows the new name; B's kept answer for the event is made fresh
before each try (asked twice). Prints `staleness_ms max median tries`; exits 1 if any try
took longer than 5 s.
"""
import http.client
import json
import statistics
import sys
import time
import urllib.parse

a_url, b_url, token, path, tries = sys.argv[1:6]
tries = int(tries)
headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}


def connect(url):
    parts = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)


def call(conn, method, body=None):
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, data


a, b = connect(a_url), connect(b_url)
waits = []
for i in range(tries):
    name = f"stale-{time.time_ns()}-{i}"
    call(b, "GET")
    call(b, "GET")  # kept now
    status, data = call(a, "PATCH", json.dumps({"name": {"en": name}}))
    if status != 200:
        sys.exit(f"the write through A answered {status}: {data[:200]!r}")
    written = time.monotonic()
    while True:
        status, data = call(b, "GET")
        if status == 200 and json.loads(data)["name"].get("en") == name:
            break
        if time.monotonic() - written > 5:
            print(f"staleness_ms 5000 5000 {i + 1}")
            sys.exit(1)
    waits.append((time.monotonic() - written) * 1000)
    time.sleep(0.05)
print(f"staleness_ms {max(waits):.1f} {statistics.median(waits):.1f} {len(waits)}")
