// '@zapjobs/nestjs/schedule': the @nestjs/schedule integration. Importing it loads @nestjs/schedule;
// the main entry never does.
export { AdoptSchedule, type AdoptedJobOptions } from './adopt-schedule.decorator.js';
export type { ScheduleAdoptionOptions } from '../options/zapjobs-options.interface.js';
