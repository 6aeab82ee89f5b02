import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { JobLogLevel } from './enums.js';
import { epochMs } from './transformers.js';

/** A line a handler logged through ctx.logger, or one the engine wrote about an attempt. */
@Entity('logs')
export class JobLog {
  /** Increasing, so it orders lines written within one millisecond. */
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ name: 'run_id', type: 'text' }) runId!: string;
  @Column({ type: 'text' }) level!: JobLogLevel;
  @Column({ type: 'text' }) message!: string;
  @Column({ type: 'integer', transformer: epochMs }) timestamp!: Date;
  @Column({ type: 'text', nullable: true }) category!: string | null;
  @Column({ type: 'text', nullable: true }) exception!: string | null;
  @Column({ name: 'attempt_number', type: 'integer', nullable: true }) attemptNumber!: number | null;
}
