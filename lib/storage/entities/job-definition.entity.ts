import { Column, Entity, PrimaryColumn } from 'typeorm';
import { JobRunStatus, ScheduleType } from './enums.js';
import { bool, epochMs, jsonArray } from './transformers.js';

/** One row per job type: what `@Job()` declared, plus the schedule's runtime state. */
@Entity('definitions')
export class JobDefinition {
  @PrimaryColumn({ name: 'job_type_id', type: 'text' }) jobTypeId!: string;
  @Column({ name: 'display_name', type: 'text' }) displayName!: string;
  @Column({ type: 'text', nullable: true }) description!: string | null;
  @Column({ type: 'text', default: 'default' }) queue!: string;
  @Column({ type: 'integer', default: 0 }) priority!: number;
  @Column({ name: 'schedule_type', type: 'text', default: ScheduleType.None }) scheduleType!: ScheduleType;
  @Column({ name: 'cron_expression', type: 'text', nullable: true }) cronExpression!: string | null;
  /** Interval of an interval schedule, in milliseconds. */
  @Column({ name: 'interval_ms', type: 'integer', nullable: true }) intervalMs!: number | null;
  /** IANA time zone of the cron expression (null: UTC). */
  @Column({ type: 'text', nullable: true }) timezone!: string | null;
  /** 'once' runs one catch-up after downtime, 'skip' drops missed ticks. */
  @Column({ name: 'misfire_policy', type: 'text', default: 'once' }) misfirePolicy!: 'once' | 'skip';
  /** Skip a tick while a run of this job is pending or running. */
  @Column({ name: 'prevent_overlap', type: 'integer', default: 0, transformer: bool }) preventOverlap!: boolean;
  @Column({ name: 'timeout_ms', type: 'integer', nullable: true }) timeoutMs!: number | null;
  @Column({ name: 'max_retries', type: 'integer', nullable: true }) maxRetries!: number | null;
  /** First retry delay (the job's retry policy's initialDelay), in milliseconds. */
  @Column({ name: 'retry_delay_ms', type: 'integer', nullable: true }) retryDelayMs!: number | null;
  @Column({ name: 'is_enabled', type: 'integer', default: 1, transformer: bool }) isEnabled!: boolean;
  @Column({ name: 'default_input_json', type: 'text', nullable: true }) defaultInputJson!: string | null;
  @Column({ type: 'text', nullable: true, transformer: jsonArray }) tags!: string[];
  @Column({ name: 'last_run_at', type: 'integer', nullable: true, transformer: epochMs }) lastRunAt!: Date | null;
  @Column({ name: 'next_run_at', type: 'integer', nullable: true, transformer: epochMs }) nextRunAt!: Date | null;
  @Column({ name: 'last_run_status', type: 'text', nullable: true }) lastRunStatus!: JobRunStatus | null;
  @Column({ name: 'created_at', type: 'integer', transformer: epochMs }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'integer', transformer: epochMs }) updatedAt!: Date;
}
