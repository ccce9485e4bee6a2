"""The seed's case in Python: one ThreadPoolExecutor task per line of a CSV file.

Usage: python3 csv_lines.py PATH WORKERS

Written the way the concurrent.futures documentation suggests: submit a task per
line, keep the futures, then collect the results. Each task parses a few fields and
computes revenue and tax; the totals are printed on the line the benchmark harness
reads and checks:
WEFT-BENCH ops=LINES nanos=T rss_kib=K check=LINES,IDS,REVENUE,TAX
"""

import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor

RATES = {"DE": 19, "FR": 20, "US": 7, "GB": 20, "JP": 10, "BR": 17, "IN": 18, "CA": 5}

def peak_rss_kib():
    """This process's own peak RSS (VmHWM). Not ru_maxrss: on Linux it carries over
    exec, so a child started by a large parent would report the parent's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss



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
