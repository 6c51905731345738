#!/usr/bin/env python3
"""Writes at a steady rate until stopped: PATCHes one event (another organizer's, in the
benchmark) RATE times a second over one keep-alive connection, each with a new location.

    writer.py URL TOKEN RATE

Prints the number of writes and of non-200 answers when it gets SIGTERM.
"""
import http.client
import json
import signal
import sys
import time
import urllib.parse

url, token, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
parts = urllib.parse.urlsplit(url)
stop = False


def on_term(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
writes = failed = 0
start = time.monotonic()
while not stop:
    body = json.dumps({"location": {"en": f"room {writes}"}})
    try:
        conn.request("PATCH", parts.path, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            failed += 1
    except (OSError, http.client.HTTPException):
        failed += 1
        conn.close()
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    writes += 1
    pause = start + writes / rate - time.monotonic()
    if pause > 0:
        time.sleep(pause)
print(f"writes {writes} failed {failed} seconds {time.monotonic() - start:.1f}")
