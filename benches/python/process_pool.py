"""Python's process pools on the workloads of benches/src/process_pool.rs.

Prints one line per (workload, system): workload, system and the per-sample rates
(items or starts per second), tab-separated, for the Rust harness to report beside
weft and procspawn. Each result is checked (sum of outputs).
"""

import argparse
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor


def work(n):
    return ((n * 3) & 0xFFFFFFFFFFFFFFFF) ^ 1


def expected(n):
    return sum(work(i) for i in range(n)) & 0xFFFFFFFFFFFFFFFF


def timed(samples, run, ops):
    run()  # warm-up
    rates = []
    for _ in range(samples):
        start = time.perf_counter()
        run()
        rates.append(ops / (time.perf_counter() - start))
    return rates


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    n, samples, workers = args.items, args.samples, args.workers
    want = expected(n)

    def check(total):
        assert total & 0xFFFFFFFFFFFFFFFF == want, "wrong sum"

    out = []
    with ProcessPoolExecutor(workers) as ex, multiprocessing.Pool(workers) as pool:
        for chunksize in (1, 1000):
            workload = f"process map {n} items, chunksize {chunksize}"
            out.append((workload, "ProcessPoolExecutor", timed(
                samples, lambda: check(sum(ex.map(work, range(n), chunksize=chunksize))), n)))
            out.append((workload, "multiprocessing.Pool", timed(
                samples, lambda: check(sum(pool.imap(work, range(n), chunksize))), n)))

    for method in ("fork", "spawn"):
        ctx = multiprocessing.get_context(method)

        def start():
            with ProcessPoolExecutor(workers, mp_context=ctx) as ex:
                assert ex.submit(work, 1).result() == 2

        out.append(("process start-up to first result",
                    f"ProcessPoolExecutor ({method})", timed(samples, start, 1)))

    for workload, system, rates in out:
        print(f"{workload}\t{system}\t{' '.join(f'{r:.3f}' for r in rates)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
