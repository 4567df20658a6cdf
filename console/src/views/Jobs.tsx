/**
 * Jobs: start a bulk job (all images or listed ids × presets and option strings), the recent
 * jobs, and one job's live progress (counts, rate, ETA, failed items with their errors),
 * polled every second until it ends; cancel it.
 */
import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../App';
import { can } from '../App';
import type { JobItem, JobView, PresetView } from '../api';
import { formatDuration, jobEnded, parseVariantLines } from '../lib/http';

/** Poll interval of a running job, ms. */
const POLL_MS = 1000;

/** One job's progress panel. */
function JobDetail({ api, me, id, onChange }: PageProps & { id: string; onChange: () => void }) {
  const [job, setJob] = useState<JobView | null>(null);
  const [failed, setFailed] = useState<JobItem[]>([]);
  const [error, setError] = useState('');

  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const j = await api.job(id);
        if (stop) return;
        setJob(j);
        if (j.progress.failed > 0) setFailed((await api.failedItems(id)).items);
        if (jobEnded(j.status)) onChange();
        else timer = setTimeout(() => void tick(), POLL_MS);
      } catch (err) {
        setError((err as Error).message);
      }
    };
    void tick();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [id]);

  const cancel = async () => {
    try {
      setJob(await api.cancelJob(id));
      onChange();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  if (!job) return <p class="hint">{error || 'Loading the job…'}</p>;
  const p = job.progress;
  return (
    <div class="card job" data-job={job.id} data-status={job.status} aria-labelledby="job-title">
      <h2 id="job-title">
        Job <code>{job.id}</code>: <span class="job-status">{job.status}</span>
      </h2>
      <progress max={Math.max(p.total, 1)} value={p.done} aria-label="Job progress" />
      <p aria-live="polite">
        {p.done} of {p.total}
        {p.fanout_complete ? '' : ' (still counting)'} done ({p.percent}%) · {p.succeeded} succeeded
        · {p.failed} failed · {p.cancelled} cancelled · {p.running} running · {p.queued} queued
      </p>
      <p>
        Rate: {p.rate_per_second === null ? '–' : `${p.rate_per_second}/s`} · ETA:{' '}
        {formatDuration(p.eta_seconds)}
      </p>
      <p class="hint">Variants: {job.variants.join(', ')}</p>
      {job.error && <p class="error">{job.error}</p>}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {can(me, 'upload') && !jobEnded(job.status) && (
        <button type="button" class="danger" onClick={() => void cancel()}>
          Cancel job
        </button>
      )}
      {failed.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption>Failed items</caption>
            <thead>
              <tr>
                <th scope="col">Image</th>
                <th scope="col">Variant</th>
                <th scope="col">Attempts</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {failed.map((i) => (
                <tr key={`${i.image_id}/${i.spec}`}>
                  <td>
                    <code>{i.image_id}</code>
                  </td>
                  <td>
                    <code>{i.spec}</code>
                  </td>
                  <td>{i.attempts}</td>
                  <td>{i.last_error}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** The jobs page. */
export function Jobs({ api, me }: PageProps) {
  const [jobs, setJobs] = useState<JobView[]>([]);
  const [presets, setPresets] = useState<PresetView[]>([]);
  const [chosen, setChosen] = useState<string[]>(['thumbnail']);
  const [extra, setExtra] = useState('');
  const [scope, setScope] = useState<'all' | 'ids'>('all');
  const [ids, setIds] = useState('');
  const [selected, setSelected] = useState<string | null>(null);
  const [status, setStatus] = useState('');

  const load = () =>
    api
      .jobs()
      .then((r) => setJobs(r.jobs))
      .catch((err: Error) => setStatus(err.message));
  useEffect(() => {
    void load();
    api
      .presets()
      .then((r) => setPresets(r.presets))
      .catch(() => undefined);
  }, []);

  const start = async (e: Event) => {
    e.preventDefault();
    const variants = [...chosen, ...parseVariantLines(extra)];
    const images =
      scope === 'all' ? ({ all: true } as const) : parseVariantLines(ids.replace(/[\s,]+/g, '\n'));
    try {
      const job = await api.createJob(images, variants);
      setStatus(`Started job ${job.id}.`);
      setSelected(job.id);
      await load();
    } catch (err) {
      setStatus(`Not started: ${(err as Error).message}`);
    }
  };

  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title" tabIndex={-1}>
        Jobs
      </h1>
      <p role="status" class="status">
        {status}
      </p>
      {can(me, 'upload') && (
        <form class="card stack" onSubmit={(e) => void start(e)} aria-labelledby="new-job">
          <h2 id="new-job">New job</h2>
          <fieldset>
            <legend>Images</legend>
            <label class="check">
              <input
                type="radio"
                name="scope"
                checked={scope === 'all'}
                onChange={() => setScope('all')}
              />{' '}
              All images
            </label>
            <label class="check">
              <input
                type="radio"
                name="scope"
                checked={scope === 'ids'}
                onChange={() => setScope('ids')}
              />{' '}
              These ids
            </label>
            {scope === 'ids' && (
              <>
                <label for="j-ids">Image ids (space, comma or line separated)</label>
                <textarea
                  id="j-ids"
                  rows={3}
                  value={ids}
                  onInput={(e) => setIds(e.currentTarget.value)}
                />
              </>
            )}
          </fieldset>
          <fieldset>
            <legend>Presets</legend>
            {presets.map((p) => (
              <label class="check" key={p.name}>
                <input
                  type="checkbox"
                  checked={chosen.includes(p.name)}
                  onChange={(e) =>
                    setChosen((list) =>
                      e.currentTarget.checked
                        ? [...list, p.name]
                        : list.filter((x) => x !== p.name),
                    )
                  }
                />{' '}
                {p.name}
              </label>
            ))}
          </fieldset>
          <label for="j-variants">Option strings (one per line)</label>
          <textarea
            id="j-variants"
            rows={3}
            value={extra}
            placeholder="w=640,h=360,fit=cover,f=webp"
            onInput={(e) => setExtra(e.currentTarget.value)}
          />
          <button type="submit">Start job</button>
        </form>
      )}
      {selected && (
        <JobDetail key={selected} api={api} me={me} id={selected} onChange={() => void load()} />
      )}
      <h2>Recent jobs</h2>
      <ul class="jobs">
        {jobs.map((j) => (
          <li key={j.id}>
            <button
              type="button"
              class="link"
              onClick={() => setSelected(j.id)}
              aria-pressed={selected === j.id}
            >
              <code>{j.id}</code>
            </button>{' '}
            {j.status} · {j.progress.done}/{j.progress.total} ·{' '}
            {new Date(j.created_at).toLocaleString()}
          </li>
        ))}
        {jobs.length === 0 && <li class="hint">No jobs yet.</li>}
      </ul>
    </section>
  );
}
