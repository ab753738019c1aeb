import { Logger, LoggerService } from '@nestjs/common';
import { CLOCK_SKEW_LIMIT_MS, describeSkew, describesTimeRefusal, skewOf, TokenEndpointClock } from './rbm-clock';

const GOOGLE_TIME_REFUSAL =
  'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';

describe('describesTimeRefusal', () => {
  it("recognises Google's words for an assertion refused for its iat/exp, and nothing else", () => {
    expect(describesTimeRefusal(GOOGLE_TIME_REFUSAL)).toBe(true);
    expect(describesTimeRefusal('Invalid JWT Signature.')).toBe(false);
    expect(describesTimeRefusal('Invalid grant: account not found')).toBe(false);
    expect(describesTimeRefusal(undefined)).toBe(false);
    expect(describesTimeRefusal({ text: 'reasonable timeframe' })).toBe(false);
  });
});

describe('skewOf', () => {
  const at = Date.UTC(2025, 0, 1, 0, 0, 0);
  it("is the Date header's time minus ours when the answer came", () => {
    expect(skewOf('Wed, 01 Jan 2025 00:10:00 GMT', at)).toBe(600_000);
    expect(skewOf('Tue, 31 Dec 2024 23:55:00 GMT', at)).toBe(-300_000);
  });
  it('is null without a readable Date', () => {
    expect(skewOf(null, at)).toBeNull();
    expect(skewOf('', at)).toBeNull();
    expect(skewOf('yesterday-ish', at)).toBeNull();
  });
});

describe('describeSkew', () => {
  it("says which way our clock is off, in whole seconds", () => {
    expect(describeSkew(600_400)).toBe("behind the RBM token endpoint's by 600 s");
    expect(describeSkew(-90_000)).toBe("ahead of the RBM token endpoint's by 90 s");
  });
});

describe('TokenEndpointClock', () => {
  const logged: { level: string; args: unknown[] }[] = [];
  const capture: LoggerService = {
    log: (...args: unknown[]) => void logged.push({ level: 'log', args }),
    warn: (...args: unknown[]) => void logged.push({ level: 'warn', args }),
    error: (...args: unknown[]) => void logged.push({ level: 'error', args }),
  };
  beforeAll(() => Logger.overrideLogger(capture));
  afterAll(() => Logger.overrideLogger(new Logger()));
  beforeEach(() => logged.splice(0));

  const NOW = Date.UTC(2025, 0, 1);
  const date = (offsetMs: number) => new Date(NOW + offsetMs).toUTCString();
  const rig = () => new TokenEndpointClock('agent-1', () => NOW);

  it('knows nothing and corrects nothing until an answer with a Date came', () => {
    const clock = rig();
    clock.observe(null);
    expect([clock.state(), clock.offsetMs()]).toEqual([null, 0]);
  });

  it('signs by our own time while within the limit, and says so in health', () => {
    const clock = rig();
    clock.observe(date(CLOCK_SKEW_LIMIT_MS));
    expect(clock.offsetMs()).toBe(0);
    expect(clock.state()).toEqual({ skewMs: CLOCK_SKEW_LIMIT_MS, measuredAt: new Date(NOW).toISOString(), off: false });
    expect(logged).toEqual([]);
  });

  it('past the limit: the skew is the offset to sign with, and one warning names it (agent and skew only)', () => {
    const clock = rig();
    clock.observe(date(-600_000));
    clock.observe(date(-601_000));
    clock.observe(date(-600_000));
    expect(clock.offsetMs()).toBe(-600_000);
    expect(clock.state()).toMatchObject({ skewMs: -600_000, off: true });
    expect(logged).toHaveLength(1);
    expect(logged[0].level).toBe('warn');
    expect(logged[0].args[0]).toEqual({ agentId: 'agent-1', clockSkewMs: -600_000 });
    expect(logged[0].args[1]).toContain("this machine's clock is ahead of the RBM token endpoint's by 600 s");
  });

  it('once the clocks agree again: back to our own time, a line saying so, and a new warning if it goes off again', () => {
    const clock = rig();
    clock.observe(date(300_000));
    clock.observe(date(1_000));
    expect([clock.offsetMs(), clock.state()?.off]).toEqual([0, false]);
    clock.observe(date(300_000));
    expect(logged.map((l) => l.level)).toEqual(['warn', 'log', 'warn']);
    expect(logged[1].args[1]).toContain('agrees with the RBM token endpoint');
  });
});
