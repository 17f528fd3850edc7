import { InvalidModelError, LpParseError } from "./errors.js";
import { colName, type LinearProgram, rowName, validateProgram } from "./linear-program.js";

// CPLEX LP format: https://www.ibm.com/docs/en/icos/latest?topic=cplex-lp-file-format-algebraic-representation
// Written so that parse(write(lp)) reproduces lp exactly: every column appears in the objective
// (zero coefficients included) to fix column order, and numbers use JavaScript's shortest
// round-tripping decimal form. The format has no portable one-row range (HiGHS's reader, for
// one, misreads `lo <= expr <= hi`), so a ranged row `n` is written as rows `n_lo` and `n_hi`,
// which the reader merges back when they are adjacent with identical terms.

// CPLEX truncates lines beyond 510 characters.
const LINE_CHARS = 200;

function num(v: number): string {
  if (v === Number.POSITIVE_INFINITY) return "+inf";
  if (v === Number.NEGATIVE_INFINITY) return "-inf";
  return String(v);
}

function linear(
  out: string[],
  names: (j: number) => string,
  idx: ArrayLike<number>,
  val: ArrayLike<number>,
  s: number,
  e: number,
): void {
  if (s === e) {
    out.push(" 0 ", names(0));
    return;
  }
  let width = 0;
  for (let k = s; k < e; k++) {
    const w = val[k] as number;
    const term = `${w < 0 || Object.is(w, -0) ? " - " : " + "}${Math.abs(w)} ${names(idx[k] as number)}`;
    if (width + term.length > LINE_CHARS && k > s) {
      out.push("\n ");
      width = 0;
    }
    out.push(term);
    width += term.length;
  }
}

/** Writes an LP or MILP as CPLEX LP text. Columns without names are `x<j>`, rows `r<i>`. */
export function writeLpFormat(lp: LinearProgram): string {
  validateProgram(lp);
  const names = (j: number) => colName(lp, j);
  checkNames(lp);
  const out: string[] = ["\\ written by rho\n", lp.sense === "min" ? "Minimize\n" : "Maximize\n", " obj:"];
  const all = Int32Array.from({ length: lp.numCols }, (_, j) => j);
  if (lp.numCols === 0) out.push(" 0");
  else linear(out, names, all, lp.objective, 0, lp.numCols);
  if (lp.objectiveOffset !== 0)
    out.push(lp.objectiveOffset < 0 ? " - " : " + ", String(Math.abs(lp.objectiveOffset)));
  out.push("\nSubject To\n");
  const r = lp.rows;
  for (let i = 0; i < r.count; i++) {
    const lo = r.lower[i] as number;
    const hi = r.upper[i] as number;
    const row = (name: string, sense: string, rhs: number) => {
      out.push(" ", name, ":");
      linear(out, names, r.indices, r.values, r.starts[i] as number, r.starts[i + 1] as number);
      out.push(" ", sense, " ", num(rhs), "\n");
    };
    const name = rowName(r, i);
    if (lo === hi) row(name, "=", lo);
    else if (Number.isFinite(lo) && Number.isFinite(hi)) {
      row(`${name}_lo`, ">=", lo);
      row(`${name}_hi`, "<=", hi);
    } else if (Number.isFinite(hi)) row(name, "<=", hi);
    else row(name, ">=", lo); // also a free row: expr >= -inf
  }
  out.push("Bounds\n");
  for (let j = 0; j < lp.numCols; j++) {
    const lo = lp.colLower[j] as number;
    const hi = lp.colUpper[j] as number;
    if (lo === 0 && hi === Number.POSITIVE_INFINITY) continue;
    if (lo === Number.NEGATIVE_INFINITY && hi === Number.POSITIVE_INFINITY)
      out.push(" ", names(j), " free\n");
    else if (lo === hi) out.push(" ", names(j), " = ", num(lo), "\n");
    else out.push(" ", num(lo), " <= ", names(j), " <= ", num(hi), "\n");
  }
  if (lp.integer?.some((v) => v !== 0)) {
    out.push("Generals\n");
    for (let j = 0; j < lp.numCols; j++) if (lp.integer[j]) out.push(" ", names(j), "\n");
  }
  out.push("End\n");
  return out.join("");
}

