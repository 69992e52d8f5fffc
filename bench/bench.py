#!/usr/bin/env python3
"""Side-by-side build benchmark: local make, distcc, and our cluster, in one run.

Everything runs on this machine over loopback, so the ratios measure each tool's overhead rather
than any speed-up from extra machines. Our cluster runs twice on the same workload: with the
overlay builder and, when a Docker engine answers, with the docker builder; the docker plugin's
engine-access benchmark (sccache-docker-access-bench) adds the per-job cost of each way to talk to
the engine. Results go to bench/results.md and between the bench markers of README.md.
"""
import argparse
import os
import pathlib
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


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
    """Our scheduler and one build server, configured like the quickstart, on loopback."""

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
        self.env = dict(os.environ, SCCACHE_CONF=str(self.client_conf))
        log = open(work / "daemons.log", "w")
        self.procs = [
            subprocess.Popen([self.bin / "sccache-dist", "scheduler", "--config", work / "scheduler.conf"],
                             stdout=log, stderr=log),
            subprocess.Popen([self.bin / "sccache-dist", "server", "--config", work / "server.conf"],
                             stdout=log, stderr=log),
        ]
        if not wait_for(lambda: '"num_servers":1' in self.sccache("--dist-status", "--json")):
            sys.exit("the benchmark cluster did not come up; see " + str(work / "daemons.log"))

    def sccache(self, *args):
        r = subprocess.run([self.bin / "sccache", *args], env=self.env, capture_output=True, text=True)
        return r.stdout

    def stop(self):
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


def timed(cmd, env, cwd):
    start_cpu = children_cpu()
    start = time.perf_counter()
    r = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return time.perf_counter() - start, children_cpu() - start_cpu


def build_project(src, work, name, cc, env, jobs):
    """A clean build of zstd's static library with `make -jN CC=...`; returns wall seconds."""
    tree = work / f"zstd-{name}"
    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(src, tree, symlinks=True)
    wall, _ = timed(["make", "-C", "lib", f"-j{jobs}", "libzstd.a", f"CC={cc}"], env, tree)
    return wall


def tiny_compiles(work, name, cmd_prefix, env, runs):
    """Compiles a one-line file `runs` times; returns (median wall s, mean CPU s per job)."""
    d = work / f"tiny-{name}"
    d.mkdir(exist_ok=True)
    (d / "tiny.c").write_text("int tiny(int x) { return x * 2; }\n")
    walls, cpus = [], []
    for i in range(runs):
        wall, cpu = timed([*cmd_prefix, "gcc", "-O2", "-c", "tiny.c", "-o", f"tiny{i}.o"], env, d)
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.mean(cpus)


def average_remote_time(stats):
    """The "Average remote compile time" of --show-stats, as printed ("0.046 s")."""
    for line in stats.splitlines():
        if line.startswith("Average remote compile time"):
            return line.split(None, 4)[-1].strip()
    return "?"


def engine_access(build_dir):
    """The docker plugin's engine-access table (Markdown), or None."""
    tool = build_dir / "bin" / "sccache-docker-access-bench"
    if not tool.exists():
        return None
    r = subprocess.run([tool], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", default="build")
    parser.add_argument("--repeat", type=int, default=2, help="clean builds per way (best is kept)")
    parser.add_argument("--tiny-runs", type=int, default=40)
    args = parser.parse_args()
    build_dir = (ROOT / args.build_dir).resolve()
    src = next((ROOT / ".work" / "sources").glob("libzstd-*/"))
    jobs = os.cpu_count()
    work = pathlib.Path(tempfile.mkdtemp(prefix="sccache-bench-"))
    clusters = {"overlay": Cluster(build_dir, work)}
    docker = docker_engine_answers()
    if docker:
        clusters["docker"] = Cluster(build_dir, work, "docker")
    else:
        print("bench: no Docker engine answers (scripts/start-dockerd.sh starts one); "
              "the docker builder is not measured", file=sys.stderr)
    distcc = Distcc(work)
    sccache = str(build_dir / "bin" / "sccache")
    ours = {builder: f"sccache-dist, {builder} builder (ours)" for builder in clusters}
    try:
        # Warm up: the toolchain is packaged and uploaded once; the benchmark measures steady state.
        for cluster in clusters.values():
            tiny_compiles(work, "warmup", [sccache], cluster.env, 2)
        ways = {
            "local": ("gcc", dict(os.environ)),
            "distcc": ("distcc gcc", distcc.env),
        }
        for builder, cluster in clusters.items():
            ways[ours[builder]] = (f"{sccache} gcc", cluster.env)
        walls = {name: [] for name in ways}
        for _ in range(args.repeat):
            for i, (name, (cc, env)) in enumerate(ways.items()):
                walls[name].append(build_project(src, work, f"way{i}", cc, env, jobs))
        best = {name: min(times) for name, times in walls.items()}
        for cluster in clusters.values():
            cluster.sccache("--zero-stats")
        tiny = {
            "local": tiny_compiles(work, "local", [], dict(os.environ), args.tiny_runs),
            "distcc": tiny_compiles(work, "distcc", ["distcc"], distcc.env, args.tiny_runs),
        }
        for builder, cluster in clusters.items():
            tiny[ours[builder]] = tiny_compiles(work, builder, [sccache], cluster.env, args.tiny_runs)
        stats = clusters["overlay"].sccache("--show-stats")
        remote_time = {builder: average_remote_time(cluster.sccache("--show-stats"))
                       for builder, cluster in clusters.items()}
    finally:
        distcc.stop()
        for cluster in clusters.values():
            cluster.stop()
    access = engine_access(build_dir) if docker else None

    local_wall = best["local"]
    local_tiny = tiny["local"][0]
    lines = [
        f"Workload: zstd {src.name} `lib/libzstd.a`, clean `make -j{jobs}`; {jobs} CPUs; "
        f"scheduler, build server and distccd all on 127.0.0.1; best of {args.repeat} builds.",
        "",
        "| way | build wall (s) | ratio to local | ratio to distcc | tiny compile p50 (ms) | per-job overhead (ms) | client CPU per job (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ways:
        wall = best[name]
        tiny_wall, tiny_cpu = tiny[name]
        lines.append(
            f"| {name} | {wall:.2f} | {wall / local_wall:.2f} | {wall / best['distcc']:.2f} | "
            f"{tiny_wall * 1000:.1f} | {(tiny_wall - local_tiny) * 1000:+.1f} | {tiny_cpu * 1000:.1f} |")
    lines += ["", "Per-job overhead = median wall of one tiny compile minus the local median. Client CPU "
              "= user+system CPU of the wrapper and the processes it ran (preprocessing included)."]
    if "docker" in clusters:
        docker_tiny, overlay_tiny = tiny[ours["docker"]][0], tiny[ours["overlay"]][0]
        lines += ["", f"Docker builder versus overlay builder on the same workload: "
                  f"{(docker_tiny - overlay_tiny) * 1000:+.1f} ms per job (tiny compile p50), "
                  f"{best[ours['docker']] / best[ours['overlay']]:.2f}x the overlay build's wall time; "
                  f"average remote compile time (as the client sees it) {remote_time['docker']} with "
                  f"docker, {remote_time['overlay']} with overlay."]
    if access:
        lines += ["", "How a job reaches a container (`sccache-docker-access-bench`, why the docker builder "
                  "talks to the engine as it does):", "", access]
    lines += ["", "Our stats after the tiny compiles (overlay builder):", "", "```", stats.rstrip(), "```"]
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
