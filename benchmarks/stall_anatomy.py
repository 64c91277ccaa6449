#!/usr/bin/env python3
"""stall-anatomy.sh's two halves.

  stall_anatomy.py sample SECONDS FILE   every 100 ms, the CPU ticks each thread of the bench's processes (java,
                                         postgres, smtp-sink-count) used since the last sample, one line per sample
  stall_anatomy.py report DIR            RateLoad's trace (DIR/trace.txt) against DIR/cpu.txt and
                                         DIR/postgres.log: the slow quarter-seconds and what they coincided with
"""
import collections
import datetime
import os
import re
import sys
import time

PROCESSES = ("java", "postgres", "smtp-sink-count")
WINDOW = 0.25
SLOW_MS = 20.0


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def snapshot():
    ticks = collections.Counter()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            comm = read(f"/proc/{pid}/comm").strip()
            if comm not in PROCESSES:
                continue
            for tid in os.listdir(f"/proc/{pid}/task"):
                stat = read(f"/proc/{pid}/task/{tid}/stat")
                end = stat.rindex(")")
                name = re.sub(r"[-#]?\d+$", "", stat[stat.index("(") + 1:end]).replace(" ", "_")
                fields = stat[end + 2:].split()
                ticks[(f"{comm}:{pid}" if comm == "java" else comm, name)] += int(fields[11]) + int(fields[12])
        except (OSError, ValueError):
            pass  # a process or thread that ended between listing and reading
    return ticks


def sample(seconds, path):
    start = time.time()
    previous = snapshot()
    last = time.time()
    with open(path, "w") as out:
        while last - start < seconds:
            time.sleep(0.1)
            current = snapshot()
            now = time.time()
            delta = {k: v - previous.get(k, 0) for k, v in current.items() if v - previous.get(k, 0) > 0}
            out.write("%.3f %.3f %s\n" % (now, now - last, " ".join(f"{p}/{t}={v}" for (p, t), v in delta.items())))
            previous, last = current, now


def report(directory):
    trace = os.path.join(directory, "trace.txt")
    with open(trace) as f:
        start = int(f.readline().split("=")[1]) / 1000.0
    windows = collections.defaultdict(list)
    with open(trace) as f:
        for line in f:
            if not line.startswith("#"):
                _, dot, service, _, _ = line.split()
                windows[int(float(dot) / 1000 / WINDOW)].append(float(service))

    cpu = collections.defaultdict(collections.Counter)
    relay_pid = None
    per_process = collections.Counter()
    stamps = []
    with open(os.path.join(directory, "cpu.txt")) as f:
        for line in f:
            stamp, interval, *items = line.split()
            stamps.append(float(stamp))
            w = int((float(stamp) - float(interval) / 2 - start) / WINDOW)
            cpu[w]["seconds"] += float(interval)
            for item in items:
                key, ticks = item.rsplit("=", 1)
                process, thread = key.split("/", 1)
                if thread.startswith("relay-io"):
                    relay_pid = process
                per_process[process] += int(ticks)
                cpu[w][(process, "jit" if "Compiler" in thread else "")] += int(ticks)
                cpu[w]["total"] += int(ticks)

    def share(w, what):
        c = cpu.get(w, {})
        if what == "relay-jit":
            return c.get((relay_pid, "jit"), 0)
        if what == "other-jit":
            return sum(v for k, v in c.items() if isinstance(k, tuple) and k[1] == "jit" and k[0] != relay_pid)
        return c.get("total", 0) / max(c.get("seconds", 0) * 100 * os.cpu_count(), 1e-9)

    slow = collections.defaultdict(float)
    locks = collections.Counter()
    stamp = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC \[\d+\] LOG:  "
                       r"(duration: ([\d.]+) ms|process \d+ still)")
    for line in read(os.path.join(directory, "postgres.log")).splitlines():
        m = stamp.match(line)
        if not m:
            continue
        at = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f") \
            .replace(tzinfo=datetime.timezone.utc).timestamp()
        if m.group(3):
            ms = float(m.group(3))
            for w in range(int((at - ms / 1000 - start) / WINDOW), int((at - start) / WINDOW) + 1):
                slow[w] = max(slow[w], ms)
        else:
            locks[int((at - start) / WINDOW)] += 1

    causes = collections.Counter()
    total = over_all = 0
    print("window_s  p50_ms  p99_ms  over_20ms  cpu_%  relay_jit_%  other_jit_%  slow_stmt_ms  lock_waits")
    for w in sorted(windows):
        v = sorted(windows[w])
        n = len(v)
        over = sum(1 for x in v if x > SLOW_MS)
        total += n
        over_all += over
        near = (w - 1, w)
        stmt = max(slow.get(x, 0) for x in near)
        jit = max(share(x, "relay-jit") + share(x, "other-jit") for x in near)
        busy = max(share(x, "total") for x in near)
        if over:
            if stmt or any(locks.get(x) for x in near):
                causes["slow statement or lock wait"] += over
            elif jit >= 0.2 * WINDOW * 100:  # a fifth of a core compiling
                causes["compiler threads busy (either JVM)"] += over
            elif busy >= 0.9:
                causes["machine saturated"] += over
            else:
                causes["none of these"] += over
        if v[min(n - 1, int(n * 0.99))] > SLOW_MS:
            print("%8.2f  %6.1f  %6.1f  %9d  %5.0f  %11.0f  %11.0f  %12s  %10d" % (
                w * WINDOW, v[n // 2], v[min(n - 1, int(n * 0.99))], over,
                100 * share(w, "total"),
                100 * share(w, "relay-jit") / (WINDOW * 100), 100 * share(w, "other-jit") / (WINDOW * 100),
                "%.0f" % slow[w] if slow.get(w) else "-", locks.get(w, 0)))
    print(f"\n250s over {SLOW_MS:.0f} ms: {over_all} of {total} ({100.0 * over_all / max(total, 1):.2f} %); "
          "their quarter-second (or the one before) had:")
    for cause, n in causes.most_common():
        print(f"  {cause}: {n}")
    seconds = max(0.1, stamps[-1] - stamps[0] + 0.1) if stamps else 1.0
    names = {relay_pid: "relay JVM"}
    print("CPU over the run, cores: " + ", ".join(
        f"{names.get(p, 'RateLoad JVM' if p.startswith('java') else p)} {t / 100 / seconds:.2f}"
        for p, t in per_process.most_common()))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "sample":
        sample(float(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "report":
        report(sys.argv[2])
    else:
        sys.exit(__doc__)
