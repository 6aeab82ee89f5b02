import { Column, Entity, PrimaryColumn } from 'typeorm';
import { JobRunStatus, JobTriggerType } from './enums.js';
import { epochMs } from './transformers.js';

/** One execution request of a job, across all of its attempts. */
@Entity('runs')
export class JobRun {
  /** A UUID. */
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ name: 'job_type_id', type: 'text' }) jobTypeId!: string;
  @Column({ type: 'text' }) status!: JobRunStatus;
  @Column({ name: 'trigger_type', type: 'text' }) triggerType!: JobTriggerType;
  @Column({ type: 'text' }) queue!: string;
  /** Higher runs first. */
  @Column({ type: 'integer', default: 0 }) priority!: number;
  @Column({ name: 'input_json', type: 'text', nullable: true }) inputJson!: string | null;
  @Column({ name: 'output_json', type: 'text', nullable: true }) outputJson!: string | null;
  /** Not claimed before this time; for a retry, the same as nextRetryAt. */
  @Column({ name: 'scheduled_at', type: 'integer', transformer: epochMs }) scheduledAt!: Date;
  @Column({ name: 'created_at', type: 'integer', transformer: epochMs }) createdAt!: Date;
  /** Start of the current (or last) attempt. */
  @Column({ name: 'started_at', type: 'integer', nullable: true, transformer: epochMs }) startedAt!: Date | null;
  @Column({ name: 'completed_at', type: 'integer', nullable: true, transformer: epochMs }) completedAt!: Date | null;
  /** Duration of the last attempt. */
  @Column({ name: 'duration_ms', type: 'integer', nullable: true }) durationMs!: number | null;
  @Column({ name: 'error_message', type: 'text', nullable: true }) errorMessage!: string | null;
  @Column({ name: 'error_details', type: 'text', nullable: true }) errorDetails!: string | null;
  /** The worker holding the run while it is Running; the last one afterwards. */
  @Column({ name: 'worker_id', type: 'text', nullable: true }) workerId!: string | null;
  /** Attempts started so far (0 while it waits for its first). */
  @Column({ name: 'attempt_number', type: 'integer', default: 0 }) attemptNumber!: number;
  /** Retries allowed after the first attempt (null: the job's, then the module's default). */
  @Column({ name: 'max_retries', type: 'integer', nullable: true }) maxRetries!: number | null;
  @Column({ name: 'correlation_id', type: 'text', nullable: true }) correlationId!: string | null;
  @Column({ name: 'parent_run_id', type: 'text', nullable: true }) parentRunId!: string | null;
  @Column({ name: 'next_retry_at', type: 'integer', nullable: true, transformer: epochMs }) nextRetryAt!: Date | null;
  /** The last value passed to ctx.progress(), as JSON. */
  @Column({ name: 'progress_json', type: 'text', nullable: true }) progressJson!: string | null;
  /** For a continuation: 'success' | 'failure' | 'always', and whether the parent's output becomes the input. */
  @Column({ name: 'continue_on', type: 'text', nullable: true }) continueOn!: 'success' | 'failure' | 'always' | null;
  @Column({ name: 'pass_parent_output', type: 'integer', default: 0 }) passParentOutput!: number;
}
