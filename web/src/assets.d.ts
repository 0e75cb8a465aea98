// Example programs are bundled as text by scripts/build-web.mjs (esbuild's text loader).
declare module '*.asm' {
  const text: string;
  export default text;
}
