// The baseline of W5: a bare Nest application with a TypeORM DataSource on the same SQLite file,
// running no job. What any Nest + TypeORM app costs before a job library adds anything; ZapJobs'
// peak RSS is read against it. Its "worker" boots, opens the database, reads the runs table once,
// calls the bench's handler once (so that the start-up is timed as for the others) and idles.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { createTarget, destroyTarget, openProducer } from './zapjobs.mjs';
import { epochNow } from '../support/timing.mjs';

export const key = 'bare-app';
export const label = 'bare Nest + TypeORM app (no jobs)';
export const description =
  '`NestFactory.createApplicationContext` of an empty module and a TypeORM `DataSource` (better-sqlite3, WAL) on the same SQLite file, ' +
  'which reads the count of its runs once and runs nothing: the memory any Nest + TypeORM app holds, beside which ZapJobs\' W5 figure is read.';
export const versions = () => ({});
export const workloads = ['W5'];
export { createTarget, destroyTarget, openProducer };

/** Nothing is ever "unfinished" for it: the drain ends as soon as its process has booted. */
export async function openMonitor() {
  return { unfinished: async () => 0, close: async () => undefined };
}

export async function startWorker(target, { handler }) {
  const bootAt = epochNow();
  class BareModule {}
  Module({})(BareModule);
  const app = await NestFactory.createApplicationContext(BareModule, { logger: ['error', 'warn'] });
  const dataSource = await new DataSource({ type: 'better-sqlite3', database: target.file, prepareDatabase: (db) => db.pragma('journal_mode = WAL') }).initialize();
  await dataSource.query('SELECT count(*) AS n FROM zj_runs');
  await handler({});
  return {
    bootAt,
    enqueue: async () => undefined,
    stop: async () => {
      await dataSource.destroy();
      await app.close();
    },
  };
}
