/**
 * The console shell: sign-in, the navigation the key's scopes allow, and the page for the
 * current route. Focus moves to the page heading on navigation (for keyboard and screen
 * reader users); status messages go to a polite live region.
 */
import { useEffect, useState } from 'preact/hooks';
import { Api, type WhoAmI } from './api';
import { ApiError } from './lib/http';
import { linkClick, useRoute, type Route } from './router';
import { forgetKey, storedKey, storeKey } from './session';
import { Gallery } from './views/Gallery';
import { ImagePage } from './views/ImagePage';
import { Jobs } from './views/Jobs';
import { Keys } from './views/Keys';
import { Presets } from './views/Presets';
import { Upload } from './views/Upload';

/** What every page gets. */
export interface PageProps {
  api: Api;
  me: WhoAmI;
}

/** True when the key has `scope`. */
export const can = (me: WhoAmI, scope: 'read' | 'upload' | 'admin') => me.scopes.includes(scope);

const NAV: {
  path: string;
  label: string;
  page: Route['page'];
  scope: 'read' | 'upload' | 'admin';
}[] = [
  { path: '/console', label: 'Gallery', page: 'gallery', scope: 'read' },
  { path: '/console/upload', label: 'Upload', page: 'upload', scope: 'upload' },
  { path: '/console/presets', label: 'Presets', page: 'presets', scope: 'read' },
  { path: '/console/jobs', label: 'Jobs', page: 'jobs', scope: 'read' },
  { path: '/console/keys', label: 'Keys', page: 'keys', scope: 'admin' },
];

/** The sign-in form: checks the key with `GET /v1/whoami` before keeping it. */
function SignIn({ onSignedIn }: { onSignedIn: (api: Api, me: WhoAmI) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    const api = new Api(key.trim());
    try {
      const me = await api.whoami();
      storeKey(key.trim());
      onSignedIn(api, me);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <h1>image-edge console</h1>
      <form onSubmit={(e) => void submit(e)} class="card">
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-describedby="api-key-help"
        />
        <p id="api-key-help" class="hint">
          Kept in this tab only (session storage). <code>npm start</code> prints a local key.
        </p>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

/** The console application. */
export function App() {
  const route = useRoute();
  const [session, setSession] = useState<{ api: Api; me: WhoAmI } | null>(null);
  const [checking, setChecking] = useState(() => storedKey() !== null);

  useEffect(() => {
    const key = storedKey();
    if (!key) return;
    const api = new Api(key);
    api
      .whoami()
      .then((me) => setSession({ api, me }))
      .catch(() => forgetKey())
      .finally(() => setChecking(false));
  }, []);

  useEffect(() => {
    // Move focus to the new page's heading so keyboard users start there.
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [route, session]);

  if (checking) return <p class="loading">Checking the key…</p>;
  if (!session) return <SignIn onSignedIn={(api, me) => setSession({ api, me })} />;
  const { api, me } = session;
  const signOut = () => {
    forgetKey();
    setSession(null);
  };
  const allowed = NAV.filter((n) => can(me, n.scope));
  const current = allowed.find((n) => n.page === route.page) ?? allowed[0];
  let page;
  switch (route.page) {
    case 'gallery':
      page = can(me, 'read') ? <Gallery api={api} me={me} /> : null;
      break;
    case 'upload':
      page = can(me, 'upload') ? <Upload api={api} me={me} /> : null;
      break;
    case 'image':
      page = can(me, 'read') ? <ImagePage api={api} me={me} id={route.id} /> : null;
      break;
    case 'presets':
      page = can(me, 'read') ? <Presets api={api} me={me} /> : null;
      break;
    case 'jobs':
      page = can(me, 'read') ? <Jobs api={api} me={me} /> : null;
      break;
    case 'keys':
      page = can(me, 'admin') ? <Keys api={api} me={me} /> : null;
      break;
    default:
      page = null;
  }
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">image-edge</span>
        <nav aria-label="Console">
          <ul>
            {allowed.map((n) => (
              <li key={n.path}>
                <a
                  href={n.path}
                  onClick={linkClick}
                  aria-current={n === current && route.page !== 'image' ? 'page' : undefined}
                >
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          {me.owner} · {me.scopes.join(', ')}
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main">
        {page ?? (
          <>
            <h1 tabIndex={-1}>Not here</h1>
            <p>This page does not exist, or this key’s scopes do not allow it.</p>
          </>
        )}
      </main>
    </>
  );
}
