/**
 * Calls that arrive together, taken in batches: those queued in one turn of the event loop, or
 * while `maxInFlight` batches run, go together, at most `size` to a batch. Under light load a
 * call makes a batch of one at once. Shared by the worker's shared transactions (`TxGroupRunner`)
 * and the api's shared commits (`StatementBatcher`).
 */
export class BatchQueue<J> {
  private readonly queue: J[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly size: number,
    private readonly maxInFlight: number,
    private readonly runBatch: (jobs: J[]) => Promise<void>,
  ) {}

  push(job: J): void {
    this.queue.push(job);
    this.schedule();
  }

  /** First in line for the next batch. */
  pushFront(job: J): void {
    this.queue.unshift(job);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.queue.length && this.inFlight < this.maxInFlight) {
      const jobs = this.queue.splice(0, this.size);
      this.inFlight++;
      void this.runBatch(jobs).finally(() => {
        this.inFlight--;
        if (this.queue.length) this.schedule();
      });
    }
  }
}
