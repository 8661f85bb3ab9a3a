#!/usr/bin/env python3
"""Benchmark: each experiment against the `unshare` floor of the same namespaces, in one run.

    python3 scripts/bench.py [--runs N] [--runner PATH]

For each experiment it prints the median wall time of `runner run <id>`, the medians of the
floors measured in the same run (`unshare -<flags> true` and one start of the probe), the
ratio to the target (5 x unshare + one probe start), and the runner's peak RSS (from wait4).
Run it as root on an idle machine; it is a measurement, not a test.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# id: (unshare flags for its floor, wall-time target in ms or None for "5 x floor + probe")
EXPERIMENTS = {
    "uts-namespace": (["-u"], None),
    "ipc-namespace": (["-i"], None),
    "pid-namespace": (["-p", "-f", "-m", "--mount-proc"], 150.0),
}
RSS_TARGET_MIB = 40


def measure(argv, runs, warmup=5):
    """Median wall milliseconds and maximum peak RSS (MiB) of `argv` over `runs` runs."""
    devnull = os.open(os.devnull, os.O_RDWR)
    walls, rss = [], 0
    for i in range(warmup + runs):
        start = time.perf_counter()
        pid = os.posix_spawnp(argv[0], argv, os.environ,
                              file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0),
                                            (os.POSIX_SPAWN_DUP2, devnull, 1),
                                            (os.POSIX_SPAWN_DUP2, devnull, 2)])
        _, status, usage = os.wait4(pid, 0)
        wall = (time.perf_counter() - start) * 1000
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"bench: {' '.join(argv)} failed with status {status}")
        if i >= warmup:
            walls.append(wall)
            rss = max(rss, usage.ru_maxrss / 1024)
    os.close(devnull)
    return statistics.median(walls), rss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--runner", default=os.path.join(ROOT, ".build", "release", "runner"))
    parser.add_argument("ids", nargs="*", default=list(EXPERIMENTS))
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: run as root: the experiments create namespaces")
    if not os.path.exists(args.runner):
        subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True)
    probe = os.path.join(os.path.dirname(args.runner), "nslab_nsprobe.resources", "nsprobe")

    probe_ms, _ = measure([probe], args.runs)
    print(f"probe start (nsprobe report): {probe_ms:.2f} ms   runs per figure: {args.runs}")
    print(f"{'experiment':<15} {'runner':>9} {'floor':>24} {'target':>9} {'ratio':>6} {'peak RSS':>9}  verdict")
    failed = False
    for experiment in args.ids:
        flags, fixed_target = EXPERIMENTS[experiment]
        floor_argv = ["unshare", *flags, "true"]
        floor_ms, _ = measure(floor_argv, args.runs)
        wall_ms, rss = measure([args.runner, "run", experiment], args.runs)
        target = fixed_target if fixed_target else 5 * floor_ms + probe_ms
        ratio = wall_ms / target
        ok = wall_ms <= target and rss <= RSS_TARGET_MIB
        failed |= not ok
        floor = f"{' '.join(floor_argv)} {floor_ms:.2f}"
        print(f"{experiment:<15} {wall_ms:>6.2f} ms {floor:>24} {target:>6.2f} ms {ratio:>5.2f}x {rss:>5.1f} MiB"
              f"  {'met' if ok else 'NOT met'} (wall ≤ target, RSS ≤ {RSS_TARGET_MIB} MiB)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
