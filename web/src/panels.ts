/**
 * Hooks for the panels that land with other parts of the engine: the
 * verifier's log, the JIT's generated WAT, and the maps of a run. Each panel
 * stays visible with a "not wired" note until a renderer is registered, so
 * wiring one is a single `registerPanel` call (here, at build time, or from
 * the console through `window.ebpfPlayground.registerPanel`).
 *
 * Renderers may be async: the JIT's compiler side needs Binaryen (14.8 MB),
 * which a renderer should load with a dynamic `import()` on first use so the
 * playground itself stays small and opens offline.
 */
import type { Program } from '../../src/isa/instruction.js';
import type { LoadedProgram, TestRunResult } from '../../src/runtime/test-run.js';

export type PanelId = 'verifier' | 'wat' | 'maps';

export const PANEL_TITLES: Record<PanelId, string> = {
  verifier: 'Verifier log',
  wat: 'Generated WAT (JIT)',
  maps: 'Maps',
};

/** What a panel sees: the assembled program; the run, when there was one. */
export interface PanelContext {
  readonly source: string;
  readonly bytes: Uint8Array;
  readonly program: Program;
  readonly loaded?: LoadedProgram;
  readonly run?: TestRunResult;
}

export interface PanelOutput {
  text: string;
  /** false marks the panel as an error (e.g. the verifier rejected the program). */
  ok?: boolean;
}

/** When it runs: 'assemble' after every successful assembly, 'run' after every run. */
export interface PanelRenderer {
  when: 'assemble' | 'run';
  render(ctx: PanelContext): PanelOutput | Promise<PanelOutput>;
}

const renderers = new Map<PanelId, PanelRenderer>();
const listeners = new Set<() => void>();

export function registerPanel(id: PanelId, renderer: PanelRenderer): void {
  renderers.set(id, renderer);
  for (const l of listeners) l();
}

export function panelRenderer(id: PanelId): PanelRenderer | undefined {
  return renderers.get(id);
}

export function onPanelsChanged(listener: () => void): void {
  listeners.add(listener);
}

/*
 * Wiring points (the lead fills these in when the parts land on main):
 *   registerPanel('verifier', { when: 'assemble', render: ({ program }) => { const r = verify(program, { type: 'xdp' }); return { text: r.log, ok: r.accepted }; } });
 *   registerPanel('wat',      { when: 'assemble', render: async ({ program }) => ({ text: (await import('../../src/jit/index.js')).compileToWat(program) }) });
 *   registerPanel('maps',     { when: 'run',      render: ({ loaded }) => ({ text: dumpMaps(loaded!.machine) }) });
 */
