/**
 * The playground: assemble a program or upload one (raw .bin or clang .o), see its disassembly, run it
 * as XDP on a packet, see retval and data_out. Everything runs in the page on
 * the interpreter tier; nothing is fetched and nothing is compiled at run time,
 * so it works offline and under a CSP without 'wasm-unsafe-eval'.
 */
import { assemble } from '../../src/isa/assemble.js';
import {
  canCompileWasmAtRuntime, decode, disassemble, encode, EbpfError, LoadedProgram, RUNTIME_TIERS, XDP_ACTION_NAMES,
  type DisassemblySyntax, type Program, type TestRunResult,
} from '../../src/runtime-entry/index.js';
import { parseObject, type ObjectSpec, type ProgramSpec } from '../../src/loader/index.js';
import { PANEL_TITLES, panelRenderer, registerPanel, onPanelsChanged, type PanelContext, type PanelId } from './panels.js';
import { SAMPLE_PACKETS } from './packets.js';
import firewall from '../examples/xdp-firewall.asm';
import dropUdp from '../examples/drop-udp.asm';
import pushVlan from '../examples/push-vlan.asm';

const EXAMPLES: readonly { name: string; source: string }[] = [
  { name: 'XDP firewall', source: firewall },
  { name: 'Drop UDP', source: dropUdp },
  { name: 'Push a VLAN tag (adjust_head)', source: pushVlan },
];
const PANEL_IDS: readonly PanelId[] = ['verifier', 'wat', 'maps'];

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`playground: #${id} missing from index.html`);
  return el as T;
}

const ui = {
  example: $<HTMLSelectElement>('example'),
  upload: $<HTMLInputElement>('upload'),
  elfProgram: $<HTMLSelectElement>('elf-program'),
  source: $<HTMLTextAreaElement>('source'),
  sourceNote: $('source-note'),
  asmError: $('asm-error'),
  syntax: $<HTMLSelectElement>('syntax'),
  disasm: $('disasm'),
  preset: $<HTMLSelectElement>('preset'),
  packet: $<HTMLTextAreaElement>('packet'),
  run: $<HTMLButtonElement>('run'),
  repeat: $<HTMLInputElement>('repeat'),
  retval: $('retval'),
  action: $('action'),
  duration: $('duration'),
  dataOut: $('data-out'),
  runError: $('run-error'),
  env: $('env'),
};

/**
 * Program bytes from an uploaded .bin or clang .o, kept until the text is
 * edited; `blocked` says why it cannot run here (it needs maps or externs).
 */
let uploaded: { name: string; bytes: Uint8Array; text: string; blocked?: string } | undefined;
let uploadedObject: { file: string; spec: ObjectSpec } | undefined;
const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
let current: { source: string; bytes: Uint8Array; program: Program } | undefined;

