/**
 * PIPELINE_VERSION guard: the bytes of a fixed set of variants, recorded with the versions
 * that made them. Codecs in wasm are deterministic, so these hashes are the same on every
 * machine; they change only when a codec or our pipeline code changes what it outputs.
 *
 * When this test fails:
 * - if CODEC_VERSIONS changed only because a codec package or module changed, append a new
 *   LEDGER entry with the new versions and hashes;
 * - if the hashes changed but CODEC_VERSIONS did not, our pipeline code changed its outputs:
 *   bump PIPELINE_VERSION (src/codecs/versions.ts) so stored variants are not mixed with the
 *   new ones, then append the new entry. Editing an entry in place is the one thing never to
 *   do: the entries are the record of which version made which bytes.
 */
import { describe, expect, it } from 'vitest';
import { probe } from '../../src/codecs/probe';
import { CODEC_VERSIONS, PIPELINE_VERSION } from '../../src/codecs/versions';
import { sha256Hex } from '../../src/hash';
import { runPipeline } from '../../src/transform/pipeline';
import { parseTransform } from '../../src/transform/spec';
import type { EncodeFormat } from '../../src/codecs/types';
import { fixture } from '../helpers';

/**
 * Inputs that cover each decode path: the JPEG module at 1/4 and 1/1, mozjpeg, PNG, GIF,
 * WebP reduced while decoding, and animations (GIF → animated WebP, WebP → GIF); and the
 * colour transform (an Adobe RGB profile, Little CMS).
 */
const CASES: [file: string, transform: string, format: EncodeFormat][] = [
  ['images/large/2569067123_aca715a2ee_o.jpg', 'w=600,fit=cover,h=400', 'webp'],
  ['images/small/Giunchedi_Filippo_January_2015_01.jpg', 'w=600', 'jpeg'],
  ['images/small/Giunchedi_Filippo_January_2015_01.jpg', 'f=png', 'png'],
  ['images/kodak/kodim03.png', 'w=300,blur=2', 'avif'],
  ['images/alpha/blackbug.png', 'w=200,fit=pad,h=200,background=336699', 'webp'],
  ['images/animated/rotating-squares.gif', 'w=40', 'png'],
  ['images/color/Shoes-AdobeRGB.jpg', 'w=200', 'png'],
  ['images/small/4.webp', 'w=200', 'webp'],
  ['images/animated/rotating-squares.gif', 'w=40', 'webp'],
  ['images/animated/animated-loop-3.webp', 'w=100', 'gif'],
  // A progressive JPEG at 1/4 (only 2x2 coefficients per block kept between scans).
  ['images/progressive/Cerkiew.jpg', 'w=400', 'jpeg'],
  // A progressive JPEG not reduced (an enlargement): libjpeg-turbo at 8/8.
  ['images/progressive/Cerkiew.jpg', 'w=2000,h=1000,fit=cover', 'jpeg'],
  // A WebP that keeps transparency: its alpha plane compressed losslessly (streamed, banded).
  ['images/alpha/blackbug.png', 'w=600', 'webp'],
];

/**
 * Every recording of the outputs, oldest first, append-only: each entry is the version
 * string it was made under (CODEC_VERSIONS, which ends in `-pipeline<PIPELINE_VERSION>`) and
 * the hashes. New outputs get a NEW entry under new versions; an entry is never edited, so
 * re-recording hashes without a version change is refused: a second entry under the same
 * version string fails, and the newest entry must name the running PIPELINE_VERSION.
 */
