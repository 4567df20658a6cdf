/** color-name 2.0.0 (MIT, colorjs; no types shipped): the CSS named colours as sRGB bytes. */
declare module 'color-name' {
  /** Lowercase CSS colour keyword → `[r, g, b]`, each 0..255. */
  const names: Readonly<Record<string, readonly [number, number, number]>>;
  export default names;
}
