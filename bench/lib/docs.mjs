/**
 * Writing results into the repository's docs and data files, shared by `npm run bench` and
 * `npm run loadtest`.
 */
import fs from 'node:fs';

/**
 * Writes a file the way `prettier --write` would leave it, so `npm run format:check` passes.
 * @param {string} file @param {string} text
 */
export async function writeFormatted(file, text) {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file)) ?? {};
  fs.writeFileSync(file, await prettier.format(text, { ...options, filepath: file }));
}

/**
 * Replaces the text between `<!-- NAME:results:start -->` and `<!-- NAME:results:end -->`
 * in `file`; warns and leaves the file alone when the markers are missing.
 * @param {string} file @param {string} name @param {string} text
 */
export async function replaceResults(file, name, text) {
  const start = `<!-- ${name}:results:start -->`;
  const end = `<!-- ${name}:results:end -->`;
  const doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) {
    console.warn(`${file} has no ${start} … ${end} markers: not updated`);
    return;
  }
  await writeFormatted(file, `${doc.slice(0, a + start.length)}\n\n${text}\n\n${doc.slice(b)}`);
  console.log(`wrote the ${name} results in ${file}`);
}