const NAME_RE = /^[A-Za-z_!"#$%&()/,;?@`'{}|~[\]^][A-Za-z0-9_!"#$%&()/,.;?@`'{}|~[\]^]*$/;
// `e`/`E` alone or followed by a digit or another e reads as an exponent in CPLEX's grammar.
const RESERVED = /^(inf|infinity|free|[eE]([0-9eE].*)?)$/;

function checkNames(lp: LinearProgram): void {
  const seen = new Set<string>();
  const check = (name: string, what: string) => {
    if (!NAME_RE.test(name) || RESERVED.test(name) || name.length > 255) {
      throw new InvalidModelError(`${what} name "${name}" cannot be written in LP format`);
    }
  };
  for (let j = 0; j < lp.numCols; j++) {
    const n = colName(lp, j);
    check(n, "column");
    if (seen.has(n)) throw new InvalidModelError(`column name "${n}" is used twice`);
    seen.add(n);
  }
  for (let i = 0; i < lp.rows.count; i++) check(rowName(lp.rows, i), "row");
}

// ---------------------------------------------------------------- reading

type Tok =
  | { t: "num"; v: number; line: number }
  | { t: "name"; v: string; line: number }
  | { t: "op"; v: "<=" | ">=" | "="; line: number }
  | { t: "sign"; v: 1 | -1; line: number }
  | { t: "colon"; line: number };

type Section = "objective" | "constraints" | "bounds" | "generals" | "binaries" | "end";

const SECTIONS: [RegExp, Section | "max" | "min" | "unsupported"][] = [
  [/^(maximize|maximise|maximum|max)(?![\w.])/i, "max"],
  [/^(minimize|minimise|minimum|min)(?![\w.])/i, "min"],
  [/^(subject\s+to|such\s+that|s\.t\.|st)(?![\w.])/i, "constraints"],
  [/^(bounds|bound)(?![\w.])/i, "bounds"],
  [/^(generals|general|gen|integers|integer)(?![\w.])/i, "generals"],
  [/^(binaries|binary|bin)(?![\w.])/i, "binaries"],
  [/^(semi-continuous|semis|semi|sos)(?![\w.])/i, "unsupported"],
  [/^end(?![\w.])/i, "end"],
];

const TOKEN_RE =
  /\s*(?:(<=|=<|>=|=>|<|>|=)|([+-])|(:)|((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|([A-Za-z_!"#$%&()/,.;?@`'{}|~[\]^][A-Za-z0-9_!"#$%&()/,.;?@`'{}|~[\]^]*))/y;

function tokenizeLine(text: string, line: number, out: Tok[]): void {
  TOKEN_RE.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) return;
    TOKEN_RE.lastIndex = pos;
    const m = TOKEN_RE.exec(text);
    if (!m) throw new LpParseError(`unexpected character "${text.slice(pos).trim()[0]}"`, line);
    pos = TOKEN_RE.lastIndex;
    if (m[1])
      out.push({
        t: "op",
        v: m[1].startsWith("<") || m[1] === "=<" ? "<=" : m[1] === "=" ? "=" : ">=",
        line,
      });
    else if (m[2]) out.push({ t: "sign", v: m[2] === "-" ? -1 : 1, line });
    else if (m[3]) out.push({ t: "colon", line });
    else if (m[4]) {
      const v = Number(m[4]);
      // a literal beyond float range would become ±Infinity: write inf, or a representable number
      if (!Number.isFinite(v))
        throw new LpParseError(`number ${m[4]} is out of range (write inf for infinity)`, line);
      out.push({ t: "num", v, line });
    } else if (m[5]) out.push({ t: "name", v: m[5], line });
  }
}

const INF_RE = /^(inf|infinity)$/i;

function sameTerms(a: Map<number, number>, b: Map<number, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [j, w] of a) if (b.get(j) !== w) return false;
  return true;
}

/** Parses CPLEX LP text into a LinearProgram (names kept). Throws LpParseError with a line number. */
export function parseLpFormat(text: string): LinearProgram {
  let sense: "min" | "max" | undefined;
  const sections: Record<Exclude<Section, "end">, Tok[]> = {
    objective: [],
    constraints: [],
    bounds: [],
    generals: [],
    binaries: [],
  };
  let current: Section | undefined;
  const lines = text.split(/\r?\n/);
  for (let li = 0; li < lines.length && current !== "end"; li++) {
    let line = (lines[li] as string).replace(/\\.*$/, "");
    const trimmed = line.trimStart();
    for (const [re, kind] of SECTIONS) {
      const m = re.exec(trimmed);
      if (!m) continue;
      if (kind === "unsupported") throw new LpParseError(`section "${m[0]}" is not supported`, li + 1);
      if (kind === "max" || kind === "min") {
        if (sense) throw new LpParseError("a second objective section", li + 1);
        sense = kind;
        current = "objective";
      } else if (!sense) throw new LpParseError("expected Minimize or Maximize first", li + 1);
      else current = kind;
      line = trimmed.slice(m[0].length);
      break;
    }
    if (current === "end") break;
    if (line.trim() === "") continue;
    if (current === undefined) throw new LpParseError("expected Minimize or Maximize first", li + 1);
    tokenizeLine(line, li + 1, sections[current]);
  }
  if (!sense) throw new LpParseError("the text has no Minimize or Maximize section", lines.length);

  const colIndex = new Map<string, number>();
  const col = (name: string): number => {
    let j = colIndex.get(name);
    if (j === undefined) {
      j = colIndex.size;
      colIndex.set(name, j);
    }
    return j;
  };
  const lastLine = lines.length;

  // ---- expressions
  const parseExpr = (toks: Tok[], p: { i: number }, terms: Map<number, number>): number => {
    let constant = 0;
    let any = false;
    for (;;) {
      let sign = 1;
      let signed = false;
      while (toks[p.i]?.t === "sign") {
        sign *= (toks[p.i] as { v: number }).v;
        signed = true;
        p.i++;
      }
      const a = toks[p.i];
      const b = toks[p.i + 1];
      if (a?.t === "num") {
        p.i++;
        if (b?.t === "name" && toks[p.i + 1]?.t !== "colon" && !INF_RE.test(b.v)) {
          const j = col(b.v);
          terms.set(j, (terms.get(j) ?? 0) + sign * a.v);
          p.i++;
        } else constant += sign * a.v;
      } else if (a?.t === "name" && b?.t !== "colon" && !INF_RE.test(a.v)) {
        const j = col(a.v);
        terms.set(j, (terms.get(j) ?? 0) + sign);
        p.i++;
      } else {
        if (signed) throw new LpParseError("a sign without a term after it", a?.line ?? lastLine);
        if (!any) throw new LpParseError("expected a linear expression", a?.line ?? lastLine);
        return constant;
      }
      any = true;
      const next = toks[p.i];
      if (next?.t !== "sign") return constant;
    }
  };

  const parseNumber = (toks: Tok[], p: { i: number }, what: string): number => {
    let sign = 1;
    while (toks[p.i]?.t === "sign") sign *= (toks[p.i++] as { v: number }).v;
    const a = toks[p.i];
    if (a?.t === "num") {
      p.i++;
      return sign * a.v;
    }
    if (a?.t === "name" && INF_RE.test(a.v)) {
      p.i++;
      return sign * Number.POSITIVE_INFINITY;
    }
    throw new LpParseError(`expected a number for ${what}`, a?.line ?? lastLine);
  };
  const parseOp = (toks: Tok[], p: { i: number }): "<=" | ">=" | "=" => {
    const a = toks[p.i];
    if (a?.t !== "op") throw new LpParseError("expected <=, >= or =", a?.line ?? lastLine);
    p.i++;
    return a.v;
  };
  const startsWithNumberThenOp = (toks: Tok[], i: number): boolean => {
    while (toks[i]?.t === "sign") i++;
    const a = toks[i];
    return (a?.t === "num" || (a?.t === "name" && INF_RE.test(a.v))) && toks[i + 1]?.t === "op";
  };

  // ---- objective
  const objTerms = new Map<number, number>();
  let offset = 0;
  {
    const toks = sections.objective;
    const p = { i: 0 };
    if (toks[0]?.t === "name" && toks[1]?.t === "colon") p.i = 2;
    if (p.i < toks.length) offset = parseExpr(toks, p, objTerms);
    if (p.i < toks.length)
      throw new LpParseError("unexpected text after the objective", toks[p.i]?.line ?? lastLine);
  }

  // ---- constraints
  const rowTerms: Map<number, number>[] = [];
  const rowLo: number[] = [];
  const rowHi: number[] = [];
  const rowNames: string[] = [];
  {
    const toks = sections.constraints;
    const p = { i: 0 };
    while (p.i < toks.length) {
      let name = `r${rowNames.length}`;
      const a = toks[p.i];
      if (a?.t === "name" && toks[p.i + 1]?.t === "colon") {
        name = a.v;
        p.i += 2;
      }
      const terms = new Map<number, number>();
      let lo = Number.NEGATIVE_INFINITY;
      let hi = Number.POSITIVE_INFINITY;
      if (startsWithNumberThenOp(toks, p.i)) {
        // rhs first: `lo <= expr <= hi` (or the mirror with >=), or just `rhs op expr`
        const left = parseNumber(toks, p, `row ${name}`);
        const op1 = parseOp(toks, p);
        const c = parseExpr(toks, p, terms);
        if (toks[p.i]?.t === "op") {
          const op2 = parseOp(toks, p);
          const right = parseNumber(toks, p, `row ${name}`);
          if (op1 !== op2 || op1 === "=") {
            throw new LpParseError(`row ${name}: a ranged row needs two <= or two >=`, a?.line ?? lastLine);
          }
          [lo, hi] = op1 === "<=" ? [left - c, right - c] : [right - c, left - c];
        } else {
          if (op1 !== ">=") lo = left - c;
          if (op1 !== "<=") hi = left - c;
        }
      } else {
        const c = parseExpr(toks, p, terms);
        const op = parseOp(toks, p);
        const rhs = parseNumber(toks, p, `the right-hand side of row ${name}`) - c;
        if (op !== "<=") lo = rhs;
        if (op !== ">=") hi = rhs;
      }
      const prev = rowTerms.length - 1;
      if (
        name.endsWith("_hi") &&
        rowNames[prev] === `${name.slice(0, -3)}_lo` &&
        rowHi[prev] === Number.POSITIVE_INFINITY &&
        lo === Number.NEGATIVE_INFINITY &&
        sameTerms(rowTerms[prev] as Map<number, number>, terms)
      ) {
        // the two halves of a ranged row, as writeLpFormat writes it
        rowHi[prev] = hi;
        rowNames[prev] = name.slice(0, -3);
        continue;
      }
      rowTerms.push(terms);
      rowLo.push(lo);
      rowHi.push(hi);
      rowNames.push(name);
    }
  }

  // ---- bounds
  const lower = new Map<number, number>();
  const upper = new Map<number, number>();
  const setBound = (j: number, op: "<=" | ">=" | "=", v: number, varOnLeft: boolean) => {
    const dir = op === "=" ? "=" : varOnLeft === (op === "<=") ? "upper" : "lower";
    if (dir !== "upper") lower.set(j, v);
    if (dir !== "lower") upper.set(j, v);
  };
  {
    const toks = sections.bounds;
    const p = { i: 0 };
    while (p.i < toks.length) {
      const a = toks[p.i] as Tok;
      if (a.t === "name" && !INF_RE.test(a.v)) {
        const j = col(a.v);
        p.i++;
        const b = toks[p.i];
        if (b?.t === "name" && /^free$/i.test(b.v)) {
          p.i++;
          lower.set(j, Number.NEGATIVE_INFINITY);
          upper.set(j, Number.POSITIVE_INFINITY);
          continue;
        }
        const op = parseOp(toks, p);
        setBound(j, op, parseNumber(toks, p, `the bound of ${a.v}`), true);
      } else {
        const v = parseNumber(toks, p, "a bound");
        const op = parseOp(toks, p);
        const n = toks[p.i];
        if (n?.t !== "name")
          throw new LpParseError("expected a variable name in a bound", n?.line ?? lastLine);
        p.i++;
        const j = col(n.v);
        setBound(j, op, v, false);
        if (toks[p.i]?.t === "op") {
          const op2 = parseOp(toks, p);
          setBound(j, op2, parseNumber(toks, p, `the bound of ${n.v}`), true);
        }
      }
    }
  }

  // ---- integrality
  const integerCols = new Set<number>();
  for (const [kind, toks] of [
    ["generals", sections.generals],
    ["binaries", sections.binaries],
  ] as const) {
    for (const tk of toks) {
      if (tk.t !== "name") throw new LpParseError(`expected variable names in the ${kind} section`, tk.line);
      const j = col(tk.v);
      integerCols.add(j);
      if (kind === "binaries") {
        lower.set(j, 0);
        upper.set(j, 1);
      }
    }
  }

  const n = colIndex.size;
  const objective = new Float64Array(n);
  for (const [j, w] of objTerms) objective[j] = w;
  const colLower = new Float64Array(n);
  const colUpper = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  for (const [j, v] of lower) colLower[j] = v;
  for (const [j, v] of upper) colUpper[j] = v;
  const starts = new Int32Array(rowTerms.length + 1);
  let nnz = 0;
  rowTerms.forEach((t, i) => {
    for (const w of t.values()) if (w !== 0) nnz++;
    starts[i + 1] = nnz;
  });
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let k = 0;
  for (const t of rowTerms) {
    for (const [j, w] of t) {
      if (w === 0) continue;
      indices[k] = j;
      values[k++] = w;
    }
  }
  const lp: LinearProgram = {
    numCols: n,
    sense,
    objective,
    objectiveOffset: offset,
    colLower,
    colUpper,
    colNames: [...colIndex.keys()],
    rows: {
      count: rowTerms.length,
      starts,
      indices,
      values,
      lower: Float64Array.from(rowLo),
      upper: Float64Array.from(rowHi),
      names: rowNames,
    },
    ...(integerCols.size > 0
      ? { integer: Uint8Array.from({ length: n }, (_, j) => (integerCols.has(j) ? 1 : 0)) }
      : {}),
  };
  validateProgram(lp);
  return lp;
}
