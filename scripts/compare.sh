#!/usr/bin/env bash
# Side by side in one run (issue #10): nianjian's import read and xlsx export against their floors
# (calamine and rust_xlsxwriter used bare) and against what an office would script instead
# (pandas.read_excel with openpyxl or calamine, Python XlsxWriter), on the same generated
# 100,000-row × 14-column workbook and the same 100,000-item publication. Prints each tool's
# median of N runs, its peak RSS, the ratios and whether the targets hold (BENCHMARKS.md).
#
#   scripts/compare.sh [N]        N runs of each tool (default 3, or COMPARE_RUNS)
#
# NIANJIAN_BENCH_ROWS=10000 makes a quick run. The Python tools are installed with pip into a
# throwaway venv under target/compare/ (versions pinned in scripts/compare-requirements.txt);
# the workbook, the cells and the results (results.json) go there too.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${1:-${COMPARE_RUNS:-3}}"
case "$RUNS" in '' | *[!0-9]* | 0) echo "usage: $0 [N]  (N ≥ 1 runs of each tool)" >&2; exit 2 ;; esac

# The executables cargo built, read from its JSON messages rather than guessed from the layout.
executable() {
  python3 -c '
import json, sys
name = sys.argv[1]
exe = [m["executable"] for m in map(json.loads, sys.stdin)
       if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == name]
print(exe[-1] if exe else "")' "$1"
}

echo "# building (release): the nianjian binary and benches/compare.rs" >&2
CLI=$(nice cargo build --release --bin nianjian --message-format=json | executable nianjian)
BENCH=$(nice cargo bench --bench compare --no-run --message-format=json | executable compare)
[[ -x "$CLI" && -x "$BENCH" ]] || { echo "compare.sh: build failed" >&2; exit 1; }

OUT="${CARGO_TARGET_DIR:-target}/compare"
VENV="$OUT/venv"
STAMP=$(sha256sum scripts/compare-requirements.txt | cut -d' ' -f1)
if [[ ! -x "$VENV/bin/python" || "$(cat "$VENV/.requirements" 2>/dev/null)" != "$STAMP" ]]; then
  echo "# installing the Python tools into $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/compare-requirements.txt
  echo "$STAMP" > "$VENV/.requirements"
fi

# Generated once per run, read by every tool.
DATA="$OUT/data"
rm -rf "$DATA"
"$BENCH" prepare "$DATA"

echo "# $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(rustc --version); Python $("$VENV/bin/python" -c 'import platform; print(platform.python_version())')" >&2
"$VENV/bin/python" scripts/compare-run.py --runs "$RUNS" --bench "$BENCH" --cli "$CLI" \
  --python "$VENV/bin/python" --dir "$DATA" --json "$OUT/results.json"
