"""Benchmark: download + stage + save N parties from the stand-in, next to a bare httpx loop.

Run on purpose (not a test):  .venv/bin/python bench/bench_download.py [--sizes 10000 100000] [--runs 3]

The stand-in runs in its own process so that the client side is measured alone. Each run
happens in a fresh subprocess; the figures are medians. "bare" fetches the same pages with
httpx and parses each body with orjson, and nothing else: the floor any client pays.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOKEN = "bench-token"

BARE = r"""
import json, re, resource, sys, time, httpx, orjson
url, token = sys.argv[1], sys.argv[2]
t0 = time.perf_counter(); n = 0; page = 1
with httpx.Client(headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                  timeout=30) as c:
    while True:
        r = c.get(url + "/api/v2/parties", params={"page": page, "perPage": 100,
                                                     "embed": "tags,organisation"})
        n += len(orjson.loads(r.content)["parties"])
        m = re.search(r'[?&]page=(\d+)[^>]*>;\s*rel="?next', r.headers.get("link", ""))
        if not m:
            break
        page = int(m.group(1))
print(json.dumps({"seconds": time.perf_counter() - t0, "parties": n,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

OURS = r"""
import json, resource, sys, time
from pathlib import Path
from capsule_tui.core.core import Core
url, token, db = sys.argv[1], sys.argv[2], Path(sys.argv[3])
core = Core.open(db)
if not core.list_sites():
    core.connect_site("bench", token, url)
    core.load_tags("bench")
    core.map_tag("bench", "Customer", "customer")
    core.map_tag("bench", "Supplier", "supplier")
    core.update_settings("bench", ignore_without_organisation=False)
t0 = time.perf_counter()
summary = core.download("bench")
seconds = time.perf_counter() - t0
core.close()
print(json.dumps({"seconds": seconds, "parties": summary.fetched, "staged": summary.staged,
                  "created": summary.created, "updated": summary.updated,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "db_mb": db.stat().st_size / 1e6}))
"""

SERVER = r"""
import sys, time
from capsule_tui.capsule.sandbox.server import SandboxServer
s = SandboxServer(parties=int(sys.argv[1]), seed=7, token=sys.argv[2], subdomain="bench",
                  rate_limit=10**9).start()
print(s.url, flush=True)
time.sleep(10**9)
"""


def run(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(size: int, runs: int) -> dict:
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(size), TOKEN],
                              stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        run(BARE, url, TOKEN)  # warm the stand-in's page cache
        bare, ours, first, again = [], [], None, []
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(runs):
                bare.append(run(BARE, url, TOKEN))
                db = Path(tmp) / f"fresh-{i}.json"
                result = run(OURS, url, TOKEN, str(db))  # fresh database: creates records
                ours.append(result)
                first = first or result
                again.append(run(OURS, url, TOKEN, str(db)))  # second download: updates
        med = lambda rows, key="seconds": statistics.median(r[key] for r in rows)
        return {"size": size, "bare_s": med(bare), "ours_s": med(ours), "again_s": med(again),
                "ratio": med(ours) / med(bare), "ratio_again": med(again) / med(bare),
                "rss_mb": max(r["rss_mb"] for r in ours + again), "db_mb": first["db_mb"],
                "staged": first["staged"], "created": first["created"]}
    finally:
        server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'parties':>8} {'bare httpx':>11} {'download':>9} {'ratio':>6} {'re-download':>12} "
          f"{'ratio':>6} {'peak RSS':>9} {'db file':>8} {'staged':>7} {'created':>8}")
    for size in args.sizes:
        r = bench(size, args.runs)
        print(f"{r['size']:>8,} {r['bare_s']:>10.2f}s {r['ours_s']:>8.2f}s {r['ratio']:>5.2f}x "
              f"{r['again_s']:>11.2f}s {r['ratio_again']:>5.2f}x {r['rss_mb']:>7.0f}MB "
              f"{r['db_mb']:>6.1f}MB {r['staged']:>7,} {r['created']:>8,}", flush=True)


if __name__ == "__main__":
    os.environ.pop("NO_COLOR", None)
    main()
