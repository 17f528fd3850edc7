// VNN-LIB (the VNN-COMP property format, an SMT-LIB subset) as the benchmarks write it:
// `declare-const` of X_i and Y_j (Real), and `assert`s of `<=` / `>=` between a variable and a
// number or two variables, nested in `and` / `or`. The asserts together describe the unsafe set:
// the property is violated (`sat`) iff some input satisfies all of them. The reader turns them into
// a disjunction of cases, each an input box and a disjunction of conjunctions of linear conditions
// on the outputs. Anything else is refused with the line and column.

/** Σ_j coef_j · Y_j ≤ bound. */
export interface OutputRow {
  readonly coef: Float64Array;
  readonly bound: number;
}

/** One case of the unsafe set: an input box, and outputs satisfying one of `outputs` (all rows of it). */
export interface SpecCase {
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** A disjunction of conjunctions; one empty conjunction: any output (the box alone is unsafe). */
  readonly outputs: readonly (readonly OutputRow[])[];
}

export interface VnnSpec {
  readonly inputs: number;
  readonly outputs: number;
  /** The unsafe set is the union of these. */
  readonly cases: readonly SpecCase[];
}

export class VnnlibError extends Error {
  override name = "VnnlibError";
}

interface Token {
  readonly text: string;
  readonly line: number;
  readonly col: number;
}

type Sexp = { readonly atom: Token } | { readonly list: readonly Sexp[]; readonly at: Token };

function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let col = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    if (c === "\n") {
      line++;
      col = 1;
      i++;
    } else if (c === " " || c === "\t" || c === "\r") {
      col++;
      i++;
    } else if (c === ";") {
      while (i < n && text[i] !== "\n") i++;
    } else if (c === "(" || c === ")") {
      tokens.push({ text: c, line, col });
      col++;
      i++;
    } else {
      const start = i;
      while (i < n && !" \t\r\n();".includes(text[i] as string)) i++;
      tokens.push({ text: text.slice(start, i), line, col });
      col += i - start;
    }
  }
  if (tokens.length === 0) throw new VnnlibError(`${file}: empty specification`);
  return tokens;
}

function parseSexps(tokens: readonly Token[], file: string): Sexp[] {
  const out: Sexp[] = [];
  const stack: { list: Sexp[]; at: Token }[] = [];
  for (const t of tokens) {
    if (t.text === "(") stack.push({ list: [], at: t });
    else if (t.text === ")") {
      const top = stack.pop();
      if (!top) throw new VnnlibError(`${file}:${t.line}:${t.col}: ")" without a matching "("`);
      const done: Sexp = { list: top.list, at: top.at };
      (stack.length ? (stack[stack.length - 1] as { list: Sexp[] }).list : out).push(done);
    } else (stack.length ? (stack[stack.length - 1] as { list: Sexp[] }).list : out).push({ atom: t });
  }
  const open = stack.pop();
  if (open) throw new VnnlibError(`${file}:${open.at.line}:${open.at.col}: "(" never closed`);
  return out;
}

type Formula =
  | { readonly op: "and" | "or"; readonly args: readonly Formula[] }
  | { readonly op: "le"; readonly a: Term; readonly b: Term; readonly at: Token };
type Term = { readonly v: "X" | "Y"; readonly i: number } | { readonly c: number };

const VAR = /^([XY])_(0|[1-9]\d*)$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses VNN-LIB text into the unsafe set it describes. `file` names the source in messages
 * ("prop.vnnlib:12:5: …").
 */
