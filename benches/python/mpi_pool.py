"""mpi4py.futures on the workloads of benches/src/mpi_pool.rs.

Usage: mpirun -n 4 /usr/bin/python3 -m mpi4py.futures mpi_pool.py WORKLOAD N
  WORKLOAD map1 | map1000 (N trivial calls through MPIPoolExecutor.map at that
           chunksize, on an executor warmed before the clock starts) | startup (one
           call, the first result; the parent times the whole job)

Rank 0 prints the line the benchmark harness reads:
WEFT-BENCH ops=N nanos=T rss_kib=K check=SUM
"""

import sys
import time

from mpi4py.futures import MPIPoolExecutor

from peak_rss import peak_rss_kib

MASK = (1 << 64) - 1


def work(n):
    return ((n * 3) & MASK) ^ 1


def main():
    workload, n = sys.argv[1], int(sys.argv[2])
    with MPIPoolExecutor() as pool:
        if workload == "startup":
            start = time.perf_counter()
            total = pool.submit(work, 1).result()
            ops = 1
        else:
            chunksize = int(workload[len("map"):])
            # warm, as the in-process pools are between samples: the same map on a
            # tenth of the items before the clock starts
            sum(pool.map(work, range(n // 10), chunksize=chunksize))
            start = time.perf_counter()
            total = 0
            for r in pool.map(work, range(n), chunksize=chunksize):
                total = (total + r) & MASK
            ops = n
        nanos = int((time.perf_counter() - start) * 1e9)
    print(f"WEFT-BENCH ops={ops} nanos={nanos} rss_kib={peak_rss_kib()} check={total}")


if __name__ == "__main__":
    main()
