import { JobDefinition } from './job-definition.entity.js';
import { JobLog } from './job-log.entity.js';
import { JobRun } from './job-run.entity.js';
import { WorkerHeartbeat } from './worker-heartbeat.entity.js';

export { JobDefinition, JobLog, JobRun, WorkerHeartbeat };
export * from './enums.js';

export const ZAPJOBS_ENTITIES = [JobDefinition, JobRun, JobLog, WorkerHeartbeat];
