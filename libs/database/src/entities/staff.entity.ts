import { Column, Entity, PrimaryColumn } from 'typeorm';

export type StaffRole = 'agent' | 'supervisor' | 'admin';

/** A support console account, per tenant. The password is kept as a scrypt hash with its own salt. */
@Entity('staff')
export class StaffEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  /** Lower-cased; unique per tenant. */
  @Column('text') email!: string;
  @Column('text', { name: 'password_hash' }) passwordHash!: string;
  @Column('text') role!: StaffRole;
  @Column('integer', { name: 'failed_logins' }) failedLogins!: number;
  @Column('timestamptz', { name: 'locked_until', nullable: true }) lockedUntil!: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'disabled_at', nullable: true }) disabledAt!: Date | null;
  /** Made with a generated password that someone else saw: every page waits until its owner sets one. */
  @Column('boolean', { name: 'must_change_password' }) mustChangePassword!: boolean;
  @Column('timestamptz', { name: 'password_changed_at', nullable: true }) passwordChangedAt!: Date | null;
}

/** A signed-in console session; `id` is the SHA-256 of the cookie token, never the token. */
@Entity('staff_sessions')
export class StaffSessionEntity {
  @PrimaryColumn('text') id!: string;
  @Column('uuid', { name: 'staff_id' }) staffId!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  /** The synchronizer token every state-changing console request must echo. */
  @Column('text', { name: 'csrf_token' }) csrfToken!: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt!: Date;
  @Column('timestamptz', { name: 'last_seen_at' }) lastSeenAt!: Date;
}
