#!/usr/bin/env python3
"""The compile cache's benchmark, in one run: ours against ccache and Debian's sccache 0.4.

Two real projects from Debian's source packages are built: zstd's library (make -jN CC=...) and
leveldb (CMake + Ninja with a compiler launcher). In each phase the ways are interleaved
(A B C A B C ...), so a machine whose speed drifts does not favour one:

  1. warm rebuild: a clean build tree whose cache a previous build of the same tree at the same
     path filled, through ours, ccache (direct mode, its default) and Debian's sccache 0.4 (no
     direct mode), with a plain local build for reference;
  2. a cold build through ours with the cache on (an empty cache each time) against the cache
     off (SCCACHE_CACHE=off);
  3. Redis-only hits: an empty local cache each time and a redis-server holding every entry,
     against local-disk hits;
  4. one tiny compile's hit, per tool, against a plain gcc compile.

CPU is user+system time of the build's process tree plus the CPU, own and of its reaped
children, of every long-lived process the build talks to (our local server, Debian sccache's
server, redis-server), read from /proc/<pid>/stat before and after. Our objects are compared
with the plain build's (cmp), and our statistics are shown. Results go to bench/cache-results.md
and between the cache-bench markers of README.md.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # importing bench.py must leave no __pycache__ in bench/
from bench import children_cpu, free_port, process_cpu, run_checked, verdict, wait_for  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGETS = {"vs_ccache": 1.0, "vs_debian": 0.5, "on_off": 1.03, "redis_local": 1.5}
LOCAL_HIT = "ours, local-disk hits (beside Redis)"
# Seen in ccache 4.7's log (CCACHE_LOGFILE) on zstd: "Failed to stat /dictBuilder/../zdict.h":
# the include paths it reaches through zstd's `.//`-prefixed sources lose their leading `.`.
CCACHE_NO_DIRECT = (" (ccache's direct mode made no hit: where its log says why, it cannot stat "
                    "include files reached through `.//`-prefixed source paths such as zstd's, "
                    "and falls back to preprocessing)")


def clean_environ():
    """os.environ without any cache tool's settings, so only what a way sets applies, and without
    BUILD_DIR (our scripts' variable, which zstd's Makefile takes as its object directory)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("SCCACHE_", "CCACHE_", "RUST_LOG")) and k != "BUILD_DIR"}


def listening_pid(port):
    """The pid of the process listening on 127.0.0.1:`port` (/proc/net/tcp, then fds), or None.

    Debian's sccache daemonizes, so its server is no child of ours and has no pid file."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in pathlib.Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    for fd_dir in pathlib.Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) in inodes for fd in fd_dir.iterdir()):
                return int(fd_dir.parent.name)
        except OSError:
            continue
    return None


class OursServer:
    """Our local server: one private 0700 socket directory for every way of ours."""

    def __init__(self, sccache, work):
        self.sccache = sccache
        sock = work / "ours-sock"
        sock.mkdir(mode=0o700)
        self.socket = sock / "server.sock"
        self.log = work / "ours-server.log"
        # No cluster: SCCACHE_CONF names a file that does not exist.
        self.env = dict(clean_environ(), SCCACHE_CONF=str(work / "no-such-sccache.conf"),
                        SCCACHE_SERVER_UDS=str(self.socket), SCCACHE_ERROR_LOG=str(self.log),
                        SCCACHE_IDLE_TIMEOUT="0")

    def pid(self):
        try:
            pid = int(pathlib.Path(str(self.socket) + ".pid").read_text())
        except (OSError, ValueError):
            return None
        return pid if pathlib.Path(f"/proc/{pid}").exists() else None

    def ensure_running(self):
        if self.pid() is None:
            run_checked([self.sccache, "--start-server"], self.env, None)

    def command(self, env, *args):
        return subprocess.run([self.sccache, *args], env=env, capture_output=True,
                              text=True).stdout

    def stop(self):
        self.command(self.env, "--stop-server")

    def log_problems(self):
        """The server log's warning and error lines: each one is worth a look."""
        if not self.log.exists():
            return []
        return [l for l in self.log.read_text(errors="replace").splitlines()
                if re.match(r"^\[\S+ (warn|error)", l)]


