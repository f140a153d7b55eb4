// The playground's state in a URL fragment: JSON, deflated, base64url.
// CompressionStream is in every current browser; nothing leaves the page.

/** Bytes → base64url without padding. */
function toBase64Url(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** base64url → bytes. */
function fromBase64Url(text) {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function through(stream, bytes) {
  const out = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

/** The fragment (`#s=…`) that holds `state`. */
export async function encodeState(state) {
  const json = new TextEncoder().encode(JSON.stringify(state));
  return '#s=' + toBase64Url(await through(new CompressionStream('deflate-raw'), json));
}

/** The state a fragment holds, or null when it holds none (or is damaged). */
export async function decodeState(hash) {
  const match = /^#s=([A-Za-z0-9_-]+)$/.exec(hash || '');
  if (!match) return null;
  try {
    const json = await through(new DecompressionStream('deflate-raw'), fromBase64Url(match[1]));
    return JSON.parse(new TextDecoder().decode(json));
  } catch {
    return null;
  }
}
