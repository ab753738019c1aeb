import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { After, TxGroupRunner, Work } from './tx-group';

/**
 * The worker's transitions (decide, send, receipt) in shared transactions (`TxGroupRunner`):
 * `TSUNAGU_TX_GROUP_SIZE` members at most, `TSUNAGU_TX_GROUPS_IN_FLIGHT` at once.
 */
@Injectable()
export class TxGroups {
  private readonly runner: TxGroupRunner;

  constructor(@InjectDataSource() db: DataSource, @Inject(TSUNAGU_CONFIG) config: TsunaguConfig) {
    this.runner = new TxGroupRunner(db, config.database.txGroupSize, config.database.txGroupsInFlight);
  }

  run<T>(fn: Work<T>, after?: After<T>): Promise<T> {
    return this.runner.run(fn, after);
  }
}
