/**
 * Structured control flow for reducible graphs, after Ramsey's "Beyond
 * Relooper" (ICFP 2022): the dominator tree decides nesting, a node with two
 * or more forward in-edges ("merge node") follows its immediate dominator in
 * a wasm block, a loop header wraps its dominated code in a wasm `loop`. Far
 * cheaper to build than Binaryen's Relooper, whose output for long programs
 * costs tens of milliseconds. Returns null for irreducible graphs (a back
 * edge to a node that does not dominate its source): the caller then falls
 * back to the Relooper's label dispatch.
 */
import type { Expr, Ir } from './binaryen.js';

/** A successor: another node, or a leaf expression (e.g. a trap) placed at the branch. */
export type Target = { node: number } | { leaf: () => Expr };

export type Exit =
  | { kind: 'none' }                       // the node's code ends in return/unreachable
  | { kind: 'goto'; to: Target }
  | { kind: 'cond'; cond: () => Expr; taken: Target; fall: Target };

export interface Graph {
  /** Node count; node 0 is the entry and every node is reachable from it. */
  readonly size: number;
  /** Straight-line code of a node (built once, when placed). */
  code(node: number): Expr[];
  exit(node: number): Exit;
}

function targets(e: Exit): Target[] {
  return e.kind === 'none' ? [] : e.kind === 'goto' ? [e.to] : [e.taken, e.fall];
}

