#!/usr/bin/env python3
"""Benchmark: each experiment against a shell script doing the same steps by hand, in one run.

    python3 scripts/bench.py [--runs N] [--runner PATH] [--only ID...] [--grade]      (as root)

For N rounds (after a few warm-up rounds) it runs, interleaved: `runner run <id>` and
`scripts/by-hand/<id>.sh` for each experiment that has one, then `runner run` of all of those
at once and the scripts one after the other (their sum). It prints each median wall time, the ratio runner/script
against its target (issue 29: 0.5x per experiment, 0.6x for net-namespace, whose kernel
operations cost the same whoever makes them, 0.3x for `all` against the scripts' sum), and the
runner's peak RSS against 16 MiB; above the table, two reference lines measured in the same
rounds: the `unshare -u true` floor and one start of the probe.

Wall time is perf_counter around posix_spawn and wait4, output to a memory file. Peak RSS
comes from one more, untimed run of each runner command per round under GNU time
(/usr/bin/time, Debian package `time`): see peak_rss for which figure and why.

It measures the runner as the README's set-up installs it: the runner and the probe beside
it, copied (`install`) into a folder of their own beside --runner, removed at the end. On
this machine a copy of the linker's output file starts about half a millisecond sooner than
that file itself, for reasons not looked into; a student runs the copy.

It is a measurement, not a test: run it on an idle machine. It exits 1 when a target is not
met (or a run fails), 0 otherwise.

The real machine is never touched: when not already in one, the script runs itself again
inside a throwaway sandbox, `unshare --uts --ipc --mount --net --pid --fork --kill-child
--mount-proc`, as its pid 1; the runner and the scripts then each make their own sandbox in
there, as they always do. Only a missing runner is built first, outside, with
`swift build -c release -Xswiftc -static-executable`, as the README builds it.
"""
import argparse
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BY_HAND = os.path.join(ROOT, "scripts", "by-hand")
# The experiments that have a by-hand script, in the course's order.
COURSE = ["uts-namespace", "ipc-namespace", "pid-namespace", "mount-namespace", "pivot-root", "user-namespace",
          "net-namespace", "cgroup-namespace", "time-namespace", "setns", "clone-vs-unshare", "namespace-limits"]
EXPERIMENTS = [id for id in COURSE if os.path.exists(os.path.join(BY_HAND, id + ".sh"))]
RATIO_TARGET = 0.5
NET_RATIO_TARGET = 0.6
ALL_RATIO_TARGET = 0.3
RSS_TARGET_MIB = 16
WARMUP_ROUNDS = 3
TIMEOUT_SECONDS = 60
SANDBOX = ["unshare", "--uts", "--ipc", "--mount", "--net", "--pid", "--fork", "--kill-child", "--mount-proc"]
MARKER = "NSLAB_BENCH_SANDBOX"


class Failed(Exception):
    pass


def spawn(argv, output):
    """Runs argv to its end and returns its wall time in ms. Output goes to `output`."""
    os.lseek(output, 0, os.SEEK_SET)
    os.ftruncate(output, 0)
    start = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ,
                          file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                                        (os.POSIX_SPAWN_DUP2, output, 1),
                                        (os.POSIX_SPAWN_DUP2, output, 2)])
    # A bounded wait: poll a pidfd, then wait4 (a hung run is killed, and the bench stops).
    pidfd = os.pidfd_open(pid)
    ready, _, _ = select.select([pidfd], [], [], TIMEOUT_SECONDS)
    os.close(pidfd)
    if not ready:
        os.kill(pid, 9)
    _, status, _ = os.wait4(pid, 0)
    wall = (time.perf_counter() - start) * 1000
    if not ready or os.waitstatus_to_exitcode(status) != 0:
        os.lseek(output, 0, os.SEEK_SET)
        said = os.read(output, 4000).decode(errors="replace").strip()
        how = f"timed out after {TIMEOUT_SECONDS} s" if not ready else f"exited {os.waitstatus_to_exitcode(status)}"
        raise Failed(f"{' '.join(argv)} {how}" + (f":\n{said}" if said else ""))
    return wall


