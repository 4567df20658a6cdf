/**
 * An image: the original's facts and the playground. Every change of an option fetches the
 * variant (debounced, the previous request aborted) and shows it with its URL, bytes,
 * dimensions, content type, where it came from and its Server-Timing, over the original
 * with a before/after slider. Clicking the focal-point picker (or its arrow keys) sets
 * gravity to that point.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PageProps } from '../App';
import { can } from '../App';
import type { ImageView } from '../api';
import {
  formatBytes,
  parseProblem,
  parseServerTiming,
  variantSource,
  type TimingMetric,
} from '../lib/http';
import {
  DEFAULT_OPTIONS,
  FITS,
  FLIPS,
  focalFromClick,
  FORMATS,
  GRAVITIES,
  ROTATIONS,
  toTransform,
  type PlaygroundOptions,
} from '../lib/transform';
import { setLastTransform } from '../session';

/** What the last variant request gave. */
interface Variant {
  /** The unsigned path, e.g. `/img/{id}/w=400,f=webp`. */
  url: string;
  /** The absolute URL requested (signed when signing is on). */
  requested: string;
  objectUrl: string;
  contentType: string;
  bytes: number;
  source: string;
  timing: TimingMetric[];
  ms: number;
  width?: number;
  height?: number;
}

/** A labelled number input that sets an option (empty = null). */
function NumberField(props: {
  id: string;
  label: string;
  value: number | null;
  min: number;
  max: number;
  step?: number;
  onChange: (v: number | null) => void;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="number"
        min={props.min}
        max={props.max}
        step={props.step ?? 1}
        value={props.value ?? ''}
        onInput={(e) => {
          const raw = e.currentTarget.value;
          const n = Number(raw);
          props.onChange(raw === '' || !Number.isFinite(n) ? null : n);
        }}
      />
    </div>
  );
}