export function structure(ir: Ir, g: Graph): Expr | null {
  const n = g.size;
  const exits: Exit[] = [];
  const succs: number[][] = [];
  for (let v = 0; v < n; v++) {
    const e = g.exit(v);
    exits.push(e);
    const s: number[] = [];
    for (const t of targets(e)) if ('node' in t) s.push(t.node);
    succs.push(s);
  }
  // Reverse postorder by an iterative depth-first search.
  const rpo = new Int32Array(n).fill(-1);
  const order: number[] = [];
  {
    const visited = new Uint8Array(n);
    const stack: Array<[number, number]> = [[0, 0]];
    visited[0] = 1;
    const post: number[] = [];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [v, i] = top;
      const s = succs[v]!;
      if (i < s.length) {
        top[1] = i + 1;
        const w = s[i]!;
        if (!visited[w]) { visited[w] = 1; stack.push([w, 0]); }
      } else {
        stack.pop();
        post.push(v);
      }
    }
    for (let i = post.length - 1; i >= 0; i--) { rpo[post[i]!] = order.length; order.push(post[i]!); }
  }
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (let v = 0; v < n; v++) for (const w of succs[v]!) preds[w]!.push(v);
  // Dominators (Cooper, Harvey, Kennedy).
  const idom = new Int32Array(n).fill(-1);
  idom[0] = 0;
  // Nodes walked while merging the predecessors of the node being processed lead up to the current
  // candidate; meeting one again ends the walk (else many edges into one node cost quadratic time).
  const stamp = new Int32Array(n);
  let stampId = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (rpo[a]! > rpo[b]!) {
        if (stamp[a] === stampId) return b;
        stamp[a] = stampId;
        a = idom[a]!;
      }
      while (rpo[b]! > rpo[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const v of order) {
      if (v === 0) continue;
      stampId++;
      let d = -1;
      for (const p of preds[v]!) if (idom[p] !== -1) d = d === -1 ? p : intersect(p, d);
      if (d !== idom[v]) { idom[v] = d; changed = true; }
    }
  }
  const dominates = (a: number, b: number): boolean => {
    for (;;) {
      if (a === b) return true;
      if (b === 0) return false;
      b = idom[b]!;
    }
  };
  const loopHeader = new Uint8Array(n);
  const forwardIn = new Int32Array(n);
  for (let v = 0; v < n; v++) {
    for (const w of succs[v]!) {
      if (rpo[w]! <= rpo[v]!) {
        if (!dominates(w, v)) return null; // irreducible
        loopHeader[w] = 1;
      } else {
        forwardIn[w]!++;
      }
    }
  }
  // Merge children of each node in the dominator tree, highest reverse postorder first.
  const mergeChildren: number[][] = Array.from({ length: n }, () => []);
  for (const v of order) if (v !== 0 && forwardIn[v]! >= 2) mergeChildren[idom[v]!]!.push(v);
  for (const c of mergeChildren) c.reverse();

  const blockLabel = (v: number): string => `B${v}`;
  const loopLabel = (v: number): string => `L${v}`;

  /** A forward edge to a node with one forward in-edge: its code is placed right at the branch. */
  const inlined = (from: number, t: Target): number =>
    ('node' in t && rpo[t.node]! > rpo[from]! && forwardIn[t.node]! < 2 ? t.node : -1);
  /** A branch that is a jump (or a leaf): br to the loop or merge block, or the leaf itself. */
  const jump = (from: number, t: Target): Expr => {
    if (!('node' in t)) return t.leaf();
    return ir.br(rpo[t.node]! <= rpo[from]! ? loopLabel(t.node) : blockLabel(t.node));
  };
  /**
   * Appends the code of the dominator subtree at `root` to `out`. Iterative along
   * chains (fall-through into the next merge node or inlined node) so that long
   * programs do not exhaust the JS stack; wasm blocks and loops are built when
   * their contents are complete (slots reserved in their parent list).
   */
  const emitTree = (root: number, out: Expr[]): void => {
    const pending: Array<{ parent: Expr[]; slot: number; inner: Expr[]; make: (inner: Expr[]) => Expr }> = [];
    const open = (parent: Expr[], make: (inner: Expr[]) => Expr): Expr[] => {
      const inner: Expr[] = [];
      pending.push({ parent, slot: parent.length, inner, make });
      parent.push(0);
      return inner;
    };
    let v = root;
    let cur = out;
    while (v >= 0) {
      const header = v;
      if (loopHeader[v]) cur = open(cur, (inner) => ir.loop(loopLabel(header), ir.block(null, inner)));
      const ys = mergeChildren[v]!;
      let nodeOut = cur;
      let tail = -1;
      if (ys.length > 0) {
        // block B_y0 { block B_y1 { … { node } ; tree(y1) } … } ; tree(y0): tree(y0) continues the chain.
        const y0 = ys[0]!;
        nodeOut = open(cur, (inner) => ir.block(blockLabel(y0), inner));
        tail = y0;
        for (let i = 1; i < ys.length; i++) {
          const y = ys[i]!;
          const next = open(nodeOut, (inner) => ir.block(blockLabel(y), inner));
          emitTree(y, nodeOut);
          nodeOut = next;
        }
      }
      for (const c of g.code(v)) nodeOut.push(c);
      const e = exits[v]!;
      let cont = -1;
      if (e.kind === 'goto') {
        cont = inlined(v, e.to);
        if (cont < 0) nodeOut.push(jump(v, e.to));
      } else if (e.kind === 'cond') {
        const it = inlined(v, e.taken), ifall = inlined(v, e.fall);
        if (it >= 0 && ifall >= 0) {
          const a: Expr[] = [], b: Expr[] = [];
          emitTree(it, a);
          emitTree(ifall, b);
          nodeOut.push(ir.if(e.cond(), ir.block(null, a), ir.block(null, b)));
        } else if (ifall >= 0) {
          nodeOut.push(ir.if(e.cond(), jump(v, e.taken)));
          cont = ifall;
        } else if (it >= 0) {
          nodeOut.push(ir.if(ir.un32('eqz', e.cond()), jump(v, e.fall)));
          cont = it;
        } else {
          nodeOut.push(ir.if(e.cond(), jump(v, e.taken), jump(v, e.fall)));
        }
      }
      // Continue with one chain iteratively, the other recursively.
      if (cont >= 0 && tail >= 0) { emitTree(cont, nodeOut); v = tail; }
      else if (cont >= 0) { cur = nodeOut; v = cont; }
      else v = tail;
    }
    for (let i = pending.length - 1; i >= 0; i--) {
      const p = pending[i]!;
      p.parent[p.slot] = p.make(p.inner);
    }
  };
  const top: Expr[] = [];
  emitTree(0, top);
  return ir.block(null, top);
}
