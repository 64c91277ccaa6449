#!/usr/bin/env python3
"""Helpers for render-overview.sh (not run in CI).

  render.py load --smtp HOST:PORT --seconds N [--rate R]
      submits mail over SMTP for N seconds at a rate that swells and ebbs around R messages/s; a few messages
      are refused on purpose (declared too large, a line over 998 octets, a client outside relay_networks,
      DATA without recipients) and some go to a domain whose route is down, so every overview panel has data.

  render.py page --prometheus URL --dashboard FILE --minutes N --out FILE.html
      asks Prometheus's HTTP API (query_range) for every query of the dashboard, exactly as written there except
      $node -> .* and [5m] -> [1m] (the run is only minutes long), and writes a static page that draws them as
      SVG line charts in the dashboard's layout. Headless Chromium then takes the picture.
"""
import argparse
import html
import json
import math
import random
import smtplib
import threading
import time
import urllib.parse
import urllib.request

# ---------------------------------------------------------------------------------------------- load


def load(args):
    host, port = args.smtp.rsplit(":", 1)
    port = int(port)
    stop_at = time.time() + args.seconds
    started = time.time()
    sessions = 8
    counter = [0]
    lock = threading.Lock()

    def rate_now():
        t = time.time() - started
        return max(1.0, args.rate * (1 + 0.6 * math.sin(2 * math.pi * t / 240)))

    def body(n, long_line=False):
        words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split()
        lines = [" ".join(random.choice(words) for _ in range(10)) for _ in range(random.randint(1, 60))]
        text = "x" * 1200 if long_line else "Hello number %d.\r\n" % n + "\r\n".join(lines)
        return ("From: app@shop.example\r\nTo: user%d@example.test\r\nSubject: order %d\r\n"
                "Message-ID: <%d.%f@shop.example>\r\n\r\n%s\r\n" % (n, n, n, time.time(), text))

    def worker(i):
        rnd = random.Random(i)
        while time.time() < stop_at:
            try:
                with smtplib.SMTP(host, port, timeout=30) as s:
                    s.ehlo("load%d.example" % i)
                    for _ in range(rnd.randint(10, 60)):
                        if time.time() >= stop_at:
                            break
                        with lock:
                            counter[0] += 1
                            n = counter[0]
                        roll = rnd.random()
                        try:
                            if roll < 0.01:
                                s.mail("app@shop.example", ["SIZE=999999999"])       # 552: declared too large
                                s.rset()
                            elif roll < 0.02:
                                s.sendmail("app@shop.example", ["u%d@example.test" % n], body(n, long_line=True))
                            elif roll < 0.03:
                                s.mail("app@shop.example")
                                s.rcpt("not an address")
                                s.docmd("DATA")                                     # 554: no valid recipients
                                s.rset()
                            else:
                                rcpts = ["u%d@example.test" % n]
                                if roll > 0.95:
                                    rcpts.append("u%d@down.example" % n)            # its route is down: deferred
                                s.sendmail("app@shop.example", rcpts, body(n))
                        except smtplib.SMTPException:
                            s.rset()
                        time.sleep(rnd.expovariate(rate_now() / sessions))
            except (OSError, smtplib.SMTPException) as e:
                print("load: session %d: %s" % (i, e))
                time.sleep(1)

    def outsider():
        # a client outside relay_networks (127.0.0.2) now and then: 554 5.7.1 at RCPT
        while time.time() < stop_at:
            try:
                with smtplib.SMTP(host, port, timeout=30, source_address=("127.0.0.2", 0)) as s:
                    s.ehlo("outside.example")
                    s.mail("someone@outside.example")
                    s.rcpt("victim@example.test")
            except (OSError, smtplib.SMTPException):
                pass
            time.sleep(random.uniform(2, 6))

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(sessions)]
    threads.append(threading.Thread(target=outsider, daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.seconds + 60)
    print("load: %d messages attempted" % counter[0])

# ---------------------------------------------------------------------------------------------- page


PALETTE = ["#73BF69", "#F2CC0C", "#8AB8FF", "#FF780A", "#F2495C", "#5794F2", "#B877D9", "#FADE2A", "#FF9830"]


def query_range(prometheus, expr, start, end, step):
    url = prometheus.rstrip("/") + "/api/v1/query_range?" + urllib.parse.urlencode(
        {"query": expr, "start": start, "end": end, "step": step})
    with urllib.request.urlopen(url, timeout=30) as r:
        answer = json.load(r)
    if answer.get("status") != "success":
        raise SystemExit("Prometheus refused %s: %s" % (expr, answer))
    return answer["data"]["result"]


def legend(fmt, labels):
    out = fmt or "{{__name__}}"
    for k, v in labels.items():
        out = out.replace("{{%s}}" % k, v)
    return out.replace("{{", "").replace("}}", "")


def nice_step(span, ticks=5):
    raw = span / ticks if span > 0 else 1
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def fmt(value, unit):
    if value is None or math.isnan(value):
        return "–"
    if unit == "s":
        if value < 1:
            return "%.3g ms" % (value * 1000)
        return "%.3g s" % value
    if unit in ("bytes", "Bps"):
        suffix = "/s" if unit == "Bps" else ""
        for name, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
            if abs(value) >= size:
                return "%.3g %s%s" % (value / size, name, suffix)
        return "%.3g B%s" % (value, suffix)
    if unit == "percentunit":
        return "%.3g%%" % (value * 100)
    suffix = " /s" if unit == "ops" else ""
    for name, size in (("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return "%.3g%s%s" % (value / size, name, suffix)
    return "%.3g%s" % (value, suffix)


def chart(panel, series, start, end, width, height):
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
    stacked = panel.get("fieldConfig", {}).get("defaults", {}).get("custom", {}).get("stacking", {}).get("mode") == "normal"
    left, right, top, bottom = 70, 12, 8, 24
    pw, ph = width - left - right, height - top - bottom
    if stacked and series:
        times = sorted({t for _, points in series for t, _ in points})
        base = {t: 0.0 for t in times}
        stacked_series = []
        for name, points in series:
            values = dict(points)
            cumulative = []
            for t in times:
                base[t] += values.get(t, 0.0)
                cumulative.append((t, base[t]))
            stacked_series.append((name, cumulative))
        draw = stacked_series
    else:
        draw = series
    ymax = max([v for _, pts in draw for _, v in pts if not math.isnan(v)] + [0])
    ymax = ymax * 1.1 if ymax > 0 else 1
    step = nice_step(ymax)
    ymax = math.ceil(ymax / step) * step

    def x(t):
        return left + (t - start) / (end - start) * pw

    def y(v):
        return top + ph - v / ymax * ph

    svg = ['<svg width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">' % (width, height)]
    v = 0.0
    while v <= ymax + step / 2:
        svg.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#2c3235"/>' % (left, left + pw, y(v), y(v)))
        svg.append('<text x="%d" y="%.1f" fill="#9fa7b3" font-size="11" text-anchor="end">%s</text>'
                   % (left - 6, y(v) + 4, html.escape(fmt(v, unit))))
        v += step
    tick = 60 if end - start <= 900 else 300
    t = math.ceil(start / tick) * tick
    while t <= end:
        svg.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#2c3235"/>' % (x(t), x(t), top, top + ph))
        svg.append('<text x="%.1f" y="%d" fill="#9fa7b3" font-size="11" text-anchor="middle">%s</text>'
                   % (x(t), height - 6, time.strftime("%H:%M", time.localtime(t))))
        t += tick
    previous = None
    for i, (name, pts) in enumerate(draw):
        color = PALETTE[i % len(PALETTE)]
        good = [(tt, vv) for tt, vv in pts if not math.isnan(vv)]
        if not good:
            continue
        line = " ".join("%.1f,%.1f" % (x(tt), y(vv)) for tt, vv in good)
        if stacked:
            lower = previous or [(tt, 0.0) for tt, _ in good]
            area = line + " " + " ".join("%.1f,%.1f" % (x(tt), y(vv)) for tt, vv in reversed(lower))
            svg.append('<polygon points="%s" fill="%s" fill-opacity="0.25" stroke="none"/>' % (area, color))
            previous = good
        svg.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="1.6"/>' % (line, color))
    svg.append("</svg>")
    return "".join(svg), unit


def page(args):
    with open(args.dashboard) as f:
        dashboard = json.load(f)
    end = time.time()
    start = end - args.minutes * 60
    step = max(5, int(args.minutes * 60 / 300))
    panels = sorted(dashboard["panels"], key=lambda p: (p["gridPos"]["y"], p["gridPos"]["x"]))
    cells = []
    for panel in panels:
        series = []
        for target in panel.get("targets", []):
            expr = target["expr"].replace("$node", ".*").replace("[5m]", "[1m]")
            for result in query_range(args.prometheus, expr, start, end, step):
                points = [(float(t), float(v)) for t, v in result["values"]]
                series.append((legend(target.get("legendFormat"), result["metric"]), points))
        svg, unit = chart(panel, series, start, end, 760, 230)
        items = "".join(
            '<span class="item"><i style="background:%s"></i>%s <b>%s</b></span>'
            % (PALETTE[i % len(PALETTE)], html.escape(name), html.escape(fmt(pts[-1][1] if pts else None, unit)))
            for i, (name, pts) in enumerate(series))
        cells.append('<div class="panel"><h2>%s</h2>%s<div class="legend">%s</div></div>'
                     % (html.escape(panel["title"]), svg, items))
    doc = """<!doctype html><html><head><meta charset="utf-8"><style>
body{background:#111217;color:#ccccdc;font-family:'DejaVu Sans',sans-serif;margin:12px}
h1{font-size:18px;font-weight:500;margin:4px 4px 2px} .note{font-size:12px;color:#8e8e9e;margin:0 4px 10px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:8px}
.panel{background:#181b1f;border:1px solid #2c3235;border-radius:3px;padding:6px 8px}
h2{font-size:13px;font-weight:500;margin:2px 0 4px}
.legend{font-size:11px;line-height:17px}.item{margin-right:14px;white-space:nowrap}
.item i{display:inline-block;width:12px;height:3px;margin:0 5px 3px 0;vertical-align:middle}
.item b{font-weight:500;color:#9fa7b3}
</style></head><body><h1>%s</h1>
<p class="note">The overview dashboard's own PromQL (node = all, rate windows 1m instead of 5m), answered by
Prometheus %s scraping a relay under load, %s to %s; drawn by grafana/screenshot/render.py, not by Grafana.</p>
<div class="grid">%s</div></body></html>""" % (
        html.escape(dashboard["title"]), html.escape(args.prometheus_version),
        time.strftime("%Y-%m-%d %H:%M", time.localtime(start)), time.strftime("%H:%M %Z", time.localtime(end)),
        "".join(cells))
    with open(args.out, "w") as f:
        f.write(doc)
    print("page: %d panels -> %s" % (len(cells), args.out))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("load")
    p.add_argument("--smtp", required=True)
    p.add_argument("--seconds", type=int, default=360)
    p.add_argument("--rate", type=float, default=30)
    p = sub.add_parser("page")
    p.add_argument("--prometheus", required=True)
    p.add_argument("--prometheus-version", default="")
    p.add_argument("--dashboard", required=True)
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--out", required=True)
    args = parser.parse_args()
    load(args) if args.command == "load" else page(args)


if __name__ == "__main__":
    main()
