/**
 * Upload: drop or pick many files; each goes to its own one-time upload URL (the API key is
 * never sent with image bytes) with its own progress bar, and ends as uploaded, duplicate,
 * or refused with the problem's title and detail. Three at a time.
 */
import { useState } from 'preact/hooks';
import type { PageProps } from '../App';
import { formatBytes, type UploadOutcome } from '../lib/http';
import { linkClick } from '../router';

/** One file's row. */
interface Row {
  n: number;
  name: string;
  size: number;
  progress: number;
  outcome: UploadOutcome | { kind: 'waiting' | 'uploading'; message: string };
}

/** Files sent at once. */
const PARALLEL = 3;
let counter = 0;

/** The upload page. */
export function Upload({ api }: PageProps) {
  const [rows, setRows] = useState<Row[]>([]);
  const [over, setOver] = useState(false);

  const update = (n: number, change: Partial<Row>) =>
    setRows((list) => list.map((r) => (r.n === n ? { ...r, ...change } : r)));

  const start = (files: File[]) => {
    const fresh = files.map((f) => ({
      file: f,
      row: {
        n: ++counter,
        name: f.name,
        size: f.size,
        progress: 0,
        outcome: { kind: 'waiting', message: 'Waiting' },
      } as Row,
    }));
    setRows((list) => [...fresh.map((x) => x.row), ...list]);
    const queue = [...fresh];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { file, row } = next;
        update(row.n, { outcome: { kind: 'uploading', message: 'Uploading' } });
        try {
          const outcome = await api.upload(file, (p) => update(row.n, { progress: p }));
          update(row.n, { progress: 1, outcome });
        } catch (err) {
          update(row.n, { outcome: { kind: 'refused', message: (err as Error).message } });
        }
      }
    };
    for (let i = 0; i < PARALLEL; i++) void worker();
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length) start(files);
  };

  return (
    <section aria-labelledby="upload-title">
      <h1 id="upload-title" tabIndex={-1}>
        Upload
      </h1>
      <div
        class={over ? 'drop over' : 'drop'}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p>Drop images here, or</p>
        <label class="button" for="files">
          Choose files
        </label>
        <input
          id="files"
          class="visually-hidden"
          type="file"
          multiple
          accept="image/*"
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])];
            e.currentTarget.value = '';
            if (files.length) start(files);
          }}
        />
        <p class="hint">
          JPEG, PNG, WebP, AVIF or GIF; each file gets its own one-time upload URL.
        </p>
      </div>
      <ul class="uploads" aria-label="Uploads" aria-live="polite">
        {rows.map((r) => (
          <li key={r.n} class={`upload ${r.outcome.kind}`} data-name={r.name}>
            <span class="name">
              {r.name} <span class="hint">({formatBytes(r.size)})</span>
            </span>
            <progress max={1} value={r.progress} aria-label={`Upload progress of ${r.name}`} />
            <span class="outcome">
              {r.outcome.message}
              {'id' in r.outcome && (
                <>
                  {' '}
                  <a href={`/console/images/${r.outcome.id}`} onClick={linkClick}>
                    open {r.outcome.id}
                  </a>
                </>
              )}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
