"""The Python half of scripts/compare.sh: what an office would script instead of nianjian.

One timed run per process (the driver reads each process's peak RSS), printed as one JSON line
{"tool", "seconds", "cpu_seconds", "count"} (wall and process CPU time over the same span);
inputs are loaded before the clock starts.

  compare-python.py pandas_openpyxl DIR   pandas.read_excel(DIR/workbook.xlsx, engine="openpyxl")
  compare-python.py pandas_calamine DIR   pandas.read_excel(DIR/workbook.xlsx, engine="calamine")
  compare-python.py xlsxwriter_constant DIR   XlsxWriter, constant_memory, DIR/export-cells.json
  compare-python.py xlsxwriter_default DIR    XlsxWriter, default mode, the same cells
"""

import json
import os
import sys
import time


class Clock:
    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self):
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def read(engine, directory):
    import pandas as pd

    path = os.path.join(directory, "workbook.xlsx")
    clock = Clock()
    frame = pd.read_excel(path, sheet_name=0, engine=engine)
    return clock.stop(), len(frame)


def write(constant_memory, directory, tool):
    import xlsxwriter

    # The cells exactly as the Rust floor writes them (benches/compare.rs prepare):
    # [{"name": sheet, "rows": [[null | "text" | number, ...], ...]}, ...].
    with open(os.path.join(directory, "export-cells.json"), encoding="utf-8") as f:
        sheets = json.load(f)
    path = os.path.join(directory, f"out-{tool}.xlsx")
    clock = Clock()
    workbook = xlsxwriter.Workbook(path, {"constant_memory": constant_memory})
    for sheet in sheets:
        worksheet = workbook.add_worksheet(sheet["name"])
        write_string, write_number = worksheet.write_string, worksheet.write_number
        for r, row in enumerate(sheet["rows"]):
            for c, cell in enumerate(row):
                if cell is None:
                    continue
                if isinstance(cell, str):
                    write_string(r, c, cell)
                else:
                    write_number(r, c, cell)
    workbook.close()
    return clock.stop(), sum(max(len(s["rows"]) - 2, 0) for s in sheets)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    tool, directory = sys.argv[1], sys.argv[2]
    if tool == "pandas_openpyxl":
        clock, count = read("openpyxl", directory)
    elif tool == "pandas_calamine":
        clock, count = read("calamine", directory)
    elif tool == "xlsxwriter_constant":
        clock, count = write(True, directory, tool)
    elif tool == "xlsxwriter_default":
        clock, count = write(False, directory, tool)
    else:
        sys.exit(f"unknown tool {tool}")
    print(json.dumps({"tool": tool, "seconds": clock[0], "cpu_seconds": clock[1], "count": count}))


if __name__ == "__main__":
    main()