const LEDGER: readonly { codecs: string; hashes: readonly string[] }[] = [
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avif2.1.1-resize2.1.1-gif1.0.10-gifenc1.0.3-jpegscaled5b461cb50290-libwebp995af131eafa-lcmsd377cc3b5081-pipeline5',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 985d26d26ef0dee2',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: e89eeac79a01071d',
      'images/animated/rotating-squares.gif w=40 png: 7a39b73a0e6bf2bf',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: a272361bca07f6ce',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: 30d4bd1b6dbf7cec',
      'images/animated/animated-loop-3.webp w=100 gif: 4041ed6bd8861411',
    ],
  },
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avif2.1.1-resize2.1.1-gif1.0.10-gifenc1.0.3-jpegscaled5b461cb50290-libwebp995af131eafa-lcmsd377cc3b5081-avifdec1811d172ebd3-pipeline5',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 985d26d26ef0dee2',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: e89eeac79a01071d',
      'images/animated/rotating-squares.gif w=40 png: 7a39b73a0e6bf2bf',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: a272361bca07f6ce',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: 30d4bd1b6dbf7cec',
      'images/animated/animated-loop-3.webp w=100 gif: 4041ed6bd8861411',
    ],
  },
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avif2.1.1-resize2.1.1-gif1.0.10-gifenc1.0.3-jpegscaledbd1e55ef240b-pngscaled70060dd91648-libwebp995af131eafa-lcmsd377cc3b5081-avifdec1811d172ebd3-pipeline6',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 985d26d26ef0dee2',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 7a39b73a0e6bf2bf',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: a272361bca07f6ce',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: 30d4bd1b6dbf7cec',
      'images/animated/animated-loop-3.webp w=100 gif: 4041ed6bd8861411',
    ],
  },
  // libjpeg-turbo (wasm/jpeg_turbo.wasm) decodes baseline JPEGs that are not reduced (the
  // `f=png` case): the same bytes as mozjpeg's, so the hashes of the entry above.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avif2.1.1-resize2.1.1-gif1.0.10-gifenc1.0.3-jpegscaledbd1e55ef240b-pngscaled70060dd91648-libwebp995af131eafa-lcmsd377cc3b5081-avifdec1811d172ebd3-jpegturbo9409cdd1ec76-pipeline6',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 985d26d26ef0dee2',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 7a39b73a0e6bf2bf',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: a272361bca07f6ce',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: 30d4bd1b6dbf7cec',
      'images/animated/animated-loop-3.webp w=100 gif: 4041ed6bd8861411',
    ],
  },
  // wasm/resize.wasm resamples every other path (GIF and animation frames change); with
  // libjpeg-turbo in the string (the two landed together).
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avif2.1.1-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaledbd1e55ef240b-pngscaled70060dd91648-libwebp995af131eafa-lcmsd377cc3b5081-avifdec1811d172ebd3-jpegturbo9409cdd1ec76-pipeline7',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 985d26d26ef0dee2',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: bb02843c180ddfdd',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: a272361bca07f6ce',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
    ],
  },
  // The progressive JPEG module (jpeg_scaled 47b01ef9dfe5: k×k coefficients kept) landed with
  // the two above; the same pixels, and a progressive case added to the cases.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avif2.1.1-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled70060dd91648-libwebp995af131eafa-lcmsd377cc3b5081-avifdec1811d172ebd3-jpegturbo9409cdd1ec76-pipeline7',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 985d26d26ef0dee2',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: bb02843c180ddfdd',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: a272361bca07f6ce',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
    ],
  },
  // Baseline JPEG reductions of 2x or more decode with libjpeg-turbo at M/8 then
  // wasm/resize.wasm where that is cheaper than the module at 1/d (src/transform/jpeg-cost.ts,
  // re-priced from the re-measured grid): Shoes-AdobeRGB → 200 px (3x, now 3/8) changed.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avif2.1.1-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled70060dd91648-libwebp995af131eafa-lcmsd377cc3b5081-avifdec1811d172ebd3-jpegturbo9409cdd1ec76-pipeline8',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 985d26d26ef0dee2',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: bb02843c180ddfdd',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: de1c65e0de638a8c',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
    ],
  },
  // libwebp.wasm rebuilt: the VP8L decoder keeps a window of rows
  // (wasm/libwebp/vp8l-sliding-window.patch) and webp_decode crops; same pixels, same outputs.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avif2.1.1-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled70060dd91648-libwebpc5eb32eb6dc5-lcmsd377cc3b5081-avifdec1811d172ebd3-jpegturbo9409cdd1ec76-pipeline8',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 985d26d26ef0dee2',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: bb02843c180ddfdd',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: de1c65e0de638a8c',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
    ],
  },
  // The planner's M/8 fallback for JPEG reductions under 2x over a budget, and GIFs with an
  // unused transparent index priced and resampled as opaque (src/codecs/versions.ts, 9):
  // none of these outputs changed.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avif2.1.1-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled70060dd91648-libwebpc5eb32eb6dc5-lcmsd377cc3b5081-avifdec1811d172ebd3-jpegturbo9409cdd1ec76-pipeline9',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 985d26d26ef0dee2',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: bb02843c180ddfdd',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: de1c65e0de638a8c',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
    ],
  },
  // libwebp.wasm rebuilt: lossy stills are converted to YUV a band of rows at a time
  // (wasm/libwebp/yuva-rows.patch, glue.c webp_band_*) with libwebp's own arithmetic; the
  // same bytes as the whole-buffer import, so none of these outputs changed.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avif2.1.1-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled70060dd91648-libwebpa490e3aa080e-lcmsd377cc3b5081-avifdec1811d172ebd3-jpegturbo9409cdd1ec76-pipeline9',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 985d26d26ef0dee2',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: bb02843c180ddfdd',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: de1c65e0de638a8c',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
    ],
  },
  // AVIF encoded by our own module (wasm/avif_enc.wasm: aom 3.12.1 + libavif 1.4.2) instead of
  // @jsquash/avif 2.1.1 (aom 3.7.0 + libavif 1.0.1), same settings: only the AVIF output changed.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled70060dd91648-libwebpc5eb32eb6dc5-lcmsd377cc3b5081-avifdec1811d172ebd3-jpegturbo9409cdd1ec76-pipeline9',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: bb02843c180ddfdd',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: de1c65e0de638a8c',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
    ],
  },
  // Both of the above merged: avif_enc.wasm's AVIF and the banded libwebp.wasm (no output of its
  // changed), so only the AVIF output differs from the libwebp entry.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled70060dd91648-libwebpa490e3aa080e-lcmsd377cc3b5081-avifdec1811d172ebd3-jpegturbo9409cdd1ec76-pipeline9',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: bb02843c180ddfdd',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: de1c65e0de638a8c',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
    ],
  },
  // Progressive JPEGs that are not reduced decode with libjpeg-turbo at 8/8 (sharp's pixels,
  // not mozjpeg's), and the planner's scaled-decode fallback for lossy WebPs under 2x
  // (src/codecs/versions.ts, 10): the new case (a progressive enlargement) is recorded; the
  // others did not change. Recorded on branch planner, before the banded libwebp was merged.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avif2.1.1-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled70060dd91648-libwebpc5eb32eb6dc5-lcmsd377cc3b5081-avifdec1811d172ebd3-jpegturbo9409cdd1ec76-pipeline10',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 985d26d26ef0dee2',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: bb02843c180ddfdd',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: de1c65e0de638a8c',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
    ],
  },
  // Pipeline 10 with the banded libwebp (merge of planner and main): the same outputs.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avif2.1.1-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled70060dd91648-libwebpa490e3aa080e-lcmsd377cc3b5081-avifdec1811d172ebd3-jpegturbo9409cdd1ec76-pipeline10',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 985d26d26ef0dee2',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: bb02843c180ddfdd',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: de1c65e0de638a8c',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
    ],
  },
  // Pipeline 10 with avif_enc.wasm and the banded libwebp (merge of planner and main): the
  // AVIF output as avif_enc.wasm's entries, the progressive enlargement as pipeline 10's.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled70060dd91648-libwebpa490e3aa080e-lcmsd377cc3b5081-avifdec1811d172ebd3-jpegturbo9409cdd1ec76-pipeline10',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: bb02843c180ddfdd',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: de1c65e0de638a8c',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
    ],
  },
  // avif.wasm rebuilt: in scale mode the decoder and the input are freed before the RGBA
  // output is allocated (wasm/avif/glue.c); the same pixels, so none of these outputs changed.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled70060dd91648-libwebpa490e3aa080e-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo9409cdd1ec76-pipeline10',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: bb02843c180ddfdd',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: de1c65e0de638a8c',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
    ],
  },
  // libwebp with wasm/libwebp/alpha-in-place.patch (the alpha plane encoded without its
  // copies): the same bytes, and a WebP that keeps transparency added to the cases (its hash
  // is the same with the previous libwebp, a490e3aa080e).
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled70060dd91648-libwebp144a5a8269ad-lcmsd377cc3b5081-avifdec1811d172ebd3-jpegturbo9409cdd1ec76-pipeline10',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: bb02843c180ddfdd',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: de1c65e0de638a8c',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // libwebp with wasm/libwebp/vp8l-cost-window.patch too (VP8L's path search keeps its costs
  // for a window of positions): the same bytes.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled70060dd91648-libwebp398cfc52e2a3-lcmsd377cc3b5081-avifdec1811d172ebd3-jpegturbo9409cdd1ec76-pipeline10',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: bb02843c180ddfdd',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: de1c65e0de638a8c',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // Merge of alphamem and main: libwebp 398cfc52e2a3 (the alpha plane without its copies, the
  // VP8L cost window) with avif.wasm 5a32bc5dc08f; the same bytes as both.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled70060dd91648-libwebp398cfc52e2a3-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo9409cdd1ec76-pipeline10',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: bb02843c180ddfdd',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: de1c65e0de638a8c',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // PNG encoded by our png_scaled.wasm (png 0.17.7's StreamWriter, fed a band of rows at a
  // time) instead of @jsquash/png 3.1.1 (png 0.17.10): the same pixels and filter (Sub) and
  // deflate level (1), other deflate bytes (miniz_oxide 0.6.2) and IDAT chunks of 256 KiB,
  // so only the PNG outputs changed.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled3925f7af6783-libwebp398cfc52e2a3-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo9409cdd1ec76-pipeline10',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 0a6d280f1bb3c400',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: b68d47cb6076c644',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // jpeg_turbo_enc.wasm 0bc8431a840f (JPEG encoded from rows where mozjpeg does not fit the
  // place: transform/fallback.ts) in the version string; these outputs are unchanged.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled70060dd91648-libwebp398cfc52e2a3-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo9409cdd1ec76-jpegturboenc0bc8431a840f-pipeline10',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: bb02843c180ddfdd',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: de1c65e0de638a8c',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // Merge of pngenc (png_scaled.wasm 3925f7af6783, PNG encoded from rows) and jpegrows
  // (jpeg_turbo_enc.wasm 0bc8431a840f in the version string): pngenc's outputs, unchanged.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled3925f7af6783-libwebp398cfc52e2a3-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo9409cdd1ec76-jpegturboenc0bc8431a840f-pipeline10',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 0a6d280f1bb3c400',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: b68d47cb6076c644',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // libwebp with wasm/libwebp/alpha-budget.patch too (the alpha plane's lossless encode within
  // a memory budget set by its size, stored uncompressed beyond it; VP8L reference blocks of at
  // most 2^16): the same bytes.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled70060dd91648-libwebpb6b461a40efa-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo9409cdd1ec76-pipeline10',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 35d2b33d9aa2c8b6',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: bb02843c180ddfdd',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: de1c65e0de638a8c',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // Merge of noisyalpha (libwebp b6b461a40efa: the alpha budget, same bytes) and main
  // (pngscaled 3925f7af6783, jpeg_turbo_enc 0bc8431a840f): main's outputs, unchanged.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled3925f7af6783-libwebpb6b461a40efa-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo9409cdd1ec76-jpegturboenc0bc8431a840f-pipeline10',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 0a6d280f1bb3c400',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: b68d47cb6076c644',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // Pipeline 11: an opaque PNG output is written as RGB (two of the three PNG outputs; the GIF's has transparency).
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled3925f7af6783-libwebpb6b461a40efa-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo9409cdd1ec76-jpegturboenc0bc8431a840f-pipeline11',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // libwebp 422e139aa854: the encode may suspend at its progress hook (JSPI), same bytes.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaled3925f7af6783-libwebp422e139aa854-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo9409cdd1ec76-jpegturboenc0bc8431a840f-pipeline11',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // pngscaled cfe41d1fd5d6: png_decode_rows (output rows to the host), same bytes.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resizeb776fe6d1de4-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaledcfe41d1fd5d6-libwebp422e139aa854-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo9409cdd1ec76-jpegturboenc0bc8431a840f-pipeline11',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // resize d741c4c34e9f: resize_pause_every (JSPI pauses between source rows), same bytes.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resized741c4c34e9f-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaledcfe41d1fd5d6-libwebp422e139aa854-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo9409cdd1ec76-jpegturboenc0bc8431a840f-pipeline11',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // Pipeline 12: jpeg_turbo.wasm with the row stream (jt_open/jt_read/jt_close, branch
  // jpegstream, merged with main's JSPI modules): JPEGs that libjpeg-turbo decodes on the
  // streamed path are read as rows and priced so (the planner's choices move, not these
  // outputs); the same outputs.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resized741c4c34e9f-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaledcfe41d1fd5d6-libwebp422e139aa854-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo647606285321-jpegturboenc0bc8431a840f-pipeline12',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // pngscaled ed28e2905411: png_decode_resize and png_decode_rows share one body, same bytes.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resized741c4c34e9f-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaleded28e2905411-libwebp422e139aa854-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo647606285321-jpegturboenc0bc8431a840f-pipeline12',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // pngscaled abda3727ec36: png 0.17.7 inflates the image data with fdeflate 0.3.7 instead of
  // miniz_oxide 0.6 (issue 14, branch pnginflate): the same pixels, same bytes.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resized741c4c34e9f-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaledabda3727ec36-libwebp422e139aa854-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo647606285321-jpegturboenc0bc8431a840f-pipeline12',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // pngscaled c6b300112e58: no chunk CRC computed when none is checked, 8-bit crops at their
  // own size copied without the floats, RGB/RGBA rows widened with SIMD, bulk-memory copies:
  // the same pixels, same bytes.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resized741c4c34e9f-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaledc6b300112e58-libwebp422e139aa854-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo647606285321-jpegturboenc0bc8431a840f-pipeline12',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // Pipeline 13: the M/8 fallback also takes reductions of 2x and more (libjpeg-turbo rows
  // where the JPEG module's whole decode does not fit, session 11); the same outputs.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resized741c4c34e9f-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaleded28e2905411-libwebp422e139aa854-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo647606285321-jpegturboenc0bc8431a840f-pipeline13',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // Merge of pnginflate (pngscaled c6b300112e58, fdeflate) and pipeline 13 (session 11): the
  // same outputs.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resized741c4c34e9f-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaledc6b300112e58-libwebp422e139aa854-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo647606285321-jpegturboenc0bc8431a840f-pipeline13',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // jpegturbo 42ad5a035275 (session 11, branch progk): a multi-scan JPEG decoded below 8/8 keeps
  // only the M x M coefficients per block its scale reads (wasm/jpeg-turbo/progressive-kxk.patch;
  // at 4/8 and 2/8 pure 4x4/2x2 IDCTs, 4:2:0 chroma upsampled from 4/8 up). These cases take
  // jpeg_scaled or 8/8 for their progressive file: the same outputs.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resized741c4c34e9f-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaleded28e2905411-libwebp422e139aa854-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo42ad5a035275-jpegturboenc0bc8431a840f-pipeline13',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // Both merged (pngscaled c6b300112e58 and jpegturbo 42ad5a035275): the same outputs.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resized741c4c34e9f-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaledc6b300112e58-libwebp422e139aa854-lcmsd377cc3b5081-avifdec5a32bc5dc08f-jpegturbo42ad5a035275-jpegturboenc0bc8431a840f-pipeline13',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // avifdec 6a89e201986e: avif_rows_open/avif_rows_run (rows handed on, banded scaling) added;
  // avif_decode's bytes unchanged (session 11).
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resized741c4c34e9f-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaledc6b300112e58-libwebp422e139aa854-lcmsd377cc3b5081-avifdec6a89e201986e-jpegturbo42ad5a035275-jpegturboenc0bc8431a840f-pipeline13',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // pipeline14: libjpeg-turbo's rows path priced without the whole decode's fixed memory, so
  // the planner places some JPEG variants at M/8 (inline or queued) that it queued on the JPEG
  // module's plan or refused (session 12); the default shape's bytes unchanged.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resized741c4c34e9f-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaledc6b300112e58-libwebp422e139aa854-lcmsd377cc3b5081-avifdec6a89e201986e-jpegturbo42ad5a035275-jpegturboenc0bc8431a840f-pipeline14',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // libwebp 0cb03c19b417: the lossy encoder's levels kept compactly instead of as tokens
  // (level-store.patch), the file written at its exact size; same bytes. Pipeline 15: the
  // planner's streamed WebP figures refitted (session 12).
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resized741c4c34e9f-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaledc6b300112e58-libwebp0cb03c19b417-lcmsd377cc3b5081-avifdec6a89e201986e-jpegturbo42ad5a035275-jpegturboenc0bc8431a840f-pipeline15',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // png_scaled bf7720f40b87: the PNG encoder's file drained band by band (png_encode_drain,
  // png_encode_rows_from); same bytes. Pipeline 16: the planner prices a streamed PNG's file
  // once instead of twice, and the queue's CPU budget is 10 s (session 13).
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resized741c4c34e9f-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaledbf7720f40b87-libwebp0cb03c19b417-lcmsd377cc3b5081-avifdec6a89e201986e-jpegturbo42ad5a035275-jpegturboenc0bc8431a840f-pipeline16',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // jpeg_turbo_enc f6dd97f09b00: the rows encoder's file drained as written (same bytes) and a
  // single-pass mode. Pipeline 17: the planner prices it lower and encodes in one pass where
  // two do not fit the queue (session 13).
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resized741c4c34e9f-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaledbf7720f40b87-libwebp0cb03c19b417-lcmsd377cc3b5081-avifdec6a89e201986e-jpegturbo42ad5a035275-jpegturboencf6dd97f09b00-pipeline17',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // libwebp d3a9fea9b827: a lossless WebP decoded 16 rows per call (webp_rows_*, vp8l-rows.patch).
  // Pipeline 17: a still VP8L WebP on the streamed path is pulled as rows and resampled by
  // lanczos3 (no lossless WebP among these cases: the same bytes).
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resized741c4c34e9f-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaledbf7720f40b87-libwebpd3a9fea9b827-lcmsd377cc3b5081-avifdec6a89e201986e-jpegturbo42ad5a035275-jpegturboenc0bc8431a840f-pipeline17',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // libwebp e1a7d0106485: the banded lossless decode crops and scales as it decodes (libwebp's
  // rescaler, webp_rows_open's crop and target), so the rows path's pixels are the module
  // path's; the same bytes.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resized741c4c34e9f-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaledbf7720f40b87-libwebpe1a7d0106485-lcmsd377cc3b5081-avifdec6a89e201986e-jpegturbo42ad5a035275-jpegturboenc0bc8431a840f-pipeline17',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
  // Pipeline 18 (session 13, merged): main's libjpeg-turbo rows encoder (pipeline 17) and the
  // lossless WebP row stream (libwebp e1a7d0106485, above) together; the same bytes.
  {
    codecs:
      'jpeg1.6.0-png3.1.1-avifenc53c7295efaa6-resized741c4c34e9f-gif1.0.10-gifenc1.0.3-jpegscaled47b01ef9dfe5-pngscaledbf7720f40b87-libwebpe1a7d0106485-lcmsd377cc3b5081-avifdec6a89e201986e-jpegturbo42ad5a035275-jpegturboencf6dd97f09b00-pipeline18',
    hashes: [
      'images/large/2569067123_aca715a2ee_o.jpg w=600,fit=cover,h=400 webp: 933c0cfcc7771002',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg w=600 jpeg: 380b510372328e2d',
      'images/small/Giunchedi_Filippo_January_2015_01.jpg f=png png: 11ad34ae72b5ec6f',
      'images/kodak/kodim03.png w=300,blur=2 avif: 1571eeb912e0dbf3',
      'images/alpha/blackbug.png w=200,fit=pad,h=200,background=336699 webp: b366ec7f315fb56d',
      'images/animated/rotating-squares.gif w=40 png: 39cc0a7a2f518ad8',
      'images/color/Shoes-AdobeRGB.jpg w=200 png: 14b2b1ce415c60d5',
      'images/small/4.webp w=200 webp: 23b78ed0ac7827c8',
      'images/animated/rotating-squares.gif w=40 webp: defbee3225d9da16',
      'images/animated/animated-loop-3.webp w=100 gif: 8c8e14a3ad491d68',
      'images/progressive/Cerkiew.jpg w=400 jpeg: f70065d7b952abde',
      'images/progressive/Cerkiew.jpg w=2000,h=1000,fit=cover jpeg: 3edaf0e9b8871309',
      'images/alpha/blackbug.png w=600 webp: ef3bc93d87a9ec4a',
    ],
  },
];

