"""Source text of `_peak_mb()`, for the benchmarks' child processes (each runs `python -c CHILD`)."""

PEAK_MB_SOURCE = '''
def _peak_mb():
    # peak RSS in MB: VmHWM (Linux) belongs to this process's own memory map, unlike ru_maxrss,
    # which also counts the parent's memory at fork time; ru_maxrss elsewhere
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
'''
