/**
 * Attribute names of the spans, from the OpenTelemetry messaging semantic conventions (v1.27+),
 * written out here: `@opentelemetry/semantic-conventions` is not a peer of this package.
 */
export const MESSAGING_SYSTEM = 'messaging.system';
export const MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const MESSAGING_CLIENT_ID = 'messaging.client.id';
export const ERROR_TYPE = 'error.type';

/** ZapJobs' own attributes. */
export const ZAPJOBS_JOB_ID = 'zapjobs.job.id';
export const ZAPJOBS_RUN_ATTEMPT = 'zapjobs.run.attempt';
export const ZAPJOBS_RUN_OUTCOME = 'zapjobs.run.outcome';
export const ZAPJOBS_RUN_CREATED = 'zapjobs.run.created';
export const ZAPJOBS_RUN_PARENT_ID = 'zapjobs.run.parent_id';

/** The value of messaging.system. */
export const SYSTEM = 'zapjobs';
