#!/usr/bin/env python3
"""Transactional probes for priority-bench.sh: sends N messages, one every INTERVAL seconds, over one SMTP
session to the relay, and records when each got its 250. Then waits for them at the sink directory (files written
by `relay sink`, whose modification time is the arrival) and prints the delays from 250 to arrival.

    priority_probe.py HOST:PORT SINK_DIR RUN_ID N INTERVAL WAIT_S
"""
import os
import smtplib
import sys
import time


def main():
    target, sink_dir, run_id, n, interval, wait_s = sys.argv[1:7]
    host, port = target.rsplit(":", 1)
    n, interval, wait_s = int(n), float(interval), float(wait_s)
    accepted = {}
    smtp = smtplib.SMTP(host, int(port), local_hostname="probe.bench", timeout=30)
    smtp.ehlo()
    for k in range(n):
        msgid = "t%d.%s@bench.load" % (k, run_id)
        body = ("Message-ID: <%s>\r\nFrom: <probe@bench.load>\r\nTo: <probe%d@example.test>\r\n"
                "Subject: transactional probe %d\r\n\r\n%s\r\n") % (msgid, k, k, "x" * 76)
        smtp.sendmail("probe@bench.load", ["probe%d@example.test" % k], body)
        accepted[msgid] = time.time()
        time.sleep(interval)
    smtp.quit()

    arrived = {}
    seen = set()
    deadline = time.time() + wait_s
    while len(arrived) < n and time.time() < deadline:
        with os.scandir(sink_dir) as entries:
            for e in entries:
                if not e.name.endswith(".eml") or e.name in seen:
                    continue
                seen.add(e.name)
                with open(e.path, "rb") as f:
                    head = f.read(600).decode("ascii", "replace")
                for line in head.split("\r\n"):
                    if line.lower().startswith("message-id: <t") and run_id in line:
                        arrived[line.split("<", 1)[1].split(">", 1)[0]] = e.stat().st_mtime
        time.sleep(0.2)

    delays = sorted((arrived[m] - accepted[m]) * 1000 for m in arrived)
    def pct(p):
        return delays[min(len(delays) - 1, int(p / 100.0 * len(delays)))] if delays else float("nan")
    print("probes=%d arrived=%d missing=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f"
          % (n, len(delays), n - len(delays), pct(50), pct(99), delays[-1] if delays else float("nan")))


if __name__ == "__main__":
    main()
