#!/usr/bin/env python3
"""Side-by-side benchmark in one run: local builds, distcc, and our cluster.

Everything runs on this machine over loopback, so the ratios measure each tool's overhead rather
than any speed-up from extra machines. Measured, with the ways interleaved (A B C A B C ...) so a
machine whose speed drifts does not favour one:

  - the wrapper's start (`sccache --version` against /bin/true);
  - one tiny compile, per-job wall time over a local compile, and the CPU per job: the wrapper,
    every process it ran, and the local sccache server's CPU for that job (its own and its
    children's, from /proc/<pid>/stat) against distcc's client and preprocessor;
  - where one remote job's time goes (the local server's debug log);
  - clean builds of real projects: zstd's library (make -jN CC=...) and leveldb (CMake + Ninja
    with a compiler launcher).

Results go to bench/results.md and between the bench markers of README.md.
"""
import argparse
import os
import pathlib
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


BUILDERS = {
    "overlay": '[builder]\ntype = "overlay"\nbuild_dir = "{work}/build"\nbwrap_path = "/usr/bin/bwrap"\n',
    # The docker builder's defaults: 1 CPU and 4 GiB per job, 2 warm containers per toolchain.
    "docker": '[builder]\ntype = "docker"\n',
}


def docker_engine_answers():
    return subprocess.run(["docker", "info"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0 if shutil.which("docker") else False


class Cluster:
    """Our scheduler, one build server and a local sccache server, on loopback."""

    def __init__(self, build_dir, work, builder="overlay"):
        self.bin = build_dir / "bin"
        work = work / builder
        work.mkdir()
        self.work = work
        self.port = free_port()
        server_port = free_port()
        (work / "scheduler.conf").write_text(
            f'public_addr = "127.0.0.1:{self.port}"\n'
            '[client_auth]\ntype = "token"\ntoken = "bench client"\n'
            '[server_auth]\ntype = "token"\ntoken = "bench server"\n')
        (work / "server.conf").write_text(
            f'cache_dir = "{work}/server-cache"\npublic_addr = "127.0.0.1:{server_port}"\n'
            f'scheduler_url = "http://127.0.0.1:{self.port}"\n'
            + BUILDERS[builder].format(work=work) +
            '[scheduler_auth]\ntype = "token"\ntoken = "bench server"\n')
        self.client_conf = work / "client.conf"
        self.client_conf.write_text(
            f'[dist]\nscheduler_url = "http://127.0.0.1:{self.port}"\n'
            f'cache_dir = "{work}/client-cache"\ntoolchains = []\n'
            '[dist.auth]\ntype = "token"\ntoken = "bench client"\n')
        sock = work / "sock"
        sock.mkdir(mode=0o700)
        self.socket = sock / "server.sock"
        self.env = dict(os.environ, SCCACHE_CONF=str(self.client_conf),
                        SCCACHE_SERVER_UDS=str(self.socket),
                        SCCACHE_ERROR_LOG=str(work / "sccache-server.log"),
                        # the cluster alone: distcc has no cache either (bench/cache_bench.py
                        # measures the cache)
                        SCCACHE_CACHE="off")
        self.env.pop("SCCACHE_LOG", None)
        log = open(work / "daemons.log", "w")
        self.procs = [
            subprocess.Popen([self.bin / "sccache-dist", "scheduler", "--config", work / "scheduler.conf"],
                             stdout=log, stderr=log),
            subprocess.Popen([self.bin / "sccache-dist", "server", "--config", work / "server.conf"],
                             stdout=log, stderr=log),
        ]
        if not wait_for(lambda: '"num_servers":1' in self.sccache("--dist-status", "--json")):
            sys.exit("the benchmark cluster did not come up; see " + str(work / "daemons.log"))

    def sccache(self, *args, env=None):
        r = subprocess.run([self.bin / "sccache", *args], env=env or self.env, capture_output=True,
                           text=True)
        return r.stdout

    def server_pid(self):
        try:
            return int(pathlib.Path(str(self.socket) + ".pid").read_text())
        except (OSError, ValueError):
            return None

    def stop(self):
        self.sccache("--stop-server")
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait()


class Distcc:
    def __init__(self, work):
        self.port = free_port()
        (work / "distcc-state").mkdir(exist_ok=True)
        self.log = open(work / "distccd.log", "w")
        self.proc = subprocess.Popen(
            ["distccd", "--daemon", "--no-detach", "--listen", "127.0.0.1", "--port", str(self.port),
             "--allow", "127.0.0.1", "--jobs", str(os.cpu_count()), "--user", "nobody", "--log-stderr",
             "--log-level", "warning"], stdout=self.log, stderr=self.log)
        self.env = dict(os.environ, DISTCC_HOSTS=f"127.0.0.1:{self.port}/{os.cpu_count()}",
                        DISTCC_FALLBACK="0", DISTCC_DIR=str(work / "distcc-state"))
        wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", self.port)) == 0, 10)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid):
    """CPU seconds of `pid` and of the children it waited for (/proc/<pid>/stat)."""
    if pid is None:
        return 0.0
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the comm field: utime, stime, cutime, cstime are fields 14-17 (11-14 here).
    return sum(int(x) for x in fields[11:15]) / CLOCK_TICKS


def run_checked(cmd, env, cwd):
    r = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return r


def timed(cmd, env, cwd, server_pid=None):
    """Wall and CPU seconds of one command, the local server's CPU for it included."""
    start_cpu = children_cpu() + process_cpu(server_pid)
    start = time.perf_counter()
    run_checked(cmd, env, cwd)
    wall = time.perf_counter() - start
    return wall, children_cpu() + process_cpu(server_pid) - start_cpu


class Way:
    def __init__(self, name, prefix, env, cluster=None):
        self.name, self.prefix, self.env, self.cluster = name, prefix, env, cluster

    def server_pid(self):
        return self.cluster.server_pid() if self.cluster else None


def start_times(sccache, runs):
    """Median wall of `sccache --version` and of /bin/true, interleaved (seconds)."""
    ours, true = [], []
    for _ in range(runs):
        for cmd, out in (([sccache, "--version"], ours), (["/bin/true"], true)):
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL)
            out.append(time.perf_counter() - start)
    return statistics.median(ours), statistics.median(true)


def tiny_compiles(work, ways, runs):
    """One-line compiles, the ways interleaved: {name: (median wall, mean CPU)} in seconds."""
    d = work / "tiny"
    d.mkdir(exist_ok=True)
    (d / "tiny.c").write_text("int tiny(int x) { return x * 2; }\n")
    walls = {w.name: [] for w in ways}
    cpus = {w.name: [] for w in ways}
    for i in range(runs):
        for w in ways:
            wall, cpu = timed([*w.prefix, "gcc", "-O2", "-c", "tiny.c", "-o", f"t-{i}.o"], w.env, d,
                              w.server_pid())
            walls[w.name].append(wall)
            cpus[w.name].append(cpu)
    return {name: (statistics.median(walls[name]), statistics.mean(cpus[name])) for name in walls}


def build_zstd(src, work, way, jobs):
    tree = work / f"zstd-{abs(hash(way.name))}"
    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(src, tree, symlinks=True)
    cc = " ".join([*map(str, way.prefix), "gcc"])
    wall, _ = timed(["make", "-C", "lib", f"-j{jobs}", "libzstd.a", f"CC={cc}"], way.env, tree)
    return wall


def build_leveldb(src, work, way, jobs):
    tree = work / f"leveldb-{abs(hash(way.name))}"
    if tree.exists():
        shutil.rmtree(tree)
    launcher = [f"-DCMAKE_C_COMPILER_LAUNCHER={way.prefix[0]}",
                f"-DCMAKE_CXX_COMPILER_LAUNCHER={way.prefix[0]}"] if way.prefix else []
    run_checked(["cmake", "-S", src, "-B", tree, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                 "-DLEVELDB_BUILD_TESTS=OFF", "-DLEVELDB_BUILD_BENCHMARKS=OFF", *launcher],
                way.env, work)
    wall, _ = timed(["ninja", "-C", tree, f"-j{jobs}", "leveldb"], way.env, work)
    return wall


PHASES = ["preprocess", "alloc", "upload", "server.receive", "server.setup", "server.compile",
          "outputs"]


def phase_breakdown(cluster, work, runs=10):
    """Where one remote job's time goes: medians over `runs` jobs of a local server that logs
    at debug level (its own socket, so the measured one stays at the default level)."""
    sock = work / "debug-sock"
    sock.mkdir(mode=0o700, exist_ok=True)
    log = work / "debug-server.log"
    env = dict(cluster.env, SCCACHE_SERVER_UDS=str(sock / "server.sock"), SCCACHE_LOG="debug",
               SCCACHE_ERROR_LOG=str(log))
    d = work / "tiny"
    for i in range(runs + 1):
        run_checked([cluster.bin / "sccache", "gcc", "-O2", "-c", "tiny.c", "-o", f"p-{i}.o"], env, d)
    subprocess.run([cluster.bin / "sccache", "--stop-server"], env=env, capture_output=True)
    values = {p: [] for p in PHASES + ["total", "run"]}
    lines = [l for l in log.read_text().splitlines() if "remote compile on" in l][1:]  # warm only
    for line in lines:
        m = re.search(r"in (\d+) ms: (.*)", line)
        if not m:
            continue
        values["total"].append(float(m.group(1)))
        fields = m.group(2).replace("(", " ").replace(")", " ").split()
        named = dict(zip(fields[0::2], map(float, fields[1::2])))
        for p in PHASES + ["run"]:
            if p in named:
                values[p].append(named[p])
    return {p: statistics.median(v) for p, v in values.items() if v}


def engine_access(build_dir):
    """The docker plugin's engine-access table (Markdown), or None."""
    tool = build_dir / "bin" / "sccache-docker-access-bench"
    if not tool.exists():
        return None
    r = subprocess.run([tool], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def verdict(ok):
    return "**met**" if ok else "**not met**"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", default="build")
    parser.add_argument("--repeat", type=int, default=2, help="clean builds per way (best is kept)")
    parser.add_argument("--tiny-runs", type=int, default=30)
    parser.add_argument("--no-docker", action="store_true")
    args = parser.parse_args()
    build_dir = (ROOT / args.build_dir).resolve()
    sources = ROOT / ".work" / "sources"
    zstd_src = next(sources.glob("libzstd-*/"))
    leveldb_src = next(sources.glob("leveldb-*/"))
    jobs = os.cpu_count()
    work = pathlib.Path(tempfile.mkdtemp(prefix="sccache-bench-"))
    sccache = str(build_dir / "bin" / "sccache")
    clusters = {"overlay": Cluster(build_dir, work)}
    docker = not args.no_docker and docker_engine_answers()
    if docker:
        clusters["docker"] = Cluster(build_dir, work, "docker")
    else:
        print("bench: the docker builder is not measured (no Docker engine answers; "
              "scripts/start-dockerd.sh starts one)", file=sys.stderr)
    distcc = Distcc(work)
    ways = [Way("local", [], dict(os.environ)), Way("distcc", ["distcc"], distcc.env)]
    ours = {}
    for builder, cluster in clusters.items():
        ours[builder] = f"sccache-dist, {builder} builder (ours)"
        ways.append(Way(ours[builder], [sccache], cluster.env, cluster))
    try:
        # Warm up: the local server starts, the toolchain is packaged and uploaded once, build
        # servers make their sandboxes ahead; the benchmark measures steady state.
        tiny_compiles(work, ways, 3)
        wrapper_start, true_start = start_times(sccache, 40)
        for cluster in clusters.values():
            cluster.sccache("--zero-stats")
        tiny = tiny_compiles(work, ways, args.tiny_runs)
        phases = phase_breakdown(clusters["overlay"], work)
        builds = {"zstd": {w.name: [] for w in ways}, "leveldb": {w.name: [] for w in ways}}
        for _ in range(args.repeat):
            for w in ways:
                builds["zstd"][w.name].append(build_zstd(zstd_src, work, w, jobs))
            for w in ways:
                builds["leveldb"][w.name].append(build_leveldb(leveldb_src, work, w, jobs))
        stats = clusters["overlay"].sccache("--show-stats")
    finally:
        distcc.stop()
        for cluster in clusters.values():
            cluster.stop()
    access = engine_access(build_dir) if docker else None
    best = {project: {name: min(t) for name, t in walls.items()} for project, walls in builds.items()}

    local_tiny = tiny["local"][0]
    distcc_overhead = tiny["distcc"][0] - local_tiny
    distcc_cpu = tiny["distcc"][1]
    main_way = ours["overlay"]
    lines = [
        f"{jobs} CPUs; scheduler, build server, local sccache server and distccd all on 127.0.0.1; "
        f"ways interleaved; tiny compile: median of {args.tiny_runs}; builds: best of {args.repeat} "
        "clean builds.",
        "",
        "**Targets** (issue: per-job overhead and CPU per remote job at most distcc's, build wall "
        "at most 1.00x distcc's):",
        "",
        "| target | ours (overlay) | distcc | |",
        "|---|---|---|---|",
        f"| per-job overhead (tiny compile, ms over local) | {(tiny[main_way][0] - local_tiny) * 1000:+.1f} | "
        f"{distcc_overhead * 1000:+.1f} | {verdict(tiny[main_way][0] - local_tiny <= distcc_overhead)} |",
        f"| CPU per remote job (ms) | {tiny[main_way][1] * 1000:.1f} | {distcc_cpu * 1000:.1f} | "
        f"{verdict(tiny[main_way][1] <= distcc_cpu)} |",
    ]
    for project in builds:
        ratio = best[project][main_way] / best[project]["distcc"]
        lines.append(f"| {project} build wall, ratio to distcc | {ratio:.2f} | 1.00 | {verdict(ratio <= 1.0)} |")
    lines += [
        "",
        f"Wrapper start: `sccache --version` {wrapper_start * 1000:.1f} ms, `/bin/true` "
        f"{true_start * 1000:.1f} ms (median of 40).",
        "",
        "| way | tiny compile p50 (ms) | per-job overhead (ms) | CPU per job (ms) | zstd (s) | leveldb (s) | zstd / distcc | leveldb / distcc |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for w in ways:
        wall, cpu = tiny[w.name]
        lines.append(
            f"| {w.name} | {wall * 1000:.1f} | {(wall - local_tiny) * 1000:+.1f} | {cpu * 1000:.1f} | "
            f"{best['zstd'][w.name]:.2f} | {best['leveldb'][w.name]:.2f} | "
            f"{best['zstd'][w.name] / best['zstd']['distcc']:.2f} | "
            f"{best['leveldb'][w.name] / best['leveldb']['distcc']:.2f} |")
    lines += ["", "Per-job overhead = median wall of one tiny compile minus the local median. CPU per "
              "job = user+system CPU of the wrapper (or distcc) and every process it ran, plus the local "
              "sccache server's own and its children's (preprocessing) for that job; the build "
              "servers' and distccd's CPU are not counted for either."]
    if phases:
        lines += ["", "Where one remote tiny job's time goes (overlay builder, medians of 10, ms):", "",
                  "| wrapper start | preprocess | alloc | upload | server: receive inputs | server: sandbox setup | server: compile | transfer and reply | outputs | total (server side) |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        transfer = phases.get("run", 0) - phases.get("server.receive", 0) - phases.get(
            "server.setup", 0) - phases.get("server.compile", 0)
        lines.append("| " + " | ".join(f"{v:.1f}" for v in [
            (wrapper_start - true_start) * 1000, phases.get("preprocess", 0), phases.get("alloc", 0),
            phases.get("upload", 0), phases.get("server.receive", 0), phases.get("server.setup", 0),
            phases.get("server.compile", 0), transfer, phases.get("outputs", 0),
            phases.get("total", 0)]) + " |")
    if access:
        lines += ["", "How a job reaches a container (`sccache-docker-access-bench`, why the docker builder "
                  "talks to the engine as it does):", "", access]
    lines += ["", "Our stats after the tiny compiles and builds (overlay builder):", "", "```",
              stats.rstrip(), "```"]
    report = "\n".join(lines) + "\n"
    (ROOT / "bench" / "results.md").write_text("# Benchmark results\n\n" + report)
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start in text and end in text:
        text = text[: text.index(start) + len(start)] + "\n" + report + text[text.index(end):]
        readme.write_text(text)
    print(report)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
