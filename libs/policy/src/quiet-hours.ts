/** Minutes since midnight of `date` in `timeZone`. */
function localMinutes(date: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(date);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value);
  return hour * 60 + minute;
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

/**
 * Marketing is held, not dropped, during quiet hours (21:00–08:00 Asia/Tokyo by default).
 * Returns when the hold ends, or null when `now` is outside quiet hours.
 */
export function quietHoursEnd(now: Date, quiet: { start: string; end: string; timezone: string }): Date | null {
  const start = toMinutes(quiet.start);
  const end = toMinutes(quiet.end);
  if (start === end) return null;
  const current = localMinutes(now, quiet.timezone);
  const inside = start < end ? current >= start && current < end : current >= start || current < end;
  if (!inside) return null;
  let minutesUntilEnd = end - current;
  if (minutesUntilEnd <= 0) minutesUntilEnd += 24 * 60;
  const ends = new Date(now.getTime() + minutesUntilEnd * 60_000);
  ends.setUTCSeconds(0, 0);
  return ends;
}
