"""Python's process pools on the workloads of benches/src/process_pool.rs.

Usage: python3 process_pool.py SYSTEM WORKLOAD N WORKERS
  SYSTEM   executor | pool | executor-fork | executor-spawn
  WORKLOAD map1 | map1000 (N trivial calls through map at that chunksize, on a pool
           started and warmed before the clock starts) | startup (pool start-up to
           the first result; N is ignored)

Prints the line the benchmark harness reads:
WEFT-BENCH ops=N nanos=T rss_kib=K check=SUM
"""

import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from peak_rss import peak_rss_kib

MASK = (1 << 64) - 1


def work(n):
    return ((n * 3) & MASK) ^ 1


def make(system, workers):
    if system == "pool":
        return multiprocessing.Pool(workers)
    method = {"executor": None, "executor-fork": "fork", "executor-spawn": "spawn"}[system]
    ctx = multiprocessing.get_context(method) if method else None
    return ProcessPoolExecutor(workers, mp_context=ctx)


def mapped(pool, system, n, chunksize):
    # Pool.map (not imap): the call the issue names, and Pool's fastest, since it
    # sends all chunks at once and returns a list.
    if system == "pool":
        return pool.map(work, range(n), chunksize)
    return pool.map(work, range(n), chunksize=chunksize)


def main():
    system, workload, n, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if workload == "startup":
        start = time.perf_counter()
        with make(system, workers) as pool:
            if system == "pool":
                total = pool.apply(work, (1,))
            else:
                total = pool.submit(work, 1).result()
        ops = 1
    else:
        chunksize = int(workload[len("map"):])
        with make(system, workers) as pool:
            sum(mapped(pool, system, 2 * workers, 1))  # warm: every worker is up
            start = time.perf_counter()
            total = 0
            for r in mapped(pool, system, n, chunksize):
                total = (total + r) & MASK
            elapsed = time.perf_counter() - start
        ops = n
    nanos = int((time.perf_counter() - start) * 1e9) if workload == "startup" else int(elapsed * 1e9)
    rss_kib = peak_rss_kib()
    print(f"WEFT-BENCH ops={ops} nanos={nanos} rss_kib={rss_kib} check={total}")


if __name__ == "__main__":
    main()
