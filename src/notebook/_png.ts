/**
 * SVG to PNG without a browser: resvg (Rust) compiled to WebAssembly, from npm, with the DejaVu
 * Sans font from npm, so the picture looks the same on every machine and needs no system fonts.
 * Private to `src/notebook/`: chart bundles carry the PNG beside the SVG for the viewers that
 * show no SVG (an untrusted notebook in the classic front end; static viewers).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { fileURLToPath } from "node:url";
import { initWasm, Resvg } from "@resvg/resvg-wasm";

/** The font every text of a PNG is drawn with (the charts ask for Helvetica or Arial). */
const FONT_FAMILY = "DejaVu Sans";

let fontBytes: Promise<Uint8Array> | null = null;

/**
 * Loads resvg's WebAssembly module once per process and reads the font. The files are found
 * beside the packages' entry points, which works from any module URL (also the temporary copy
 * of `src/` that `reloadSrc` imports).
 */
function ready(): Promise<Uint8Array> {
  fontBytes ??= (async () => {
    const wasm = new URL("index_bg.wasm", import.meta.resolve("@resvg/resvg-wasm"));
    const font = new URL("ttf/DejaVuSans.ttf", import.meta.resolve("dejavu-fonts-ttf"));
    await initWasm(await Deno.readFile(fileURLToPath(wasm)));
    return await Deno.readFile(fileURLToPath(font));
  })();
  return fontBytes;
}

/**
 * Renders an SVG to a PNG on a white background.
 *
 * @param svg the SVG text
 * @param scale pixels per SVG unit (2 draws a 400-unit-wide chart 800 pixels wide)
 * @returns the PNG, base64-encoded as notebooks store it
 * @throws {TypeError} when resvg cannot parse the SVG
 */
export async function svgToPngBase64(svg: string, scale: number): Promise<string> {
  const font = await ready();
  let renderer: InstanceType<typeof Resvg>;
  try {
    renderer = new Resvg(svg, {
      font: { fontBuffers: [font], defaultFontFamily: FONT_FAMILY, loadSystemFonts: false },
      fitTo: { mode: "zoom", value: scale },
      background: "white",
    });
  } catch (cause) {
    throw new TypeError(`Cannot render the chart's SVG as PNG: ${String(cause)}`, { cause });
  }
  try {
    const image = renderer.render();
    const png = image.asPng();
    image.free();
    return Buffer.from(png).toString("base64");
  } finally {
    renderer.free();
  }
}
