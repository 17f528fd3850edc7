import { getSolver, RowPool, solveIteratively, solverNames, withAllRows } from "@rho/solvers";
import { argmax, forward, randomNet, robustnessLp } from "../demo-network.js";
import { EXIT_NOT_OK, EXIT_OK, UsageError } from "../errors.js";
import type { Output } from "../output.js";

export interface DemoOptions {
  solvers: string[];
  seed: number;
  points: number;
  json: boolean;
}

interface Row {
  point: number;
  solver: string;
  mode: "full" | "iterative";
  status: string;
  rho?: number;
  verified?: boolean;
  rows: number;
  rounds: number;
  ms: number;
}

/**
 * `rho demo`: the paper's convex-restriction LP on a small 2-D ReLU network (Figure 1), solved by
 * every chosen LP solver, in one go and with iterative constraint solving, each adversarial
 * example checked by a forward pass.
 */
export async function demo(opts: DemoOptions, out: Output): Promise<number> {
  for (const s of opts.solvers)
    if (!solverNames().includes(s))
      throw new UsageError(`unknown solver "${s}"; known: ${solverNames().join(", ")}`);
  const net = randomNet(opts.seed);
  const margin = 1e-3;
  const rows: Row[] = [];
  let disagreements = 0;
  out.info(
    `network: 2 inputs → ${net.b1.length} ReLU → ${net.b2.length} logits (seed ${opts.seed}); inputs in [0, 1]`,
  );
  for (let p = 0; p < opts.points; p++) {
    const xStar = [((p * 37) % 100) / 100, ((p * 61 + 13) % 100) / 100];
    const logits = forward(net, xStar).logits;
    const label = argmax(logits);
    const target = 1 - label;
    const lp = robustnessLp(net, xStar, target, margin);
    const answers: number[] = [];
    for (const name of opts.solvers) {
      const solver = await getSolver(name);
      const full = await solver.solve(withAllRows(lp.base, lp.lazy));
      const iter = await solveIteratively(solver, lp.base, new RowPool(lp.lazy));
      for (const [mode, r, rounds, nrows] of [
        ["full", full, 1, lp.base.rows.count + lp.lazy.count],
        ["iterative", iter.result, iter.rounds, lp.base.rows.count + iter.rowsAdded],
      ] as const) {
        const row: Row = {
          point: p,
          solver: name,
          mode,
          status: r.status,
          rows: nrows,
          rounds,
          ms: r.seconds * 1000,
        };
        if (mode === "iterative") row.ms = iter.seconds * 1000;
        if (r.status === "optimal" && r.primal) {
          const xAdv = lp.inputCols.map((c) => r.primal?.[c] as number);
          row.rho = r.primal[lp.tCol] as number;
          row.verified = argmax(forward(net, xAdv).logits) === target;
          answers.push(row.rho);
        }
        rows.push(row);
      }
    }
    if (
      answers.length &&
      Math.max(...answers) - Math.min(...answers) > 1e-6 * Math.max(1, Math.abs(answers[0] as number))
    ) {
      disagreements++;
    }
  }
  if (opts.json) out.json({ seed: opts.seed, margin, results: rows, disagreements });
  else {
    out.line("point  solver  mode       status      rho (L∞)   verified  rows  rounds  ms");
    for (const r of rows) {
      out.line(
        [
          String(r.point).padEnd(6),
          r.solver.padEnd(7),
          r.mode.padEnd(10),
          r.status.padEnd(11),
          (r.rho === undefined ? "—" : r.rho.toFixed(6)).padEnd(10),
          (r.verified === undefined ? "—" : r.verified ? "yes" : "NO").padEnd(9),
          String(r.rows).padEnd(5),
          String(r.rounds).padEnd(7),
          r.ms.toFixed(2),
        ].join(" "),
      );
    }
    out.line(
      disagreements === 0
        ? "all solvers agree on every optimum; every adversarial example was confirmed by a forward pass"
        : `${disagreements} point(s) where the solvers disagree`,
    );
  }
  const unverified = rows.some((r) => r.verified === false);
  return disagreements === 0 && !unverified ? EXIT_OK : EXIT_NOT_OK;
}
