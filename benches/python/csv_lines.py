"""The seed's case in Python: one ThreadPoolExecutor task per line of a CSV file.

Usage: python3 csv_lines.py PATH WORKERS

Written the way the concurrent.futures documentation suggests: submit a task per
line, keep the futures, then collect the results. Each task parses a few fields and
computes revenue and tax; the totals are printed on the line the benchmark harness
reads and checks:
WEFT-BENCH ops=LINES nanos=T rss_kib=K check=LINES,IDS,REVENUE,TAX
"""

import sys
import time
from concurrent.futures import ThreadPoolExecutor

from peak_rss import peak_rss_kib

RATES = {"DE": 19, "FR": 20, "US": 7, "GB": 20, "JP": 10, "BR": 17, "IN": 18, "CA": 5}


def work(line):
    fields = line.rstrip("\n").split(",")
    ident = int(fields[0])
    int(fields[1])  # the user id, parsed as the Rust side does
    rate = RATES[fields[2]]
    revenue = int(fields[4]) * int(fields[5])
    return ident, revenue, revenue * rate // 100


def main():
    path, workers = sys.argv[1], int(sys.argv[2])
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool, open(path) as lines:
        futures = [pool.submit(work, line) for line in lines]
        count = ids = revenue = tax = 0
        for future in futures:
            i, r, t = future.result()
            count += 1
            ids += i
            revenue += r
            tax += t
    nanos = int((time.perf_counter() - start) * 1e9)
    rss_kib = peak_rss_kib()
    print(
        f"WEFT-BENCH ops={count} nanos={nanos} rss_kib={rss_kib} "
        f"check={count},{ids},{revenue},{tax}"
    )


if __name__ == "__main__":
    main()