class DebianServer:
    """Debian's sccache 0.4 server, on a port of its own, its cache in its own directory."""

    def __init__(self, work):
        self.port = free_port()
        self.env = dict(clean_environ(), SCCACHE_DIR=str(work / "debian-sccache-cache"),
                        SCCACHE_SERVER_PORT=str(self.port), SCCACHE_IDLE_TIMEOUT="0",
                        SCCACHE_CONF=str(work / "no-such-sccache.conf"))

    def pid(self):
        return listening_pid(self.port)

    def ensure_running(self):
        if self.pid() is None:
            run_checked(["/usr/bin/sccache", "--start-server"], self.env, None)
            wait_for(lambda: self.pid() is not None, 10)

    def command(self, *args):
        return subprocess.run(["/usr/bin/sccache", *args], env=self.env, capture_output=True,
                              text=True).stdout

    def stop(self):
        if self.pid() is not None:
            self.command("--stop-server")


class Redis:
    """A throwaway redis-server on a free loopback port, nothing saved to disk."""

    def __init__(self, work):
        self.port = free_port()
        self.log = open(work / "redis.log", "w")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(work)], stdout=self.log, stderr=self.log)
        if not wait_for(lambda: listening_pid(self.port) is not None, 10):
            sys.exit(f"redis-server did not start; see {work / 'redis.log'}")
        self.endpoint = f"redis://127.0.0.1:{self.port}"

    def pid(self):
        return self.proc.pid

    def ensure_running(self):
        """Always is: it started with the benchmark (here so its CPU counts as a server's)."""

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class Way:
    """One way of building: a compiler launcher (or none), its environment, and the long-lived
    processes a build through it must be charged for."""

    def __init__(self, slug, label, launcher, env, servers=(), fresh_dir=None):
        self.slug, self.label, self.launcher, self.env = slug, label, launcher, env
        self.servers = list(servers)
        self.fresh_dir = fresh_dir  # a directory under which each build gets an empty SCCACHE_DIR
        self.builds = 0
        self.last_env = env  # what the last build ran with, for its statistics

    def prefix(self):
        return [str(self.launcher)] if self.launcher else []

    def build_env(self):
        """The environment of the next build: our cache-dir-per-build ways get a new empty one
        (a new path too, so the local server's context for it starts from nothing)."""
        self.builds += 1
        if self.fresh_dir:
            self.last_env = dict(self.env, SCCACHE_DIR=str(self.fresh_dir / f"cache-{self.builds}"))
        return self.last_env

    def pids(self):
        for server in self.servers:
            server.ensure_running()
        return [server.pid() for server in self.servers]


def server_cpu(pids):
    return sum(process_cpu(pid) for pid in pids)


def timed(cmd, env, cwd, pids):
    """Wall and CPU seconds of one command, the CPU of the servers it talks to included, and its
    stderr (wrapper warnings)."""
    start_cpu = children_cpu() + server_cpu(pids)
    start = time.perf_counter()
    r = run_checked(cmd, env, cwd)
    wall = time.perf_counter() - start
    return wall, children_cpu() + server_cpu(pids) - start_cpu, r.stderr


class Zstd:
    """zstd's library: make -jN libzstd.a with CC="<launcher> gcc", a source copy per way."""

    name = "zstd"

    def __init__(self, src, work, jobs):
        self.src, self.work, self.jobs = src, work, jobs

    def prepare(self, way):
        tree = self.work / f"zstd-{way.slug}"
        shutil.copytree(self.src, tree, symlinks=True)
        return tree

    def clean(self, tree, way):
        run_checked(["make", "-C", "lib", "clean"], way.env, tree)

    def build_cmd(self, tree, way):
        cc = " ".join([*way.prefix(), "gcc"])
        return ["make", "-C", "lib", f"-j{self.jobs}", "libzstd.a", f"CC={cc}"], tree

    def objects(self, tree):
        """{name: path}: the object directory's name hashes CC, so it is left out of the name."""
        return {re.sub(r"conf_[^/]+", "conf", str(p.relative_to(tree))): p
                for p in (tree / "lib" / "obj").rglob("*.o")}


