"""N tiny tasks through concurrent.futures.ThreadPoolExecutor, one future each.

Usage: python3 futures_tiny.py N WORKERS

Submits work(i) for i < N, collects every result and sums them modulo 2**64 (the
Rust side's wrapping sum), then prints the line the benchmark harness reads:
WEFT-BENCH ops=N nanos=T rss_kib=K check=SUM
"""

import sys
import time
from concurrent.futures import ThreadPoolExecutor

from peak_rss import peak_rss_kib

MASK = (1 << 64) - 1


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