def peak_rss(argv, output, report):
    """Runs argv once under GNU time and returns its peak RSS in MiB.

    Which figure: wait4's ru_maxrss as GNU time gets it for the process it forked, which in
    Linux is the larger of that process's own peak and the peaks of every descendant it
    waited for (getrusage RUSAGE_BOTH in wait_task_zombie). For the runner that covers the
    supervising runner, the runner inside its sandbox (which re-executed itself there and is
    waited for by the supervisor) and every probe: the whole run, not one process.
    Why not wait4 here: a process spawned from this one (posix_spawn shares our address
    space until exec, fork copies it) gets our own peak, about 13 MiB of Python, recorded as
    its maxrss at exec, so wait4 here would never say less. RUSAGE_CHILDREN has the same
    floor and is a maximum over everything ever waited for. GNU time is a small process
    that forks the command afresh, so its figure starts from nothing.
    """
    spawn(["/usr/bin/time", "-f", "%M", "-o", report, *argv], output)
    with open(report) as file:
        return int(file.read().split()[-1]) / 1024  # kilobytes


def rounds(args, shell, probe):
    """Runs every measurement, interleaved, for args.runs rounds after WARMUP_ROUNDS.

    Returns the median wall ms by name and the runners' peak RSS MiB by name."""
    output = os.memfd_create("bench-output")
    report = os.path.join(tempfile.mkdtemp(), "peak-rss")
    samples, rss = {}, {}

    def take(name, argv):
        samples.setdefault(name, []).append(spawn(argv, output))
        if name.startswith("runner "):  # and once more for its peak RSS, untimed
            rss[name] = max(rss.get(name, 0), peak_rss(argv, output, report))

    runner = lambda *words: [args.runner, "run", *words]
    script = lambda id: [shell, os.path.join(BY_HAND, id + ".sh")]
    for n in range(WARMUP_ROUNDS + args.runs):
        take("unshare -u true", ["unshare", "-u", "true"])
        take("probe", [probe])
        for id in EXPERIMENTS:
            # Alternate which goes first, so that neither always runs on a warmer cache.
            pair = [("runner " + id, runner(id)), ("script " + id, script(id))]
            for name, argv in pair[::1 if n % 2 else -1]:
                take(name, argv)
        # "all" is the experiments that have a by-hand script, in one run (the later
        # chapters have none yet).
        take("runner all", runner(*EXPERIMENTS))
        samples.setdefault("script all", []).append(sum(spawn(script(id), output) for id in EXPERIMENTS))
        if n == WARMUP_ROUNDS - 1:
            samples.clear()
    os.close(output)
    shutil.rmtree(os.path.dirname(report))
    return {name: statistics.median(walls) for name, walls in samples.items()}, rss


STUDENTS = os.path.join(ROOT, "fixtures", "students")
GRADE_OVERHEAD_TARGET_MS = 10
# Sample students that run into the time limit on purpose (a class of them measures the
# limit), and those that race the grader on purpose (their reports may differ from run to run).
SLOW_STUDENTS = {"hangs", "fork-bomb", "closes-output"}
RACING_STUDENTS = {"kills-everything", "fake-ready"}
CLASS_SIZE = 100


