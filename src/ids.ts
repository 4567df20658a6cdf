/**
 * Public ids of images and jobs: 16 base64url characters from 96 random bits. Short, URL-safe, and
 * unguessable (not derived from the content hash, so an id reveals nothing).
 */

/** A new random id matching {@link ID_PATTERN}. */
function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_');
}

/** A new image id (matches {@link ID_PATTERN}). */
export const newImageId = newId;
/** A new bulk job id (matches {@link ID_PATTERN}). */
export const newJobId = newId;

/** What a public id looks like; anything else is a 404 without touching storage. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{16}$/;
