"""The driver of scripts/compare.sh: runs every tool N times, interleaved, each run in a process
of its own, and prints the medians, the ratios and whether the targets of issue #10 hold.

Each run's time is the one the tool measured in its own process with its input already loaded
(benches/compare.rs, scripts/compare-python.py), except the command line's, which is the wall
time of the whole `nianjian import --dry-run` process (start, read in the parse child, the
summary and findings printed), and the same with `--json` (the whole contract report, some
90 MB for 100,000 rows, printed — shown, not judged: pandas prints nothing).
Both wall and CPU time are kept: the targets are judged on wall time, and the CPU-time ratios
beside them show how much a busy machine moved the figures.
Peak RSS is GNU time's %M (/usr/bin/time: a small process forks the tool, so its figure is the
tool's own, the largest process of its tree, the CLI's parse child included); without GNU time,
wait4 of the driver's own fork, which also counts the driver's RSS at fork time.

  compare-run.py --runs N --bench BIN --cli NIANJIAN --python PY --dir DIR [--json OUT]
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
IMPORT = "import"
EXPORT = "export"


def tools(args):
    here = os.path.dirname(os.path.abspath(__file__))
    py = [args.python, os.path.join(here, "compare-python.py")]
    bench, d = args.bench, args.dir
    wb = os.path.join(d, "workbook.xlsx")
    return [
        # (key, group, label, command, timed by the driver)
        ("calamine_stream", IMPORT, "calamine streaming reader, every cell (the floor)",
         [bench, "calamine_stream", d], False),
        ("calamine_range", IMPORT, "calamine worksheet_range, every cell",
         [bench, "calamine_range", d], False),
        ("read_workbook", IMPORT, "nianjian read_workbook (the dry run in process)",
         [bench, "read_workbook", d], False),
        ("nianjian_cli", IMPORT, "nianjian import --dry-run (whole process, parse child)",
         [args.cli, "import", wb, "--dry-run"], True),
        ("nianjian_cli_json", IMPORT,
         "nianjian import --dry-run --json (whole process, the 90 MB report printed)",
         [args.cli, "import", wb, "--dry-run", "--json"], True),
        ("pandas_calamine", IMPORT, "pandas.read_excel, engine=calamine",
         py + ["pandas_calamine", d], False),
        ("pandas_openpyxl", IMPORT, "pandas.read_excel, engine=openpyxl",
         py + ["pandas_openpyxl", d], False),
        ("rust_xlsxwriter_constant", EXPORT, "rust_xlsxwriter constant-memory, bare cells (the floor)",
         [bench, "rust_xlsxwriter_constant", d], False),
        ("rust_xlsxwriter_default", EXPORT, "rust_xlsxwriter default mode, bare cells",
         [bench, "rust_xlsxwriter_default", d], False),
        ("nianjian_xlsx", EXPORT, "nianjian export::xlsx::write (the official layout)",
         [bench, "nianjian_xlsx", d], False),
        ("xlsxwriter_constant", EXPORT, "Python XlsxWriter constant_memory, same cells",
         py + ["xlsxwriter_constant", d], False),
        ("xlsxwriter_default", EXPORT, "Python XlsxWriter default mode, same cells",
         py + ["xlsxwriter_default", d], False),
    ]


def run_once(command, wall_timed, directory):
    """One run: (seconds, CPU seconds, count, peak RSS in MiB, wall seconds of the process)."""
    out_path = os.path.join(directory, "stdout.txt")
    with open(out_path, "wb") as out, open(os.path.join(directory, "stderr.txt"), "wb") as err:
        started = time.perf_counter()
        rss_path = os.path.join(directory, "rss.txt")
        wrapped = [GNU_TIME, "-f", "%M", "-o", rss_path] + command if GNU_TIME else command
        proc = subprocess.Popen(wrapped, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        with open(os.path.join(directory, "stderr.txt"), encoding="utf-8", errors="replace") as f:
            tail = f.read()[-2000:]
        sys.exit(f"{' '.join(command)} failed with {proc.returncode}:\n{tail}")
    if GNU_TIME:
        with open(rss_path) as f:
            rss = int(f.read().split()[-1]) / 1024.0
    else:
        rss = usage.ru_maxrss / 1024.0  # KiB on Linux
    if wall_timed:
        if "--json" in command:
            # The command line's report, its items counted in another process: parsed here,
            # its 90 MB of JSON would swell the driver, and with it what wait4 reports.
            count = int(subprocess.check_output([
                sys.executable, "-c",
                "import json, sys; print(len(json.load(open(sys.argv[1], encoding='utf-8'))['items']))",
                out_path]))
        else:
            # The printed summary: 共 N 项（年检 …）.
            with open(out_path, encoding="utf-8") as f:
                found = re.search(r"共 (\d+) 项", f.read())
            if not found:
                sys.exit(f"{' '.join(command)}: no summary line in its output")
            count = int(found.group(1))
        return wall, usage.ru_utime + usage.ru_stime, count, rss, wall
    with open(out_path, encoding="utf-8") as f:
        line = f.read().strip().splitlines()[-1]
    result = json.loads(line)
    return result["seconds"], result["cpu_seconds"], result["count"], rss, wall


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    versions = {}
    try:
        from importlib import metadata

        for name in ("pandas", "openpyxl", "python-calamine", "XlsxWriter", "numpy"):
            versions[name] = metadata.version(name)
    except Exception as e:  # the figures still stand without the versions
        versions["error"] = str(e)
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "packages": versions,
    }


def fmt_s(s):
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bench", required=True)
    parser.add_argument("--cli", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--json")
    args = parser.parse_args()

    all_tools = tools(args)
    results = {key: {"seconds": [], "cpu_seconds": [], "rss": [], "wall": [], "count": None}
               for key, *_ in all_tools}
    load_before = loadavg()
    print(f"# load average before: {load_before}; {args.runs} runs of each tool, interleaved",
          flush=True)
    for n in range(args.runs):
        for key, _, _, command, wall_timed in all_tools:
            seconds, cpu, count, rss, wall = run_once(command, wall_timed, args.dir)
            r = results[key]
            r["seconds"].append(seconds)
            r["cpu_seconds"].append(cpu)
            r["rss"].append(rss)
            r["wall"].append(wall)
            r["count"] = count
            print(f"# run {n + 1}/{args.runs} {key}: {fmt_s(seconds)} (CPU {fmt_s(cpu)}), {count} rows, "
                  f"peak RSS {rss:.0f} MiB (load {loadavg()})", flush=True)
    load_after = loadavg()

    med = {key: statistics.median(r["seconds"]) for key, r in results.items()}
    cpu = {key: statistics.median(r["cpu_seconds"]) for key, r in results.items()}
    floors = {IMPORT: "calamine_stream", EXPORT: "rust_xlsxwriter_constant"}
    print()
    print(f"Load average before {load_before}, after {load_after}; median of {args.runs} runs.")
    for group, title in ((IMPORT, "Import: read the 100,000-row workbook"),
                         (EXPORT, "Export: write the 100,000-item publication as xlsx")):
        floor, cpu_floor = med[floors[group]], cpu[floors[group]]
        print()
        print(f"{title}")
        print()
        print("| tool | median (wall) | runs | × floor | median CPU | CPU × floor | peak RSS | whole process |")
        print("|---|---|---|---|---|---|---|---|")
        for key, g, label, _, _ in all_tools:
            if g != group:
                continue
            r = results[key]
            runs = ", ".join(f"{s:.2f}" for s in r["seconds"])
            print(f"| {label} | {fmt_s(med[key])} | {runs} | {med[key] / floor:.2f}× | "
                  f"{fmt_s(cpu[key])} | {cpu[key] / cpu_floor:.2f}× | "
                  f"{max(r['rss']):.0f} MiB | {fmt_s(statistics.median(r['wall']))} |")

    # (comparison, ours, theirs, limit, "at most": ours/theirs ≤ limit, else theirs/ours ≥ limit)
    comparisons = []
    for key, what in (("read_workbook", "read_workbook"),
                      ("nianjian_cli", "the command line"),
                      ("nianjian_cli_json", "the command line with --json (not judged)")):
        comparisons += [
            (f"import: {what} against calamine streaming", key, "calamine_stream", 1.5, True),
            (f"import: {what} against pandas + openpyxl", key, "pandas_openpyxl", 12, False),
            (f"import: {what} against pandas + calamine", key, "pandas_calamine", 3, False),
        ]
    comparisons += [
        ("export: nianjian xlsx against rust_xlsxwriter constant-memory",
         "nianjian_xlsx", "rust_xlsxwriter_constant", 1.3, True),
        ("export: nianjian xlsx against Python XlsxWriter constant_memory",
         "nianjian_xlsx", "xlsxwriter_constant", 4, False),
        ("export: nianjian xlsx against Python XlsxWriter default",
         "nianjian_xlsx", "xlsxwriter_default", 4, False),
    ]

    def measure(times, ours, theirs, at_most):
        x = times[ours] / times[theirs] if at_most else times[theirs] / times[ours]
        return x, (f"{x:.2f}×" if at_most else f"{x:.1f}× faster")

    checks = []
    print()
    print("Targets of issue #10 (judged on wall time)")
    print()
    print("| comparison | wall time | target | | CPU time |")
    print("|---|---|---|---|---|")
    for name, ours, theirs, limit, at_most in comparisons:
        x, text = measure(med, ours, theirs, at_most)
        _, cpu_text = measure(cpu, ours, theirs, at_most)
        ok = x <= limit if at_most else x >= limit
        target = f"≤ {limit}×" if at_most else f"≥ {limit}× faster"
        judged = "not judged" not in name
        verdict = ("met" if ok else "**missed**") if judged else ("(met)" if ok else "(missed)")
        if judged:
            checks.append((name, text, target, ok, cpu_text))
        print(f"| {name} | {text} | {target} | {verdict} | {cpu_text} |")

    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({
                "runs": args.runs,
                "load_before": load_before,
                "load_after": load_after,
                "machine": machine(),
                "tools": {key: {"group": g, "label": label, "median_seconds": med[key],
                                "median_cpu_seconds": cpu[key], **results[key]}
                          for key, g, label, _, _ in all_tools},
                "targets": [{"comparison": c, "measured": m, "target": t, "met": ok, "cpu": ct}
                            for c, m, t, ok, ct in checks],
            }, f, indent=1, ensure_ascii=False)
        print(f"\n# results: {args.json}")


if __name__ == "__main__":
    main()
