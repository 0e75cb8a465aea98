/**
 * bpf_trace_printk's format language, as bpf_bprintf_prepare
 * (kernel/bpf/helpers.c) accepts it and bstr_printf (lib/vsprintf.c) prints
 * it: at most three conversions among %d %i %u %x %X with l/ll, %c, %s %ks
 * %us, %p %px %pK %pI4 %pi4 %pI6 %pi6, optional [0 +-] flags and a width,
 * %% for a percent sign. Anything else, a format without a NUL inside
 * fmt_size or a non-printable character is EINVAL. The text is cut to the
 * kernel's 1024-byte buffer; the return value is bstr_printf's (the length
 * the whole text would have).
 *
 * Differences, deliberate: plain %p prints the raw pointer as %px does (the
 * kernel prints a per-boot hash), and %pK prints it too (kptr_restrict=0).
 */
const EINVAL = 22;
/** MAX_BPRINTF_BUF. */
const BPRINTF_BUF = 1024;

/** MAX_BPRINTF_VARARGS: bpf_snprintf's most u64 arguments. */
export const MAX_BPRINTF_VARARGS = 12;

export interface PrintkResult { text: string; length: number }

const isPrintOrSpace = (c: number): boolean => (c >= 0x20 && c < 0x7f) || (c >= 9 && c <= 13);
const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);
const isPunct = (c: string | undefined): boolean => c !== undefined && /[!-/:-@[-`{-~]/.test(c);

function pad(s: string, width: number, flags: string): string {
  if (s.length >= width) return s;
  if (flags.includes('-')) return s + ' '.repeat(width - s.length);
  if (flags.includes('0')) {
    const sign = /^[-+ ]/.test(s) ? s[0]! : '';
    return sign + '0'.repeat(width - s.length) + s.slice(sign.length);
  }
  return ' '.repeat(width - s.length) + s;
}

/**
 * Formats `fmtBytes` (the fmt/fmt_size argument) with the u64 arguments
 * (bpf_trace_printk's three, bpf_snprintf's up to MAX_BPRINTF_VARARGS: a
 * conversion beyond them is EINVAL, as bpf_bprintf_prepare's num_args); `readStr(addr, max)` reads a kernel string for %s (undefined on
 * a fault, which prints as an empty string). Returns an errno on a format the
 * kernel refuses.
 */
export function formatTracePrintk(
  fmtBytes: Uint8Array, args: readonly bigint[], readStr: (addr: bigint, max: number) => string | undefined,
  readMem?: (addr: bigint, size: number) => Uint8Array | undefined,
): PrintkResult | number {
  const end = fmtBytes.indexOf(0);
  if (end < 0) return EINVAL;
  const fmt = String.fromCharCode(...fmtBytes.subarray(0, end));
  let out = '';
  let spec = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt.charCodeAt(i);
    if (!isPrintOrSpace(c)) return EINVAL;
    if (fmt[i] !== '%') { out += fmt[i]; continue; }
    if (fmt[i + 1] === '%') { out += '%'; i++; continue; }
    if (spec >= args.length) return EINVAL;
    const arg = args[spec++] ?? 0n;
    i++;
    let flags = '';
    while (fmt[i] === '0' || fmt[i] === '+' || fmt[i] === '-' || fmt[i] === ' ') flags += fmt[i++];
    let width = 0;
    if (fmt[i] !== undefined && fmt[i]! >= '1' && fmt[i]! <= '9') {
      while (fmt[i] !== undefined && fmt[i]! >= '0' && fmt[i]! <= '9') width = width * 10 + Number(fmt[i++]);
    }
    const hex16 = (v: bigint): string => v.toString(16).padStart(16, '0');
    if (fmt[i] === 'p') {
      const next = fmt[i + 1];
      if (next === undefined || isSpace(next) || isPunct(next)) { out += pad(hex16(arg), width, flags); continue; }
      if ((next === 'k' || next === 'u') && fmt[i + 2] === 's') {
        i += 2;
        if (fmt[i + 1] !== undefined && !isSpace(fmt[i + 1]) && !isPunct(fmt[i + 1])) return EINVAL;
        out += pad(next === 'k' ? readStr(arg, BPRINTF_BUF) ?? '' : '', width, flags);
        continue;
      }
      if (next === 'K' || next === 'x' || next === 's' || next === 'S') { i++; out += pad(hex16(arg), width, flags); continue; }
      if ((next !== 'i' && next !== 'I') || (fmt[i + 2] !== '4' && fmt[i + 2] !== '6')) return EINVAL;
      const v6 = fmt[i + 2] === '6';
      const b = readMem?.(arg, v6 ? 16 : 4) ?? new Uint8Array(v6 ? 16 : 4);
      i += 2;
      if (!v6) out += pad([...b].map((x) => (next === 'i' ? String(x).padStart(3, '0') : String(x))).join('.'), width, flags);
      else {
        const words = [...Array(8).keys()].map((k) => ((b[2 * k]! << 8) | b[2 * k + 1]!).toString(16).padStart(4, '0'));
        out += pad(next === 'i' ? words.join('') : words.join(':'), width, flags);
      }
      continue;
    }
    if (fmt[i] === 's') {
      if (fmt[i + 1] !== undefined && !isSpace(fmt[i + 1]) && !isPunct(fmt[i + 1])) return EINVAL;
      out += pad(readStr(arg, BPRINTF_BUF) ?? '', width, flags);
      continue;
    }
    if (fmt[i] === 'c') { out += pad(String.fromCharCode(Number(arg & 0xffn)), width, flags); continue; }
    let bits = 32;
    if (fmt[i] === 'l') { bits = 64; i++; }
    if (fmt[i] === 'l') i++;
    const conv = fmt[i];
    if (conv !== 'i' && conv !== 'd' && conv !== 'u' && conv !== 'x' && conv !== 'X') return EINVAL;
    let s: string;
    if (conv === 'd' || conv === 'i') {
      const v = BigInt.asIntN(bits, arg);
      s = v < 0n ? v.toString() : (flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') + v.toString();
    } else {
      const v = BigInt.asUintN(bits, arg);
      s = conv === 'u' ? v.toString() : conv === 'x' ? v.toString(16) : v.toString(16).toUpperCase();
    }
    out += pad(s, width, flags);
  }
  return { text: out.slice(0, BPRINTF_BUF - 1), length: out.length };
}
