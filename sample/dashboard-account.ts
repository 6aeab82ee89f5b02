import { randomBytes } from 'node:crypto';

/**
 * The dashboard's basic-auth account, from the environment. Without DASHBOARD_PASSWORD a random
 * one is made at each start (printed by main.ts), so the sample never serves an open dashboard.
 */
export const dashboardAccount = {
  username: process.env.DASHBOARD_USER || 'admin',
  password: process.env.DASHBOARD_PASSWORD || randomBytes(9).toString('base64url'),
};
