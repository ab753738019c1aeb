import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { AdvanceService } from '@tsunagu/engine';
import { AdvanceJob, QUEUES, STALL_OPTIONS, isWakeJob } from '@tsunagu/jobs';

@Processor(QUEUES.advance, STALL_OPTIONS)
export class AdvanceProcessor extends WorkerHost {
  constructor(private readonly advance: AdvanceService) {
    super();
  }

  async process(job: Job<AdvanceJob>): Promise<void> {
    // A new message or a fallback timer usually needs provider I/O first (capability, revoke):
    // a lock-free look finds that out without a transaction. A wake-up usually just writes.
    await this.advance.advance(job.data.messageId, { peekFirst: !isWakeJob(job.id) });
  }
}