class Leveldb:
    """leveldb: CMake + Ninja with CMAKE_<LANG>_COMPILER_LAUNCHER, one build tree per way over
    the one source tree; configured once, cleaned with `ninja -t clean`."""

    name = "leveldb"

    def __init__(self, src, work, jobs):
        self.src, self.work, self.jobs = src, work, jobs

    def prepare(self, way):
        tree = self.work / f"leveldb-{way.slug}"
        launcher = [f"-DCMAKE_C_COMPILER_LAUNCHER={way.launcher}",
                    f"-DCMAKE_CXX_COMPILER_LAUNCHER={way.launcher}"] if way.launcher else []
        run_checked(["cmake", "-S", self.src, "-B", tree, "-G", "Ninja",
                     "-DCMAKE_BUILD_TYPE=Release", "-DLEVELDB_BUILD_TESTS=OFF",
                     "-DLEVELDB_BUILD_BENCHMARKS=OFF", *launcher], way.env, self.work)
        return tree

    def clean(self, tree, way):
        run_checked(["ninja", "-C", tree, "-t", "clean"], way.env, tree)

    def build_cmd(self, tree, way):
        return ["ninja", "-C", tree, f"-j{self.jobs}", "leveldb"], tree

    def objects(self, tree):
        return {str(p.relative_to(tree)): p for p in tree.rglob("*.o")}


class Results:
    """Every build's (wall, cpu), by project and way label, and what went wrong on the way."""

    def __init__(self):
        self.samples = {}
        self.firsts = {}
        self.problems = []
        self.texts = {}
        self.compared = {}  # project: [objects per tree, trees compared]

    def add(self, project, label, sample):
        self.samples.setdefault(project, {}).setdefault(label, []).append(sample)

    def median(self, project, label, index=0):
        values = [s[index] for s in self.samples.get(project, {}).get(label, [])]
        return statistics.median(values) if values else None


def build_once(project, tree, way, results):
    """One clean build through `way` (the clean untimed); its wrapper warnings are recorded."""
    project.clean(tree, way)
    env = way.build_env()
    cmd, cwd = project.build_cmd(tree, way)
    wall, cpu, stderr = timed(cmd, env, cwd, way.pids())
    warnings = sorted({l for l in stderr.splitlines() if re.match(r"\s*s?ccache:", l)})
    for line in warnings[:5]:
        results.problems.append(f"{project.name}, {way.label}: wrapper said `{line.strip()}`")
    return wall, cpu


def interleaved(project, trees, ways, runs, results, label_of=None):
    """`runs` rounds of one clean build per way, in the same order each round."""
    for _ in range(runs):
        for way in ways:
            label = label_of(way) if label_of else way.label
            results.add(project.name, label, build_once(project, trees[way.slug], way, results))


def compare_objects(project, reference, tree, label, results):
    """cmp every object of `tree` with the reference build's; a difference is a failure line."""
    ref, ours = project.objects(reference), project.objects(tree)
    counts = results.compared.setdefault(project.name, [len(ref), 0])
    counts[1] += 1
    bad = sorted(set(ref) ^ set(ours))
    bad += [n for n in sorted(set(ref) & set(ours))
            if subprocess.run(["cmp", "-s", ref[n], ours[n]]).returncode != 0]
    if bad or not ref:
        results.problems.append(
            f"**FAILURE**: {project.name}, {label}: {len(bad)} of {len(ref)} objects differ from "
            f"the plain build's (e.g. {', '.join(bad[:3]) or 'no objects'})")


def our_stats(server, env):
    return json.loads(server.command(env, "--show-stats", "--stats-format", "json") or "{}")


def expect_hits(project, label, stats, field, results):
    """Every cacheable compile of the measured runs should be a hit of the kind `field` counts
    (what ours does not cache, such as `.S` files, shows in the statistics' non-cacheable rows)."""
    hits, kind = stats.get("cache_hits", 0), stats.get(field, 0)
    misses = stats.get("cache_misses", 0)
    if misses or not hits or kind < hits:
        results.problems.append(f"{project.name}, {label}: {misses} misses and {hits} hits, "
                                f"{kind} of them {field}; expected hits only, all {field}")


