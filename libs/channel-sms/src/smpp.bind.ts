import { Logger } from '@nestjs/common';
import { ChannelError } from '@tsunagu/channels';
import type { SmsRouteConfig } from './route.selector';
import { PendingRequests } from './smpp/pending-requests';
import { ESME, newPdu, smpp, SmppPdu, SmppSession } from './smpp/smpp.types';
import { handleSmscRequest } from './smpp/smsc-request.handler';
import { coalesceTurn } from './smpp/turn-writes';

export type BindState = 'connecting' | 'bound' | 'down';

/** How long an SMSC that sent unbind has to close its side after our unbind_resp. */
const UNBIND_GRACE_MS = 1000;

export interface BindTimings {
  /** Connect + bind_transceiver must finish within this. */
  bindTimeoutMs: number;
  /** A submit_sm with no resp by then is lost with an unknown outcome, and the session is rebuilt. */
  submitTimeoutMs: number;
  /** No enquire_link_resp within this: the session is wedged or dead. */
  enquireLinkTimeoutMs: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
}

export interface BindHooks {
  /** A deliver_sm (receipt or MO). Resolve when it is handed on: the resp is sent after. */
  onDeliver(pdu: SmppPdu, bind: SmppBind): Promise<void>;
  /** State or free window slots changed: the pool wakes its waiters. */
  onChange(bind: SmppBind): void;
}

export interface SubmitResponse {
  status: number;
  messageId: string;
}

/**
 * One SMPP transceiver session with its own bookkeeping. The `smpp` package stalls silently on some
 * malformed PDUs and never calls back for requests outstanding when the socket drops, so every
 * request is tracked here by sequence number with its own timer, and a lost socket rejects them.
 */
export class SmppBind {
  state: BindState = 'down';
  /** submit_sm PDUs sent and not answered: the window in use. */
  outstanding = 0;
  lastError?: string;
  private session?: SmppSession;
  private readonly pending = new PendingRequests();
  private failures = 0;
  private closing = false;
  private reconnectTimer?: NodeJS.Timeout;
  private enquireTimer?: NodeJS.Timeout;
  private bindTimer?: NodeJS.Timeout;
  /** Why this session is being rebound (rebindWhenIdle); set until it closes. */
  private draining?: string;
  private readonly logger = new Logger('SmppBind');

  constructor(
    readonly id: string,
    private readonly route: SmsRouteConfig,
    private readonly timings: BindTimings,
    private readonly hooks: BindHooks,
  ) {}

  get freeSlots(): number {
    return this.state === 'bound' && !this.draining ? Math.max(0, this.route.window - this.outstanding) : 0;
  }

  /**
   * The SMSC no longer holds this session as bound (it answered a submit ESME_RINVBNDSTS): take no
   * new submits on it and, once those in flight are answered (a drop would leave them unknown),
   * unbind and bind again, as Kannel reconnects on that answer.
   */
  rebindWhenIdle(reason: string): void {
    if (this.draining || this.state !== 'bound') return;
    this.draining = reason;
    this.logger.warn(`bind ${this.id}: ${reason}; bound again once its submits in flight are answered`);
    this.hooks.onChange(this);
    this.drainIfIdle();
  }

  private drainIfIdle(): void {
    const session = this.session;
    if (!this.draining || this.outstanding > 0 || !session) return;
    this.lastError = this.draining;
    void this.request('unbind', {}, 1000)
      .catch(() => undefined)
      .then(() => session.destroy());
  }

  start(): void {
    this.closing = false;
    this.connect();
  }

  /** Unbinds politely, then drops the socket; outstanding requests end as unknown outcomes. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    const session = this.session;
    if (!session) return;
    if (this.state === 'bound') await this.request('unbind', {}, 1000).catch(() => undefined);
    await new Promise<void>((resolve) => {
      if (session.socket.destroyed) return resolve();
      session.socket.once('close', () => resolve());
      session.destroy();
    });
  }

  /** Sends one submit_sm on this bind; the caller holds a window slot (takeSlot). */
  async submit(options: Record<string, unknown>): Promise<SubmitResponse> {
    try {
      const resp = await this.request('submit_sm', options, this.timings.submitTimeoutMs, true);
      return { status: resp.command_status, messageId: typeof resp.message_id === 'string' ? resp.message_id : '' };
    } finally {
      this.outstanding--;
      this.hooks.onChange(this);
      this.drainIfIdle();
    }
  }

  takeSlot(): boolean {
    if (this.freeSlots <= 0) return false;
    this.outstanding++;
    return true;
  }

  /** Any other request (cancel_sm, query_sm): resolves with the response PDU. */
  request(command: string, options: Record<string, unknown>, timeoutMs: number, isSubmit = false): Promise<SmppPdu> {
    const session = this.session;
    if (!session || (this.state !== 'bound' && command !== 'bind_transceiver')) {
      return Promise.reject(ChannelError.retryable('bind_not_ready', `bind ${this.id} is ${this.state}`));
    }
    const pdu = newPdu(command, options);
    return new Promise<SmppPdu>((resolve, reject) => {
      coalesceTurn(session.socket);
      if (!session.send(pdu)) {
        // Nothing was written: safe to retry elsewhere. A socket that takes no writes while the bind
        // counts as bound is half-closed and will never recover: rebuild it.
        reject(ChannelError.retryable('bind_not_ready', `bind ${this.id} socket is not writable`));
        if (command !== 'bind_transceiver') this.kill('socket_not_writable');
        return;
      }
      this.pending.track(pdu.sequence_number, { resolve, reject }, timeoutMs, () => {
        if (isSubmit) {
          reject(ChannelError.unknownOutcome('submit_timeout', `no submit_sm_resp on ${this.id}`));
          // A missing resp means the session is wedged (or the SMSC is): rebuild it.
          this.kill('submit_timeout');
        } else {
          reject(ChannelError.retryable(`${command}_timeout`, `no ${command}_resp on ${this.id}`));
          if (command === 'enquire_link') this.kill('enquire_link_timeout');
        }
      });
    });
  }