def grade_bench(args, probe, output):
    """`--grade`: the grader's own overhead per exercise, and a class of 100 checkouts.

    Overhead: `runner grade good-c` with all eight exercises and with one, each the median of
    the rounds; their difference over seven is one exercise with the student's program in it
    (the build, done once in both, cancels). The student's program alone is timed too: good-c's
    `lab` built here, run on four exercises by hand (uts, ipc, pid, net) with the probe as its
    command, in this sandbox; its median is taken off. Class: 100 checkouts, the sample students
    but those that wait out the time limit or race the grader on purpose, in turn, graded at once with --jobs at the
    number of cores and with --jobs 1: wall times, peak RSS (GNU time, as for the runs), and
    whether the two reports are the same."""
    good = os.path.join(STUDENTS, "good-c")
    grade = lambda *words: [args.runner, "grade", good, "--seed", "1", *words]
    samples = {"all": [], "one": [], "program": []}
    scratch = tempfile.mkdtemp()
    lab = os.path.join(scratch, "lab")
    subprocess.run(["cc", "-O2", "-o", lab, os.path.join(good, "lab.c")], check=True)
    by_hand = [[lab, "uts", "bench", probe, "report=ns"], [lab, "ipc", probe, "report=ns"],
               [lab, "pid", probe, "report=ns"], [lab, "net", probe, "report=ns"]]
    for n in range(WARMUP_ROUNDS + args.runs):
        samples["all"].append(spawn(grade(), output))
        samples["one"].append(spawn(grade("--only", "uts-namespace"), output))
        samples["program"].append(statistics.median(spawn(argv, output) for argv in by_hand))
        if n == WARMUP_ROUNDS - 1:
            samples = {name: [] for name in samples}
    medians = {name: statistics.median(walls) for name, walls in samples.items()}
    per_exercise = (medians["all"] - medians["one"]) / 7
    overhead = per_exercise - medians["program"]

    students = sorted(name for name in os.listdir(STUDENTS)
                      if os.path.isdir(os.path.join(STUDENTS, name)) and name not in SLOW_STUDENTS | RACING_STUDENTS)
    checkouts = []
    for index in range(CLASS_SIZE):
        checkout = os.path.join(scratch, f"student-{index:03d}")
        shutil.copytree(os.path.join(STUDENTS, students[index % len(students)]), checkout)
        checkouts.append(checkout)
    cores = os.cpu_count() or 1
    report = os.path.join(scratch, "peak-rss")
    reports = {jobs: os.path.join(scratch, f"class-{jobs}.json") for jobs in (cores, 1)}
    walls = {}
    for jobs, json_path in reports.items():
        # Students fail on purpose: the grade exits 1, which is not the bench's failure.
        class_argv = ["sh", "-c", '"$@"; [ $? -le 1 ]', "sh", args.runner, "grade", *checkouts, "--seed", "1",
                      "--jobs", str(jobs), "--json", json_path]
        start = time.perf_counter()
        spawn(class_argv, output)
        walls[jobs] = time.perf_counter() - start
    spawn(["/usr/bin/time", "-f", "%M", "-o", report, *class_argv], output)
    with open(report) as file:
        class_rss = int(file.read().split()[-1]) / 1024
    with open(reports[cores]) as parallel, open(reports[1]) as serial:
        same = parallel.read() == serial.read()
    shutil.rmtree(scratch)

    print(f"{args.runs} rounds, medians")
    print(f"runner grade good-c, 8 exercises       {medians['all']:7.1f} ms")
    print(f"runner grade good-c, 1 exercise        {medians['one']:7.1f} ms")
    print(f"one exercise (difference / 7)          {per_exercise:7.1f} ms")
    print(f"the student's program alone, by hand   {medians['program']:7.1f} ms")
    met = overhead <= GRADE_OVERHEAD_TARGET_MS
    print(f"grader overhead per exercise           {overhead:7.1f} ms (target ≤ {GRADE_OVERHEAD_TARGET_MS} ms: "
          f"{'met' if met else 'NOT met'})")
    print(f"{CLASS_SIZE} checkouts ({len(students)} sample students in turn): --jobs {cores} {walls[cores]:.1f} s wall, "
          f"--jobs 1 {walls[1]:.1f} s wall, peak RSS {class_rss:.1f} MiB; the same report: {'yes' if same else 'NO'}")
    return 0 if met and same else 1


