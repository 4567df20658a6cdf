/**
 * Embedded ICC profiles: the bytes of the profile the probe located (src/codecs/probe/,
 * `ProbeResult.icc`), reassembled (JPEG APP2 chunks) or inflated (PNG iCCP, zlib), bounded,
 * and checked for an ICC header (ICC.1:2022 §7.2) before anything parses them.
 *
 * Not read: PNG `sRGB` (the default anyway), `gAMA` and `cHRM` without `iCCP` (rare in
 * photos; treated as sRGB), AVIF `nclx` (not a profile: src/codecs/cicp.ts makes one from
 * the code points the AVIF decoder reports), EXIF ColorSpace/InteroperabilityIndex ("R03",
 * Adobe RGB without a profile).
 */
import { probe, type ColourModel, type IccLocation, type ProbeResult } from './probe';

/**
 * Largest profile we read, bytes. Display and camera profiles are 0.5-4 KB, print (CMYK)
 * profiles up to about 2 MB; JPEG allows 255 × 65,519 B and PNG's zlib could inflate far
 * more. Larger profiles are ignored, as if absent.
 */
export const MAX_ICC_BYTES = 4 * 1024 * 1024;

/** ICC header colour space signatures (ICC.1:2022 Table 19) that our images can carry. */
const SPACE_MODELS: Record<string, ColourModel> = {
  'RGB ': 'rgb',
  GRAY: 'grey',
  CMYK: 'cmyk',
};

/** A profile ready for the colour transform: its bytes and the colour model it describes. */
export interface IccProfile {
  bytes: Uint8Array;
  /** From the header's data colour space field; equals the image's colour model. */
  model: ColourModel;
}

/**
 * The embedded profile at `loc` in `file`, or null when it cannot be used: larger than
 * {@link MAX_ICC_BYTES} (before or after inflating), a zlib stream that does not inflate,
 * shorter than the 128-byte header and tag count, without the `acsp` signature, declaring
 * more bytes than present, or describing a colour space other than the image's (an RGB
 * profile on a greyscale JPEG, say: browsers and libvips ignore those too). Never throws
 * for bad data; an unusable profile is treated as absent (the image is then taken as sRGB).
 *
 * @param file the whole original (the ranges in `loc` index it).
 * @param loc from `probe(file).icc`.
 */
export async function readIccProfile(
  file: Uint8Array,
  loc: IccLocation,
): Promise<IccProfile | null> {
  let total = 0;
  for (const [offset, length] of loc.parts) {
    if (offset < 0 || length < 0 || offset + length > file.length) return null;
    total += length;
  }
  if (total === 0 || total > MAX_ICC_BYTES) return null;
  let bytes: Uint8Array = new Uint8Array(total);
  let at = 0;
  for (const [offset, length] of loc.parts) {
    bytes.set(file.subarray(offset, offset + length), at);
    at += length;
  }
  if (loc.deflate) {
    const inflated = await inflateBounded(bytes, MAX_ICC_BYTES);
    if (!inflated) return null;
    bytes = inflated;
  }
  return checkHeader(bytes, loc.model);
}

/** Header checks (ICC.1:2022 §7.2): size, `acsp` magic, data colour space vs `model`. */
function checkHeader(bytes: Uint8Array, model: ColourModel): IccProfile | null {
  if (bytes.length < 132) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = view.getUint32(0);
  if (size < 132 || size > bytes.length) return null;
  if (String.fromCharCode(...bytes.subarray(36, 40)) !== 'acsp') return null;
  const space = SPACE_MODELS[String.fromCharCode(...bytes.subarray(16, 20))];
  if (space !== model) return null;
  return { bytes: bytes.subarray(0, size), model };
}

/**
 * Inflates a zlib stream (RFC 1950) with the platform's DecompressionStream, stopping as
 * soon as the output passes `max` bytes. Null on a corrupt stream or too much output.
 */
async function inflateBounded(data: Uint8Array, max: number): Promise<Uint8Array | null> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream('deflate'));
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > max) {
        await reader.cancel();
        return null;
      }
      chunks.push(value);
    }
  } catch {
    return null; // corrupt or truncated zlib data
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * The embedded profile of an original, or null when it has none or it cannot be used (see
 * {@link readIccProfile}). Probes the header again (cheap: a marker/chunk/box walk) because
 * profile locations are not stored with the original's record.
 */
export async function embeddedProfile(file: Uint8Array): Promise<IccProfile | null> {
  let loc: IccLocation | undefined;
  try {
    loc = probe(file).icc;
  } catch {
    return null; // the original was probed at upload; a failure here leaves it untagged
  }
  return loc ? readIccProfile(file, loc) : null;
}

/**
 * Whether making variants of an original with these header facts may run the colour
 * transform (src/transform/pipeline.ts): it embeds an ICC profile, or it is an AVIF, whose nclx
 * primaries only decoding reveals. Recorded per image at upload (`colour_managed`,
 * migrations/0010_colour_managed.sql) so the planner can leave the transform out otherwise.
 */
export const mayConvertColour = (facts: Pick<ProbeResult, 'format' | 'icc'>): boolean =>
  facts.format === 'avif' || facts.icc !== undefined;