export function parseVnnlib(text: string, file = "spec"): VnnSpec {
  const where = (t: Token) => `${file}:${t.line}:${t.col}`;
  const fail = (t: Token, msg: string): never => {
    throw new VnnlibError(`${where(t)}: ${msg}`);
  };
  const first = (s: Sexp): Token => ("atom" in s ? s.atom : s.at);
  const declared = { X: new Set<number>(), Y: new Set<number>() };
  const asserts: Formula[] = [];

  const term = (s: Sexp): Term => {
    if (!("atom" in s)) {
      // SMT-LIB writes a negative number as (- 0.5)
      const [head, arg, ...rest] = s.list;
      if (
        head &&
        "atom" in head &&
        head.atom.text === "-" &&
        arg &&
        "atom" in arg &&
        !rest.length &&
        NUMBER.test(arg.atom.text)
      )
        return { c: -Number(arg.atom.text) };
      return fail(s.at, "expected a variable or a number, not a list (sums and products are not supported)");
    }
    const t = s.atom;
    const m = VAR.exec(t.text);
    if (m) {
      const v = m[1] as "X" | "Y";
      const i = Number(m[2]);
      if (!declared[v].has(i)) fail(t, `${t.text} is not declared`);
      return { v, i };
    }
    if (NUMBER.test(t.text)) return { c: Number(t.text) };
    if (t.text.startsWith("-") && NUMBER.test(t.text.slice(1))) return { c: Number(t.text) };
    return fail(t, `"${t.text}" is neither a declared variable nor a number`);
  };

  const formula = (s: Sexp): Formula => {
    if ("atom" in s) return fail(s.atom, `expected a condition, got "${s.atom.text}"`);
    const head = s.list[0];
    if (!head || !("atom" in head)) return fail(s.at, "expected (and …), (or …), (<= a b) or (>= a b)");
    const op = head.atom.text;
    const args = s.list.slice(1);
    if (op === "and" || op === "or") {
      if (args.length === 0) fail(head.atom, `(${op}) with nothing in it`);
      return { op, args: args.map(formula) };
    }
    if (op === "<=" || op === ">=") {
      if (args.length !== 2) fail(head.atom, `(${op} a b) takes two operands, got ${args.length}`);
      const [a, b] = args.map(term) as [Term, Term];
      return op === "<=" ? { op: "le", a, b, at: head.atom } : { op: "le", a: b, b: a, at: head.atom };
    }
    if (op === "<" || op === ">" || op === "=")
      return fail(head.atom, `"${op}" is not supported (VNN-LIB properties use <= and >=)`);
    return fail(head.atom, `"${op}" is not supported (supported: and, or, <=, >=)`);
  };

  for (const s of parseSexps(tokenize(text, file), file)) {
    if ("atom" in s) fail(s.atom, `expected a command in parentheses, got "${s.atom.text}"`);
    const list = (s as { list: readonly Sexp[]; at: Token }).list;
    const head = list[0];
    if (!head || !("atom" in head)) fail(first(s), "expected (declare-const …) or (assert …)");
    const cmd = (head as { atom: Token }).atom;
    if (cmd.text === "declare-const") {
      const [name, type] = list.slice(1);
      if (list.length !== 3 || !name || !type || !("atom" in name) || !("atom" in type))
        fail(cmd, "expected (declare-const NAME Real)");
      const nt = (name as { atom: Token }).atom;
      const m = VAR.exec(nt.text);
      if (!m) fail(nt, `"${nt.text}" is not an input X_i or an output Y_j`);
      if ((type as { atom: Token }).atom.text !== "Real")
        fail(
          (type as { atom: Token }).atom,
          `only Real constants, not ${(type as { atom: Token }).atom.text}`,
        );
      const set = declared[(m as RegExpExecArray)[1] as "X" | "Y"];
      const i = Number((m as RegExpExecArray)[2]);
      if (set.has(i)) fail(nt, `${nt.text} is declared twice`);
      set.add(i);
    } else if (cmd.text === "assert") {
      if (list.length !== 2) fail(cmd, "expected (assert CONDITION)");
      asserts.push(formula(list[1] as Sexp));
    } else fail(cmd, `"${cmd.text}" is not supported (supported: declare-const, assert)`);
  }
  const count = (v: "X" | "Y") => {
    const n = declared[v].size;
    for (let i = 0; i < n; i++)
      if (!declared[v].has(i))
        throw new VnnlibError(`${file}: ${v}_0 … ${v}_${n - 1} are not all declared (${v}_${i} is missing)`);
    return n;
  };
  const inputs = count("X");
  const outputs = count("Y");
  if (inputs === 0) throw new VnnlibError(`${file}: no input X_i is declared`);
  if (outputs === 0) throw new VnnlibError(`${file}: no output Y_j is declared`);
  return { inputs, outputs, cases: toCases(asserts, inputs, outputs, where) };
}

