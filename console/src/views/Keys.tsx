/**
 * Keys (admin scope): the owner's stored API keys; create a scoped key (its secret shown
 * once), revoke one with confirmation.
 */
import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../App';
import type { KeyView } from '../api';
import { useConfirm } from './Confirm';

const SCOPES = ['read', 'upload', 'admin'] as const;

/** The keys page. */
export function Keys({ api }: PageProps) {
  const [keys, setKeys] = useState<KeyView[]>([]);
  const [status, setStatus] = useState('');
  const [scopes, setScopes] = useState<string[]>(['read']);
  const [label, setLabel] = useState('');
  const [secret, setSecret] = useState<{ id: string; key: string } | null>(null);
  const [dialog, ask] = useConfirm();

  const load = () =>
    api
      .keys()
      .then((r) => setKeys(r.keys))
      .catch((err: Error) => setStatus(err.message));
  useEffect(() => void load(), []);

  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const k = await api.createKey(scopes, label.trim());
      setSecret({ id: k.id, key: k.key });
      setLabel('');
      setStatus(`Created key ${k.id}.`);
      await load();
    } catch (err) {
      setStatus(`Not created: ${(err as Error).message}`);
    }
  };
  const revoke = async (k: KeyView) => {
    if (
      !(await ask(
        `Revoke key ${k.id}${k.label ? ` (${k.label})` : ''}? It stops working at once.`,
        'Revoke',
      ))
    )
      return;
    try {
      await api.revokeKey(k.id);
      setStatus(`Revoked ${k.id}.`);
      await load();
    } catch (err) {
      setStatus(`Not revoked: ${(err as Error).message}`);
    }
  };

  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title" tabIndex={-1}>
        API keys
      </h1>
      <p role="status" class="status">
        {status}
      </p>
      {secret && (
        <div class="card notice stack" role="alert">
          <p>
            The new key <code>{secret.id}</code>, shown this once; store it now:
          </p>
          <label for="new-secret">Key</label>
          <input
            id="new-secret"
            readOnly
            value={secret.key}
            onFocus={(e) => e.currentTarget.select()}
          />
          <button type="button" class="small" onClick={() => setSecret(null)}>
            I have stored it
          </button>
        </div>
      )}
      <form class="card stack" onSubmit={(e) => void create(e)} aria-labelledby="new-key">
        <h2 id="new-key">New key</h2>
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <label class="check" key={s}>
              <input
                type="checkbox"
                checked={scopes.includes(s)}
                onChange={(e) =>
                  setScopes((list) =>
                    e.currentTarget.checked ? [...list, s] : list.filter((x) => x !== s),
                  )
                }
              />{' '}
              {s}
            </label>
          ))}
        </fieldset>
        <label for="k-label">Label</label>
        <input
          id="k-label"
          maxLength={100}
          value={label}
          onInput={(e) => setLabel(e.currentTarget.value)}
        />
        <button type="submit" disabled={scopes.length === 0}>
          Create key
        </button>
      </form>
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">Keys</caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Label</th>
              <th scope="col">Scopes</th>
              <th scope="col">Created</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id}>
                <th scope="row">
                  <code>{k.id}</code>
                </th>
                <td>{k.label ?? '–'}</td>
                <td>{k.scopes.join(', ')}</td>
                <td>{new Date(k.created_at).toLocaleString()}</td>
                <td>
                  {k.revoked_at ? (
                    `revoked ${new Date(k.revoked_at).toLocaleString()}`
                  ) : (
                    <button
                      type="button"
                      class="danger small"
                      onClick={() => void revoke(k)}
                      aria-label={`Revoke key ${k.id}`}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {keys.length === 0 && (
          <p class="hint">No stored keys (keys from the API_KEYS secret are not listed).</p>
        )}
      </div>
      {dialog}
    </section>
  );
}
