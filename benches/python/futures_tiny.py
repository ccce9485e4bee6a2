"""N tiny tasks through concurrent.futures.ThreadPoolExecutor, one future each.

Usage: python3 futures_tiny.py N WORKERS

Submits work(i) for i < N, collects every result and sums them modulo 2**64 (the
Rust side's wrapping sum), then prints the line the benchmark harness reads:
WEFT-BENCH ops=N nanos=T rss_kib=K check=SUM
"""

import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor

MASK = (1 << 64) - 1

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



def work(i):
    return (i * 2654435761) & MASK


def main():
    n, workers = int(sys.argv[1]), int(sys.argv[2])
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(work, i) for i in range(n)]
        total = 0
        for future in futures:
            total = (total + future.result()) & MASK
    nanos = int((time.perf_counter() - start) * 1e9)
    rss_kib = peak_rss_kib()
    print(f"WEFT-BENCH ops={n} nanos={nanos} rss_kib={rss_kib} check={total}")


if __name__ == "__main__":
    main()