/** `-pipeline<N>` of a version string. */
const pipelineOf = (codecs: string) => Number(/-pipeline(\d+)$/.exec(codecs)?.[1]);

describe('PIPELINE_VERSION', () => {
  it('the ledger is append-only: versions never repeat, the pipeline version never falls', () => {
    const seen = new Set<string>();
    let last = 0;
    for (const { codecs } of LEDGER) {
      expect(seen.has(codecs), `${codecs} is recorded twice`).toBe(false);
      seen.add(codecs);
      expect(pipelineOf(codecs)).toBeGreaterThanOrEqual(last);
      last = pipelineOf(codecs);
    }
    // The newest entry is the one the code runs under, recorded beside PIPELINE_VERSION.
    expect(LEDGER.at(-1)!.codecs).toBe(CODEC_VERSIONS);
    expect(pipelineOf(CODEC_VERSIONS)).toBe(PIPELINE_VERSION);
  });

  it('is bumped whenever our pipeline changes its outputs (see the file header)', async () => {
    const hashes: string[] = [];
    for (const [file, t, format] of CASES) {
      const bytes = await fixture(file);
      const out = await runPipeline(bytes, probe(bytes), parseTransform(t), format);
      hashes.push(`${file} ${t} ${format}: ${(await sha256Hex(out.bytes)).slice(0, 16)}`);
    }
    const current = LEDGER.find((e) => e.codecs === CODEC_VERSIONS);
    expect(current, `no outputs recorded for ${CODEC_VERSIONS}`).toBeDefined();
    expect(hashes).toEqual(current!.hashes);
  });
});
