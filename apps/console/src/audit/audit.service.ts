import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { newId } from '@tsunagu/core';
import { AuditEntity } from '@tsunagu/database';
import { escapeLike } from '../search/like';

export interface AuditFilter {
  actor?: string;
  action?: string;
  /** Calendar days (YYYY-MM-DD) in Asia/Tokyo, inclusive. */
  from?: string;
  to?: string;
}

export const AUDIT_PAGE_SIZE = 100;
export const AUDIT_CSV_MAX_ROWS = 10_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function tokyoDay(day: string | undefined, plusDays = 0): Date | null {
  if (!day || !DAY.test(day)) return null;
  const d = new Date(`${day}T00:00:00+09:00`);
  if (Number.isNaN(d.getTime())) return null;
  return new Date(d.getTime() + plusDays * 86_400_000);
}

/** A CSV cell: quoted, and a leading = + - @ (a spreadsheet formula) defused with an apostrophe. */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

/** Who looked at whose history, and who revealed which number, and why. Never the number itself. */
@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async record(entry: { tenantId: string; actor: string; action: string; subjectType: string; subjectId: string; reason?: string | null; detail?: Record<string, unknown> }): Promise<void> {
    await this.db.query(
      `INSERT INTO audit_log (id, tenant_id, actor, action, subject_type, subject_id, reason, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [newId(), entry.tenantId, entry.actor, entry.action, entry.subjectType, entry.subjectId, entry.reason ?? null, entry.detail ?? null],
    );
  }

  async list(tenantId: string, filter: AuditFilter, limit = AUDIT_PAGE_SIZE, offset = 0): Promise<AuditEntity[]> {
    const qb = this.db.getRepository(AuditEntity).createQueryBuilder('a').where('a.tenant_id = :tenantId', { tenantId });
    if (filter.actor) qb.andWhere(`a.actor ILIKE :actor ESCAPE '\\'`, { actor: `%${escapeLike(filter.actor)}%` });
    if (filter.action) qb.andWhere('a.action = :action', { action: filter.action });
    const from = tokyoDay(filter.from);
    const to = tokyoDay(filter.to, 1);
    if (from) qb.andWhere('a.created_at >= :from', { from });
    if (to) qb.andWhere('a.created_at < :to', { to });
    return qb.orderBy('a.created_at', 'DESC').addOrderBy('a.id', 'DESC').limit(limit).offset(offset).getMany();
  }

  async actions(tenantId: string): Promise<string[]> {
    const rows: { action: string }[] = await this.db.query(`SELECT DISTINCT action FROM audit_log WHERE tenant_id = $1 ORDER BY action`, [tenantId]);
    return rows.map((r) => r.action);
  }

  toCsv(rows: AuditEntity[]): string {
    const header = ['created_at', 'actor', 'action', 'subject_type', 'subject_id', 'reason'];
    const lines = rows.map((r) => [r.createdAt.toISOString(), r.actor, r.action, r.subjectType, r.subjectId, r.reason].map(csvCell).join(','));
    return `\uFEFF${[header.map(csvCell).join(','), ...lines].join('\r\n')}\r\n`;
  }
}
