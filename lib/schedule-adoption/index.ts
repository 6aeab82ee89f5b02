// '@zapjobs/nestjs/schedule': the @nestjs/schedule integration's public face, the marker. The adopter,
// which imports @nestjs/schedule, is loaded by ZapJobsModule only when adoption is asked.
export { AdoptSchedule, type AdoptedJobOptions } from './adopt-schedule.decorator.js';
export type { ScheduleAdoptionOptions } from '../options/zapjobs-options.interface.js';
