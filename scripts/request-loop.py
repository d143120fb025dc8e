#!/usr/bin/env python3
"""A bounded request loop for redeploy measurements, loopback only.

request-loop.py URL STOP_FILE MAX_SEC OUT_JSON
Requests URL every 20 ms (2 s timeout each) until STOP_FILE exists or MAX_SEC
passed, then writes to OUT_JSON: requests, failed (not 200 or no answer), the
seconds without service (from the first failure of a streak to the next
success, summed, and the longest streak) and the last body served.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

url, stop_file, max_sec, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
if urllib.parse.urlsplit(url).hostname not in ('127.0.0.1', 'localhost', '::1'):
    sys.exit('request-loop: loopback URLs only')

start = time.monotonic()
requests = failed = 0
outage_start = None
outages = []
last_body = ''
while not os.path.exists(stop_file) and time.monotonic() - start < max_sec:
    t = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            ok, body = response.status == 200, response.read().decode(errors='replace')
    except (urllib.error.URLError, OSError, ValueError) as e:
        ok, body = False, ''
    requests += 1
    if ok:
        last_body = body
        if outage_start is not None:
            outages.append(t - outage_start)
            outage_start = None
    else:
        failed += 1
        if outage_start is None:
            outage_start = t
    time.sleep(0.02)
if outage_start is not None:
    outages.append(time.monotonic() - outage_start)

with open(out, 'w') as f:
    json.dump({
        'requests': requests,
        'failed': failed,
        'unavailable_sec': round(sum(outages), 2),
        'longest_outage_sec': round(max(outages, default=0), 2),
        'last_body': last_body.strip(),
    }, f)
