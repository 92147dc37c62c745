"""Line coverage of the files under a prefix, from `llvm-cov export` JSON; fails under a floor."""
import json
import sys

path, prefix, floor = sys.argv[1], sys.argv[2], float(sys.argv[3])
with open(path) as handle:
    data = json.load(handle)["data"][0]["files"]
total = covered = 0
rows = []
for entry in data:
    name = entry["filename"]
    if not name.startswith(prefix):
        continue
    lines = entry["summary"]["lines"]
    total += lines["count"]
    covered += lines["covered"]
    rows.append((lines["percent"], name[len(prefix):], lines["covered"], lines["count"]))
for percent, name, hit, count in sorted(rows)[:12]:
    print(f"  {percent:6.2f}%  {hit:5d}/{count:<5d} {name}")
percent = 100.0 * covered / total if total else 0.0
print(f"line coverage of {prefix}: {covered}/{total} = {percent:.2f}% (minimum {floor:.0f}%)")
if percent < floor:
    print("coverage is under the minimum", file=sys.stderr)
    sys.exit(1)
