import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole first schema. Every row carries tenant_id; uniqueness that guarantees "one message,
 * one send" lives here (idempotency keys, attempt sequence, provider event ids, receipt parts).
 */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY,
        name text NOT NULL UNIQUE,
        callback_url text,
        callback_secret_enc bytea,
        settings jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        name text NOT NULL DEFAULT '',
        secret_hash text NOT NULL,
        scopes text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      );
      CREATE INDEX api_keys_tenant ON api_keys (tenant_id);
      CREATE TABLE contacts (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        phone_enc bytea NOT NULL,
        phone_bidx text NOT NULL,
        line_user_id text,
        line_following boolean,
        opt_outs text[] NOT NULL DEFAULT '{}',
        capabilities jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, phone_bidx)
      );
      CREATE INDEX contacts_line_user ON contacts (tenant_id, line_user_id) WHERE line_user_id IS NOT NULL;
      CREATE TABLE conversations (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        contact_id uuid NOT NULL UNIQUE REFERENCES contacts(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_activity_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE senders (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        address text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('short_code', 'long_number', 'alphanumeric')),
        ton smallint NOT NULL,
        npi smallint NOT NULL,
        state text NOT NULL CHECK (state IN ('requested', 'approved', 'suspended')),
        routes text[] NOT NULL DEFAULT '{}',
        updated_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, address)
      );
      CREATE INDEX senders_address ON senders (address);
      CREATE TABLE messages (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        contact_id uuid NOT NULL REFERENCES contacts(id),
        conversation_id uuid NOT NULL REFERENCES conversations(id),
        direction text NOT NULL CHECK (direction IN ('outbound', 'inbound')),
        channel text,
        category text,
        status text NOT NULL,
        reason text,
        text text,
        text_redacted boolean NOT NULL DEFAULT false,
        rcs jsonb,
        line jsonb,
        plan jsonb,
        sender text,
        callback_url text,
        metadata jsonb,
        crm_ref text,
        send_at timestamptz,
        expires_at timestamptz,
        due_at timestamptz,
        possible_duplicate boolean NOT NULL DEFAULT false,
        cancel_requested boolean NOT NULL DEFAULT false,
        provider_event_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      );
      CREATE INDEX messages_conversation ON messages (conversation_id, created_at DESC);
      CREATE INDEX messages_due ON messages (due_at) WHERE status IN ('accepted', 'dispatching');
      CREATE INDEX messages_crm_ref ON messages (tenant_id, crm_ref) WHERE crm_ref IS NOT NULL;
      CREATE UNIQUE INDEX messages_inbound_provider_event ON messages (channel, provider_event_id) WHERE provider_event_id IS NOT NULL;
      CREATE TABLE attempts (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        message_id uuid NOT NULL REFERENCES messages(id),
        seq smallint NOT NULL,
        channel text NOT NULL,
        status text NOT NULL,
        route text,
        bind text,
        sender text,
        provider_message_id text,
        reason text,
        permanent boolean,
        retries integer NOT NULL DEFAULT 0,
        awaits_delivery boolean NOT NULL DEFAULT true,
        timeout_seconds integer NOT NULL,
        deadline_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        submitting_at timestamptz,
        sent_at timestamptz,
        delivered_at timestamptz,
        read_at timestamptz,
        finished_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (message_id, seq)
      );
      CREATE INDEX attempts_provider_id ON attempts (channel, provider_message_id) WHERE provider_message_id IS NOT NULL;
      CREATE INDEX attempts_open ON attempts (status, created_at) WHERE status IN ('pending', 'submitting');
      CREATE TABLE attempt_parts (
        attempt_id uuid NOT NULL REFERENCES attempts(id),
        part_index smallint NOT NULL,
        provider_message_id text NOT NULL,
        status text NOT NULL DEFAULT 'sent',
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (attempt_id, part_index)
      );
      CREATE INDEX attempt_parts_provider_id ON attempt_parts (provider_message_id);
      CREATE TABLE events (
        id uuid PRIMARY KEY,
        tenant_id uuid REFERENCES tenants(id),
        message_id uuid REFERENCES messages(id),
        attempt_id uuid REFERENCES attempts(id),
        source text NOT NULL,
        type text NOT NULL,
        provider_event_id text,
        status text,
        reason text,
        anomaly boolean NOT NULL DEFAULT false,
        detail jsonb,
        occurred_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX events_provider_event ON events (source, provider_event_id) WHERE provider_event_id IS NOT NULL;
      CREATE INDEX events_message ON events (message_id, created_at);
      CREATE TABLE parked_events (
        id uuid PRIMARY KEY,
        channel text NOT NULL,
        provider_message_id text NOT NULL,
        event jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX parked_events_lookup ON parked_events (channel, provider_message_id);
      CREATE TABLE unparsed_inbound (
        id uuid PRIMARY KEY,
        channel text NOT NULL,
        reason text NOT NULL,
        detail jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE decisions (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        message_id uuid NOT NULL REFERENCES messages(id),
        kind text NOT NULL,
        inputs jsonb NOT NULL,
        outcome jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX decisions_message ON decisions (message_id, created_at);
      CREATE TABLE idempotency_keys (
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        key text NOT NULL,
        request_hash text NOT NULL,
        message_id uuid NOT NULL,
        response_status smallint NOT NULL,
        response_body jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, key)
      );
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        queue text NOT NULL,
        name text NOT NULL,
        job_id text NOT NULL,
        payload jsonb NOT NULL,
        available_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE callbacks (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        message_id uuid NOT NULL REFERENCES messages(id),
        url text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        tries integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        give_up_at timestamptz NOT NULL,
        last_status integer,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz
      );
      CREATE INDEX callbacks_pending ON callbacks (next_attempt_at) WHERE status = 'pending';
      CREATE INDEX callbacks_message ON callbacks (message_id);
      CREATE TABLE audit_log (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        actor text NOT NULL,
        action text NOT NULL,
        subject_type text NOT NULL,
        subject_id text NOT NULL,
        reason text,
        detail jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX audit_log_tenant ON audit_log (tenant_id, created_at DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE audit_log, callbacks, outbox, idempotency_keys, decisions, unparsed_inbound, parked_events,
        events, attempt_parts, attempts, messages, senders, conversations, contacts, api_keys, tenants CASCADE;
    `);
  }
}
