// Boxes that are clipped L∞ balls (robustness properties) are recognised, centre and radius
// recovered; other boxes are not; and the alp-walk falsifier those boxes get answers soundly.
import { useBackend } from "@rho/models";
import { arbTwoHidden } from "@rho/models/testing";
import fc from "fast-check";
import { beforeAll, expect, it } from "vitest";
import { ballOf } from "../src/ball.js";
import { parseVnnlib, verifyProperty } from "../src/index.js";
import { expectAnswerHolds } from "./answers.js";

beforeAll(async () => {
  await useBackend("cpu");
});

const clip = (v: number) => Math.min(1, Math.max(0, v));
const arbBall = fc.record({
  center: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 20 }),
  eps: fc.double({ min: 0.001, max: 0.3, noNaN: true }),
});

it("recovers a clipped ball's centre and radius, in float32 too", () => {
  fc.assert(
    fc.property(arbBall, ({ center, eps }) => {
      // one pixel at least unclipped on both sides, so the radius shows
      const x = [0.5, ...center];
      const f32 = (v: number) => Math.fround(v);
      const c = {
        lo: Float64Array.from(x, (v) => f32(clip(v - eps))),
        hi: Float64Array.from(x, (v) => f32(clip(v + eps))),
        outputs: [],
      };
      const ball = ballOf(c) as NonNullable<ReturnType<typeof ballOf>>;
      expect(ball).toBeDefined();
      expect(ball.eps).toBeCloseTo(eps, 6);
      x.forEach((v, i) => {
        // a pixel clipped on both sides (ε beyond both ends) has no one centre: any in range fits
        if (v - eps <= 0 && v + eps >= 1) return;
        expect(ball.center[i] as number).toBeCloseTo(v, 6);
      });
      // the range is what the box shows of it: within [0, 1], reaching every bound
      expect(ball.range).toEqual([Math.min(...c.lo), Math.max(...c.hi)]);
    }),
    { numRuns: 300 },
  );
});

it("refuses boxes that are no clipped ball", () => {
  const box = (lo: number[], hi: number[]) => ({
    lo: Float64Array.from(lo),
    hi: Float64Array.from(hi),
    outputs: [],
  });
  // widths 0.2 and 0.1, neither at the range's ends
  expect(ballOf(box([0, 0.3, 0.5, 1], [0.2, 0.5, 0.6, 1.2]))).toBeUndefined();
  expect(ballOf(box([0.1], [0.1]))).toBeUndefined();
  expect(ballOf(box([0, 0.4], [0.2, 0.6]))).toBeDefined();
});

it("on ball-shaped boxes of random networks: the walk's sat answers replay, and the complete search never says unsat there", async () => {
  const n = 10;
  let decided = 0;
  await fc.assert(
    fc.asyncProperty(
      arbTwoHidden(n, 3, 8),
      fc.array(fc.integer({ min: 0, max: 10 }), { minLength: n, maxLength: n }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 2 }),
      async (net, center, e, shift) => {
        const x = center.map((v) => v / 10);
        const eps = e / 10;
        const label = net.predict64(x);
        const j = (label + shift) % 3;
        const decl = Array.from({ length: n }, (_, i) => `(declare-const X_${i} Real)`).join(" ");
        const box = x
          .map((v, i) => `(assert (>= X_${i} ${clip(v - eps)})) (assert (<= X_${i} ${clip(v + eps)}))`)
          .join("\n");
        const spec = parseVnnlib(`${decl}
(declare-const Y_0 Real) (declare-const Y_1 Real) (declare-const Y_2 Real)
${box}
(assert (>= Y_${j} Y_${label}))`);
        // no PGD: what sampling and CROWN leave open reaches the walk
        const walk = await verifyProperty(net, spec, { timeout: 20, restarts: 0 });
        if (walk.stage !== "walk") return;
        decided++;
        expect(walk.status).toBe("sat");
        expectAnswerHolds(net, spec, walk);
        const plain = await verifyProperty(net, spec, { timeout: 20, restarts: 0, walk: false });
        expect(plain.status).not.toBe("unsat");
      },
    ),
    { numRuns: 80 },
  );
  console.info(`the walk decided ${decided} of 80 ball-shaped properties`);
  expect(decided).toBeGreaterThan(0);
}, 300_000);
