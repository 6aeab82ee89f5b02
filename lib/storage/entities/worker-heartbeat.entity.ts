import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs, jsonArray } from './transformers.js';

/** One row per live (or recently live) worker process. */
@Entity('heartbeats')
export class WorkerHeartbeat {
  @PrimaryColumn({ name: 'worker_id', type: 'text' }) workerId!: string;
  @Column({ type: 'text', nullable: true }) hostname!: string | null;
  @Column({ type: 'integer', nullable: true }) pid!: number | null;
  @Column({ type: 'text', nullable: true, transformer: jsonArray }) queues!: string[];
  @Column({ type: 'integer', nullable: true }) concurrency!: number | null;
  @Column({ name: 'started_at', type: 'integer', transformer: epochMs }) startedAt!: Date;
  @Column({ name: 'last_heartbeat', type: 'integer', transformer: epochMs }) lastHeartbeat!: Date;
  /** Ids of the runs the worker holds, as a JSON array. */
  @Column({ name: 'running_run_ids', type: 'text', nullable: true, transformer: jsonArray }) runningRunIds!: string[];
  @Column({ name: 'current_job_id', type: 'text', nullable: true }) currentJobId!: string | null;
  @Column({ name: 'current_job_started_at', type: 'integer', nullable: true, transformer: epochMs })
  currentJobStartedAt!: Date | null;
}