def install(runner, folder):
    """Copies the runner and its probe (where SwiftPM builds it, or already beside it) into
    `folder`, as the README's set-up installs them (`install -D -m 755`); returns their paths."""
    built = os.path.join(os.path.dirname(runner), "nslab_nsprobe.resources", "nsprobe")
    probe = built if os.path.exists(built) else os.path.join(os.path.dirname(runner), "nsprobe")
    paths = []
    for source, name in [(runner, "runner"), (probe, "nsprobe")]:
        path = os.path.join(folder, name)
        shutil.copyfile(source, path)
        os.chmod(path, 0o755)
        paths.append(path)
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="rounds measured (default 30)")
    parser.add_argument("--grade", action="store_true", help="measure runner grade instead (see grade_bench)")
    parser.add_argument("--runner", default=os.path.join(ROOT, ".build", "release", "runner"),
                        help="the runner to measure (default .build/release/runner)")
    parser.add_argument("--only", nargs="+", metavar="ID", choices=EXPERIMENTS,
                        help="measure these experiments alone ('all' is then these together)")
    args = parser.parse_args()
    if args.only:
        EXPERIMENTS[:] = [id for id in EXPERIMENTS if id in args.only]
    args.runner = os.path.abspath(args.runner)
    if os.geteuid() != 0:
        sys.exit("bench: run as root: the experiments create namespaces")
    if not (os.getpid() == 1 and os.environ.get(MARKER) == "1"):
        if not os.path.exists(args.runner):
            subprocess.run(["swift", "build", "-c", "release", "-Xswiftc", "-static-executable"], cwd=ROOT, check=True)
        os.environ[MARKER] = "1"
        argv = SANDBOX + [sys.executable, os.path.abspath(__file__), "--runs", str(args.runs), "--runner", args.runner] \
            + (["--grade"] if args.grade else []) + (["--only"] + args.only if args.only else [])
        os.execvp(argv[0], argv)

    # A passing run records the student's progress: the bench's runs record theirs in a folder
    # of their own, removed at the end, never in the caller's home.
    state = tempfile.TemporaryDirectory(prefix="nslab-bench-state-")
    os.environ["XDG_STATE_HOME"] = state.name

    installed = tempfile.TemporaryDirectory(prefix="nslab-bench-bin-", dir=os.path.dirname(args.runner))
    args.runner, probe = install(args.runner, installed.name)
    shell = shutil.which("dash") or "sh"
    if not os.access("/usr/bin/time", os.X_OK):
        sys.exit("bench: needs GNU time for peak RSS: apt-get install time")
    if args.grade:
        output = os.memfd_create("bench-output")
        try:
            return grade_bench(args, probe, output)
        except (Failed, OSError, subprocess.CalledProcessError) as failure:
            sys.exit(f"bench: {failure}")
    try:
        medians, rss = rounds(args, shell, probe)
    except (Failed, OSError) as failure:
        sys.exit(f"bench: {failure}")

    print(f"{args.runs} interleaved rounds, medians; the scripts run with {shell}")
    print(f"reference: unshare -u true          {medians['unshare -u true']:6.2f} ms")
    print(f"reference: probe start (nsprobe)    {medians['probe']:6.2f} ms")
    print(f"{'experiment':<15} {'runner':>9} {'script':>9} {'ratio':>6} {'target':>7} {'peak RSS':>9}  verdict"
          f" (ratio ≤ target, RSS ≤ {RSS_TARGET_MIB} MiB)")
    all_met = True
    targets = [(id, NET_RATIO_TARGET if id == "net-namespace" else RATIO_TARGET) for id in EXPERIMENTS]
    for id, target in targets + [("all", ALL_RATIO_TARGET)]:
        runner_ms, script_ms, peak = medians["runner " + id], medians["script " + id], rss["runner " + id]
        ratio = runner_ms / script_ms
        met = ratio <= target and peak <= RSS_TARGET_MIB
        all_met &= met
        shown = id if id != "all" else "all (vs sum)"
        print(f"{shown:<15} {runner_ms:>6.1f} ms {script_ms:>6.1f} ms {ratio:>5.2f}x {target:>6.2f}x"
              f" {peak:>5.1f} MiB  {'met' if met else 'NOT met'}")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
