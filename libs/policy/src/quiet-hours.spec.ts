import { quietHoursEnd } from './quiet-hours';

const TOKYO = { start: '21:00', end: '08:00', timezone: 'Asia/Tokyo' };

/** A wall-clock time in Tokyo (UTC+9, no daylight saving) as an instant. */
function jst(isoLocal: string): Date {
  return new Date(`${isoLocal}+09:00`);
}

describe('quietHoursEnd', () => {
  describe('the default window, 21:00–08:00 Asia/Tokyo (across midnight)', () => {
    it('is outside quiet hours one minute before 21:00', () => {
      expect(quietHoursEnd(jst('2025-01-15T20:59:59'), TOKYO)).toBeNull();
    });

    it('holds from exactly 21:00 until 08:00 the next morning', () => {
      expect(quietHoursEnd(jst('2025-01-15T21:00:00'), TOKYO)).toEqual(jst('2025-01-16T08:00:00'));
    });

    it('holds before midnight until 08:00 the next day, on the minute (seconds dropped)', () => {
      expect(quietHoursEnd(jst('2025-01-15T23:30:45.123'), TOKYO)).toEqual(jst('2025-01-16T08:00:00'));
    });

    it('holds from midnight until 08:00 the same day', () => {
      expect(quietHoursEnd(jst('2025-01-16T00:00:00'), TOKYO)).toEqual(jst('2025-01-16T08:00:00'));
    });

    it('holds at 07:59:30 until 08:00:00', () => {
      expect(quietHoursEnd(jst('2025-01-16T07:59:30'), TOKYO)).toEqual(jst('2025-01-16T08:00:00'));
    });

    it('is outside quiet hours at exactly 08:00', () => {
      expect(quietHoursEnd(jst('2025-01-16T08:00:00'), TOKYO)).toBeNull();
    });

    it('is outside quiet hours at noon', () => {
      expect(quietHoursEnd(jst('2025-01-16T12:00:00'), TOKYO)).toBeNull();
    });
  });

  describe('a same-day window, 12:00–13:00 Asia/Tokyo', () => {
    const lunch = { start: '12:00', end: '13:00', timezone: 'Asia/Tokyo' };

    it('is outside before the start', () => {
      expect(quietHoursEnd(jst('2025-01-15T11:59:00'), lunch)).toBeNull();
    });

    it('holds from exactly the start until the end', () => {
      expect(quietHoursEnd(jst('2025-01-15T12:00:00'), lunch)).toEqual(jst('2025-01-15T13:00:00'));
    });

    it('holds inside the window until the end, the same day', () => {
      expect(quietHoursEnd(jst('2025-01-15T12:59:10'), lunch)).toEqual(jst('2025-01-15T13:00:00'));
    });

    it('is outside at exactly the end', () => {
      expect(quietHoursEnd(jst('2025-01-15T13:00:00'), lunch)).toBeNull();
    });

    it('is outside late at night (a same-day window does not wrap)', () => {
      expect(quietHoursEnd(jst('2025-01-15T23:00:00'), lunch)).toBeNull();
    });
  });

  describe('start equal to end', () => {
    it('means no quiet hours, even at the start minute itself', () => {
      const none = { start: '21:00', end: '21:00', timezone: 'Asia/Tokyo' };
      expect(quietHoursEnd(jst('2025-01-15T21:00:00'), none)).toBeNull();
      expect(quietHoursEnd(jst('2025-01-15T03:00:00'), none)).toBeNull();
    });
  });

  describe('a time zone other than Tokyo', () => {
    it('reads the wall clock in UTC, not in Tokyo', () => {
      const utc = { ...TOKYO, timezone: 'UTC' };
      // 21:00 in Tokyo is 12:00 UTC: outside quiet hours in UTC.
      expect(quietHoursEnd(new Date('2025-01-15T12:00:00Z'), utc)).toBeNull();
      expect(quietHoursEnd(new Date('2025-01-15T21:00:00Z'), utc)).toEqual(new Date('2025-01-16T08:00:00Z'));
    });

    it('holds in New York (UTC-5 in January) until 08:00 local', () => {
      const newYork = { ...TOKYO, timezone: 'America/New_York' };
      // 22:00 EST on the 15th is 03:00 UTC on the 16th; 08:00 EST is 13:00 UTC.
      expect(quietHoursEnd(new Date('2025-01-16T03:00:00Z'), newYork)).toEqual(new Date('2025-01-16T13:00:00Z'));
      // 12:00 EST is outside.
      expect(quietHoursEnd(new Date('2025-01-15T17:00:00Z'), newYork)).toBeNull();
    });

    it('reads minutes in a half-hour zone (Asia/Kolkata, UTC+5:30)', () => {
      const kolkata = { ...TOKYO, timezone: 'Asia/Kolkata' };
      // 20:59 IST is 15:29 UTC; 21:00 IST is 15:30 UTC; 08:00 IST is 02:30 UTC.
      expect(quietHoursEnd(new Date('2025-01-15T15:29:00Z'), kolkata)).toBeNull();
      expect(quietHoursEnd(new Date('2025-01-15T15:30:00Z'), kolkata)).toEqual(new Date('2025-01-16T02:30:00Z'));
    });
  });
});
