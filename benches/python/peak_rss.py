"""The peak resident set of the calling process, shared by the benchmark scripts."""

import resource


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