const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function parseHex(text: string): Uint8Array {
  const t = text.replace(/0x/gi, '').replace(/[\s:,-]+/g, '');
  if (t.length % 2 !== 0 || /[^0-9a-f]/i.test(t)) throw new Error('packet: expected pairs of hex digits (spaces, colons allowed)');
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Hex dump, 16 bytes a row; bytes that differ from the input at the same offset are marked. */
function renderDump(target: HTMLElement, out: Uint8Array, input: Uint8Array): void {
  target.replaceChildren();
  for (let row = 0; row < out.length; row += 16) {
    const line = document.createElement('div');
    line.append(`${row.toString(16).padStart(4, '0')}  `);
    for (let i = row; i < Math.min(row + 16, out.length); i++) {
      const text = out[i]!.toString(16).padStart(2, '0');
      if (out[i] !== input[i]) {
        const m = document.createElement('mark');
        m.textContent = text;
        line.append(m, ' ');
      } else line.append(text + ' ');
    }
    target.append(line);
  }
  if (out.length === 0) target.textContent = '(empty)';
  target.dataset.hex = toHex(out);
  target.dataset.length = String(out.length);
}

function showError(el: HTMLElement, e: unknown): void {
  el.textContent = e instanceof Error ? e.message : String(e);
  el.hidden = false;
}

/** Assembles the text (or takes the uploaded bytes) and refreshes disassembly and assemble-time panels. */
function assembleCurrent(): boolean {
  ui.asmError.hidden = true;
  const source = ui.source.value;
  try {
    const bytes = uploaded && uploaded.text === source ? uploaded.bytes : encode(assemble(source));
    const program = decode(bytes);
    current = { source, bytes, program };
    ui.disasm.textContent = disassemble(program, { syntax: ui.syntax.value as DisassemblySyntax, showPc: true });
    ui.sourceNote.textContent = uploaded && uploaded.text === source
      ? `${uploaded.name} · ${program.instructions.length} instructions`
      : `${bytes.length / 8} slots, ${program.instructions.length} instructions`;
    void renderPanels('assemble', { source, bytes, program });
    return true;
  } catch (e) {
    current = undefined;
    ui.disasm.textContent = '';
    showError(ui.asmError, e);
    return false;
  }
}

function runCurrent(): void {
  ui.runError.hidden = true;
  for (const el of [ui.retval, ui.action, ui.duration]) el.textContent = '';
  ui.dataOut.replaceChildren();
  delete ui.dataOut.dataset.hex;
  if (!assembleCurrent() || !current) return;
  if (uploaded?.blocked && uploaded.text === current.source) { showError(ui.runError, uploaded.blocked); return; }
  let run: TestRunResult;
  let loaded: LoadedProgram;
  try {
    const data = parseHex(ui.packet.value);
    // no verifier yet: the program runs inside the interpreter's sandbox
    loaded = new LoadedProgram(current.program, { type: 'xdp', unverified: true });
    // browsers coarsen performance.now(), so a single run usually reads 0 or 100 µs: repeat and average
    const repeat = Math.min(100_000, Math.max(1, Math.floor(Number(ui.repeat.value)) || 1));
    run = loaded.testRun({ data, repeat });
    ui.retval.textContent = run.retval.toString();
    ui.action.textContent = XDP_ACTION_NAMES[Number(run.retval)] ?? '(not an XDP action)';
    ui.duration.textContent = `${run.durationNs} ns per run (mean of ${repeat})`;
    renderDump(ui.dataOut, run.dataOut, data);
  } catch (e) {
    showError(ui.runError, e);
    if (e instanceof EbpfError) ui.runError.dataset.code = String(e.code);
    return;
  }
  document.body.dataset.runs = String(Number(document.body.dataset.runs ?? 0) + 1);
  void renderPanels('run', { ...current, loaded, run });
}

/** Relocation kinds the playground resolves: bpf-to-bpf calls are linked by parseObject already. */
function unresolved(p: ProgramSpec): string | undefined {
  const left = p.relocations.filter((r) => r.kind !== 'call');
  if (left.length === 0) return undefined;
  const kinds = [...new Set(left.map((r) => r.kind))].join(', ');
  return `${p.name} needs ${kinds} relocations (first at pc ${left[0]!.pc}): maps and externs are not wired in this build`;
}

/** Puts the selected program of the uploaded object into the editor. */
function showObjectProgram(): void {
  if (!uploadedObject) return;
  const p = uploadedObject.spec.programs[Number(ui.elfProgram.value)]!;
  const text = disassemble(decode(p.instructions));
  const blocked = unresolved(p);
  uploaded = { name: `${uploadedObject.file}: ${p.name}, SEC("${p.section}"), ${p.type}, license ${p.license}`, bytes: p.instructions, text };
  if (blocked) uploaded.blocked = blocked;
  ui.source.value = text;
  assembleCurrent();
  if (blocked) showError(ui.asmError, blocked);
  if (p.type !== 'xdp') ui.sourceNote.textContent += ` · a ${p.type} program, run here as XDP`;
}

async function renderPanels(when: 'assemble' | 'run', ctx: PanelContext): Promise<void> {
  for (const id of PANEL_IDS) {
    const r = panelRenderer(id);
    const body = $(`panel-${id}-body`);
    if (!r) { body.textContent = `${PANEL_TITLES[id]}: not wired in this build.`; body.dataset.state = 'unwired'; continue; }
    if (r.when !== when) continue;
    try {
      const out = await r.render(ctx);
      body.textContent = out.text;
      body.dataset.state = out.ok === false ? 'error' : 'ok';
    } catch (e) {
      body.textContent = e instanceof Error ? e.message : String(e);
      body.dataset.state = 'error';
    }
  }
}

function init(): void {
  for (const [i, ex] of EXAMPLES.entries()) ui.example.add(new Option(ex.name, String(i)));
  for (const [i, p] of SAMPLE_PACKETS.entries()) ui.preset.add(new Option(p.name, String(i)));
  ui.source.value = EXAMPLES[0]!.source;
  ui.packet.value = SAMPLE_PACKETS[0]!.hex;

  ui.example.addEventListener('change', () => {
    uploaded = undefined;
    uploadedObject = undefined;
    ui.elfProgram.hidden = true;
    ui.upload.value = '';
    ui.source.value = EXAMPLES[Number(ui.example.value)]!.source;
    assembleCurrent();
  });
  ui.preset.addEventListener('change', () => { ui.packet.value = SAMPLE_PACKETS[Number(ui.preset.value)]!.hex; });
  ui.upload.addEventListener('change', async () => {
    const file = ui.upload.files?.[0];
    if (!file) return;
    const bytes = new Uint8Array(await file.arrayBuffer());
    uploaded = undefined;
    uploadedObject = undefined;
    ui.elfProgram.replaceChildren();
    ui.elfProgram.hidden = true;
    try {
      if (ELF_MAGIC.every((b, i) => bytes[i] === b)) {
        // a copy: parseObject links calls in the buffer it is given
        const spec = parseObject(bytes.slice());
        if (spec.programs.length === 0) throw new Error(`${file.name}: no programs in this object`);
        uploadedObject = { file: file.name, spec };
        for (const [i, p] of spec.programs.entries()) {
          ui.elfProgram.add(new Option(`${p.name} (SEC("${p.section}"), ${p.slotCount} slots)`, String(i)));
        }
        const xdp = spec.programs.findIndex((p) => p.type === 'xdp');
        ui.elfProgram.value = String(Math.max(0, xdp));
        ui.elfProgram.hidden = spec.programs.length < 2 && xdp >= 0;
        showObjectProgram();
        return;
      }
      // shown in the assembler's dialect, so the upload can be edited and re-run
      const text = disassemble(decode(bytes));
      uploaded = { name: `${file.name}: ${bytes.length} bytes`, bytes, text };
      ui.source.value = text;
      assembleCurrent();
    } catch (e) {
      showError(ui.asmError, e);
    }
  });
  ui.elfProgram.addEventListener('change', showObjectProgram);
  let timer: ReturnType<typeof setTimeout> | undefined;
  ui.source.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(assembleCurrent, 250); });
  ui.syntax.addEventListener('change', () => assembleCurrent());
  ui.run.addEventListener('click', runCurrent);
  document.addEventListener('keydown', (e) => { if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') runCurrent(); });
  onPanelsChanged(() => assembleCurrent());

  void canCompileWasmAtRuntime().then((ok) => {
    ui.env.textContent = `tiers: ${RUNTIME_TIERS.join(', ')} · run-time wasm compilation ${ok ? 'allowed' : 'refused here (CSP)'}`;
  });
  assembleCurrent();
  document.body.dataset.ready = 'true';
}

// for wiring panels from outside the bundle, and for tests
(globalThis as Record<string, unknown>).ebpfPlayground = { registerPanel, run: runCurrent, assemble: assembleCurrent };
init();