  private connect(): void {
    if (this.closing) return;
    this.setState('connecting');
    const { host, port, tls } = this.route;
    let session: SmppSession;
    try {
      session = smpp.connect({ host, port, tls: tls ?? false });
    } catch {
      this.lastError = 'connect_failed';
      this.scheduleReconnect();
      return;
    }
    this.session = session;
    this.bindTimer = setTimeout(() => this.kill('bind_timeout'), this.timings.bindTimeoutMs);
    session.on(tls ? 'secureConnect' : 'connect', () => this.bind(session));
    session.on('pdu', (pdu: SmppPdu) => this.safely(session, () => this.onPdu(session, pdu)));
    session.on('error', (err: NodeJS.ErrnoException) => {
      // Socket errors and PDUs the package cannot parse land here; either way the stream is unusable.
      this.lastError = err.code ? err.code.toLowerCase() : 'protocol_error';
      // A refused connect while down is in health and retried; a session that broke is news.
      if (this.state === 'bound' || !err.code) this.logger.warn(`bind ${this.id} dropped (${this.lastError})`);
      session.destroy();
    });
    session.on('close', () => this.onClose(session));
  }

  private bind(session: SmppSession): void {
    const { systemId, password, systemType } = this.route;
    this.request('bind_transceiver', { system_id: systemId, password, system_type: systemType ?? '', interface_version: 0x34 }, this.timings.bindTimeoutMs)
      .then((resp) => {
        if (session !== this.session) return;
        clearTimeout(this.bindTimer);
        if (resp.command_status !== ESME.ROK) {
          this.lastError = `bind_refused_0x${resp.command_status.toString(16).padStart(4, '0')}`;
          this.logger.warn(`bind ${this.id} refused (${this.lastError})`);
          session.destroy();
          return;
        }
        this.failures = 0;
        this.lastError = undefined;
        this.setState('bound');
        this.logger.log(`bind ${this.id} bound`);
        this.startEnquireLink(session);
      })
      .catch(() => session.destroy());
  }

  private startEnquireLink(session: SmppSession): void {
    clearInterval(this.enquireTimer);
    const every = Math.max(1, this.route.enquireLinkSeconds) * 1000;
    this.enquireTimer = setInterval(() => {
      if (session !== this.session || this.state !== 'bound') return;
      this.request('enquire_link', {}, this.timings.enquireLinkTimeoutMs).catch(() => undefined);
    }, every);
    this.enquireTimer.unref();
  }

  private onPdu(session: SmppSession, pdu: SmppPdu): void {
    if (pdu.isResponse()) {
      this.pending.settle(pdu);
      return;
    }
    handleSmscRequest(pdu, {
      bindId: this.id,
      logger: this.logger,
      deliver: (received) => this.hooks.onDeliver(received, this),
      reply: (resp) => this.reply(session, resp),
      unbound: () => this.unboundBySmsc(session),
    });
  }

  /**
   * The SMSC ended the session and has its unbind_resp. An SMSC that leaves its side open would
   * keep the bind half-closed, neither usable nor rebuilt, so the socket goes after a grace.
   */
  private unboundBySmsc(session: SmppSession): void {
    this.lastError = 'unbound_by_smsc';
    this.setState('down');
    session.close();
    setTimeout(() => session.destroy(), UNBIND_GRACE_MS).unref();
  }

  private reply(session: SmppSession, pdu: SmppPdu): void {
    if (session !== this.session || session.socket.destroyed) return;
    coalesceTurn(session.socket);
    session.send(pdu);
  }

  /** Our handlers run inside the package's read loop: a throw there would kill the process. */
  private safely(session: SmppSession, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.lastError = 'handler_error';
      this.logger.error(`bind ${this.id}: ${(err as Error).message}`);
      session.destroy();
    }
  }

  private kill(reason: string): void {
    this.lastError = reason;
    this.logger.warn(`bind ${this.id} dropped (${reason})`);
    this.session?.destroy();
  }

  private onClose(session: SmppSession): void {
    if (session !== this.session) return;
    this.session = undefined;
    this.draining = undefined;
    clearTimeout(this.bindTimer);
    clearInterval(this.enquireTimer);
    // The SMSC may have accepted these: never resubmit, report them as unknown.
    const lost = this.pending.rejectAll(() => ChannelError.unknownOutcome('bind_lost', `bind ${this.id} closed with requests outstanding`));
    const wasBound = this.state === 'bound';
    this.setState('down');
    if (!this.closing) {
      if (wasBound && !this.lastError) this.logger.warn(`bind ${this.id} closed by the SMSC`);
      this.lastError ??= 'connection_closed';
      if (lost) this.logger.warn(`bind ${this.id}: ${lost} request(s) outstanding at close end as unknown outcomes`);
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.closing) return;
    this.failures++;
    const { reconnectInitialMs, reconnectMaxMs } = this.timings;
    const ceiling = Math.min(reconnectMaxMs, reconnectInitialMs * 2 ** Math.min(this.failures - 1, 20));
    const delay = ceiling / 2 + Math.random() * (ceiling / 2); // jitter: binds of many workers do not stampede
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private setState(state: BindState): void {
    this.state = state;
    this.hooks.onChange(this);
  }
}
