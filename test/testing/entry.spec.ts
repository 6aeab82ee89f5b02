import { readFileSync } from 'node:fs';
import * as main from '../../lib/index.js';
import * as testing from '../../lib/testing/index.js';

describe('the @zapjobs/nestjs/testing entry', () => {
  it('is a subpath export of its own, compiled to dist/testing', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(pkg.exports['./testing']).toEqual({ types: './dist/testing/index.d.ts', default: './dist/testing/index.js' });
  });

  it('holds the testing module; the main entry does not', () => {
    expect(Object.keys(testing).sort()).toEqual(['DrainLimitError', 'FakeClock', 'NotEnqueuedError', 'TestingClosedError', 'ZapJobsTesting', 'ZapJobsTestingModule']);
    for (const name of Object.keys(testing)) expect(Object.keys(main)).not.toContain(name);
  });
});