def tool_hits(ccache_env, debian):
    """ccache's and Debian sccache's hits and misses since their stats were zeroed: a tool
    that missed would make its warm figure meaningless."""
    out = subprocess.run(["ccache", "--print-stats"], env=ccache_env, capture_output=True,
                         text=True).stdout
    cc = dict(l.split("\t") for l in out.splitlines() if "\t" in l)
    deb = json.loads(debian.command("--show-stats", "--stats-format", "json") or "{}")
    deb = deb.get("stats", {})
    note = CCACHE_NO_DIRECT if int(cc.get("direct_cache_hit", 0)) == 0 else ""
    return (f"ccache {int(cc.get('direct_cache_hit', 0))} direct + "
            f"{int(cc.get('preprocessed_cache_hit', 0))} preprocessed hits, "
            f"{int(cc.get('cache_miss', 0))} misses; Debian sccache "
            f"{sum(deb.get('cache_hits', {}).get('counts', {}).values())} hits, "
            f"{sum(deb.get('cache_misses', {}).get('counts', {}).values())} misses" + note)


def zero_all(server, ours_env, ccache_env, debian):
    server.command(ours_env, "--zero-stats")
    subprocess.run(["ccache", "--zero-stats"], env=ccache_env, capture_output=True)
    debian.command("--zero-stats")


def prepare_all(project, ways):
    """A tree per way, then a pause: ccache's direct mode ignores an include file changed in the
    second its compile starts, and a fill build must not be put at a disadvantage by that."""
    trees = {w.slug: project.prepare(w) for w in ways}
    time.sleep(2)
    return trees


def warm_phase(project, ways, runs, results):
    """Fill each tool's cache with one build of its tree, then time clean rebuilds."""
    ours = ways["ours"]
    order = [ways[s] for s in ("plain", "ours", "ccache", "debian")]
    trees = prepare_all(project, order)
    for way in order:
        results.firsts.setdefault(project.name, {})[way.label] = build_once(
            project, trees[way.slug], way, results)
    server, debian = ours.servers[0], ways["debian"].servers[0]
    zero_all(server, ours.env, ways["ccache"].env, debian)
    interleaved(project, trees, order, runs, results)
    expect_hits(project, ours.label, our_stats(server, ours.env), "cache_hits_direct", results)
    results.texts[f"{project.name} stats"] = server.command(ours.env, "--show-stats")
    results.texts[f"{project.name} others"] = tool_hits(ways["ccache"].env, debian)
    for way in order[1:]:
        compare_objects(project, trees["plain"], trees[way.slug], way.label, results)
    return trees


def cold_phase(project, ways, runs, results, reference):
    """Ours with an empty cache each build against the cache off."""
    order = [ways["cold-on"], ways["cold-off"]]
    trees = prepare_all(project, order)
    interleaved(project, trees, order, runs, results)
    for way in order:
        compare_objects(project, reference, trees[way.slug], way.label, results)


def redis_phase(project, ways, runs, results, warm_trees):
    """Fill Redis with one build (its local cache then deleted); then every build starts from an
    empty local cache, against local-disk hits of the warm phase's tree and cache."""
    redis, ours = ways["redis"], ways["ours"]
    trees = dict(prepare_all(project, [redis]), ours=warm_trees["ours"])
    build_once(project, trees["redis"], redis, results)
    shutil.rmtree(redis.fresh_dir / f"cache-{redis.builds}")
    server = ours.servers[0]
    server.command(redis.last_env, "--zero-stats")
    interleaved(project, trees, [redis, ours], runs, results,
                lambda w: w.label if w is redis else LOCAL_HIT)
    expect_hits(project, redis.label, our_stats(server, redis.last_env), "cache_hits_remote",
                results)
    results.texts[f"{project.name} redis stats"] = server.command(redis.last_env, "--show-stats")
    compare_objects(project, warm_trees["plain"], trees["redis"], redis.label, results)


def run_project(project, ways, runs, results):
    """The three build phases of one project; servers stop between phases."""
    servers = [ways["ours"].servers[0], ways["debian"].servers[0]]
    try:
        trees = warm_phase(project, ways, runs, results)
        stop_all(servers)
        cold_phase(project, ways, runs, results, trees["plain"])
        stop_all(servers)
        redis_phase(project, ways, runs, results, trees)
    finally:
        stop_all(servers)


