import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { CallbackSenderService } from '@tsunagu/engine';
import { CallbackJob, QUEUES, STALL_OPTIONS } from '@tsunagu/jobs';

@Processor(QUEUES.callback, STALL_OPTIONS)
export class CallbackProcessor extends WorkerHost {
  constructor(private readonly sender: CallbackSenderService) {
    super();
  }

  async process(job: Job<CallbackJob>): Promise<string> {
    return this.sender.deliver(job.data.callbackId, job.data.tries);
  }
}
