# Joins oracle.cc input and output lines into casacore-masks.jsonl records:
# python3 merge.py in.txt out.txt > cases.jsonl
import json, sys
ins = open(sys.argv[1]).read().split("\n")
outs = open(sys.argv[2]).read().split("\n")
for line, o in zip(ins, outs):
    if not line.strip(): continue
    t = line.split()
    i, kind, W, H, rot, n = int(t[0]), int(t[1]), int(t[2]), int(t[3]), float(t[4]), int(t[5])
    pts = [[float(t[6+2*k]), float(t[7+2*k])] for k in range(n)]
    r = json.loads(o)
    assert r["id"] == i
    d = {"kind": kind, "w": W, "h": H, "rot": rot, "pts": pts}
    if "err" in r: d["err"] = r["err"]
    else: d["box"] = r["box"]; d["rows"] = r["rows"]
    print(json.dumps(d, separators=(",", ":")))