/** A labelled select. */
function SelectField<T extends string | number>(props: {
  id: string;
  label: string;
  value: T;
  options: readonly T[];
  names?: (v: T) => string;
  onChange: (v: T) => void;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select
        id={props.id}
        value={String(props.value)}
        onChange={(e) => {
          const raw = e.currentTarget.value;
          props.onChange(props.options.find((o) => String(o) === raw) as T);
        }}
      >
        {props.options.map((o) => (
          <option key={String(o)} value={String(o)}>
            {props.names ? props.names(o) : String(o)}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The facts of the original. */
function Facts({ img }: { img: ImageView }) {
  const rows: [string, preact.ComponentChildren][] = [
    ['Size', `${img.width} × ${img.height} px`],
    ['Format', img.format + (img.progressive ? ' (progressive)' : '')],
    ['Bytes', formatBytes(img.bytes)],
    ['Orientation', String(img.orientation)],
    ['Alpha', img.has_alpha ? 'yes' : 'no'],
    ['Frames', String(img.frames)],
    [
      'Colour',
      img.colour ? (
        <>
          <span
            class="swatch"
            ref={(el) => {
              if (el) el.style.background = img.colour!;
            }}
          />
          {img.colour}
        </>
      ) : (
        'not computed yet'
      ),
    ],
    // Shown once the API stores a focal point for the image.
    ...(img.focal_point
      ? [['Focal point', `${img.focal_point.x} × ${img.focal_point.y}`] as [string, string]]
      : []),
    ['Uploaded', new Date(img.created_at).toLocaleString()],
  ];
  return (
    <dl class="facts">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The image page. */
export function ImagePage({ api, me, id }: PageProps & { id: string }) {
  const [img, setImg] = useState<ImageView | null>(null);
  const [error, setError] = useState('');
  const [opts, setOpts] = useState<PlaygroundOptions>(DEFAULT_OPTIONS);
  const [variant, setVariant] = useState<Variant | null>(null);
  const [variantError, setVariantError] = useState('');
  const [loading, setLoading] = useState(false);
  const [split, setSplit] = useState(50);
  const [copied, setCopied] = useState('');
  const [presetName, setPresetName] = useState('');
  const [presetPublic, setPresetPublic] = useState(false);
  const [presetStatus, setPresetStatus] = useState('');
  const overlay = useRef<HTMLImageElement>(null);
  const divider = useRef<HTMLSpanElement>(null);

  useEffect(() => {
    setImg(null);
    api
      .image(id)
      .then(setImg)
      .catch((err: Error) => setError(err.message));
  }, [id]);

  /** The URL to request for a delivery path: itself, or signed when signing is on. */
  const deliver = async (path: string) => (me.signing ? (await api.sign(path)).url : path);
  const [originalSrc, setOriginalSrc] = useState('');
  useEffect(() => {
    if (!img) return;
    deliver(`/img/${img.id}/original`)
      .then(setOriginalSrc)
      .catch((err: Error) => setError(err.message));
  }, [img]);

  const transform = toTransform(opts);
  useEffect(() => setLastTransform(transform), [transform]);

  useEffect(() => {
    if (!img) return;
    const ctl = new AbortController();
    const url = `/img/${img.id}/${transform}`;
    const run = async () => {
      setLoading(true);
      const t0 = performance.now();
      try {
        const target = await deliver(url);
        if (ctl.signal.aborted) return;
        const res = await fetch(target, {
          signal: ctl.signal,
          headers: { Accept: 'image/avif,image/webp,image/*;q=0.8' },
        });
        if (!res.ok) {
          const p = parseProblem(res.status, res.statusText, await res.text());
          setVariantError(p.detail ? `${p.title}: ${p.detail}` : p.title);
          return;
        }
        const blob = await res.blob();
        const next: Variant = {
          url,
          requested: new URL(target, location.href).href,
          objectUrl: URL.createObjectURL(blob),
          contentType: res.headers.get('Content-Type') ?? blob.type,
          bytes: blob.size,
          source: variantSource(res.headers.get('X-Cache'), res.headers.get('X-Variant-Source')),
          timing: parseServerTiming(res.headers.get('Server-Timing')),
          ms: Math.round(performance.now() - t0),
        };
        setVariantError('');
        setVariant((old) => {
          if (old) URL.revokeObjectURL(old.objectUrl);
          return next;
        });
      } catch (err) {
        if ((err as Error).name !== 'AbortError') setVariantError(String(err));
      } finally {
        if (!ctl.signal.aborted) setLoading(false);
      }
    };
    const timer = setTimeout(() => void run(), 250);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [img, transform]);

  useEffect(() => {
    const el = overlay.current;
    if (el) el.style.clipPath = `inset(0 0 0 ${split}%)`;
    if (divider.current) divider.current.style.left = `${split}%`;
  }, [split, variant]);

  if (error)
    return (
      <>
        <h1 tabIndex={-1}>Image {id}</h1>
        <p role="alert" class="error">
          {error}
        </p>
      </>
    );
  if (!img)
    return (
      <>
        <h1 tabIndex={-1}>Image {id}</h1>
        <p class="hint">Loading…</p>
      </>
    );

  const set = <K extends keyof PlaygroundOptions>(k: K, v: PlaygroundOptions[K]) =>
    setOpts((o) => ({ ...o, [k]: v }));
  const absolute = variant?.requested ?? '';
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(absolute);
      setCopied('Copied.');
    } catch {
      setCopied('Copy failed: select the URL and copy it.');
    }
  };
  const setFocal = (x: number, y: number) =>
    setOpts((o) => ({ ...o, gravity: 'focal', focalX: x, focalY: y }));
  const pickerKey = (e: KeyboardEvent) => {
    const step = e.shiftKey ? 0.1 : 0.02;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
    };
    const m = moves[e.key];
    if (!m) return;
    e.preventDefault();
    const clamp = (v: number) => Math.min(1, Math.max(0, Number(v.toFixed(3))));
    setFocal(clamp(opts.focalX + m[0]), clamp(opts.focalY + m[1]));
  };
  const savePreset = async (e: Event) => {
    e.preventDefault();
    try {
      const p = await api.putPreset(presetName.trim(), transform, presetPublic);
      setPresetStatus(`Saved preset ${p.name}: ${p.options}`);
    } catch (err) {
      setPresetStatus(`Not saved: ${(err as Error).message}`);
    }
  };

  return (
    <section aria-labelledby="image-title" class="image-page">
      <h1 id="image-title" tabIndex={-1}>
        Image <code>{img.id}</code>
      </h1>
      <div class="columns">
        <div>
          <h2>Original</h2>
          <Facts img={img} />
          <p>
            <a href={originalSrc || img.urls.original}>Open the original</a>
          </p>
          <h2 id="focal-title">Focal point</h2>
          <div
            class="picker"
            tabIndex={0}
            role="group"
            aria-labelledby="focal-title"
            aria-describedby="focal-help"
            onKeyDown={pickerKey}
            onClick={(e) => {
              const r = e.currentTarget.getBoundingClientRect();
              const f = focalFromClick(e.clientX - r.left, e.clientY - r.top, r.width, r.height);
              setFocal(f.x, f.y);
            }}
          >
            {originalSrc && <img src={originalSrc} alt={`Image ${img.id}`} />}
            {opts.gravity === 'focal' && (
              <span
                class="marker"
                ref={(el) => {
                  if (el) {
                    el.style.left = `${opts.focalX * 100}%`;
                    el.style.top = `${opts.focalY * 100}%`;
                  }
                }}
              />
            )}
          </div>
          <p id="focal-help" class="hint">
            Click the picture, or focus it and use the arrow keys (Shift for bigger steps), to set
            gravity to a focal point:{' '}
            {opts.gravity === 'focal' ? `${opts.focalX}x${opts.focalY}` : 'none'}.
          </p>
        </div>
        <div>
          <h2>Playground</h2>
          <form class="controls" onSubmit={(e) => e.preventDefault()} aria-label="Variant options">
            <NumberField
              id="o-width"
              label="Width"
              value={opts.width}
              min={1}
              max={8192}
              onChange={(v) => set('width', v)}
            />
            <NumberField
              id="o-height"
              label="Height"
              value={opts.height}
              min={1}
              max={8192}
              onChange={(v) => set('height', v)}
            />
            <SelectField
              id="o-fit"
              label="Fit"
              value={opts.fit}
              options={FITS}
              onChange={(v) => set('fit', v)}
            />
            <SelectField
              id="o-gravity"
              label="Gravity"
              value={opts.gravity}
              options={GRAVITIES}
              onChange={(v) => set('gravity', v)}
            />
            <NumberField
              id="o-dpr"
              label="DPR"
              value={opts.dpr}
              min={1}
              max={4}
              step={0.5}
              onChange={(v) => set('dpr', v ?? 1)}
            />
            <NumberField
              id="o-quality"
              label="Quality"
              value={opts.quality}
              min={1}
              max={100}
              onChange={(v) => set('quality', v)}
            />
            <SelectField
              id="o-format"
              label="Format"
              value={opts.format}
              options={FORMATS}
              onChange={(v) => set('format', v)}
            />
            <SelectField
              id="o-rotate"
              label="Rotate"
              value={opts.rotate}
              options={ROTATIONS}
              names={(r) => `${r}°`}
              onChange={(v) => set('rotate', v)}
            />
            <SelectField
              id="o-flip"
              label="Flip"
              value={opts.flip}
              options={FLIPS}
              names={(f) => ({ '': 'none', h: 'horizontal', v: 'vertical', hv: 'both' })[f]}
              onChange={(v) => set('flip', v)}
            />
            <NumberField
              id="o-blur"
              label="Blur"
              value={opts.blur}
              min={0}
              max={250}
              step={0.5}
              onChange={(v) => set('blur', v ?? 0)}
            />
            <NumberField
              id="o-sharpen"
              label="Sharpen"
              value={opts.sharpen}
              min={0}
              max={10}
              step={0.5}
              onChange={(v) => set('sharpen', v ?? 0)}
            />
            <div class="field">
              <label for="o-background">Background</label>
              <span class="row">
                <input
                  id="o-background"
                  type="color"
                  value={opts.background || '#ffffff'}
                  onInput={(e) => set('background', e.currentTarget.value)}
                />
                <button
                  type="button"
                  class="small"
                  onClick={() => set('background', '')}
                  disabled={!opts.background}
                >
                  None
                </button>
              </span>
            </div>
            <button type="button" class="small" onClick={() => setOpts(DEFAULT_OPTIONS)}>
              Reset
            </button>
          </form>

          <div class="compare" aria-busy={loading}>
            {originalSrc && <img class="before" src={originalSrc} alt="Before: the original" />}
            {variant && (
              <img
                ref={overlay}
                class="after"
                src={variant.objectUrl}
                alt={`After: the variant ${transform}`}
                data-variant-url={variant.url}
                onLoad={(e) => {
                  const el = e.currentTarget;
                  setVariant((v) =>
                    v && v.objectUrl === el.src
                      ? { ...v, width: el.naturalWidth, height: el.naturalHeight }
                      : v,
                  );
                }}
              />
            )}
            {variant && <span ref={divider} class="divider" aria-hidden="true" />}
          </div>
          <div class="field">
            <label for="split">Before / after</label>
            <input
              id="split"
              type="range"
              min={0}
              max={100}
              value={split}
              onInput={(e) => setSplit(Number(e.currentTarget.value))}
            />
          </div>
          {variantError && (
            <p role="alert" class="error">
              {variantError}
            </p>
          )}
          {me.signing && (
            <p class="hint">
              Signing is on: the URLs here are signed for an hour (POST /v1/signatures).
            </p>
          )}
          {variant && (
            <div class="variant-info" role="status" aria-live="polite">
              <div class="row url">
                <label for="variant-url">URL</label>
                <input id="variant-url" readOnly value={absolute} />
                <button type="button" class="small" onClick={() => void copy()}>
                  Copy
                </button>
                <span class="hint">{copied}</span>
              </div>
              <dl class="facts">
                <div>
                  <dt>Dimensions</dt>
                  <dd id="variant-dimensions">
                    {variant.width ? `${variant.width} × ${variant.height}` : '…'}
                  </dd>
                </div>
                <div>
                  <dt>Type</dt>
                  <dd id="variant-type">{variant.contentType}</dd>
                </div>
                <div>
                  <dt>Bytes</dt>
                  <dd>{formatBytes(variant.bytes)}</dd>
                </div>
                <div>
                  <dt>From</dt>
                  <dd id="variant-source">{variant.source}</dd>
                </div>
                <div>
                  <dt>Round trip</dt>
                  <dd>{variant.ms} ms</dd>
                </div>
                <div>
                  <dt>Server-Timing</dt>
                  <dd>
                    {variant.timing.length
                      ? variant.timing
                          .map(
                            (t) =>
                              `${t.desc ?? t.name}${t.dur !== undefined ? ` ${t.dur} ms` : ''}`,
                          )
                          .join(' · ')
                      : 'none (not made in this request)'}
                  </dd>
                </div>
              </dl>
            </div>
          )}
          {can(me, 'admin') && (
            <form class="row preset-form" onSubmit={(e) => void savePreset(e)}>
              <label for="preset-name">Save as preset</label>
              <input
                id="preset-name"
                required
                pattern="[a-z0-9][a-z0-9_\-]{0,63}"
                value={presetName}
                onInput={(e) => setPresetName(e.currentTarget.value)}
                placeholder="name"
              />
              <label class="check">
                <input
                  type="checkbox"
                  checked={presetPublic}
                  onChange={(e) => setPresetPublic(e.currentTarget.checked)}
                />{' '}
                public
              </label>
              <button type="submit">Save</button>
              <span role="status">{presetStatus}</span>
            </form>
          )}
        </div>
      </div>
    </section>
  );
}
