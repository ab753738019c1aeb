import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { AdvanceService } from '@tsunagu/engine';
import { AdvanceJob, QUEUES, STALL_OPTIONS } from '@tsunagu/jobs';

@Processor(QUEUES.advance, STALL_OPTIONS)
export class AdvanceProcessor extends WorkerHost {
  constructor(private readonly advance: AdvanceService) {
    super();
  }

  async process(job: Job<AdvanceJob>): Promise<void> {
    await this.advance.advance(job.data.messageId);
  }
}
