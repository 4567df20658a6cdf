/**
 * Gallery: the owner's images, newest first, through the list cursor (more load as the end
 * of the list scrolls into view); each shows its ThumbHash at once and the `thumbnail`
 * preset over it. Search by id; delete with confirmation.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PageProps } from '../App';
import { can } from '../App';
import type { ImageView } from '../api';
import { appendPage, formatBytes } from '../lib/http';
import { placeholderUrl } from '../lib/placeholder';
import { linkClick } from '../router';
import { useConfirm } from './Confirm';

/** One gallery tile. */
function Tile({ img, onDelete }: { img: ImageView; onDelete?: () => void }) {
  const [loaded, setLoaded] = useState(false);
  const ph = placeholderUrl(img.thumbhash);
  return (
    <li class="tile" data-id={img.id}>
      <a href={`/console/images/${img.id}`} onClick={linkClick}>
        <span class="thumb">
          {ph && <img class="ph" src={ph} alt="" aria-hidden="true" />}
          <img
            class={loaded ? 'real loaded' : 'real'}
            src={`/img/${img.id}/thumbnail`}
            alt={`Image ${img.id}`}
            loading="lazy"
            width={150}
            height={150}
            onLoad={() => setLoaded(true)}
          />
        </span>
        <span class="caption">
          <code>{img.id}</code>
          <span>
            {img.width}×{img.height} {img.format} · {formatBytes(img.bytes)}
          </span>
        </span>
      </a>
      {onDelete && (
        <button
          type="button"
          class="danger small"
          onClick={onDelete}
          aria-label={`Delete ${img.id}`}
        >
          Delete
        </button>
      )}
    </li>
  );
}

/** The gallery page. */
export function Gallery({ api, me }: PageProps) {
  const [images, setImages] = useState<ImageView[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState('');
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState('');
  const [dialog, ask] = useConfirm();
  const sentinel = useRef<HTMLDivElement>(null);
  const busy = useRef(false);

  const loadMore = async () => {
    if (busy.current || done) return;
    busy.current = true;
    setLoading(true);
    try {
      const page = await api.listImages(cursor);
      setImages((list) => appendPage(list, page.images));
      setCursor(page.next_cursor);
      if (!page.next_cursor) setDone(true);
      setError('');
    } catch (err) {
      setError(String((err as Error).message));
    } finally {
      busy.current = false;
      setLoading(false);
    }
  };

  useEffect(() => {
    void loadMore();
  }, []);

  useEffect(() => {
    const el = sentinel.current;
    if (!el || done) return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void loadMore();
    });
    io.observe(el);
    return () => io.disconnect();
  }, [cursor, done]);

  const remove = async (img: ImageView) => {
    if (
      !(await ask(`Delete image ${img.id}? Its variants go too; this cannot be undone.`, 'Delete'))
    )
      return;
    try {
      await api.deleteImage(img.id);
      setImages((list) => list.filter((x) => x.id !== img.id));
      setStatus(`Deleted ${img.id}.`);
    } catch (err) {
      setStatus(`Could not delete ${img.id}: ${(err as Error).message}`);
    }
  };

  const search = async (e: Event) => {
    e.preventDefault();
    const q = query.trim();
    if (!/^[A-Za-z0-9_-]{16}$/.test(q) || images.some((i) => i.id === q)) return;
    try {
      const img = await api.image(q);
      setImages((list) => appendPage([img], list));
    } catch (err) {
      setStatus(`No image ${q}: ${(err as Error).message}`);
    }
  };

  const q = query.trim().toLowerCase();
  const shown = q ? images.filter((i) => i.id.toLowerCase().includes(q)) : images;
  return (
    <section aria-labelledby="gallery-title">
      <h1 id="gallery-title" tabIndex={-1}>
        Gallery
      </h1>
      <form class="row search" role="search" onSubmit={(e) => void search(e)}>
        <label for="search-id">Find by id</label>
        <input
          id="search-id"
          type="search"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
          placeholder="e.g. 3fK9…"
          autocomplete="off"
        />
        <button type="submit">Find</button>
      </form>
      <p role="status" class="status">
        {status}
      </p>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <ul class="grid" aria-label="Images, newest first" aria-busy={loading}>
        {shown.map((img) => (
          <Tile
            key={img.id}
            img={img}
            onDelete={can(me, 'upload') ? () => void remove(img) : undefined}
          />
        ))}
      </ul>
      {!loading && done && images.length === 0 && <p>No images yet.</p>}
      {loading && <p class="hint">Loading…</p>}
      {!done && (
        <div ref={sentinel} class="sentinel">
          <button type="button" onClick={() => void loadMore()} disabled={loading}>
            Load more
          </button>
        </div>
      )}
      {dialog}
    </section>
  );
}
