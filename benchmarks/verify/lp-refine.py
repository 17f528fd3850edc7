#!/usr/bin/env python3
"""What LP or MILP intermediate bounds would add over alpha-CROWN's, on a dense ReLU network.

Reads a file written by `npm run bench:alpha-probe -- ... --dump DIR` (dense layers, the input box,
every layer's bounds after alpha-CROWN tightening) and, ReLU layer by ReLU layer from the second,
bounds each unstable unit's input by HiGHS (scipy) over the layers below: the triangle relaxation
(LP, default) or the exact ReLUs with one binary per unstable unit (--milp, --time-limit seconds a
bound; the MILP's dual bound is kept when it stops early, so every bound stays sound). Layers
refined so far feed the next. Prints the unstable units before and after, and the seconds.

A measurement aid, outside npm test: needs python3-numpy and python3-scipy (Debian packages).
Usage: python3 benchmarks/verify/lp-refine.py DIR/PROPERTY.json [--milp] [--time-limit 5] [--layers 3]
"""
import argparse
import json
import time

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

ap = argparse.ArgumentParser()
ap.add_argument("file")
ap.add_argument("--milp", action="store_true")
ap.add_argument("--time-limit", type=float, default=5.0)
ap.add_argument("--layers", type=int, default=99, help="refine the ReLU layers 2..N (default all)")
args = ap.parse_args()

d = json.load(open(args.file))
if any(l["kind"] not in ("dense", "relu") for l in d["layers"]):
    raise SystemExit("lp-refine: only dense/relu networks")
box_lo, box_hi = np.array(d["box"]["lo"]), np.array(d["box"]["hi"])
W, bias = [], []
for l in d["layers"]:
    if l["kind"] == "dense":
        u = l["units"]
        W.append(np.array(l["w"]).reshape(-1, u).T)  # rho holds weights input-major
        bias.append(np.array(l["b"]))
# the bounds of each ReLU's input (the dense layer before it)
pre = [[np.array(d["bounds"][r["value"]]["lo"]), np.array(d["bounds"][r["value"]]["hi"])] for r in d["relus"]]


def refine(k):
    """Bounds of ReLU layer k's inputs over the layers below (their bounds from `pre`)."""
    sizes = [W[j].shape[0] for j in range(k + 1)]
    n = len(box_lo)
    lo, hi, integer = list(box_lo), list(box_hi), [0] * n
    eq_r, eq_c, eq_v, eq_b = [], [], [], []
    ub_r, ub_c, ub_v, ub_b = [], [], [], []

    def col(l, h, is_int=0):
        lo.append(l)
        hi.append(h)
        integer.append(is_int)
        return len(lo) - 1

    def row(store, cols, vals, b):
        r, c, v, rhs = store
        i = len(rhs)
        r.extend([i] * len(cols))
        c.extend(cols)
        v.extend(vals)
        rhs.append(b)

    eq = (eq_r, eq_c, eq_v, eq_b)
    ub = (ub_r, ub_c, ub_v, ub_b)
    inputs = list(range(n))
    for j in range(k + 1):
        z = [col(-np.inf, np.inf) for _ in range(sizes[j])]
        for o, zo in enumerate(z):  # z = W x + b
            row(eq, inputs + [zo], list(-W[j][o]) + [1.0], bias[j][o])
        if j == k:
            break
        l, h = pre[j]
        outputs = []
        for i, zi in enumerate(z):
            lo[zi], hi[zi] = l[i], h[i]
            if l[i] >= 0:
                outputs.append(zi)
                continue
            a = col(0.0, max(0.0, h[i]))
            outputs.append(a)
            if h[i] <= 0:
                continue
            row(ub, [zi, a], [1.0, -1.0], 0.0)  # a ≥ z
            if args.milp:
                b = col(0.0, 1.0, 1)
                row(ub, [a, zi, b], [1.0, -1.0, -l[i]], -l[i])  # a ≤ z − l(1 − b)
                row(ub, [a, b], [1.0, -h[i]], 0.0)  # a ≤ h b
            else:
                s = h[i] / (h[i] - l[i])
                row(ub, [a, zi], [1.0, -s], -s * l[i])  # a ≤ s (z − l)
        inputs = outputs
    N = len(lo)
    cons = [
        LinearConstraint(csr_matrix((eq_v, (eq_r, eq_c)), shape=(len(eq_b), N)), eq_b, eq_b),
    ]
    if ub_b:
        cons.append(LinearConstraint(csr_matrix((ub_v, (ub_r, ub_c)), shape=(len(ub_b), N)), -np.inf, ub_b))
    l, h = pre[k][0].copy(), pre[k][1].copy()
    for i, zi in enumerate(z):
        if not (l[i] < 0 < h[i]):
            continue
        for sign in (1.0, -1.0):
            c = np.zeros(N)
            c[zi] = sign
            res = milp(c, constraints=cons, integrality=np.array(integer), bounds=Bounds(lo, hi),
                       options={"time_limit": args.time_limit})
            # a MILP stopped early keeps its dual bound: still a valid bound, only looser
            v = getattr(res, "mip_dual_bound", None) if res.status != 0 else res.fun
            if v is None or not np.isfinite(v):
                continue
            if sign > 0:
                l[i] = max(l[i], v)
            else:
                h[i] = min(h[i], -v)
    return l, h


for k in range(1, min(len(pre), args.layers)):
    t = time.time()
    before = int(np.sum((pre[k][0] < 0) & (pre[k][1] > 0)))
    pre[k] = list(refine(k))
    after = int(np.sum((pre[k][0] < 0) & (pre[k][1] > 0)))
    print(f"ReLU layer {k + 1}: unstable {before} -> {after} ({time.time() - t:.1f} s)", flush=True)