def stop_all(servers):
    for server in servers:
        server.stop()


TINY = [("plain", "gcc (no wrapper)"), ("ours", "ours, direct hit"),
        ("ccache", "ccache, direct hit"), ("debian", "Debian sccache 0.4, hit")]


def tiny_compiles(work, ways, runs, results):
    """One tiny compile's hit per tool (median wall, mean CPU), the ways interleaved, after
    three warm-up compiles each; the file is older than a second, so direct mode may trust it."""
    d = work / "tiny"
    d.mkdir()
    (d / "tiny.c").write_text("int main(void){return 0;}\n")
    time.sleep(1.1)
    samples = {slug: [] for slug, _ in TINY}
    for i in range(runs + 3):
        if i == 3:
            ways["ours"].servers[0].command(ways["ours"].env, "--zero-stats")
        for slug, _ in TINY:
            way = ways[slug]
            cmd = [*way.prefix(), "gcc", "-O2", "-c", "tiny.c", "-o", f"{slug}.o"]
            sample = timed(cmd, way.env, d, way.pids())[:2]
            if i >= 3:
                samples[slug].append(sample)
    stats = our_stats(ways["ours"].servers[0], ways["ours"].env)
    if stats.get("cache_hits_direct", 0) != runs:
        results.problems.append(f"tiny compile: ours had {stats.get('cache_hits_direct', 0)} "
                                f"direct hits of {runs} ({stats.get('cache_misses', 0)} misses)")
    stop_all([ways["ours"].servers[0], ways["debian"].servers[0]])
    return {slug: (statistics.median(s[0] for s in v), statistics.mean(s[1] for s in v))
            for slug, v in samples.items()}


def make_ways(work, sccache, server, debian, redis):
    """Every way, keyed by slug; our ways share one local server, each with its own
    XDG_CACHE_HOME so each has statistics of its own."""
    def ours(slug, **extra):
        return dict(server.env, XDG_CACHE_HOME=str(work / f"xdg-{slug}"), **extra)
    ccache_env = dict(clean_environ(), CCACHE_DIR=str(work / "ccache-cache"), CCACHE_MAXSIZE="10G")
    return {w.slug: w for w in [
        Way("plain", "local (no wrapper)", None, clean_environ()),
        Way("ours", "ours, warm", sccache, ours("ours", SCCACHE_DIR=str(work / "ours-cache")),
            [server]),
        Way("ccache", "ccache 4.7, warm", "/usr/bin/ccache", ccache_env),
        Way("debian", "Debian sccache 0.4, warm", "/usr/bin/sccache", debian.env, [debian]),
        Way("cold-on", "ours, cold, cache on", sccache, ours("cold-on"), [server],
            fresh_dir=work / "cold-on"),
        Way("cold-off", "ours, cache off", sccache, ours("cold-off", SCCACHE_CACHE="off"),
            [server]),
        Way("redis", "ours, Redis-only hits", sccache,
            ours("redis", SCCACHE_REDIS_ENDPOINT=redis.endpoint), [server, redis],
            fresh_dir=work / "redis"),
    ]}


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt(value, spec=".2f"):
    return "–" if value is None else format(value, spec)


def target_rows(results, projects):
    """(what, value, limit) for every target of every project."""
    rows = []
    for p in projects:
        def m(label, p=p):
            return results.median(p, label)
        rows += [
            (f"{p} warm rebuild wall, ours / ccache", ratio(m("ours, warm"), m("ccache 4.7, warm")),
             TARGETS["vs_ccache"]),
            (f"{p} warm rebuild wall, ours / Debian sccache",
             ratio(m("ours, warm"), m("Debian sccache 0.4, warm")), TARGETS["vs_debian"]),
            (f"{p} cold build wall, cache on / cache off",
             ratio(m("ours, cold, cache on"), m("ours, cache off")), TARGETS["on_off"]),
            (f"{p} Redis-only hits / local-disk hits, wall",
             ratio(m("ours, Redis-only hits"), m(LOCAL_HIT)), TARGETS["redis_local"]),
        ]
    return rows