type Atom = Extract<Formula, { op: "le" }>;

/** The disjunctive normal form of a conjunction of formulas, as lists of atoms. */
function dnf(fs: readonly Formula[]): Atom[][] {
  let terms: Atom[][] = [[]];
  for (const f of fs) {
    const alts = dnfOne(f);
    const next: Atom[][] = [];
    for (const t of terms) for (const a of alts) next.push(t.length ? [...t, ...a] : a);
    terms = next;
    if (terms.length > 100_000) throw new VnnlibError("the specification expands to more than 100,000 cases");
  }
  return terms;
}
function dnfOne(f: Formula): Atom[][] {
  if (f.op === "le") return [[f]];
  if (f.op === "and") return dnf(f.args);
  return f.args.flatMap(dnfOne);
}

function toCases(
  asserts: readonly Formula[],
  inputs: number,
  outputs: number,
  where: (t: Token) => string,
): SpecCase[] {
  const cases: SpecCase[] = [];
  const boxes = new Map<string, { lo: Float64Array; hi: Float64Array; outputs: OutputRow[][] }>();
  for (const term of dnf(asserts)) {
    const lo = new Float64Array(inputs).fill(Number.NEGATIVE_INFINITY);
    const hi = new Float64Array(inputs).fill(Number.POSITIVE_INFINITY);
    const rows: OutputRow[] = [];
    let empty = false;
    for (const atom of term) {
      const { a, b } = atom;
      const isX = (t: Term) => "v" in t && t.v === "X";
      const isY = (t: Term) => "v" in t && t.v === "Y";
      if ((isX(a) && !("c" in b)) || (isX(b) && !("c" in a)))
        throw new VnnlibError(
          `${where(atom.at)}: a condition between an input and another variable is not supported (only input bounds)`,
        );
      if (isX(a)) {
        const i = (a as { i: number }).i;
        hi[i] = Math.min(hi[i] as number, (b as { c: number }).c);
      } else if (isX(b)) {
        const i = (b as { i: number }).i;
        lo[i] = Math.max(lo[i] as number, (a as { c: number }).c);
      } else if (isY(a) || isY(b)) {
        // a − b ≤ 0 over the outputs
        const coef = new Float64Array(outputs);
        let bound = 0;
        if ("c" in a) bound -= a.c;
        else coef[a.i] = (coef[a.i] as number) + 1;
        if ("c" in b) bound += b.c;
        else coef[b.i] = (coef[b.i] as number) - 1;
        rows.push({ coef, bound });
      } else if (!((a as { c: number }).c <= (b as { c: number }).c)) empty = true; // a false constant condition
    }
    if (empty) continue;
    for (let i = 0; i < inputs; i++)
      if (!(Number.isFinite(lo[i]) && Number.isFinite(hi[i])))
        throw new VnnlibError(
          `X_${i} has no ${Number.isFinite(lo[i]) ? "upper" : "lower"} bound in one case of the specification (inputs must lie in a box)`,
        );
    if (lo.some((l, i) => l > (hi[i] as number))) continue; // an empty box: no input there
    const key = `${lo.join()}|${hi.join()}`;
    let box = boxes.get(key);
    if (!box) {
      box = { lo, hi, outputs: [] };
      boxes.set(key, box);
      cases.push(box);
    }
    box.outputs.push(rows);
  }
  return cases;
}

/**
 * The spec over the network's own input order: X_i becomes input `order[i]` (an NCHW graph's
 * X_i index planes; rho's images interleave channels).
 */
export function reorderInputs(spec: VnnSpec, order: ArrayLike<number>): VnnSpec {
  const move = (v: Float64Array) => {
    const out = new Float64Array(v.length);
    v.forEach((x, i) => {
      out[order[i] as number] = x;
    });
    return out;
  };
  return { ...spec, cases: spec.cases.map((c) => ({ ...c, lo: move(c.lo), hi: move(c.hi) })) };
}
