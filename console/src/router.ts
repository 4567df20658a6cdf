/**
 * Path routing under /console with the History API: `/` and `/console` are the gallery,
 * `/console/images/{id}` an image, `/console/{upload|presets|jobs|keys}` the other pages.
 */
import { useEffect, useState } from 'preact/hooks';

/** A console route. */
export type Route =
  | { page: 'gallery' }
  | { page: 'upload' }
  | { page: 'image'; id: string }
  | { page: 'presets' }
  | { page: 'jobs' }
  | { page: 'keys' }
  | { page: 'missing' };

/** The route for a path. */
export function parseRoute(path: string): Route {
  const p = path.replace(/\/+$/, '') || '/';
  if (p === '/' || p === '/console') return { page: 'gallery' };
  const m = /^\/console\/images\/([A-Za-z0-9_-]+)$/.exec(p);
  if (m) return { page: 'image', id: m[1]! };
  const name = p.replace(/^\/console\//, '');
  if (name === 'upload' || name === 'presets' || name === 'jobs' || name === 'keys')
    return { page: name };
  return { page: 'missing' };
}

/** Goes to a console path without reloading. */
export function navigate(path: string) {
  if (path === location.pathname) return;
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** The current route, following navigation. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.pathname));
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return route;
}

/** Click handler for in-console links: plain left clicks navigate in place. */
export function linkClick(e: MouseEvent) {
  const a = e.currentTarget as HTMLAnchorElement;
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.pathname);
}
