/**
 * Presets: the built-in and stored presets; with the admin scope, create one (from the
 * playground's current options by default) and delete stored ones.
 */
import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../App';
import { can } from '../App';
import type { PresetView } from '../api';
import { getLastTransform } from '../session';
import { useConfirm } from './Confirm';

/** The presets page. */
export function Presets({ api, me }: PageProps) {
  const [presets, setPresets] = useState<PresetView[]>([]);
  const [status, setStatus] = useState('');
  const [name, setName] = useState('');
  const [options, setOptions] = useState(
    () => getLastTransform() || 'w=640,h=360,fit=cover,f=auto',
  );
  const [isPublic, setPublic] = useState(false);
  const [dialog, ask] = useConfirm();
  const admin = can(me, 'admin');

  const load = () =>
    api
      .presets()
      .then((r) => setPresets(r.presets))
      .catch((err: Error) => setStatus(err.message));
  useEffect(() => void load(), []);

  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const p = await api.putPreset(name.trim(), options.trim(), isPublic);
      setStatus(`Saved ${p.name}: ${p.options}`);
      setName('');
      await load();
    } catch (err) {
      setStatus(`Not saved: ${(err as Error).message}`);
    }
  };
  const remove = async (p: PresetView) => {
    if (!(await ask(`Delete preset ${p.name}? URLs that use it stop working.`, 'Delete'))) return;
    try {
      await api.deletePreset(p.name);
      setStatus(`Deleted ${p.name}.`);
      await load();
    } catch (err) {
      setStatus(`Not deleted: ${(err as Error).message}`);
    }
  };

  return (
    <section aria-labelledby="presets-title">
      <h1 id="presets-title" tabIndex={-1}>
        Presets
      </h1>
      <p role="status" class="status">
        {status}
      </p>
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">Presets</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Options</th>
              <th scope="col">Public</th>
              <th scope="col">Eager</th>
              <th scope="col">Kind</th>
              {admin && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {presets.map((p) => (
              <tr key={p.name}>
                <th scope="row">{p.name}</th>
                <td>
                  <code>{p.options}</code>
                </td>
                <td>{p.public ? 'yes' : 'no'}</td>
                <td>{p.eager ? 'yes' : 'no'}</td>
                <td>{p.builtin ? 'built-in' : 'stored'}</td>
                {admin && (
                  <td>
                    {!p.builtin && (
                      <button
                        type="button"
                        class="danger small"
                        onClick={() => void remove(p)}
                        aria-label={`Delete preset ${p.name}`}
                      >
                        Delete
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {admin && (
        <form class="card stack" onSubmit={(e) => void create(e)} aria-labelledby="new-preset">
          <h2 id="new-preset">New preset</h2>
          <label for="p-name">Name</label>
          <input
            id="p-name"
            required
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            aria-describedby="p-name-help"
          />
          <p id="p-name-help" class="hint">
            1–64 of a–z, 0–9, _ and -, starting with a letter or digit.
          </p>
          <label for="p-options">Options</label>
          <input
            id="p-options"
            required
            value={options}
            onInput={(e) => setOptions(e.currentTarget.value)}
            aria-describedby="p-options-help"
          />
          <p id="p-options-help" class="hint">
            Prefilled with the playground’s current options.
          </p>
          <label class="check">
            <input
              type="checkbox"
              checked={isPublic}
              onChange={(e) => setPublic(e.currentTarget.checked)}
            />{' '}
            Public (served unsigned when signing is on)
          </label>
          <button type="submit">Save preset</button>
        </form>
      )}
      {dialog}
    </section>
  );
}