def targets_table(results, projects):
    lines = ["| target | value | limit | |", "|---|---|---|---|"]
    for what, value, limit in target_rows(results, projects):
        lines.append(f"| {what} | {fmt(value)} | ≤ {limit:.2f} | "
                     f"{verdict(value is not None and value <= limit)} |")
    return lines


BUILD_ROWS = ["local (no wrapper)", "ours, warm", "ccache 4.7, warm", "Debian sccache 0.4, warm",
              "ours, cold, cache on", "ours, cache off", "ours, Redis-only hits", LOCAL_HIT]


def builds_table(results, projects):
    head = " | ".join(f"{p} wall (s) | {p} CPU (s) | {p} first build (s)" for p in projects)
    lines = [f"| way | {head} |", "|---|" + "---|" * (3 * len(projects))]
    for label in BUILD_ROWS:
        cells = []
        for p in projects:
            first = results.firsts.get(p, {}).get(label)
            cells += [fmt(results.median(p, label)), fmt(results.median(p, label, 1)),
                      fmt(first[0] if first else None)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def tiny_table(tiny):
    lines = ["| way | wall p50 (ms) | over gcc (ms) | CPU mean (ms) |", "|---|---|---|---|"]
    base = tiny["plain"][0]
    for slug, label in TINY:
        wall, cpu = tiny[slug]
        lines.append(f"| {label} | {wall * 1000:.1f} | {(wall - base) * 1000:+.1f} | "
                     f"{cpu * 1000:.1f} |")
    return lines


def report(results, projects, tiny, args):
    """The Markdown report: the summary (targets, builds, tiny compiles, correctness, each
    tool's hits) for README.md and cache-results.md, then our statistics for the latter only."""
    lines = [
        f"{os.cpu_count()} CPUs; `make -j{os.cpu_count()}` / `ninja -j{os.cpu_count()}`; ways "
        f"interleaved within each phase; builds: median of {args.runs} clean builds of a tree "
        f"(first build: the one that filled the cache, a single sample); tiny compile: median of "
        f"{args.tiny_runs}. CPU: user+system of the build's processes plus the servers' own and "
        "reaped children's (our local server, Debian sccache's server, redis-server).", "",
        "**Targets**:", "", *targets_table(results, projects), "",
        cpu_ratio_line(results, projects), "",
        *builds_table(results, projects), "",
        "Warm: a clean build tree whose cache a build of the same tree at the same path filled; "
        "the servers stay up within a phase. Cold, cache on: an empty `SCCACHE_DIR` each build; "
        "cache off: `SCCACHE_CACHE=off`. Redis-only: an empty `SCCACHE_DIR` each build, every "
        "entry in a redis-server on 127.0.0.1 (filled by one build whose local cache was then "
        "deleted); local-disk hits: the warm tree and cache, interleaved with the Redis builds.",
        "", "One tiny compile (`int main(void){return 0;}`, `-O2 -c`), median of "
        f"{args.tiny_runs}:",
        "", *tiny_table(tiny), ""]
    lines += correctness_lines(results)
    lines += [f"\nHits during the {p} warm rebuilds: {results.texts[f'{p} others']}."
              for p in projects]
    stats = []
    for p in projects:
        stats += ["", f"Our `sccache --show-stats` after the {p} warm rebuilds:", "", "```",
                  results.texts[f"{p} stats"].rstrip(), "```", "",
                  f"After the {p} Redis-only builds:", "", "```",
                  results.texts[f"{p} redis stats"].rstrip(), "```"]
    return "\n".join(lines) + "\n", "\n".join(stats) + "\n"


def correctness_lines(results):
    """What was compared, and every problem met (or that none was)."""
    counts = "; ".join(f"{p}: {n} objects in each of {trees} trees"
                       for p, (n, trees) in results.compared.items())
    if not results.problems:
        return ["Correctness: every object of the last build of each way through ours (warm, "
                "cold, cache off, Redis) and through ccache and Debian sccache is byte-identical "
                f"(`cmp`) to the plain build's ({counts}); every expected hit was a hit; no "
                "wrapper warnings, nothing in our server's log above info."]
    return [f"Compared with the plain build's objects (`cmp`): {counts}. Problems found:", ""] + [
        f"- {p}" for p in results.problems]


def write_results(summary, stats):
    """bench/cache-results.md, and the summary in README.md between the cache-bench markers
    (added after the distributed benchmark's block if absent)."""
    (ROOT / "bench" / "cache-results.md").write_text(
        "# Compile cache benchmark results\n\n" + summary + stats)
    text = summary + ("\nOur statistics after each phase: "
                      "[bench/cache-results.md](bench/cache-results.md).\n")
    readme = ROOT / "README.md"
    content = readme.read_text()
    start, end = "<!-- cache-bench:start -->", "<!-- cache-bench:end -->"
    if start not in content or end not in content:
        anchor = "<!-- bench:end -->"
        if anchor not in content:
            print("cache_bench: README.md has no bench markers; not updated", file=sys.stderr)
            return
        at = content.index(anchor) + len(anchor)
        content = content[:at] + f"\n\n### Compile cache\n\n{start}\n{end}" + content[at:]
    head, tail = content[: content.index(start) + len(start)], content[content.index(end):]
    content = head + "\n" + text + tail
    readme.write_text(content)


def build_stamps(sccache):
    """(path, mtime) of our wrapper and server: a rebuild during the run (someone working in the
    build tree) restarts or bypasses the server mid-phase, and the figures must say so."""
    server = sccache.parent.parent / "libexec" / "sccache" / "sccache-server"
    return [(p, p.stat().st_mtime if p.exists() else None) for p in (sccache, server)]


def rebuilt(stamps):
    return [f"our build changed during the run (`{p}` was rebuilt): its phases' figures for ours "
            "may include local fallbacks" for p, mtime in stamps
            if (p.stat().st_mtime if p.exists() else None) != mtime]


def cpu_ratio_line(results, projects):
    """The cold builds' CPU, cache on over off: what a miss costs beyond the compile."""
    cells = [f"{p} " + fmt(ratio(results.median(p, "ours, cold, cache on", 1),
                                 results.median(p, "ours, cache off", 1))) for p in projects]
    return f"Cold builds' CPU, cache on / cache off: {', '.join(cells)}."


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default="build", help="our build tree (bin/sccache)")
    parser.add_argument("--runs", type=int, default=5, help="measured clean builds per way")
    parser.add_argument("--tiny-runs", type=int, default=30, help="measured tiny compiles per way")
    parser.add_argument("--projects", default="zstd,leveldb", help="comma-separated subset")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 1 run, zstd only, 5 tiny compiles; nothing written")
    parser.add_argument("--no-write", action="store_true",
                        help="print the results only (not bench/cache-results.md, README.md)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.projects, args.tiny_runs, args.no_write = 1, "zstd", 5, True
    return args


def main():
    args = parse_args()
    sccache = (ROOT / args.build_dir).resolve() / "bin" / "sccache"
    if not sccache.exists():
        sys.exit(f"{sccache} is missing: run scripts/build.sh (bench/run-cache.sh does)")
    sources = ROOT / ".work" / "sources"
    work = pathlib.Path(tempfile.mkdtemp(prefix="sccache-cache-bench-"))
    jobs = os.cpu_count()
    kinds = {"zstd": lambda: Zstd(next(sources.glob("libzstd-*/")), work, jobs),
             "leveldb": lambda: Leveldb(next(sources.glob("leveldb-*/")), work, jobs)}
    projects = [kinds[name]() for name in args.projects.split(",")]
    server, debian, redis = OursServer(sccache, work), DebianServer(work), Redis(work)
    ways = make_ways(work, sccache, server, debian, redis)
    results = Results()
    stamps = build_stamps(sccache)
    try:
        for project in projects:
            run_project(project, ways, args.runs, results)
        tiny = tiny_compiles(work, ways, args.tiny_runs, results)
    finally:
        stop_all([server, debian, redis])
        print(f"cache_bench: work directory {work}", file=sys.stderr)
    results.problems += rebuilt(stamps)
    results.problems += [f"our server's log: `{l}`" for l in server.log_problems()[:10]]
    summary, stats = report(results, [p.name for p in projects], tiny, args)
    if not args.no_write:
        write_results(summary, stats)
    print(summary + stats)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
