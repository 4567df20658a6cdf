/**
 * Versions of the codec packages, folded into variant cache keys: upgrading any codec changes
 * every key, so no cached variant made by the old code is served as if made by the new one.
 * Read from each package's package.json at build time (the bundler inlines the strings).
 */
import { version as avif } from '@jsquash/avif/package.json';
import { version as jpeg } from '@jsquash/jpeg/package.json';
import { version as png } from '@jsquash/png/package.json';
import { version as resize } from '@jsquash/resize/package.json';
import { version as webp } from '@jsquash/webp/package.json';
import { version as gif } from 'omggif/package.json';

/**
 * Compact codec version string, e.g. `jpeg1.6.0-png3.1.1-webp1.5.0-avif2.1.1-resize2.1.1-gif1.0.10`
 * (package names of @jsquash/* and omggif, in that order).
 */
export const CODEC_VERSIONS: string = `jpeg${jpeg}-png${png}-webp${webp}-avif${avif}-resize${resize}-gif${gif}`;
