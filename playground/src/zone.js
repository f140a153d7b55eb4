// Evaluation times in a policy's zone: the zone's offset at a local time,
// from the browser's own time-zone database (Intl).

/** The offset of `zone` at the instant `utcMillis`, in minutes east of UTC. */
export function offsetMinutes(zone, utcMillis) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(utcMillis));
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(utcMillis / 1000) * 1000) / 60000);
}

const pad = (n) => String(n).padStart(2, '0');

/** `+08:00` for 480. */
export function offsetText(minutes) {
  const sign = minutes < 0 ? '-' : '+';
  const m = Math.abs(minutes);
  return `${sign}${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
}

/** A `datetime-local` value (`2023-04-20T12:00:00`) in `zone` → RFC 3339 with the zone's offset then. */
export function localToRfc3339(local, zone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!m) return null;
  const naive = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
  // The offset at the instant the local time names (twice: across a change of offset).
  let offset = offsetMinutes(zone, naive);
  offset = offsetMinutes(zone, naive - offset * 60000);
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] || '00'}${offsetText(offset)}`;
}

/** An RFC 3339 time → the `datetime-local` value of the same instant in `zone`. */
export function rfc3339ToLocal(text, zone) {
  const millis = Date.parse(text);
  if (Number.isNaN(millis)) return '';
  const local = new Date(millis + offsetMinutes(zone, millis) * 60000);
  return `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
}
