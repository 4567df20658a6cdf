/**
 * The signed-in key, kept in this tab's sessionStorage only (never in a URL or a cookie, so
 * it is not sent with `/img` requests).
 */
const KEY = 'image-edge.api-key';

/** The stored API key, or null. */
export const storedKey = (): string | null => sessionStorage.getItem(KEY);
/** Keeps the key for this tab. */
export const storeKey = (key: string) => sessionStorage.setItem(KEY, key);
/** Forgets the key. */
export const forgetKey = () => sessionStorage.removeItem(KEY);

let lastTransform = '';
/** Remembers the playground's current transform string (the presets page offers it). */
export const setLastTransform = (t: string) => {
  lastTransform = t;
};
/** The playground's last transform string, or ''. */
export const getLastTransform = () => lastTransform;
